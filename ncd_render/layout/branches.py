"""A copy's branches and a sum's operands: wires that fan out of a copy's dots (:func:`draw_copy`),
meet at a merge's dots (:func:`draw_merge`), or come up into a sum's box (:func:`draw_entries`),
each bend drawn as :func:`.curves.bend` draws the bends of a wiring region."""
from __future__ import annotations

from ..scene import Circle, Line, Path, Stroke
from .curves import DOT_R, bend


STAGGER = 8.0  # between the dots of one copy, so a branch never crosses a wire at its dot


def copy_widths(sources: list[float], branches: list[list[float]], bend: float, tight: set[int] = frozenset()) -> list[float]:
    """Widths of a copy's branches, drawn one after another, the farthest first.

    ``sources`` are the copied wires' heights, ``branches`` the heights of each copy's
    wires; wires whose index is in ``tight`` (drawn in tandem with the next) share a dot's x.
    """
    stagger = max(dot_offsets(sources, branches[0], tight)) if branches else 0.0
    return [stagger + travel_width(max(abs(b - a) for a, b in zip(sources, ys)), bend) for ys in reversed(branches)]


def dot_offsets(sources: list[float], branch: list[float], tight: set[int] = frozenset()) -> list[float]:
    """How far past the copy's start each copied wire's dot stands. The wires whose copy
    lies below them (a prefix) take their dots from the lowest up, those whose copy lies
    above them from the highest down, so each branch leaves its dot before it crosses the
    copied wires; operands that merge between a sum's wires (:func:`draw_merge`) split both ways at once.

    >>> dot_offsets([0.0, 20.0], [40.0, 60.0]), dot_offsets([0.0, 40.0], [10.0, 20.0])
    ([8.0, 0.0], [0.0, 0.0])
    """
    n = len(sources)
    split = sum(1 for a, b in zip(sources, branch) if b > a)  # wires 0..split-1 bend down, the rest up
    offsets, step = [0.0] * n, 0.0
    for i in range(split - 2, -1, -1):
        step += 0.0 if i in tight else STAGGER
        offsets[i] = step
    step = 0.0
    for i in range(split + 1, n):
        step += 0.0 if i - 1 in tight else STAGGER
        offsets[i] = step
    return offsets


def draw_copy(x: float, sources: list[float], branches: list[list[float]], widths: list[float], stroke: Stroke,
              dot: str, tight: set[int] = frozenset()) -> tuple[list, list[float], list[tuple[int, float]]]:
    """Dots on the copied wires and a branch from each to its copy, one copy after
    another from x, the farthest first; the dot of the wire nearest the copies comes
    first (:func:`dot_offsets`), so each branch leaves its dot before it crosses the
    copied wires. Returns the items, where each branch's wires start, and (source, x) for
    every dot, where the copied wire is cut so that it goes on at its dot.

    >>> items, starts, cuts = draw_copy(0.0, [0.0, 10.0], [[20.0, 30.0], [40.0, 50.0]], [30.0, 20.0], Stroke(), "#000")
    >>> starts, sorted(cuts), len([i for i in items if isinstance(i, Circle)])
    ([50.0, 30.0], [(0, 8.0), (0, 38.0), (1, 0.0), (1, 30.0)], 4)
    """
    items, starts, cuts = [], [0.0] * len(branches), []
    offsets = dot_offsets(sources, branches[0], tight) if branches else []
    for k, width in zip(range(len(branches) - 1, -1, -1), widths):  # the farthest first
        end = x + width
        for i, a in enumerate(sources):
            items.append(bend(x + offsets[i], a, end, branches[k][i], stroke))
            cuts.append((i, x + offsets[i]))
            if i - 1 not in tight:  # wires in tandem share one dot, drawn over both
                items.append(_dot(x + offsets[i], i, sources, tight, dot))
        starts[k] = end
        x = end
    return items, starts, cuts


def draw_merge(x1: float, targets: list[float], operands: list[float], width: float, stroke: Stroke, dot: str,
               tight: set[int] = frozenset()) -> tuple[list, list[tuple[int, float]]]:
    """A sum whose other operand runs between its first operand's wires (at ``targets``):
    each wire of the other (at ``operands``) bends into its match at a dot, the room
    ``width`` ending at ``x1``. It is a copy (:func:`draw_copy`) from 0 reflected in the line
    x = ``x1``, so it crosses what the copy crossed and no more; each x is reflected as it is
    drawn, from the copy's own, so it is the number reflecting the drawn copy would give.
    Returns the items and (target, x) per dot.

    >>> items, cuts = draw_merge(30.0, [0.0, 40.0], [10.0, 20.0], 30.0, Stroke(), "#000")
    >>> sorted((round(i.cx), i.cy) for i in items if isinstance(i, Circle)), cuts
    ([(30, 0.0), (30, 40.0)], [(0, 30.0), (1, 30.0)])
    """
    items, cuts = [], []
    offsets = dot_offsets(targets, operands, tight)
    for i, (a, b) in enumerate(zip(targets, operands)):
        items.append(_reflected_bend(x1, offsets[i], a, width, b, stroke))
        cuts.append((i, x1 - offsets[i]))
        if i - 1 not in tight:
            items.append(_dot(x1 - offsets[i], i, targets, tight, dot))
    return items, cuts


def _dot(x: float, i: int, sources: list[float], tight: set[int], dot: str) -> Circle:
    """The dot at x on copied wire i, drawn over the wires in tandem after it (``tight``)."""
    last = i
    while last in tight:
        last += 1
    a = sources[i]
    return Circle(x, (a + sources[last]) / 2, DOT_R + (sources[last] - a) / 2, None, dot, role="dot")


def _reflected_bend(about: float, x0: float, y0: float, x1: float, y1: float, stroke: Stroke) -> Path | Line:
    """:func:`.curves.bend` from (x0, y0) to (x1, y1) reflected in the line x = ``about``: each x as
    the bend computes it, then reflected."""
    if abs(y1 - y0) < 1e-6:
        return Line(about - x0, y0, about - x1, y1, stroke, role="wire.bend")
    k = (x1 - x0) * 0.5
    return Path((("M", about - x0, y0), ("C", about - (x0 + k), y0, about - (x1 - k), y1, about - x1, y1)), stroke, None, role="wire.bend")


ENTRY = 11.0  # between the operands that come up into a sum's box, so a wire they cross never meets two at once


def travel_width(travel: float, bend: float) -> float:
    """Room for a wire to bend ``travel`` points up or down: proportional for short
    bends, growing more slowly for long drops so a far branch does not widen the figure."""
    return max(8.0, min(bend * travel, 24 + 0.12 * travel) + 6)


def draw_entries(x0: float, box_x: float, bottom: float, heights: list[float], stroke: Stroke) -> list:
    """Wires at ``heights`` (top to bottom), below a box whose left edge is ``box_x``, each
    turning up into the box's bottom edge; wire j leaves its height at x0 + j·ENTRY and
    enters the box at box_x + 6 + j·ENTRY, so the bends nest and never cross."""
    items = []
    for j, y in enumerate(heights):
        xs, xe = x0 + ENTRY * j, box_x + 6 + ENTRY * j
        items.append(Path((("M", xs, y), ("C", xs + (xe - xs) * 0.65, y, xe, bottom + (y - bottom) * 0.35, xe, bottom)),
                          stroke, None, role="wire.bend"))
    return items
