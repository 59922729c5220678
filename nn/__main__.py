"""`python -m nn ...` is the `chainrule` command (see `nn.cli`)."""

from nn.cli import main

raise SystemExit(main())
