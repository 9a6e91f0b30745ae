"""Level wires joined end to end: the straight pieces of wires, and the level lines wiring regions draw,
that meet end to end at one height drawn as one line, so no seam shows where they meet.

>>> ink = Stroke()
>>> pieces = [Piece(0.0, 4.0, 5.0, ink, "m", 1), Piece(4.0, 9.0, 5.0, ink, None, None), Piece(9.0, 12.0, 5.0, ink, "m", 2)]
>>> [(p.x0, p.x1, p.axis, p.producer) for p in joined(pieces, [], {(5.0, 9.0)})[0]]  # a copy's dot at x 9 keeps them apart there
[(9.0, 12.0, 'm', 2), (0.0, 9.0, 'm', 1)]
"""
from __future__ import annotations

from collections import defaultdict
from typing import NamedTuple

from ..scene import Line, Stroke


class Piece(NamedTuple):
    """A level piece of wire before it is placed: from ``x0`` to ``x1`` (never left of ``x0``) at height ``y``,
    with its Line's stroke, axis and producer (:class:`~ncd_render.scene.Line`)."""

    x0: float
    x1: float
    y: float
    stroke: Stroke
    axis: str | None
    producer: int | None


def joined(pieces: list[Piece], body: list, dots: set) -> tuple[list[Piece], list]:
    """Straight pieces of one wire that meet end to end (a wire running on through a
    wiring region) drawn as one line, so no seam shows where they meet; pieces that
    meet at a copy's dot (in ``dots``, as (y, x)) stay apart. Level wires of ``body``
    join the ``pieces`` too; returns the pieces, joined, and ``body`` less the lines
    joined into them."""
    level = [(piece, piece) for piece in pieces]  # (the piece, what it stands for: itself or a line of body)
    level += [(Piece(min(i.x1, i.x2), max(i.x1, i.x2), i.y1, i.stroke, i.axis, i.producer), i) for i in body
              if isinstance(i, Line) and i.role in ("wire", "wire.bend") and i.y1 == i.y2]
    rows: dict = defaultdict(list)
    for entry in level:
        rows[entry[0].y].append(entry)
    runs, used = [], set()  # used: id of each piece or body line joined
    for y in sorted(rows):
        for stroke, entries in _by_stroke(rows[y]):
            if len(entries) > 1:  # a line alone at its height meets nothing
                _join_row(entries, y, stroke, dots, runs, used)
    if not used:  # nothing met: both as they were
        return pieces, body
    return [p for p in pieces if id(p) not in used] + runs, [i for i in body if id(i) not in used]


def _by_stroke(entries: list[tuple]) -> list[tuple]:
    """(stroke, its entries) for each stroke of the (piece, origin) ``entries`` at one height, in the order each
    first comes. Most heights hold only wires' pieces, all drawn with the one Stroke: those are not hashed
    (a dataclass hashes all its fields, each time)."""
    first = entries[0][0].stroke
    if all(piece.stroke is first for piece, _ in entries):
        return [(first, entries)]
    groups: dict = defaultdict(list)
    for entry in entries:
        groups[entry[0].stroke].append(entry)
    return list(groups.items())


def _join_row(entries: list[tuple], y: float, stroke: Stroke, dots: set, runs: list, used: set) -> None:
    """The runs of (piece, origin) ``entries`` at one height, with one stroke, that meet end to end (not at a
    dot), each into ``runs`` as one piece, the id of each entry's origin into ``used``."""
    entries.sort(key=lambda entry: (entry[0].x0, entry[0].x1))
    run = [entries[0]]
    for entry in entries[1:] + [None]:
        meet = run[-1][0].x1
        if entry is not None and abs(entry[0].x0 - meet) < 1e-6 and (y, meet) not in dots:
            run.append(entry)
            continue
        if len(run) > 1:
            used.update(id(origin) for _, origin in run)
            axes = {piece.axis for piece, _ in run if piece.axis is not None}  # pieces inside a wiring region name none
            producers = {piece.producer for piece, _ in run} - {None}
            runs.append(Piece(run[0][0].x0, run[-1][0].x1, y, stroke, axes.pop() if len(axes) == 1 else None,
                              producers.pop() if len(producers) == 1 else None))
        run = [entry]
