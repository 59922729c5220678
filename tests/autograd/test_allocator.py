import ctypes.util
import sys

import pytest

from autograd.allocator import keep_freed_memory


def test_opting_out_leaves_the_allocator_alone(monkeypatch):
    monkeypatch.setenv("CHAINRULE_KEEP_MALLOC", "1")
    assert keep_freed_memory() is False


@pytest.mark.skipif(not sys.platform.startswith("linux") or ctypes.util.find_library("c") is None,
                    reason="mallopt is glibc's")
def test_glibc_accepts_the_thresholds(monkeypatch):
    monkeypatch.delenv("CHAINRULE_KEEP_MALLOC", raising=False)
    assert keep_freed_memory() is True
