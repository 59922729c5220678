"""`python -m chainrule ...` is the `chainrule` command (see `chainrule.cli`)."""

from chainrule.cli import main

raise SystemExit(main())
