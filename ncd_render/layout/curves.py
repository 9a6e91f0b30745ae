"""Draw a wiring region as :func:`.routing.plan_region` planned it: its layers of swaps, its cups, merges and
terminators, then the bends that settle the survivors at their heights on the right; and :func:`bend`, the level-ended
curve every wire that changes height is drawn with (a copy's branches too, :mod:`.branches`)."""
from __future__ import annotations

from ..scene import Circle, Line, Path, Stroke
from .routing import JOIN_MAX, JOIN_MIN, RegionPlan

DOT_R = 2.1
MIN_GAP = 6.0  # between two wires that run level between layers of swaps
SCALAR_CLEAR = 7.0  # pt: a cup's scale label, centred this far above or below its apex, off the scalar's wire


def draw_region(plan: RegionPlan, x0: float, x1: float, stroke: Stroke, dot: str, end_stroke: Stroke) -> tuple[list, tuple | None]:
    """The region's curves between x0 and x1 (stretched to fill them); returns the
    items and where a scale label goes (x, y of its left end) when there is a cup."""
    items: list = []
    scale = (x1 - x0) / plan.width if plan.width else 1.0
    widths = [w * scale for w in plan.widths]
    s = plan.slots
    x = x0
    settled = plan.settles_in_last_swap
    heights = _swap_heights(plan) if settled else [s] * (len(plan.swaps) + 1)
    for k, layer in enumerate(plan.swaps):
        x = _swap_layer(items, layer, heights[k], heights[k + 1], x, widths.pop(0), stroke)
    label_at = apex = None  # apex: where the last cup's curve turns, and a full contraction's scalar comes out
    if plan.joins:
        w = widths.pop(0)
        joined = set()
        for j in plan.joins:
            joined.update(range(j.lo, j.hi + 1))
            ys = [s[i] for i in range(j.lo, j.hi + 1)]
            if j.kind == "cup":
                closed, apex = cup(x, ys, w, stroke, dot)
                items += closed
                if label_at is None:
                    label_at = (x + 2, (s[j.lo - 1] + ys[0]) / 2) if plan.label_above else (apex[0] + 5, apex[1])
            elif j.kind == "end":
                items += end_bar(x, ys[0], stroke, end_stroke)
            else:
                items += meet(x, ys, s[j.keep], w, stroke, dot)
        items.extend(Line(x, s[i], x + w, s[i], stroke, role="wire.bend") for i in range(len(s)) if i not in joined)
        x += w
    h = [s[k] for k in plan.survivors]  # cups first: the survivors swap, then merge
    for layer in plan.later:
        x = _swap_layer(items, layer, h, h, x, widths.pop(0), stroke)
    if plan.merges:
        w = widths.pop(0)
        joined = set()
        for j in plan.merges:
            joined.update(range(j.lo, j.hi + 1))
            items += meet(x, h[j.lo:j.hi + 1], h[j.keep], w, stroke, dot)
        items.extend(Line(x, h[i], x + w, h[i], stroke, role="wire.bend") for i in range(len(h)) if i not in joined)
        x += w
    if plan.born and apex is not None:  # a scalar's wire comes out of the last cup, not out of the air past the region
        items.extend(bend(*apex, x1, b, stroke) for b in plan.born)
        if label_at is not None and not plan.label_above and label_at[1] == apex[1]:  # the scale's label, beside the apex,
            # moves off the way the scalar's wire goes (MoE's ∗e stood on the "1" rising out of its cup)
            label_at = (label_at[0], apex[1] + (SCALAR_CLEAR if min(plan.born) <= apex[1] else -SCALAR_CLEAR))
    if widths:
        for a, b in plan.settle:
            items.append(bend(x, a, x1, b, stroke))
    else:
        for a, b in plan.settle:
            if x1 > x + 1e-6:
                y = b if settled else a
                items.append(Line(x, y, x1, y, stroke, role="wire.bend"))
    return items, label_at


def _swap_layer(items: list, layer: list[int], before: list[float], after: list[float], x: float, w: float, stroke: Stroke) -> float:
    """One layer of swaps, slot i with i + 1 for each i in ``layer`` (each slot's wire at ``before`` on the left
    and ``after`` on the right), the other wires running on; returns where the layer ends."""
    swapped = set(layer) | {i + 1 for i in layer}
    for i in layer:
        items.append(bend(x, before[i], x + w, after[i + 1], stroke))
        items.append(bend(x, before[i + 1], x + w, after[i], stroke))
    items.extend(bend(x, before[i], x + w, after[i], stroke) for i in range(len(before)) if i not in swapped)
    return x + w


