"""The bundled sample's thumbnail, drawn here (an original picture, no dependency): 23 people on
a ring, every pair of them joined by a faint line, one pair that shares a birthday in orange,
and "23" in the middle. `python tests/sample_thumbnail.py` writes core/data/sample-thumbnail.png;
tests/test_media.py checks the packaged file is exactly what this draws.
"""

from __future__ import annotations

import math
import struct
import zlib
from pathlib import Path

WIDTH, HEIGHT = 640, 360
PALETTE = [
    (16, 24, 48),     # 0 night blue background
    (40, 56, 96),     # 1 faint pair lines
    (200, 214, 240),  # 2 people
    (255, 140, 40),   # 3 the matching pair
    (255, 255, 255),  # 4 the number
]
# "2" and "3" as 5x7 blocks.
GLYPHS = {
    "2": ["01110", "10001", "00001", "00010", "00100", "01000", "11111"],
    "3": ["11110", "00001", "00001", "01110", "00001", "00001", "11110"],
}
PEOPLE, MATCH = 23, (4, 15)


def png(width: int, height: int, rows: list[bytearray], palette: list[tuple[int, int, int]]) -> bytes:
    """An 8-bit palette PNG from rows of palette indices."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + bytes(row) for row in rows)
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 3, 0, 0, 0))
            + chunk(b"PLTE", b"".join(bytes(c) for c in palette))
            + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b""))


def _line(rows, a, b, color):
    (x0, y0), (x1, y1) = a, b
    steps = int(max(abs(x1 - x0), abs(y1 - y0))) or 1
    for i in range(steps + 1):
        x, y = round(x0 + (x1 - x0) * i / steps), round(y0 + (y1 - y0) * i / steps)
        if 0 <= x < WIDTH and 0 <= y < HEIGHT and rows[y][x] < color:
            rows[y][x] = color


def _disc(rows, centre, radius, color):
    cx, cy = centre
    for y in range(int(cy - radius), int(cy + radius) + 1):
        for x in range(int(cx - radius), int(cx + radius) + 1):
            if (x - cx) ** 2 + (y - cy) ** 2 <= radius * radius and 0 <= x < WIDTH and 0 <= y < HEIGHT:
                rows[y][x] = color


def render() -> bytes:
    rows = [bytearray(WIDTH) for _ in range(HEIGHT)]
    centre, radius = (WIDTH / 2, HEIGHT / 2), 150
    people = [(centre[0] + radius * math.cos(2 * math.pi * k / PEOPLE - math.pi / 2),
               centre[1] + radius * math.sin(2 * math.pi * k / PEOPLE - math.pi / 2)) for k in range(PEOPLE)]
    for i in range(PEOPLE):
        for j in range(i + 1, PEOPLE):
            _line(rows, people[i], people[j], 1)
    _line(rows, people[MATCH[0]], people[MATCH[1]], 3)
    for k, person in enumerate(people):
        _disc(rows, person, 9, 3 if k in MATCH else 2)
    scale, gap = 12, 12
    text = "23"
    width = len(text) * 5 * scale + gap
    left, top = int(centre[0] - width / 2), int(centre[1] - 7 * scale / 2)
    for n, ch in enumerate(text):
        for r, line in enumerate(GLYPHS[ch]):
            for c, bit in enumerate(line):
                if bit == "1":
                    x0, y0 = left + n * (5 * scale + gap) + c * scale, top + r * scale
                    for y in range(y0, y0 + scale):
                        rows[y][x0 : x0 + scale] = bytes([4]) * scale
    return png(WIDTH, HEIGHT, rows, PALETTE)


TARGET = Path(__file__).resolve().parent.parent / "core" / "data" / "sample-thumbnail.png"

if __name__ == "__main__":
    TARGET.write_bytes(render())
    print(f"wrote {TARGET} ({TARGET.stat().st_size} bytes)")
