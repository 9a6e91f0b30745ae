"""A copy's branches and a sum's operands: wires that fan out of a copy's dots (:func:`draw_copy`),
meet at a merge's dots (:func:`draw_merge`), or come up into a sum's box (:func:`draw_entries`),
each bend drawn as :func:`.curves.bend` draws the bends of a wiring region."""
from __future__ import annotations

from bisect import bisect_right

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


def tucked(first: tuple, then: tuple, room: float) -> float:
    """How far past the start of one copy's branch the next may start, when both copy the same wires the same way
    (``first``, ``then``: each (sources' heights, branches' heights, widths, wires in tandem), one branch each, as
    :func:`.gaps.measure_gap` measures them): as soon as every wire of the first has cleared the copied wires and
    stays at least PACK_APART beyond every wire of the next wherever both bend. ``room`` (the first's width and the
    gap after it) where they bend different ways or copy different heights. A figure that tried five convolutions on
    one image fanned its branches out one after another, a third of its width.

    >>> one = ([100.0, 110.0], [[0.0, 10.0]], [60.0], set())
    >>> two = ([100.0, 110.0], [[40.0, 50.0]], [40.0], set())
    >>> 0 < tucked(one, two, 64.0) < 64.0, tucked(one, ([0.0, 10.0], [[40.0, 50.0]], [40.0], set()), 64.0)
    (True, 64.0)
    """
    (sources, [far], [far_width], tight), (again, [near], [near_width], tight2) = first, then
    up = [b < a for a, b in zip(sources, far)] + [b < a for a, b in zip(sources, near)]
    if again != sources or tight != tight2 or any(abs(a - b) < 1e-6 for a, b in zip(sources, far + near)) or len(set(up)) > 1:
        return room
    sign = 1.0 if up[0] else -1.0  # (heights grow downwards: going up, the first's wires stand at smaller heights)
    ahead = _samples(sources, far, far_width, dot_offsets(sources, far, tight))
    behind = _samples(sources, near, near_width, dot_offsets(sources, near, tight))
    clear = lambda shift: all(_clear(ahead, [(x + shift, y) for x, y in curve], sign) for curve in behind)
    if not clear(room):
        return room
    lo, hi = 0.0, room  # (clear at hi; the later the next starts, the clearer it stands: halved to within a point)
    while hi - lo > 1.0:
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if clear(mid) else (mid, hi)
    return hi


PACK_APART = 6.0  # between a branch and the next, where one starts before the other has risen clear
SAMPLES = 48  # points along a bend, where :func:`tucked` measures it (16 read a steep bend's start as risen too soon)


def _samples(sources: list[float], branch: list[float], width: float, offsets: list[float]) -> list[list[tuple[float, float]]]:
    """Points along each wire of a branch, as :func:`.curves.bend` draws it from its dot, level before and after it."""
    curves = []
    for a, b, off in zip(sources, branch, offsets):
        k = (width - off) * 0.5
        points = [(off - 50.0, a)]  # the copied wire, level, up to the dot: a branch started later must not cross it
        for t in (i / SAMPLES for i in range(SAMPLES + 1)):
            u = 1 - t
            x = u ** 3 * off + 3 * u * u * t * (off + k) + 3 * u * t * t * (width - k) + t ** 3 * width
            points.append((x, u ** 3 * a + 3 * u * u * t * a + 3 * u * t * t * b + t ** 3 * b))
        curves.append(points + [(width + 1000.0, b)])  # (and level after it)
    return curves


def _clear(ahead: list[list[tuple[float, float]]], curve: list[tuple[float, float]], sign: float) -> bool:
    """Whether every wire of ``ahead`` stands beyond ``curve`` (above it where ``sign`` is 1, below where -1) wherever
    both are drawn, and PACK_APART from it every way (a steep bend 6 pt above, 1.5 pt aside, read as a knot)."""
    for line in ahead:
        xs = [x for x, _ in line]
        for x, y in curve[1:]:
            k = bisect_right(xs, x)
            if 0 < k < len(line):
                (x0, y0), (x1, y1) = line[k - 1], line[k]
                if sign * (y - (y0 + (y1 - y0) * (x - x0) / (x1 - x0))) < 0:
                    return False
            for j in range(max(1, bisect_right(xs, x - PACK_APART)), min(len(line), bisect_right(xs, x + PACK_APART) + 1)):
                if _distance((x, y), line[j - 1], line[j]) < PACK_APART:
                    return False
    return True


def _distance(p: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
    """From point ``p`` to the segment from ``a`` to ``b``."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    t = max(0.0, min(1.0, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / (dx * dx + dy * dy or 1.0)))
    return ((p[0] - a[0] - t * dx) ** 2 + (p[1] - a[1] - t * dy) ** 2) ** 0.5


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
