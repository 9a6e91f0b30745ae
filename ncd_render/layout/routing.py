"""Route the wires of a wiring region (an einsum, a transpose, a rename) in three moves: where each wire
is in each move, and how wide each is (:mod:`.curves` draws them).

A region joins the wires that enter it on the left to those that leave it on
the right. Drawing every bend, cup and merge in one gap is what makes knots,
so the region is split into moves that never share room:

1. **permute**: adjacent swaps, in layers of disjoint pairs (odd-even
   transposition), bring the wires of each cup or merge next to each other and
   the others into their final order; every crossing is two curves and nothing else;
2. **join**: cups close contracted pairs, merges meet at a dot, lone summed
   axes end in a terminator, all between neighbouring wires;
3. **settle**: the survivors bend to their heights on the right, in order, so they
   never cross. Where nothing joins, the last layer of swaps bends each wire straight to
   its height on the right instead: a second, small bend just after a crossing reads as a jog.

Where it crosses fewer, the cups close first: swaps bring only each cup's wires together,
the cups and lone summed axes close, then the survivors swap into their order and merge
(a wire that must pass a cup's place then need not cross its two wires).

K's k must pass K's x to meet Q's k in a cup: one layer with one swap, of slots 2 and 3.

>>> plan = plan_region([(0.0, ("to", 0)), (17.0, ("cup", "k")), (43.0, ("to", 1)), (60.0, ("cup", "k"))], [0.0, 26.0])
>>> plan.swaps, [g.kind for g in plan.joins]
([[2]], ['cup'])
>>> plan.crossings
1
"""
from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, field

from ..records import record
from .model import Placed, Wire, YOf, _Permute

SWAP_MIN = 12.0  # width of one layer of swaps, at least
JOIN_MIN = 10.0
JOIN_MAX = 18.0  # a cup between far wires is deep, not wide
SCALE_CLEAR = 10.0  # between a scale written above a cup and the wire labels after the region (5 pt read as one: ∗k^-1/2 x̄)
FAR_SETTLE = 40.0  # wires that settle farther than this cross before they settle, not on the way
MAX_CUPS_TRIED = 4  # cups each tried closing at their top and bottom wire; more close at the top
SIDE_BY_SIDE = 2.2  # across neighbouring wires whose bends run side by side, at their steepest: more than a near miss


@record
class Join:
    """Neighbouring slots ``lo..hi`` end in a cup, merge at a dot, or end alone."""

    kind: str  # "cup" | "merge" | "end"
    lo: int
    hi: int
    keep: int | None = None  # a merge goes on in this slot


@dataclass
class RegionPlan:
    """Where each wire is in each move; heights in points, no x yet."""

    slots: list[float]  # heights of the slots (the wires' heights on the left)
    swaps: list[list[int]]  # per layer, the slots i that swap with i + 1
    joins: list[Join]
    settle: list[tuple[float, float]]  # (slot height, right height) per surviving wire, top to bottom
    crossings: int = 0
    label_width: float = 0.0  # room for a scale written at the first cup
    label_above: bool = False  # the scale fits above the cup, between it and the wire above
    widths: list[float] = field(default_factory=list)
    later: list[list[int]] = field(default_factory=list)  # cups first: per layer, the survivors k that swap with k + 1
    merges: list[Join] = field(default_factory=list)  # cups first: among the survivors, once they have swapped
    survivors: list[int] = field(default_factory=list)  # cups first: the slots that go on after the joins
    travel: float = 0.0  # cups first: how far the survivors move, to choose where each cup closes
    born: list[float] = field(default_factory=list)  # the heights of leaving wires no entering wire goes to (a scalar)

    @property
    def width(self) -> float:
        return sum(self.widths)

    @property
    def settles_in_last_swap(self) -> bool:
        """Whether the last layer of swaps also settles: swaps and no joins, so slot k leaves as settle[k]; not
        where the wires settle far (a crossing halfway down a long bundle of bends would meet the bundle's other
        wires there, a knot: it crosses first, at the slots, and the bundle settles after)."""
        return bool(self.swaps) and not self.joins and max(abs(b - a) for a, b in self.settle) <= FAR_SETTLE


