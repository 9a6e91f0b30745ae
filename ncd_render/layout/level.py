"""Wiring regions drawn as the paper draws them where that crosses no more: the wires that leave at the
height they came in at run straight through, and only the others move: each cup closes where its wires
are, across the wires between them; merges meet at a dot on the wire that goes on; the wires that change
height bend to it, one bundle after another, each across the straight wires in its way, before the merges or
after them, whichever crosses fewer.

:mod:`.routing`'s swaps move every wire a crossing passes by a slot, and back when the next crossing
passes: a tensor that only passes an einsum climbed to the top of it and came back down (V's wires,
past the queries' product with the keys), and MHA's Q·K stepped Q's h down past the keys' x and up
again. :func:`route` keeps the swaps' plan where it moves no wire that leaves at its own height and
moves none one way and back (it then reads as the paper's own drawing: SDPA's K transposed, then
its k's cup with Q's), or where keeping the level wires straight crosses more.

The keys' k meets the queries' k across V's two wires, which run straight on; the keys' x moves down:

>>> left = [(0.0, ("to", 1)), (10.0, ("cup", "k")), (30.0, ("to", 2)), (40.0, ("to", 3)), (60.0, ("to", 0)), (70.0, ("cup", "k"))]
>>> plan = plan_level(left, [60.0, 70.0, 30.0, 40.0], 0.0, 0.0, 0.55)
>>> [band.kind for band in plan.bands], plan.crossings, plan_region(left, [60.0, 70.0, 30.0, 40.0]).crossings
(['cups', 'moves'], 6, 6)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations

from ..scene import Line, Stroke
from .curves import bend, cup, draw_region, end_bar, meet
from .model import _Permute
from .routing import JOIN_MAX, JOIN_MIN, RegionPlan, _side_by_side, plan_region, region_ends, slotted

LEVEL = 0.01  # a wire leaving within this of the height it entered at goes straight on
NEAR_LEVEL = 1.0  # one leaving within this of it is as good as level, for whether the swaps should stand (a page's heights
# left Mixtral's g and n 0.8 pt apart either side of Q.K)
ROOM = 6.0  # a wire bends to a height only where no other wire runs within this of it
LABEL_CLEAR = 1.5  # between a scale written above a cup and the wires above and below it
PAIR_APART = 4.0  # pt between two wires bending together at their steepest: nearer, they read as a tandem pair


@dataclass
class Band:
    """One stretch of a region, left to right: ``cups`` (each a list of the slots it closes, and the lone summed
    axes that end), ``merges`` (each the slots that meet and the one that goes on) or ``moves`` (slot, from, to)."""

    kind: str
    cups: list[list[int]] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    merges: list[tuple[list[int], int]] = field(default_factory=list)
    moves: list[tuple[int, float, float]] = field(default_factory=list)
    width: float = 0.0


@dataclass
class LevelPlan:
    """A region whose level wires run straight: its bands, left to right, over the wires' heights on the left."""

    slots: list[float]
    bands: list[Band]
    crossings: int
    label: tuple[int, str] | None = None  # the cup (its first slot) a scale is written at: "beside" its apex, "above" it, or
    # past it at its upper wire's height ("arm")
    drift: dict[int, tuple[float, float]] = field(default_factory=dict)  # slot -> heights of a wire that leaves within
    # NEAR_LEVEL of where it came in: drawn across the whole region, not in a band (a 0.8 pt jog read as a kink)

    @property
    def width(self) -> float:
        return sum(b.width for b in self.bands)


def route(placed, wires: dict, y, label=None, bend_factor: float = 0.55) -> RegionPlan | LevelPlan:
    """A wiring region's plan: its swaps (:func:`.routing.plan_region`, heights from ``y``), or a :class:`LevelPlan`
    where the swaps would move a wire that leaves at its own height and the level plan crosses no more wires;
    ``label``: a scale at its cup (a set label; a permutation has none), or None."""
    left, right = region_ends(placed, wires, y, y)
    label = None if isinstance(placed.op, _Permute) else label
    width, height = (label.width, label.ascent + label.descent) if label is not None else (0.0, 0.0)
    swaps = plan_region(left, right, width, bend_factor, height)
    if not swaps.crossings or swaps.born or not _uneven(swaps, left, right):
        return swaps
    level = plan_level(left, right, width, height, bend_factor)
    return level if level is not None and level.crossings <= swaps.crossings else swaps


