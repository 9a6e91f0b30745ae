"""A row's wires run on level where they bend only to meet the next row (:func:`straightened`).

A figure lays a wire out for where it goes: UNet's upsampled tensor steps down past its box to
enter the concatenation below the skip connection. Cut into rows, the step stayed in the row that
hands the wire on, though it leads only to the cut: the row ended in a fall with nothing below it,
its height spent on nothing. Where a row's last bends lead only to its cut (nothing is drawn beside
or after them, and the wires keep their order), the wires run on level from where they bend; the
next row takes them in at the heights the figure gives them, as before.

>>> from ncd_render.scene import Stroke
>>> from ncd_render.page.cuts import Cut
>>> run, bend = Line(0, 5, 40, 5, Stroke()), Path((("M", 40, 5), ("C", 45, 5, 45, 25, 50, 25)), Stroke(), role="wire.bend")
>>> pieces = [(run, (0, 40)), (bend, None), (Line(50, 25, 90, 25, Stroke()), (50, 60))]
>>> pieces, cut = straightened(pieces, Cut(60, ((25, Stroke(), None, None, None),), 0, 10))
>>> [(i.role, i.y1, i.x2, span) for i, span in pieces], [y for y, *_ in cut.wires]
([('wire', 5, 90, (0, 60))], [5])
"""
from __future__ import annotations

from ..records import replaced
from ..scene import Line, Path, extent, wire_ends
from ..wrap import splittable

NEAR = 0.01  # pt: two ends this close meet
REGION_PAD = 3.0  # a wiring region reaches this far above and below its bends


def straightened(pieces: list, cut) -> tuple[list, object]:
    """``pieces`` (a row's, :func:`ncd_render.wrap.partition`'s) and ``cut`` (:class:`.rows.Cut`, where the row
    ends), with the bends that lead only to the cut gone and the wires run on level, as the module says; the same
    where there are none, or where that would put anything out of place."""
    runs = [(k, item, span) for k, (item, span) in enumerate(pieces) if isinstance(item, Line) and item.role == "wire" and span is not None and item.y1 == item.y2]
    bends = [(k, item) for k, (item, span) in enumerate(pieces) if isinstance(item, Path) and item.role == "wire.bend"]
    moves = {}  # a height at the cut -> (the run to the cut, the bend before it, the run before the bend)
    for y, *_ in cut.wires:
        last = [(k, item, span) for k, item, span in runs if abs(item.y1 - y) < NEAR and abs(span[1] - cut.x) < NEAR and span[0] == item.x1]
        bend = [(j, b) for j, b in bends for k, _, span in last if _meets(wire_ends(b)[1], span[0], y)]
        if len(last) != 1 or len(bend) != 1:
            continue
        bx, by = wire_ends(bend[0][1])[0]
        first = [(i, item, span) for i, item, span in runs if abs(item.y1 - by) < NEAR and abs(item.x2 - bx) < NEAR]
        if len(first) == 1:
            moves[y] = (last[0], bend[0], first[0])
    if not moves:
        return pieces, cut
    heights = [moves[y][2][1].y1 if y in moves else y for y, *_ in cut.wires]
    if any(b - a < 1.0 for a, b in zip(heights, heights[1:])):
        return pieces, cut  # the wires would change their order, or meet
    gone = {i for last, bend, _ in moves.values() for i in (last[0], bend[0])}
    x0, y0, x1, y1 = extent([bend[1] for _, bend, _ in moves.values()])
    gone |= {k for k, (item, _) in enumerate(pieces) if item.role == "region" and _within(item.bbox, (x0, y0 - REGION_PAD, x1, y1 + REGION_PAD))}
    longer = {first[0]: last for last, _, first in moves.values()}  # the run before a bend reaches on to the cut
    for k, (item, span) in enumerate(pieces):
        if k not in gone and k not in longer and not (splittable(item) and not isinstance(item, Line)):
            if (item.bbox[2] if span is None else span[1]) > x0 + NEAR:
                return pieces, cut  # something stands beside the bends or beyond them
    out = []
    for k, (item, span) in enumerate(pieces):
        if k in longer:
            _, run, (_, end) = longer[k]
            out.append((replaced(item, x2=run.x2), (span[0], end)))
        elif k not in gone:
            out.append((item, span))
    return out, replaced(cut, wires=tuple((y,) + tuple(wire[1:]) for wire, y in zip(cut.wires, heights)))


def _meets(point, x: float, y: float) -> bool:
    return abs(point[0] - x) < NEAR and abs(point[1] - y) < NEAR


def _within(box, bounds) -> bool:
    return box[0] >= bounds[0] - NEAR and box[1] >= bounds[1] - NEAR and box[2] <= bounds[2] + NEAR and box[3] <= bounds[3] + NEAR