def plan_region(left: list[tuple[float, tuple]], right: list[float], label_width: float = 0.0,
                bend: float = 0.55, label_height: float = 0.0) -> RegionPlan:
    """Plan a region: ``left`` is (height, target) per entering wire, where a target is
    ``("to", r)`` (leaves as right wire r; several such wires merge), ``("cup", name)``
    (contracted with the other wires of that name) or ``("end", name)``; ``right`` are
    the heights of the leaving wires. The cups close first where that crosses fewer wires."""
    slots, targets, groups = slotted(left)
    right_rank = {r: k for k, r in enumerate(sorted(range(len(right)), key=lambda r: right[r]))}
    plan = _at_once(slots, targets, groups, right_rank, right)
    if plan.crossings and any(t[0] == "cup" for t in groups):
        cups = [t for t in groups if t[0] == "cup"]
        tries = itertools.product((0, -1), repeat=len(cups)) if len(cups) <= MAX_CUPS_TRIED else [(0,) * len(cups)]
        first = min((_cups_first(slots, targets, groups, right_rank, right, dict(zip(cups, ends))) for ends in tries),
                    key=lambda p: (p.crossings, p.travel))
        if first.crossings < plan.crossings:
            plan = first
    plan.label_width = label_width
    plan.label_above = label_width > 0 and _room_above_cup(plan, label_height)
    fed = {t[1] for t in targets if t[0] == "to"}
    plan.born = [h for r, h in enumerate(right) if r not in fed]
    plan.widths = _widths(plan, bend)
    return plan


def slotted(left: list[tuple[float, tuple]]) -> tuple[list[float], list[tuple], dict[tuple, list[int]]]:
    """A region's entering wires (:func:`plan_region`'s ``left``) top to bottom: their heights (the slots), their targets,
    and the slots of each target.

    >>> slotted([(10.0, ("to", 0)), (0.0, ("cup", "k")), (20.0, ("cup", "k"))])
    ([0.0, 10.0, 20.0], [('cup', 'k'), ('to', 0), ('cup', 'k')], {('cup', 'k'): [0, 2], ('to', 0): [1]})
    """
    order = sorted(range(len(left)), key=lambda i: left[i][0])
    slots = [left[i][0] for i in order]
    targets = [left[i][1] for i in order]
    groups: dict[tuple, list[int]] = {}
    for pos, t in enumerate(targets):
        groups.setdefault(t, []).append(pos)
    return slots, targets, groups


def _at_once(slots, targets, groups, right_rank, right) -> RegionPlan:
    """Every swap first, then every join: a cup's wires meet where the wires that leave between them go on."""
    going = sorted(sum(p) / len(p) for t, p in groups.items() if t[0] == "to")

    def key(t):
        if t[0] == "to":
            return right_rank[t[1]]
        mean = sum(groups[t]) / len(groups[t])
        return sum(1 for g in going if g < mean) - 0.5

    layers, arrangement = _sorted_by([(key(t), groups[t][0], pos) for pos, t in enumerate(targets)])
    joins, settle = _joined(arrangement, targets, slots, right)
    return RegionPlan(slots, layers, joins, settle, sum(map(len, layers)))


