"""Keep freed array memory in the process between training steps (glibc only).

A training step allocates its arrays, backward frees the whole graph at once, and the next
step allocates them again. With glibc's default thresholds, arrays over 128 KiB are
mapped fresh from the OS each time and a large free at the top of the heap is handed
back, so every step pays page faults for memory it just had (the README's "chain medium"
figures show the cost: `CHAINRULE_KEEP_MALLOC=1 python benchmarks/tensor_ops.py` against
the plain command). Long-running numerical programs raise the thresholds for this reason;
PyTorch's CPU allocator caches for the same one.

The setting is process-wide, so importing autograd never makes it: `keep_freed_memory()`
is an explicit call, made by `nn.fit` (the training loop), the `chainrule` command and the
benchmarks. A program with its own training loop may call it once at start. Set
CHAINRULE_KEEP_MALLOC=1 in the environment to leave the C allocator as it is. Elsewhere
than glibc it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

_M_TRIM_THRESHOLD = -1  # mallopt parameter numbers, from glibc's malloc.h
_M_MMAP_THRESHOLD = -3
TRIM_THRESHOLD = 64 << 20  # keep up to 64 MiB of free memory at the top of the heap
MMAP_THRESHOLD = 16 << 20  # serve arrays up to 16 MiB from the heap, not fresh mappings


def keep_freed_memory() -> bool:
    """Raise glibc's trim and mmap thresholds for this process; True when they were set.

    False (and nothing changed) when CHAINRULE_KEEP_MALLOC is set or the C library is
    not glibc. Calling it again is harmless.
    """
    if os.environ.get("CHAINRULE_KEEP_MALLOC"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc: musl, macOS, Windows
        return False
    return bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
                and mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))