def draw(plan: RegionPlan | LevelPlan, x0: float, x1: float, stroke: Stroke, dot: str, end_stroke: Stroke) -> tuple[list, tuple | None]:
    """The region's curves between x0 and x1 and where its scale's label goes (:func:`.curves.draw_region`)."""
    if isinstance(plan, RegionPlan):
        return draw_region(plan, x0, x1, stroke, dot, end_stroke)
    items: list = []
    scale = (x1 - x0) / plan.width if plan.width else 1.0
    live = dict(enumerate(plan.slots))
    ended = [plan.slots[s] for band in plan.bands for s in band.ends]
    x, label_at = x0, None
    for band in plan.bands:
        w = band.width * scale
        busy: set[int] = set()
        for slots in band.cups:
            ys = [live[s] for s in slots]
            closed, apex = cup(x, ys, w, stroke, dot)
            items += closed
            if plan.label is not None and plan.label[0] == slots[0]:  # (above it, clear of the bars of the axes that ended)
                above = max((h for h in [*live.values(), *ended] if h < ys[0]), default=ys[0])
                label_at = {"above": (x + 2, (above + ys[0]) / 2), "arm": (apex[0] + 4, ys[0])}.get(plan.label[1], (apex[0] + 5, apex[1]))
            busy.update(slots)
        for s in band.ends:
            items += end_bar(x, live[s], stroke, end_stroke)
            busy.add(s)
        for slots, keep in band.merges:
            items += meet(x, [live[s] for s in slots], live[keep], w, stroke, dot)
            busy.update(slots)
        for s, a, b in band.moves:
            items.append(bend(x, a, x + w, b, stroke))
            busy.add(s)
        items.extend(Line(x, h, x + w, h, stroke, role="wire.bend") for s, h in live.items() if s not in busy and s not in plan.drift)
        for slots in band.cups:
            for s in slots:
                del live[s]
        for s in band.ends:
            del live[s]
        for slots, keep in band.merges:
            for s in slots:
                if s != keep:
                    del live[s]
        for s, _, b in band.moves:
            live[s] = b
        x += w
    items.extend(bend(x0, a, x1, b, stroke) for a, b in plan.drift.values())
    return items, label_at


