"""The arrowheads where a row's or a part's wires go on to the next (out) or come from the last (in).

>>> [round(head.bbox[3] - head.bbox[1], 1) for head in arrowheads(10.0, [(0.0, "#000"), (4.0, "#000"), (20.0, "#000")], "a")]
[9.6, 5.6]
>>> [tips(head) for head in arrowheads(10.0, [(0.0, "#000"), (4.0, "#000")], "a")]
[[0.0, 4.0]]
"""
from __future__ import annotations

from ..layout.model import CONTINUE_ARROW, arrowhead_path
from ..scene import Path

ARROW = CONTINUE_ARROW  # an arrowhead's length (a figure laid out for rows keeps room for it)
HALF = 2.8  # half an arrowhead's height


def arrowheads(tip: float, wires: list[tuple[float, str]], role: str) -> list[Path]:
    """An arrowhead on each of ``wires`` ((y, colour)), but one over wires closer than an arrowhead is high (a tandem
    pair 4 pt apart drew two heads, one over the other, read as a double arrow), its front flat across their ends."""
    heads, group = [], []
    for y, color in sorted(wires) + [(float("inf"), "")]:
        if group and y - group[-1][0] >= 2 * HALF:
            top, bottom = group[0][0], group[-1][0]
            heads.append(arrowhead_path(tip, top, group[0][1], ARROW, HALF, role) if top == bottom else
                         Path((("M", tip - ARROW, top - HALF), ("L", tip, top), ("L", tip, bottom), ("L", tip - ARROW, bottom + HALF),
                               ("Z",)), None, group[0][1], role=role))  # its front flat, where each wire ends
            group = []
        group.append((y, color))
    return heads


def tips(head: Path) -> list[float]:
    """The heights of the wires an arrowhead ends: its tip's, or the ends of the tandem pair its flat front spans."""
    front = head.bbox[2]  # (a path's box walks its commands: once, not once a command)
    return [c[2] for c in head.commands if c[0] == "L" and abs(c[1] - front) < 0.01]
