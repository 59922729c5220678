"""docs/ops.md is generated from the op table and must match it."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# A fresh interpreter imports autograd alone, as `python -m autograd.op` does, so the
# table does not depend on which test modules happened to be imported first.
_GENERATE = """
import sys
import autograd
from autograd.op import reference_markdown
assert not [m for m in sys.modules if m == "nn" or m.startswith("nn.")], "autograd imported nn"
sys.stdout.write(reference_markdown())
"""


def test_docs_ops_md_is_up_to_date():
    generated = subprocess.run(
        [sys.executable, "-c", _GENERATE], cwd=ROOT, check=True, capture_output=True,
        encoding="utf-8",
    ).stdout
    committed = (ROOT / "docs" / "ops.md").read_text(encoding="utf-8")
    assert committed == generated, (
        "docs/ops.md is out of date with autograd.OPS; regenerate it with\n"
        "    python -m autograd.op > docs/ops.md"
    )


def test_every_op_names_where_its_forward_and_derivative_are_written():
    import autograd
    from autograd.op import defined_in

    for name, op in autograd.OPS.items():
        for function in (op.forward, op.grad):
            path, qualname = defined_in(function)
            # a lambda or a function made inside another one cannot be found by its name
            assert "<" not in qualname, f"op {name!r}: {qualname} has no findable name"
            if path:
                source = (ROOT / path).read_text(encoding="utf-8")
                assert f"def {qualname}(" in source, f"op {name!r}: no {qualname} in {path}"
