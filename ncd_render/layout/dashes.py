"""Pieces of dashed line, for :mod:`.separators`: where a line at a height may run (:func:`in_the_way`), its pieces
joined across small steps and gaps (:func:`level`, :func:`union`), and the shortest piece worth drawing (:func:`shortest`)."""
from __future__ import annotations

from collections import defaultdict

from .buckets import boxes_near
from .model import SEPARATOR_CLEAR

ON = 1e-6  # two x positions this close are the same place
DASHES = 5  # the fewest dashes a piece of separator shows
BRIDGE = 40.0  # a gap no wider than this between two pieces of a line at one height, nothing in its way, is closed
PANEL_CLEAR = 5.0  # a separator nearer a section's top or bottom edge than this runs along it, and is left out there


def in_the_way(buckets: dict, panels, x0: float, x1: float, y: float, passed=()) -> list[tuple[float, float]]:
    """The stretches of x from ``x0`` to ``x1`` where a line at height ``y`` may not run: by each box or wiring region
    of ``buckets`` (:func:`.buckets.by_column`) at that height, with its clearance, but those ``passed``, and along
    each of the ``panels`` (sections' extents) whose top or bottom edge is within :data:`PANEL_CLEAR` of it. (A box
    filed under two buckets comes twice: blocking the same stretch twice changes nothing.)"""
    blocked = [(bx0 - SEPARATOR_CLEAR, bx1 + SEPARATOR_CLEAR) for bx0, by0, bx1, by1 in boxes_near(buckets, x0, x1)
               if by0 - SEPARATOR_CLEAR <= y <= by1 + SEPARATOR_CLEAR and (bx0, by0, bx1, by1) not in passed]
    return blocked + [(px0, px1) for px0, py0, px1, py1 in panels if px0 < x1 and x0 < px1
                      and min(abs(y - py0), abs(y - py1)) < PANEL_CLEAR]


def open_between(buckets: dict, panels, x0: float, x1: float, y: float) -> bool:
    """Whether a line at height ``y`` may run all the way from ``x0`` to ``x1`` (:func:`in_the_way`)."""
    return not any(a < x1 and x0 < b for a, b in in_the_way(buckets, panels, x0, x1, y))


def level(at: dict[float, list], buckets: dict, panels, near: float) -> None:
    """Set at its neighbours' height a piece that runs from where one line ends to where another at that height
    begins, within ``near`` of it, where nothing stands in its way there (:func:`in_the_way`, of ``buckets`` and
    ``panels``; ``at``: height -> pieces, changed in place):
    across a box on a wire between the pair's, the pair is the wires on either side of it, whose line stood 1.6 pt
    lower over gMLP's L_s, a step in one line (or, where that line would meet the box, none: a line in two). Then
    close a gap of at most :data:`BRIDGE` between two pieces at one height where nothing stands.

    >>> at = {10.0: [(0.0, 20.0), (30.0, 50.0)], 11.6: [(20.0, 30.0)], 40.0: [(0.0, 10.0), (25.0, 60.0)]}
    >>> level(at, {}, (), 8.5); at  # (pieces that meet are joined later, as any at one height are)
    {10.0: [(0.0, 20.0), (20.0, 30.0), (30.0, 50.0)], 40.0: [(0.0, 60.0)]}
    >>> at = {40.0: [(0.0, 10.0), (25.0, 60.0)]}
    >>> level(at, {}, [(10.0, 38.0, 25.0, 90.0)], 8.5); at  # the gap runs along a narrow panel's top edge: left open
    {40.0: [(0.0, 10.0), (25.0, 60.0)]}
    """
    ends, starts = defaultdict(set), defaultdict(set)  # x -> the heights of the pieces that end (start) there
    for sy, pieces in at.items():
        for lo, hi in pieces:
            ends[round(hi, 3)].add(sy)
            starts[round(lo, 3)].add(sy)
    for sy in list(at):
        for piece in list(at[sy]):
            lo, hi = piece
            for other in sorted(o for o in ends.get(round(lo, 3), ()) if o != sy and abs(o - sy) <= near):
                if other in starts.get(round(hi, 3), ()) and open_between(buckets, panels, lo, hi, other):
                    at[sy].remove(piece)
                    at[other].append(piece)
                    break
        if not at[sy]:
            del at[sy]
    for sy, pieces in at.items():  # then a gap between two pieces at one height, where nothing stands, is closed
        pieces.sort()
        for k in range(len(pieces) - 1, 0, -1):
            (lo, hi), (after, end) = pieces[k - 1], pieces[k]
            if 0 < after - hi <= BRIDGE and open_between(buckets, panels, hi, after, sy):
                pieces[k - 1:k + 1] = [(lo, max(hi, end))]


def union(pieces: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Overlapping or touching stretches of x as one, left to right.

    >>> union([(5.0, 9.0), (0.0, 2.0), (2.0, 6.0), (12.0, 13.0)])
    [(0.0, 9.0), (12.0, 13.0)]
    """
    out: list[tuple[float, float]] = []
    for lo, hi in sorted(pieces):
        if out and lo <= out[-1][1] + ON:
            if hi > out[-1][1]:
                out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return out


def length(pieces: list[tuple[float, float]]) -> float:
    return sum(hi - lo for lo, hi in pieces)


def shortest(dash: tuple[float, ...]) -> float:
    """The shortest piece of separator drawn: five dashes of the theme's pattern (a piece left between two
    boxes, or between a box and a bend, that shows three or four dashes reads as a scrap floating between
    the wires, not as a line between tensors; the gap between them still shows where one ends), 12 pt when
    it is solid.

    >>> shortest((3.0, 2.0)), shortest((2.0, 2.0)), shortest(())
    (23.0, 18.0, 12.0)
    """
    return sum(dash[k % len(dash)] for k in range(2 * DASHES - 1)) if dash else 12.0