def _cups_first(slots, targets, groups, right_rank, right, ends: dict[tuple, int]) -> RegionPlan:
    """The cups' wires meet first, each cup where its top (``ends[cup]`` 0) or bottom (-1) wire is, and close
    with the lone summed axes; the survivors swap into their order after, so none crosses a cup's wires
    but those between them (P V of grouped-query attention: 4 crossings, not 6)."""
    layers, arrangement = _sorted_by([(groups[t][ends[t]], groups[t].index(pos)) if t[0] == "cup" else (pos, 0)
                                      for pos, t in enumerate(targets)])
    joins = []
    pos = 0
    while pos < len(slots):
        t, end = targets[arrangement[pos]], pos
        while t[0] == "cup" and end + 1 < len(slots) and targets[arrangement[end + 1]] == t:
            end += 1
        if t[0] != "to":
            joins.append(Join("cup" if end > pos else "end", pos, end))
        pos = end + 1
    survivors = [k for k in range(len(slots)) if targets[arrangement[k]][0] == "to"]
    strands = [arrangement[k] for k in survivors]
    later, after = _sorted_by([(right_rank[targets[p][1]], groups[targets[p]][0], p) for p in strands])
    heights = [slots[k] for k in survivors]
    merges, settle = _joined([strands[k] for k in after], targets, heights, right)
    travel = sum(heights[k + 1] - heights[k] for layer in later for k in layer) + sum(abs(b - a) for a, b in settle)
    return RegionPlan(slots, layers, joins, settle, sum(map(len, layers)) + sum(map(len, later)),
                      later=later, merges=merges, survivors=survivors, travel=travel)


def _sorted_by(rank: list) -> tuple[list[list[int]], list[int]]:
    """Layers of disjoint neighbour swaps (odd-even transposition) that sort the positions by ``rank`` (one
    key each), each pair out of order swapped once; and the final arrangement (the position in each slot)."""
    arrangement = list(range(len(rank)))
    layers: list[list[int]] = []
    parity, quiet = 0, 0
    while quiet < 2:
        layer = [i for i in range(parity, len(rank) - 1, 2) if rank[arrangement[i]] > rank[arrangement[i + 1]]]
        for i in layer:
            arrangement[i], arrangement[i + 1] = arrangement[i + 1], arrangement[i]
        quiet = 0 if layer else quiet + 1
        if layer:
            layers.append(layer)
        parity ^= 1
    return layers, arrangement


def _joined(arrangement: list[int], targets: list[tuple], heights: list[float], right: list[float]) -> tuple[list[Join], list]:
    """The joins of neighbouring wires with one target (``arrangement``: the wire in each slot, at ``heights``),
    and the survivors' (height, height on the right), top to bottom."""
    joins, settle = [], []
    pos = 0
    while pos < len(arrangement):
        t = targets[arrangement[pos]]
        end = pos
        while end + 1 < len(arrangement) and targets[arrangement[end + 1]] == t:
            end += 1
        if t[0] == "to":
            target_y = right[t[1]]
            if end > pos:
                keep = min(range(pos, end + 1), key=lambda s: (abs(heights[s] - target_y), s))
                joins.append(Join("merge", pos, end, keep))
                settle.append((heights[keep], target_y))
            else:
                settle.append((heights[pos], target_y))
        else:
            joins.append(Join("cup" if end > pos else "end", pos, end))
        pos = end + 1
    return joins, settle


def region_ends(placed: Placed, wires: dict[int, Wire], y: YOf, y_right: YOf) -> tuple[list[tuple[float, tuple]], list[float]]:
    """:func:`plan_region`'s ``left`` and ``right`` for the wiring region ``placed``: each wire it takes in, at its
    height in ``y``, with where it goes; the height in ``y_right`` of each wire that leaves it."""
    op = placed.op
    if isinstance(op, _Permute):
        return [(y[w], ("to", k)) for w, k in placed.targets.items()], [y_right[w] for w in placed.new]
    renamed = dict(op.params.get("mapping", ()))
    right = placed.new + placed.foreign
    index = {wires[w].axis: k for k, w in enumerate(placed.new)}
    counts: dict[str, int] = defaultdict(int)
    for w in placed.consumed:
        counts[renamed.get(wires[w].axis, wires[w].axis)] += 1
    left = []
    for w in placed.consumed:
        axis = renamed.get(wires[w].axis, wires[w].axis)
        target = ("to", index[axis]) if axis in index else ("cup" if counts[axis] > 1 else "end", axis)
        left.append((y[w], target))
    left += [(y[w], ("to", len(placed.new) + k)) for k, w in enumerate(placed.foreign)]
    return left, [y_right[w] for w in right]