def plan_level(left: list[tuple[float, tuple]], right: list[float], label_width: float, label_height: float,
               bend_factor: float) -> LevelPlan | None:
    """The region of :func:`.routing.plan_region`'s ``left`` and ``right`` with its level wires straight: cups (inner
    ones first), then merges and the wires that change height, in bundles that keep their order, each bending
    once no other wire stands at its height (:func:`_tail`). None where no such plan exists (two wires trade
    heights) or merges overlap."""
    slots, targets, groups = slotted(left)
    live = dict(enumerate(slots))
    bands: list[Band] = []
    crossings = 0

    cups = sorted((g for t, g in groups.items() if t[0] == "cup"), key=lambda g: (slots[g[-1]] - slots[g[0]], g[0]))
    if any(len(g) > 2 for t, g in groups.items() if t[0] != "end") or _interleaved(cups):
        return None  # three wires meeting across others (a dot on a passing wire), or cups that cross: the swaps
    ends = [g[0] for t, g in groups.items() if t[0] == "end"]
    if ends:  # lone summed axes end first, in a band of their own: a bar beside a tall cup read as joined to it
        bands.append(Band("cups", ends=ends, width=JOIN_MIN))
        for s in ends:
            del live[s]
    depth: dict[int, int] = {}
    for k, g in enumerate(cups):  # a cup closes after the cups it overlaps that are drawn before it
        depth[k] = 1 + max((depth[j] for j in range(k) if cups[j][0] <= g[-1] and g[0] <= cups[j][-1]), default=-1)
    label = None
    for d in range(max(depth.values(), default=-1) + 1):
        band = Band("cups", cups=sorted((g for k, g in enumerate(cups) if depth[k] == d), key=lambda g: g[0]))
        width = max(max(JOIN_MIN, min(6 + (slots[g[-1]] - slots[g[0]]) * 0.45, JOIN_MAX)) for g in band.cups)
        if label_width and label is None:
            g = band.cups[0]
            if not _between(live, slots[g[0]], slots[g[-1]], set(g)):
                label, width = (g[0], "beside"), width + label_width + 4
            else:
                above = [h for s, h in live.items() if h < slots[g[0]]] + [slots[s] for s in ends if slots[s] < slots[g[0]]]
                if above and slots[g[0]] - max(above) >= label_height + 2 * LABEL_CLEAR:
                    label, width = (g[0], "above"), max(width, label_width + 4)
                else:  # (a page's 12 pt pitch: no room above) past the cup, where its upper wire ran
                    label, width = (g[0], "arm"), width + label_width + 4
        band.width = width
        crossings += sum(_between(live, slots[g[0]], slots[g[-1]], set(g)) for g in band.cups)
        for g in band.cups:
            for s in g:
                del live[s]
        bands.append(band)
    merges = []
    for t, g in groups.items():
        if t[0] == "to" and len(g) > 1:
            keep = min(g, key=lambda s: (abs(slots[s] - right[t[1]]), s))
            merges.append((g, keep))
    if merges:
        spans = sorted((slots[g[0]], slots[g[-1]]) for g, _ in merges)
        if any(b[0] <= a[1] for a, b in zip(spans, spans[1:])):
            return None
    kept = {tuple(g): keep for g, keep in merges}
    to = {kept.get(tuple(g), g[0]): right[t[1]] for t, g in groups.items() if t[0] == "to"}  # each survivor's height on the right
    tails = [tail for first in (True, False) if (tail := _tail(dict(live), merges, to, bend_factor, first)) is not None]
    if not tails:
        return None  # two wires trade heights: the swaps cross them
    more, crossed, drift = min(tails, key=lambda tail: tail[1])  # (merges first where that crosses no more)
    bands += more
    crossings += crossed
    return LevelPlan(slots, bands, crossings, label, drift)


def _tail(live: dict[int, float], merges: list, to: dict[int, float], bend_factor: float, merges_first: bool):
    """The bands after the cups: the merges (each slots meeting at the one that goes on) and the moves of the wires
    that change height, in bundles that keep their order, merges first or last; and the wires they cross. None where
    two wires trade heights. ``live``: slot -> height after the cups (changed here)."""
    bands, crossings = [], 0

    def merge() -> bool:
        nonlocal crossings
        spans = sorted((min(live[s] for s in g), max(live[s] for s in g)) for g, _ in merges)
        if any(b[0] <= a[1] for a, b in zip(spans, spans[1:])):
            return False  # (moved first, two merges came to overlap)
        crossings += sum(_between(live, live[s], live[keep], set(g)) for g, keep in merges for s in g if s != keep)
        spread = max(b - a for a, b in spans)
        bands.append(Band("merges", merges=merges, width=max(JOIN_MIN, min(6 + spread * 0.45, JOIN_MAX))))
        for g, keep in merges:
            for s in g:
                if s != keep:
                    del live[s]
        return True

    if merges and merges_first and not merge():
        return None
    merging = {s for g, keep in merges for s in g if s != keep} if not merges_first else set()
    kept = {keep for _, keep in merges}  # (a wire met on its way drifts no more: it bends where it moves)
    drift = {s: (live[s], to[s]) for s in live if s not in merging and s not in kept and LEVEL < abs(to[s] - live[s]) <= NEAR_LEVEL}
    moving = sorted((s for s in live if s not in merging and s not in drift and abs(to[s] - live[s]) > LEVEL), key=lambda s: live[s])
    while moving:
        band: list[tuple[int, float, float]] = []
        for s in moving:
            a, b = live[s], to[s]
            free = all(abs(h - b) >= ROOM for q, h in live.items() if q != s)
            if free and all((a < a2) == (b < b2) for _, a2, b2 in band):
                band.append((s, a, b))
        if not band:
            return None
        mine = {s for s, _, _ in band}
        crossings += sum(_between(live, a, b, mine) for _, a, b in band)
        travel = max(abs(b - a) for _, a, b in band)
        width = max(JOIN_MIN, min(bend_factor * travel * 0.8, 16 + 0.12 * travel), _side_by_side([(a, b) for _, a, b in band]),
                    _apart([(a, b) for _, a, b in band]))
        bands.append(Band("moves", moves=band, width=width))
        for s, _, b in band:
            live[s] = b
        moving = [s for s in moving if s not in mine]
    if merges and not merges_first and not merge():
        return None
    return bands, crossings, drift


