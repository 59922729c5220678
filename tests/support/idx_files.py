"""Building IDX files byte by byte, for the dataset tests."""

import struct


def header(code: int, *shape: int) -> bytes:
    return bytes([0, 0, code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape)