def _room_above_cup(plan: RegionPlan, height: float) -> bool:
    """Whether a label ``height`` tall fits between the first cup and the wire above it,
    where no bend of the region passes, so the label costs the region no width."""
    cup = next((j for j in plan.joins if j.kind == "cup"), None)
    if cup is None or cup.lo == 0:
        return False
    top, bottom = plan.slots[cup.lo - 1], plan.slots[cup.lo]
    band = ((top + bottom) / 2 - height / 2 - 1.5, (top + bottom) / 2 + height / 2 + 1.5)
    if band[0] <= top or band[1] >= bottom:
        return False
    spans = plan.settle + [(h[k], h[k + 1]) for h in [[plan.slots[k] for k in plan.survivors]] for layer in plan.later for k in layer]
    return not any(min(a, b) < band[1] and max(a, b) > band[0] for a, b in spans)


def _widths(plan: RegionPlan, bend: float) -> list[float]:
    s = plan.slots
    widths = [max(SWAP_MIN, min(0.8 * gap, 12 + 0.2 * gap)) for gap in (max(s[i + 1] - s[i] for i in layer) for layer in plan.swaps)]
    if plan.joins:
        spread = max(s[j.hi] - s[j.lo] for j in plan.joins)
        beside = plan.label_width + 4 if plan.label_width and not plan.label_above else 0.0
        widths.append(max(JOIN_MIN, min(6 + spread * 0.45, JOIN_MAX)) + beside)
    h = [s[k] for k in plan.survivors]
    widths += [max(SWAP_MIN, min(0.8 * gap, 12 + 0.2 * gap)) for gap in (max(h[k + 1] - h[k] for k in layer) for layer in plan.later)]
    if plan.merges:
        widths.append(max(JOIN_MIN, min(6 + max(h[j.hi] - h[j.lo] for j in plan.merges) * 0.45, JOIN_MAX)))
    travel = max((abs(a - b) for a, b in plan.settle), default=0.0)
    if travel > 0.01:
        settle = max(JOIN_MIN, min(bend * travel * 0.8, 16 + 0.12 * travel), _side_by_side(plan.settle))
        if plan.settles_in_last_swap:
            widths[-1] = max(widths[-1], settle)
        else:
            widths.append(settle)
    if plan.label_above:  # from the cup's start to the region's end, the label must fit, clear of the labels after it
        widths[len(plan.swaps)] += max(0.0, plan.label_width + 2 + SCALE_CLEAR - sum(widths[len(plan.swaps):]))
    return widths


def _side_by_side(settle: list[tuple[float, float]]) -> float:
    """The least width over which three or more neighbouring wires that settle the same way keep
    SIDE_BY_SIDE apart across the steepest part of their bends (twice their mean slope, :func:`bend`):
    a bundle that travels far would otherwise run together as one thick stroke, a knot.

    >>> round(_side_by_side([(0.0, 250.0), (17.0, 267.0), (34.0, 284.0)]), 1)  # three wires of a tensor, 250 pt down
    65.3
    >>> _side_by_side([(0.0, 250.0), (17.0, 267.0)])  # two wires: no three to meet
    0.0
    """
    moving = sorted((a, b) for a, b in settle if abs(b - a) > 0.01)
    need = 0.0
    for trio in zip(moving, moving[1:], moving[2:]):
        if len({b > a for a, b in trio}) > 1:
            continue
        for (a0, b0), (a1, b1) in zip(trio, trio[1:]):
            apart = min(a1 - a0, b1 - b0)
            if apart > SIDE_BY_SIDE:
                need = max(need, 2 * min(abs(b0 - a0), abs(b1 - a1)) / ((apart / SIDE_BY_SIDE) ** 2 - 1) ** 0.5)
    return need