def _uneven(plan: RegionPlan, left: list[tuple[float, tuple]], right: list[float]) -> bool:
    """Whether ``plan``'s swaps move a wire that leaves the region at the height it came in at (alone, or met there by
    another), or move a wire one way and then back: else they read as the paper's own drawing (SDPA's K transposed,
    then its k's cup with Q's), and stand."""
    slots, targets, groups = slotted(left)
    # (a wire that another meets where it leaves is level too: P's h in MHA's P·V stepped down to V's h, and the two
    # came back up as one)
    level = {p for p, t in enumerate(targets) if t[0] == "to" and abs(right[t[1]] - slots[p]) <= NEAR_LEVEL}
    ways: dict[int, set[int]] = {}  # wire -> the ways it moved: +1 down, -1 up

    def swap(order: list[int], i: int) -> None:
        ways.setdefault(order[i], set()).add(1)
        ways.setdefault(order[i + 1], set()).add(-1)
        order[i], order[i + 1] = order[i + 1], order[i]

    arrangement = list(range(len(slots)))
    for layer in plan.swaps:
        for i in layer:
            swap(arrangement, i)
    strands = [arrangement[k] for k in plan.survivors]
    for layer in plan.later:
        for k in layer:
            swap(strands, k)
    return bool(level & ways.keys()) or any(len(way) > 1 for way in ways.values())


def _between(live: dict[int, float], a: float, b: float, skip) -> int:
    """How many of the ``live`` wires (slot -> height), but those in ``skip``, stand strictly between heights a and b."""
    return sum(1 for s, h in live.items() if s not in skip and min(a, b) < h < max(a, b))


def _interleaved(cups: list[list[int]]) -> bool:
    """Whether two cups' spans interleave (one's top between the other's ends, its bottom past them): drawn one after
    the other they would cross twice (a tandem pair contracted across a passing tensor)."""
    return any(a[0] < b[0] < a[-1] < b[-1] or b[0] < a[0] < b[-1] < a[-1] for a, b in combinations(cups, 2))


def _apart(moves: list[tuple[float, float]]) -> float:
    """The least width over which any two wires that bend the same way in one band keep PAIR_APART apart at their
    steepest (:func:`.routing._side_by_side` asks SIDE_BY_SIDE of three): two wires rising together far, 2 pt apart,
    read as a tandem pair.

    >>> round(_apart([(100.0, 0.0), (112.0, 12.0)]), 1), _apart([(0.0, 10.0), (30.0, 5.0)])
    (70.7, 0.0)
    """
    need = 0.0
    for (a0, b0), (a1, b1) in combinations(sorted(moves), 2):
        if (b0 > a0) != (b1 > a1):
            continue
        apart = min(abs(a1 - a0), abs(b1 - b0))
        if apart > PAIR_APART:
            need = max(need, 2 * min(abs(b0 - a0), abs(b1 - a1)) / ((apart / PAIR_APART) ** 2 - 1) ** 0.5)
    return need

