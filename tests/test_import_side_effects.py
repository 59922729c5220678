"""Importing the library defines things and does nothing else, each checked in a fresh
interpreter: no optional package needed, no process-wide setting changed."""

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT,
                          capture_output=True, encoding="utf-8", check=False)


def test_import_autograd_works_without_graphviz():
    done = run("""
        import sys
        sys.modules["graphviz"] = None  # `import graphviz` now raises ImportError
        import numpy as np
        import autograd, nn
        from autograd import Tensor, Value

        x = Value(2.0)
        (x * x + x).backward()
        assert x.grad == 5.0
        t = Tensor(np.array([1.0, 2.0]), requires_grad=True)
        (t * t).sum().backward()
        assert t.grad.tolist() == [2.0, 4.0]
        try:
            autograd.draw_graph(x * x)
        except ImportError as error:
            print(error)
        trace = autograd.trace_backward((x * x).tanh())
        try:
            trace.to_html()
        except ImportError as error:
            print("page:", error)
        fallback = trace._repr_html_()  # a notebook still lists the steps
        assert "backward in 3 steps" in fallback and "<ol" in fallback, fallback
    """)
    assert done.returncode == 0, done.stderr
    assert "pip install graphviz" in done.stdout  # drawing says what to install
    assert "page: drawing a graph needs the graphviz Python package" in done.stdout


def test_importing_leaves_the_allocator_alone():
    # a spy in place of the C library: any mallopt call is recorded
    done = run("""
        import ctypes

        calls = []

        class SpyLibrary:
            def __init__(self, *args, **kwargs):
                pass

            def mallopt(self, *args):
                calls.append(args)
                return 1

        ctypes.CDLL = SpyLibrary
        import autograd, nn

        assert calls == [], calls
        autograd.keep_freed_memory()  # the explicit call is the one that sets them
        print(len(calls))
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "2"