def cup(x: float, ys: list[float], w: float, stroke: Stroke, dot: str) -> tuple[list, tuple[float, float]]:
    """The cup that closes the wires at heights ``ys`` (top to bottom) from ``x``, as deep as a band ``w`` wide allows;
    three or more contracted together meet at a dot on its apex, not in a hook. Returns its items and its apex."""
    depth = min(w * 0.8, 4 + (ys[-1] - ys[0]) * 0.45, JOIN_MAX - 4)
    apex = (x + depth * 0.75, (ys[0] + ys[-1]) / 2)
    items = [Path((("M", x, ys[0]), ("C", x + depth, ys[0], x + depth, ys[-1], x, ys[-1])), stroke, None, role="wire.bend")]
    items += [bend(x, y, *apex, stroke) for y in ys[1:-1]]
    if len(ys) > 2:
        items.append(Circle(*apex, DOT_R, None, dot, role="dot"))
    return items, apex


def end_bar(x: float, y: float, stroke: Stroke, end_stroke: Stroke) -> list:
    """A lone summed axis's wire at height ``y`` ending in a bar just past ``x``."""
    return [Line(x, y, x + 5, y, stroke, role="wire.bend"), Line(x + 5, y - 3.5, x + 5, y + 3.5, end_stroke, role="terminator")]


def meet(x: float, ys: list[float], ym: float, w: float, stroke: Stroke, dot: str) -> list:
    """Wires at heights ``ys`` meeting at a dot on the one at ``ym`` that goes on, in a band ``w`` wide from ``x``."""
    xm = x + min(w * 0.6, max(JOIN_MIN, 6 + (max(ys) - min(ys)) * 0.45))
    return [bend(x, y, xm, ym, stroke) for y in ys] + [Line(xm, ym, x + w, ym, stroke, role="wire.bend"),
                                                        Circle(xm, ym, DOT_R, None, dot, role="dot")]


def _swap_heights(plan: RegionPlan) -> list[list[float]]:
    """For a region whose swaps also settle: the height of the wire in each slot before the first layer and
    after each layer. A wire arrives at its height on the right in the last layer that moves it, so it bends
    once, with its crossing, not again later; one no layer moves bends in the last layer. Where that would
    bring two wires within MIN_GAP of each other between layers, every wire settles in the last layer.

    >>> from ncd_render.layout.routing import plan_region
    >>> plan = plan_region([(0.0, ("to", 1)), (10.0, ("to", 0)), (20.0, ("to", 2))], [0.0, 12.0, 22.0])
    >>> plan.swaps, _swap_heights(plan)  # one layer: the swapped pair and the third wire arrive at once
    ([[0]], [[0.0, 10.0, 20.0], [0.0, 12.0, 22.0]])
    """
    s, layers = plan.slots, len(plan.swaps)
    arrangements = [list(range(len(s)))]  # the strand (left slot) in each slot, before and after each layer
    moved = [layers - 1] * len(s)  # the last layer that moves each strand
    for k, layer in enumerate(plan.swaps):
        now = list(arrangements[-1])
        for i in layer:
            now[i], now[i + 1] = now[i + 1], now[i]
            moved[now[i]] = moved[now[i + 1]] = k
        arrangements.append(now)
    final = {strand: plan.settle[slot][1] for slot, strand in enumerate(arrangements[-1])}
    heights = [list(s)]
    for k in range(layers):
        heights.append([final[strand] if k >= moved[strand] else s[slot] for slot, strand in enumerate(arrangements[k + 1])])
    if all(b - a >= MIN_GAP for row in heights[1:-1] for a, b in zip(row, row[1:])):
        return heights
    return [s] * layers + [[b for _, b in plan.settle]]


def bend(x0: float, y0: float, x1: float, y1: float, stroke: Stroke) -> Path | Line:
    """A wire from (x0, y0) to (x1, y1), leaving and arriving level."""
    if abs(y1 - y0) < 1e-6:
        return Line(x0, y0, x1, y1, stroke, role="wire.bend")
    k = (x1 - x0) * 0.5
    return Path((("M", x0, y0), ("C", x0 + k, y0, x1 - k, y1, x1, y1)), stroke, None, role="wire.bend")
