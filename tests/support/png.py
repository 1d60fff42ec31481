"""What a PNG file says about itself, read without an imaging library: the signature and the IHDR chunk
(width and height), which every PNG must start with."""

from __future__ import annotations

import struct
import zlib

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) of a PNG; AssertionError naming what is wrong if it is not one."""
    assert data[:8] == SIGNATURE, f"not a PNG: starts {data[:8]!r}"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13, f"the first chunk is {kind!r} of {length} bytes, not IHDR"
    body = data[16 : 16 + length]
    (crc,) = struct.unpack(">I", data[16 + length : 20 + length])
    assert zlib.crc32(kind + body) == crc, "IHDR's CRC does not match"
    width, height = struct.unpack(">II", body[:8])
    return width, height
