"""Lay a diagram out: a pure function from the IR to a :class:`~ncd_render.scene.Scene`.

Composition runs left to right in columns; the wires of the live tensors are
stacked top to bottom. Every wire keeps one height for its whole life, so it
is a horizontal line; it bends only inside wiring regions (einsum cups and
merges, transposes, copies). Heights come from one longest-path pass over a
DAG of "at least this far below" constraints between neighbouring wires and
the boxes and sections around them, which keeps the figure as compact as the
rules allow, in time linear in the number of wires and boxes.

>>> from ncd_render.parse import parse
>>> from ncd_render.ir import build
>>> from ncd_render.style import load_theme, load_preset
>>> d = build(parse("axis y = 4 width\\naxis m = 8\\ninput X[y m]\\nY = relu(X)\\noutput Y\\n"))
>>> scene = layout(d, load_theme("paper"), load_preset("paper"))
>>> sorted({item.role for item in scene.items})[:3]
['background', 'box', 'label.axis']
"""
from __future__ import annotations

import itertools
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace

from ..errors import NcdError
from ..ir import Diagram, Op
from ..scene import Circle, Line, Path, Rect, Scene, Stroke, Text
from ..style import Preset, Theme
from ..text import set_label
from .routing import bend as _bend
from .routing import ENTRY, copy_widths, draw_copy, draw_entries, draw_region, plan_region, travel_width

EXHAUSTIVE = 256  # choices of how copies branch off that are all tried, at most
SEPARATOR_CLEAR = 3.0  # a dashed separator stops this far from a box or wiring region
MARKS = {"elementwise", "scale"}  # f: R -> R, drawn as the paper's ➤f➤ above its tensor, on no wire
MARK_ARROW = 5.0
MARK_GAP = 4.0  # between a mark and the top wire of its tensor  # the mark's arrowheads, each side of its box
JOINS = {"add", "mul"}  # drawn as a compact box on one operand, the others entering from below
THROUGH = {"elementwise", "scale", "softmax", "norm", "add", "mul", "mask", "rope", "topk"}
PICTOGRAMS = {"relu"}
NORM_SYMBOLS = {"layernorm": "LN", "rmsnorm": "RMS", "batchnorm": "BN"}


@dataclass
class _Wire:
    id: int
    axis: str
    value: int
    y: float = 0.0
    x0: float = 0.0
    x1: float = 0.0
    labelled: bool = True
    start: tuple = ("input", -1)  # ("input", -1) | ("op", op id) | ("copy", op id)
    end: tuple = ("output", -1)  # ("op", op id) | ("delete", op id) | ("output", -1)
    gaps: list = field(default_factory=list)  # (x from, x to) where a wiring region draws it instead


class _Order(list):
    """Live wires top to bottom at one moment, with the tensor each belongs to then."""

    def __init__(self, wires, values: dict[int, int]):
        super().__init__(wires)
        self.values = {w: values[w] for w in wires}


@dataclass
class _Placed:
    """One op in a column: its wires before and after, and what it covers."""

    op: Op
    consumed: list[int]
    through: list[int]
    new: list[int]
    top: str = ""
    bottom: str = ""
    x0: float = 0.0
    x1: float = 0.0
    width: float = 0.0
    label: object = None
    anchor: int | None = None  # the consumed wire whose place the new wires take
    foreign: list[int] = field(default_factory=list)  # wires a wiring region carries across without using
    scale: Op | None = None  # a scale written at the region's cup instead of drawn as a box
    route: object = None  # a wiring region's plan (routing.RegionPlan)
    entry: float = 0.0  # a join's room for its other operands to come up into its box
    targets: dict = field(default_factory=dict)  # a permutation: wire -> its place among the new wires
    over: list[int] = field(default_factory=list)  # a mark's tensor, whose wires pass under it

    @property
    def before(self) -> list[int]:
        return self.consumed + self.through

    @property
    def after(self) -> list[int]:
        return self.through + self.new

    @property
    def members(self) -> list[int]:
        """The wires inside the box: a sum's box holds only the operand it goes on along;
        the others join it from below."""
        return self.through if self.op.kind in JOINS else self.before + self.after


@dataclass
class _Column:
    pre: list[_Placed] = field(default_factory=list)
    ops: list[_Placed] = field(default_factory=list)
    gap_in: list[int] = field(default_factory=list)  # live wires before the gap's copies and deletes
    gap_steps: list = field(default_factory=list)  # live wires after each of them
    before: list[int] = field(default_factory=list)
    after: list[int] = field(default_factory=list)
    section: int | None = None
    x_pre: float = 0.0  # where the gap's copies and deletes stand
    x0: float = 0.0
    x1: float = 0.0
    label_room: float = 0.0  # the labels of wires that start here reach this far past x1


@dataclass(frozen=True)
class _Branch:
    """One output of a copy, branching off its source just before it is used."""

    copy: Op
    value: int
    kind: str = "branch"

    @property
    def id(self) -> int:
        return self.copy.id

    @property
    def inputs(self) -> tuple[int, ...]:
        return self.copy.inputs


@dataclass(frozen=True)
class _Permute:
    """A permutation the layout adds to move wires out of a box's way (not an op of the diagram)."""

    id: int
    section: int | None
    kind: str = "permute"
    learned: bool = False
    label: str | None = None
    params: dict = field(default_factory=dict)


def is_wiring(op: Op) -> bool:
    """Ops drawn as wires alone (bends, cups, merges, crossings) rather than as a box."""
    return op.kind in ("permute", "einsum", "rename", "copy", "unit") or (op.kind == "rearrange" and op.params["transpose"])


def layout(diagram: Diagram, theme: Theme, preset: Preset) -> Scene:
    """Place every wire, box and label of ``diagram``; returns a scene in points."""
    return _Layout(diagram, theme, preset, choose_copies(diagram, theme, preset)).run()


def choose_copies(diagram: Diagram, theme: Theme, preset: Preset, budget: float = 0.3) -> tuple[frozenset, frozenset]:
    """How each copy branches off: where used or all at once, below or above its source.
    With few copies every choice is tried; otherwise passes of one-copy changes, each
    kept only when it leaves fewer crossings, until a pass changes nothing. Either stops
    after ``budget`` seconds. Returns (eager, above)."""
    def crossings(choice) -> int:
        trial = _Layout(diagram, theme, preset, choice)
        trial.order()
        return trial.crossings()

    start = time.perf_counter()
    copies = [op.id for op in diagram.ops if op.kind == "copy"]
    best = (frozenset(), frozenset())
    fewest = crossings(best)
    if 4 ** len(copies) <= EXHAUSTIVE:  # few copies: try every choice (the first found of the fewest wins)
        for combo in itertools.product(range(4), repeat=len(copies)):
            if not fewest or time.perf_counter() - start > budget:
                break
            trial = (frozenset(c for c, k in zip(copies, combo) if k & 1), frozenset(c for c, k in zip(copies, combo) if k & 2))
            n = crossings(trial)
            if n < fewest:
                best, fewest = trial, n
        return best
    improved = True
    while improved and fewest and time.perf_counter() - start < budget:
        improved = False
        for c in copies:
            for trial in ((best[0] ^ {c}, best[1]), (best[0], best[1] ^ {c}), (best[0] ^ {c}, best[1] ^ {c})):
                if time.perf_counter() - start > budget:
                    break
                n = crossings(trial)
                if n < fewest:
                    best, fewest, improved = trial, n, True
    return best


class _Layout:
    def __init__(self, diagram: Diagram, theme: Theme, preset: Preset, choice: tuple = (frozenset(), frozenset())):
        self.d, self.theme, self.p = diagram, theme, preset
        self.eager, self.above = choice  # copies whose branches all leave at once; copies that branch upwards
        self.wires: dict[int, _Wire] = {}
        self.wire_of: dict[tuple[int, str], int] = {}  # (value, axis) -> wire
        self.columns: list[_Column] = []
        self.edges: dict[tuple, float] = {}
        self.nodes: set = set()
        self.gap_items: list = []  # copies and deletes, drawn between columns
        f = theme.font
        self.axis_h = self._text("x", f.axis_size).ascent + f.axis_size * 0.25

    # -- helpers -------------------------------------------------------------
    def _text(self, text: str, size: float, bold: bool = False):
        return set_label(text, self.theme.font.family, size, bold)

    def new_wire(self, value: int, axis: str, start: tuple, labelled: bool = True) -> int:
        wid = len(self.wires)
        self.wires[wid] = _Wire(wid, axis, value, labelled=labelled, start=start)
        self.wire_of[(value, axis)] = wid
        return wid

    def value_wires(self, value: int) -> list[int]:
        return [self.wire_of[(value, a)] for a in self.d.values[value].axes]

    def alias(self, value: int, wires: list[int]) -> None:
        for a, w in zip(self.d.values[value].axes, wires):
            self.wire_of[(value, a)] = w
            self.wires[w].value = value

    def edge(self, a, b, weight: float) -> None:
        self.nodes.update((a, b))
        if self.edges.get((a, b), float("-inf")) < weight:
            self.edges[(a, b)] = weight

    # -- 1. columns and wire order ------------------------------------------
    def find_absorbed(self) -> dict[int, Op]:
        """Scales written at the cup of the contraction they follow (``einsum(...) * k^-1/2``):
        scale op id -> the einsum."""
        absorbed = {}
        for op in self.d.ops:
            if op.kind == "einsum" and op.params["contracted"]:
                after = self.d.consumer(op.outputs[0])
                if after is not None and after.kind == "scale" and after.section == op.section:
                    absorbed[after.id] = op
        return absorbed

    def plan_copies(self) -> dict[int, list[tuple[Op, int]]]:
        """Where each copy's outputs branch off. A deferred copy (the default) sends the
        output used last straight on and branches every other off just before its
        consumer; an eager one (in ``self.eager``) sends the output used first straight on
        and branches the others off at once. An output that only goes into a store is
        never the straight one. Returns consumer op id -> (copy, output) for deferred
        branches, and fills ``self.straight`` and ``self.at_once``."""
        position = {op.id: k for k, op in enumerate(self.d.ops)}
        self.straight: dict[int, int] = {}
        self.at_once: dict[int, list[int]] = {}
        deferred: dict[int, list[tuple[Op, int]]] = defaultdict(list)
        for op in self.d.ops:
            if op.kind != "copy":
                continue
            users = {v: self.d.consumer(v) for v in op.outputs}

            def when(v):
                return position[users[v].id] if users[v] is not None else len(position)
            stored = {v for v in op.outputs if users[v] is not None and users[v].kind == "save"}
            eager = op.id in self.eager
            straight = (min if eager else max)(op.outputs, key=lambda v: (v in stored, when(v)) if eager else (v not in stored, when(v)))
            self.straight[op.id] = straight
            branches = [v for v in op.outputs if v != straight]
            if eager:
                self.at_once[op.id] = branches
            else:
                for v in branches:
                    deferred[users[v].id if users[v] is not None else -1].append((op, v))
        return deferred

    def plan_columns(self) -> None:
        """Assign ops to columns in program order; consecutive independent ops share one."""
        origin: dict[int, int] = {}  # value -> op that really computed it (through copies)
        column_of: dict[int, int] = {}
        pending: list = []
        current: _Column | None = None
        deferred = self.plan_copies()

        def in_gap(event, src: int) -> None:
            if current is None or pending or column_of.get(origin.get(src, -1)) == len(self.columns) - 1:
                pending.append(event)
            else:  # the source is older than the current column: copy it just before that column
                current.pre.append(event)

        for op in self.d.ops:
            for copy, v in deferred.pop(op.id, ()):
                in_gap(_Branch(copy, v), copy.inputs[0])
            if op.kind == "input":
                continue
            if op.kind == "copy":
                src = op.inputs[0]
                for v in op.outputs:
                    origin[v] = origin.get(src, -1)
                in_gap(op, src)
                for v in self.at_once.get(op.id, ()):
                    in_gap(_Branch(op, v), src)
                continue
            if op.kind in ("delete", "save", "load"):
                pending.append(op)
                continue
            if op.kind == "output":
                continue
            if op.id in self.absorbed:
                origin[op.outputs[0]] = origin.get(op.inputs[0], -1)
                continue
            deps = {origin.get(v, -1) for v in op.inputs}
            joinable = (current is not None and not pending and current.section == op.section
                        and not any(column_of.get(o) == len(self.columns) - 1 for o in deps))
            if not joinable:
                current = _Column(pre=pending, section=op.section)
                pending = []
                self.columns.append(current)
            current.ops.append(op)
            column_of[op.id] = len(self.columns) - 1
            for v in op.outputs:
                origin[v] = op.id
        for copy, v in deferred.pop(-1, ()):  # copies that are outputs of the diagram
            pending.append(_Branch(copy, v))
        self.trailing = pending  # deletes and saves after the last column

    def sweep(self) -> _Order:
        """Walk the columns, tracking the live wires top to bottom; returns the final order."""
        live: list[int] = []
        for op in self.d.ops:
            if op.kind == "input":
                wires = [self.new_wire(op.outputs[0], a, ("input", op.id)) for a in self.d.values[op.outputs[0]].axes]
                live.extend(wires)
        self.input_wires = list(live)
        columns, self.columns = self.columns, []
        for column in columns:
            column.gap_in = self.snap(live)
            pre, column.pre = column.pre, []
            for op in pre:  # each copy, save or load changes the live wires in turn
                placed = self.place_gap_op(op, live)
                if placed is not None:
                    column.pre.append(placed)
                    column.gap_steps.append(self.snap(live))
            ops = list(column.ops)
            ops.sort(key=lambda op: min(live.index(w) for v in op.inputs for w in self.value_wires(v)) if op.inputs else len(live))
            column.ops = []
            column.before = self.snap(live)
            spans: list[tuple[int, int]] = []
            for op in ops:
                idx = [live.index(w) for v in op.inputs for w in self.value_wires(v)]
                span = (min(idx), max(idx)) if idx else (len(live), len(live))
                if any(not (span[1] < s[0] or span[0] > s[1]) for s in spans):
                    column.after = self.snap(live)
                    self.columns.append(column)
                    column = _Column(section=column.section, gap_in=self.snap(live), before=self.snap(live))
                    spans = []
                spans.append(span)
                members = self.box_members(op)
                in_the_way = [w for w in live[min(map(live.index, members)):max(map(live.index, members)) + 1]
                              if w not in set(members)] if members else []
                if in_the_way:  # wires between the box's own: a permutation moves them out of its way first
                    if column.ops:
                        column.after = self.snap(live)
                        self.columns.append(column)
                        column = _Column(section=column.section, gap_in=self.snap(live), before=self.snap(live))
                    column.ops.append(self.place_permute(members, in_the_way, live, column.section))
                    column.after = self.snap(live)
                    self.columns.append(column)
                    column = _Column(section=column.section, gap_in=self.snap(live), before=self.snap(live))
                    spans = [span]
                column.ops.append(self.place_op(op, live))
            column.after = self.snap(live)
            self.columns.append(column)
        self.final_gap, self.final_steps = [], []
        for op in self.trailing:
            placed = self.place_gap_op(op, live)
            if placed is not None:
                self.final_gap.append(placed)
                self.final_steps.append(self.snap(live))
        return self.snap(live)

    def snap(self, live: list[int]) -> _Order:
        return _Order(live, {w: self.wires[w].value for w in live})

    def place_gap_op(self, op, live: list[int]) -> _Placed | None:
        if op.kind == "load":  # a stored tensor comes back in at the bottom
            wires = [self.new_wire(op.outputs[0], a, ("load", op.id)) for a in self.d.values[op.outputs[0]].axes]
            live.extend(wires)
            return _Placed(op, [], [], wires)
        src = self.value_wires(op.inputs[0])
        if op.kind in ("delete", "save"):
            for w in src:
                live.remove(w)
                self.wires[w].end = (op.kind, op.id)
            return _Placed(op, src, [], [])
        if op.kind == "copy":  # the output used last goes straight on; the others branch off later
            self.alias(self.straight[op.id], src)
            return None
        # a branch: just below (or above) the wires it copies
        src = self.value_wires(self.straight[op.id])
        wires = [self.new_wire(op.value, a, ("copy", op.id), labelled=False) for a in self.d.values[op.value].axes]
        at = live.index(src[0]) if op.id in self.above else live.index(src[-1]) + 1
        live[at:at] = wires
        return _Placed(op, [], src, wires)

    def end_wires(self, wires: list[int], live: list[int], op: Op) -> None:
        for w in wires:
            live.remove(w)
            self.wires[w].end = ("op", op.id)

    def box_members(self, op: Op) -> list[int]:
        """The live wires a box will hold at its left edge; [] for ops drawn as wiring or joins."""
        if is_wiring(op) or op.kind in JOINS or op.kind == "unit":
            return []
        inputs = [self.value_wires(v) for v in op.inputs]
        if op.kind in THROUGH:
            return self.covered(op, inputs[0]) + [w for ws in inputs[1:] for w in ws]
        if op.kind == "embedding":
            return inputs[0]
        if op.kind in ("linear", "unfold", "fold", "reduce", "index"):
            per = [a for a in op.params.get("per", ()) if a in self.d.values[op.inputs[0]].axes]
            return [self.wire_of[(op.inputs[0], a)] for a in op.acts[0] + tuple(per)]
        return [w for ws in inputs for w in ws]

    def covered(self, op: Op, first: list[int]) -> list[int]:
        """The wires a box that lets its tensor go on through it sits on."""
        if op.kind in MARKS:  # f: R -> R acts on no axis: its mark sits above the tensor, on no wire
            return []
        if op.kind in JOINS:
            return first
        return [self.wire_of[(op.inputs[0], a)] for a in op.acts[0]]  # along-axis ops cover only their axes

    def place_permute(self, members: list[int], in_the_way: list[int], live: list[int], section) -> _Placed:
        """Move ``in_the_way`` above or below ``members`` (whichever crosses fewer of them),
        as a wiring region of its own; the wires go on as new wires of the same axes."""
        lo = min(live.index(w) for w in members)
        hi = max(live.index(w) for w in members)
        span = live[lo:hi + 1]
        kept = [w for w in span if w in set(members)]
        up, down = [], []
        for w in in_the_way:
            above = sum(1 for m in span[:span.index(w)] if m in set(members))
            (up if above < len(kept) - above else down).append(w)
        op = _Permute(-1 - len(self.permutes), section)
        self.permutes.append(op)
        new = []
        for w in up + kept + down:
            old = self.wires[w]
            self.end_wires([w], live, op)
            new.append(self.new_wire(old.value, old.axis, ("permute", op.id), labelled=False))
        live[lo:lo] = new
        placed = _Placed(op, span, [], new, anchor=span[0])
        placed.targets = {w: (up + kept + down).index(w) for w in span}
        return placed

    def place_op(self, op: Op, live: list[int]) -> _Placed:
        """Update the live wires for one op; returns what it consumes, covers and creates."""
        kind = op.kind
        if kind == "unit":  # a cap: two new wires joined at their start, below the others
            new = [self.new_wire(op.outputs[0], a, ("op", op.id)) for a in op.params["axes"]]
            live.extend(new)
            return _Placed(op, [], [], new)
        inputs = [self.value_wires(v) for v in op.inputs]
        if kind in ("add", "mul"):  # commutative: the sum goes on along the topmost operand, keeping figures compact
            inputs.sort(key=lambda ws: live.index(ws[0]))
        first = inputs[0]
        if kind in THROUGH:  # the wires go on through the box
            covered = self.covered(op, first)
            consumed = [w for ws in inputs[1:] for w in ws]
            self.end_wires(consumed, live, op)
            self.alias(op.outputs[0], first)
            return _Placed(op, consumed, covered, [], over=first if kind in MARKS else [])
        if kind == "embedding":  # the ids' wires go on; the looked-up axes start below them
            self.alias(op.outputs[0], first)
            new = [self.new_wire(op.outputs[0], a, ("op", op.id)) for a in op.params["out_axes"]]
            at = live.index(first[-1]) + 1
            live[at:at] = new
            return _Placed(op, [], first, new)
        if kind in ("linear", "unfold", "fold", "reduce", "index"):
            acted = [self.wire_of[(op.inputs[0], a)] for a in op.acts[0]]
            per = [a for a in op.params.get("per", ()) if a in self.d.values[op.inputs[0]].axes]  # weights indexed by these
            keep = {a: self.wire_of[(op.inputs[0], a)] for a in op.broadcast + tuple(per)}
            covered = [keep[a] for a in per]
        else:  # einsum, rearrange, concat, call: every input wire ends, every output wire is new
            acted = [w for ws in inputs for w in ws]
            keep, covered = {}, []
        at = min(live.index(w) for w in acted)
        anchor = live[at]  # the new wires take its place
        span = live[at:max(live.index(w) for w in acted) + 1]
        foreign = [w for w in span if w not in set(acted)] if is_wiring(op) else []
        self.end_wires(acted, live, op)
        new = []
        for v in op.outputs:
            for a in self.d.values[v].axes:
                if a in keep:
                    self.wire_of[(v, a)] = keep[a]
                    self.wires[keep[a]].value = v
                else:
                    new.append(self.new_wire(v, a, ("op", op.id)))
        live[at:at] = new
        placed = _Placed(op, acted, covered, new, anchor=anchor, foreign=foreign)
        scale = self.d.consumer(op.outputs[0]) if len(op.outputs) == 1 else None
        if scale is not None and scale.id in self.absorbed:
            self.alias(scale.outputs[0], self.value_wires(op.outputs[0]))
            placed.scale = scale
        return placed

    # -- 2. heights ----------------------------------------------------------
    def constrain_list(self, order: _Order) -> None:
        for a, b in zip(order, order[1:]):
            same = order.values[a] == order.values[b]
            if same and self.tandem(a) is not None and self.tandem(a) == self.tandem(b):
                self.edge(a, b, self.p.tandem_pitch)
            else:
                self.edge(a, b, self.p.pitch + (0 if same else self.p.tensor_gap))

    def tandem(self, wire: int) -> str | None:
        return self.d.tandems.get(self.wires[wire].axis)

    def box_pad(self, placed: _Placed) -> float:
        """Half the height a one-wire box needs, or the pad around several wires."""
        op = placed.op
        if op.kind == "softmax":
            return self.p.box_pad_y + 1.5
        if op.kind in MARKS:
            return (placed.label.ascent + placed.label.descent) / 2 + 2 if placed.label is not None else 5.0
        h = placed.label.ascent + placed.label.descent if placed.label is not None else 0
        return max(self.p.box_pad_y, h / 2 + 3)

    def constrain_column(self, column: _Column) -> None:
        p = self.p
        orders = (column.before, column.after)
        for order in orders:
            self.constrain_list(order)
        boxes = []  # (where the box starts in column.before, its top node, its bottom node)
        for placed in column.ops:
            if placed.over:  # a mark: just above its tensor's top wire, below the wire above that
                top = placed.over[0]
                self.edge(placed.top, placed.bottom, 2 * self.box_pad(placed))
                self.edge(placed.bottom, top, MARK_GAP)
                for order in orders:
                    k = order.index(top)
                    if k:
                        self.edge(order[k - 1], placed.top, p.clearance)
                boxes.append((column.before.index(top), placed.top, placed.bottom))
                continue
            pad = 0.0 if is_wiring(placed.op) else self.box_pad(placed)
            inside = _inside(orders, set(placed.members))
            start = len(column.before)
            for order in orders:
                idx = [i for i, w in enumerate(order) if w in inside]
                if idx:
                    self.enclose(order, min(idx), max(idx), placed.top, placed.bottom, pad, pad, p.clearance, p.clearance)
                    if order is column.before:
                        start = min(idx)
            boxes.append((start, placed.top, placed.bottom))
        # boxes side by side in one column keep apart
        boxes.sort(key=lambda b: b[0])
        for (_, _, b1), (_, t2, _) in zip(boxes, boxes[1:]):
            self.edge(b1, t2, p.clearance)

    def enclose(self, order, lo, hi, top, bottom, pad_top, pad_bottom, gap_above, gap_below) -> None:
        """Wires order[lo..hi] lie inside (top, bottom); their neighbours outside."""
        for i in range(lo, hi + 1):
            self.edge(top, order[i], pad_top)
            self.edge(order[i], bottom, pad_bottom)
        if lo > 0:
            self.edge(order[lo - 1], top, gap_above)
        if hi + 1 < len(order):
            self.edge(bottom, order[hi + 1], gap_below)

    def constrain_sections(self) -> None:
        """A section is one rectangle over its columns: every wire it uses, and every
        wire that runs between those, is inside it in all of its columns."""
        p = self.p
        columns_of: dict[int, list[_Column]] = defaultdict(list)
        for column in self.columns:
            for sid in self.d.section_path(column.section):
                columns_of[sid].append(column)
        for sid, columns in columns_of.items():
            orders = [o for k, col in enumerate(columns) for o in ((col.gap_in,) if k else ()) + (col.before, col.after)]
            inside = _inside(orders, {w for col in columns for pl in col.ops for w in pl.before + pl.after + pl.over})
            top_pad = self.title_h + 4 + p.label_pad + self.axis_h  # the title, then room for wire labels
            for column in columns:
                for placed in column.ops:
                    self.edge(("T", sid), placed.top, self.title_h + 2 + p.section_pad / 2)
                    self.edge(placed.bottom, ("B", sid), p.section_pad / 2)
            for order in orders:
                idx = [i for i, w in enumerate(order) if w in inside]
                if idx:
                    self.enclose(order, min(idx), max(idx), ("T", sid), ("B", sid), top_pad, p.section_pad,
                                 p.clearance + 2, p.clearance + self.axis_h)

    def solve(self) -> dict:
        succ: dict = defaultdict(list)
        indegree: dict = {n: 0 for n in self.nodes}
        for (a, b), w in self.edges.items():
            succ[a].append((b, w))
            indegree[b] += 1
        y = {n: 0.0 for n in self.nodes}
        ready = sorted((n for n, k in indegree.items() if k == 0), key=repr)
        done = 0
        while ready:
            n = ready.pop()
            done += 1
            for m, w in succ[n]:
                y[m] = max(y[m], y[n] + w)
                indegree[m] -= 1
                if indegree[m] == 0:
                    ready.append(m)
        if done != len(self.nodes):
            raise AssertionError("layout constraints form a cycle")  # a bug in layout, never a user error
        return y

    def lower_tops(self, y: dict) -> None:
        """Longest paths put every node as high as it may go; a box's or section's top
        edge instead belongs just above what it holds, so move it down to that."""
        out_edges: dict = defaultdict(list)
        for (a, b), w in self.edges.items():
            out_edges[a].append((b, w))
        tops = [n for n in self.nodes if isinstance(n, tuple) and n[0] in ("t", "T")]
        for n in sorted(tops, key=lambda n: -y[n]):  # innermost (lowest) first
            if out_edges[n]:
                y[n] = min(y[b] - w for b, w in out_edges[n])

    # -- 3. widths -----------------------------------------------------------
    def label_for(self, placed: _Placed):
        op, f = placed.op, self.theme.font
        if op.kind == "norm":
            return self._text(NORM_SYMBOLS[op.params["fn"]], f.box_size * 0.8, bold=op.learned)
        if op.kind in ("softmax", "einsum", "rearrange", "rename", "concat", "copy", "unit") or (op.kind == "elementwise" and op.params["fn"] in PICTOGRAMS):
            return None
        if op.kind in ("add", "mul"):
            return self._text(op.label, f.box_size * 1.2, bold=True)
        if op.learned or op.kind in ("linear", "call"):
            return self._text(op.label or "L", f.box_size, bold=True)
        if op.kind in ("unfold", "fold"):  # the convolution tensor: a large star
            return self._text(op.label, f.box_size * 1.15)
        return self._text(op.label or op.kind, f.box_size * 0.9)

    def op_width(self, placed: _Placed, y: dict) -> float:
        op, p = placed.op, self.p
        if op.kind == "unit":
            return p.min_region
        if is_wiring(op):
            placed.route = self.plan_route(placed, y)
            return max(p.min_region, placed.route.width)
        if op.kind in ("rearrange", "concat"):
            return 8.0
        if op.kind in JOINS:
            travel = max(y[w] for w in placed.consumed) - y[placed.bottom]
            placed.entry = travel_width(travel, p.bend) + ENTRY * (len(placed.consumed) - 1)
            return placed.entry + max(12.0, ENTRY * len(placed.consumed) + 2, placed.label.width + 2 * p.box_pad_x)
        if op.kind == "softmax":
            return 0.9 * 2 * (self.box_pad(placed) + 0.5 * (max(y[w] for w in placed.through) - min(y[w] for w in placed.through)))
        if op.kind == "norm":
            return max(2 * self.box_pad(placed), placed.label.width + 8)
        if op.kind in MARKS:
            inner = 14.0 if placed.label is None else placed.label.width + 6
            return inner + 2 * MARK_ARROW
        w = (placed.label.width if placed.label else 0) + 2 * p.box_pad_x
        if op.kind == "linear" and op.params["bias"]:
            w += self.theme.font.box_size * 0.35
        return max(p.min_box_width if op.kind != "add" else 12.0, w)

    def plan_route(self, placed: _Placed, y: dict, y_right: dict | None = None):
        """The three moves of a wiring region (see :mod:`.routing`); heights of the wires
        on the left from ``y``, on the right from ``y_right`` (the same by default)."""
        op, y_right = placed.op, y if y_right is None else y_right
        if op.kind == "permute":
            return plan_region([(y[w], ("to", k)) for w, k in placed.targets.items()], [y_right[w] for w in placed.new], bend=self.p.bend)
        renamed = dict(op.params.get("mapping", ()))
        right = placed.new + placed.foreign
        index = {self.wires[w].axis: k for k, w in enumerate(placed.new)}
        counts: dict[str, int] = defaultdict(int)
        for w in placed.consumed:
            counts[renamed.get(self.wires[w].axis, self.wires[w].axis)] += 1
        left = []
        for w in placed.consumed:
            axis = renamed.get(self.wires[w].axis, self.wires[w].axis)
            target = ("to", index[axis]) if axis in index else ("cup" if counts[axis] > 1 else "end", axis)
            left.append((y[w], target))
        left += [(y[w], ("to", len(placed.new) + k)) for k, w in enumerate(placed.foreign)]
        label = self.scale_label(placed)
        return plan_region(left, [y_right[w] for w in right], label.width if label else 0.0, self.p.bend)

    def scale_label(self, placed: _Placed):
        if placed.scale is None:
            return None
        return self._text("∗" + placed.scale.label, self.theme.font.box_size * 0.9)

    # -- main ----------------------------------------------------------------
    def order(self) -> _Order:
        """Columns and the order of the live wires in each; returns the final order."""
        self.absorbed = self.find_absorbed()
        self.permutes: list[_Permute] = []
        self.plan_columns()
        return self.sweep()

    def crossings(self) -> int:
        """Crossings the wire order commits to, counted from the orders alone (before heights):
        those inside wiring regions, and wires a sum's other operands cross to reach its box."""
        total = 0
        for column in self.columns:
            left = {w: i for i, w in enumerate(column.before)}
            right = {w: i for i, w in enumerate(column.after)}
            for placed in column.ops:
                if is_wiring(placed.op) and placed.op.kind != "unit":
                    total += self.plan_route(placed, left, right).crossings
                elif placed.op.kind in JOINS:
                    last = max(left[w] for w in placed.through)
                    joining = set(placed.consumed)
                    total += sum(1 for b in placed.consumed for w in column.before[last + 1:left[b]] if w not in joining)
        return total

    def run(self) -> Scene:
        title = self._text("Ag", self.theme.font.title_size)
        self.title_h = title.ascent + title.descent
        final = self.order()
        for column in self.columns:
            for placed in column.ops:
                placed.top, placed.bottom = ("t", placed.op.id), ("b", placed.op.id)
                placed.label = self.label_for(placed)
        for w in self.wires:
            self.nodes.add(w)
        for column in self.columns:
            for order in [column.gap_in] + column.gap_steps:
                self.constrain_list(order)
            self.constrain_column(column)
            for placed in column.ops:  # new wires start no higher than the wires they replace
                if placed.anchor is not None and placed.new:
                    self.edge(placed.anchor, placed.new[0], 0.0)
        for order in self.final_steps + [final]:
            self.constrain_list(order)
        self.constrain_sections()
        y = self.solve()
        self.lower_tops(y)
        for w, wire in self.wires.items():
            wire.y = y[w]
        self.y = y
        return self.draw(final)

    def draw(self, final: _Order) -> Scene:
        p, c, s = self.p, self.theme.colors, self.theme.strokes
        y = self.y
        wire_stroke = Stroke(c.wire, s.wire)
        # x positions: inputs' names, then gaps and columns left to right
        names = [self._name_label(v) for v in self.d.inputs]
        x = max((n.width for n in names), default=0) + (p.label_pad * 2 if names else 0)
        for wid in self.input_wires:
            self.wires[wid].x0 = x
        fresh = list(self.input_wires)  # wires whose labels go in the next gap
        section_open: list[int] = []
        first_x: dict[int, float] = {}  # where each section's first column starts
        for column in self.columns:
            gap = self.gap_width(fresh, column)
            fresh = []
            path = list(self.d.section_path(column.section))
            opening = [sid for sid in path if sid not in section_open]
            closing = [sid for sid in section_open if sid not in path]
            x += gap + p.section_pad * (len(opening) + len(closing))
            x += max([0.0] + [self.title_room(sid) - (x - first_x[sid]) for sid in closing])
            for sid in opening:
                first_x[sid] = x
            column.x_pre = x
            if column.pre:
                column.x_pre = x - p.column_gap / 2 - self.gap_ops_width(column, y) - p.section_pad * len(opening)
                self.draw_gap_ops(column.pre, column.x_pre, y)
            section_open = path
            for placed in column.ops:
                placed.width = self.op_width(placed, y)
            width = max(placed.width for placed in column.ops)
            column.x0, column.x1 = x, x + width
            for placed in column.ops:
                placed.x0 = x + (width - placed.width) / 2
                placed.x1 = placed.x0 + placed.width
                for w in placed.consumed:
                    self.wires[w].x1 = placed.x0
                for w in placed.new:
                    self.wires[w].x0 = placed.x1
                fresh.extend(placed.new)
            column.label_room = self.label_room(fresh)
            x += width
        end_gap = self.gap_width(fresh, None) + p.section_pad * len(section_open)
        end_gap += max([0.0] + [self.title_room(sid) - (x + end_gap - first_x[sid]) for sid in section_open])
        if self.final_gap:
            self.draw_gap_ops(self.final_gap, x + end_gap, y)
            end_gap += self.gap_ops_width(None, y) + p.column_gap / 2
        x_end = x + end_gap
        for w in final:
            self.wires[w].x1 = x_end
        self.x_end = x_end

        background: list = []
        self.draw_sections(background, y)
        body: list = []
        overlay: list = []
        for column in self.columns:
            for placed in column.ops:
                self.draw_op(placed, body, overlay, column)
        obstacles = [i.bbox for i in body + self.gap_items if i.role in ("box", "box.shadow", "region")]
        self.draw_separators(background, final, obstacles)
        wires = [Line(a, w.y, b, w.y, wire_stroke) for w in self.wires.values() for a, b in _pieces(w) if b > a]
        for w in self.wires.values():  # integer data: an arrowhead on the wire
            if self.d.values[w.value].dtype == "int" and w.x1 - w.x0 > 24:
                tip = w.x0 + 18
                wires.append(_arrowhead(tip, w.y, c.wire))
        labels = self.wire_labels()
        for name, v in zip(names, self.d.inputs):  # tensor names left of the inputs, right of the outputs
            ws = [w for w in self.input_wires if self.wires[w].start == ("input", self.d.producer(v).id)]
            if ws:
                labels.append(self._name_beside(name, ws, self.wires[ws[0]].x0 - p.label_pad - name.width))
        for v in self.d.outputs:
            ws = [w for w in final if self.wires[w].value == v]
            if ws:
                labels.append(self._name_beside(self._name_label(v), ws, x_end + p.label_pad))
        items = background + wires + self.gap_items + body + overlay + labels
        if not items:
            first = self.d.producer(self.d.inputs[0]).span if self.d.inputs else None
            raise NcdError("there is nothing to draw: no tensor has an axis and no box acts", first,
                           hint="give the inputs axes, e.g. input X[m]")
        x0 = min(i.bbox[0] for i in items) - p.margin
        y0 = min(i.bbox[1] for i in items) - p.margin
        x1 = max(i.bbox[2] for i in items) + p.margin
        y1 = max(i.bbox[3] for i in items) + p.margin
        scene = Scene(x1 - x0, y1 - y0, [], c.background if c.background != "none" else None, self.d.title)
        scene.items = [Rect(0, 0, x1 - x0, y1 - y0, None, scene.background, role="background")] if scene.background else []
        scene.items += Scene(0, 0, items).translated(-x0, -y0).items
        return scene

    # -- drawing pieces ------------------------------------------------------
    def _name_label(self, value: int):
        return self._text(self.d.values[value].name, self.theme.font.name_size)

    def _placed_text(self, label, x, y, role, color=None) -> Text:
        return Text(x, y, label.runs, self.theme.font.family, color or self.theme.colors.text, label.width, label.ascent, label.descent, role)

    def _name_beside(self, name, wires: list[int], x: float) -> Text:
        """A tensor's name at x, centred on its wires."""
        mid = (min(self.wires[w].y for w in wires) + max(self.wires[w].y for w in wires)) / 2
        return self._placed_text(name, x, mid + (name.ascent - name.descent) / 2, "label.name")

    def axis_label(self, wire: _Wire):
        group = self.d.tandems.get(wire.axis)
        if group is not None:  # axes in tandem share one bold label, on their first wire
            members = [a for a in self.d.values[wire.value].axes if self.d.tandems.get(a) == group]
            if members[0] != wire.axis:
                return None, False
            return self._text(group, self.theme.font.axis_size, bold=True), self.d.axes[wire.axis].width
        axis = self.d.axes[wire.axis]
        # trailing digits read as an index: y2 is drawn y with subscript 2
        parts = [re.sub(r"^([^\W\d_]+)(\d+)('*)$", r"\1\3_{\2}", part) for part in axis.parts]
        return self._text("·".join(parts), self.theme.font.axis_size), axis.width

    def label_room(self, fresh: list[int]) -> float:
        labels = [self.axis_label(self.wires[w])[0] for w in fresh if self.wires[w].labelled]
        widths = [label.width for label in labels if label is not None]
        return (max(widths) + 2 * self.p.label_pad + 2) if widths else 0.0

    def gap_width(self, fresh: list[int], column) -> float:
        """Room for the labels of the wires that start here, and for the gap's copies."""
        p = self.p
        need = self.label_room(fresh)
        extra = self.gap_ops_width(column, self.y) + p.column_gap / 2 if column is not None and column.pre else 0
        return max(p.column_gap, need) + extra

    def gap_op_width(self, placed: _Placed, y: dict) -> float:
        if placed.op.kind in ("save", "load"):
            return self.store_label(placed.op).width + 12
        if placed.op.kind == "delete":
            return 6.0
        return sum(copy_widths(*self.copy_heights(placed, y), self.p.bend, self.tight(placed.through)))

    def copy_heights(self, placed: _Placed, y: dict) -> tuple[list[float], list[list[float]]]:
        """A copy's source heights and, per branch, its wires' heights."""
        n = len(placed.through)
        return [y[w] for w in placed.through], [[y[w] for w in placed.new[k:k + n]] for k in range(0, len(placed.new), n)]

    def tight(self, wires: list[int]) -> set[int]:
        """Indices i of ``wires`` drawn in tandem with wire i + 1."""
        return {i for i, (a, b) in enumerate(zip(wires, wires[1:])) if self.tandem(a) is not None and self.tandem(a) == self.tandem(b)}

    def gap_ops_width(self, column, y) -> float:
        ops = column.pre if column is not None else self.final_gap
        return sum(self.gap_op_width(pl, y) + 4 for pl in ops)

    def store_label(self, op: Op):
        return self._text(op.params["store"], self.theme.font.name_size)

    def draw_gap_ops(self, ops: list[_Placed], x: float, y: dict) -> None:
        """The gap's copies, deletes, saves and loads, one after another from x."""
        c, s = self.theme.colors, self.theme.strokes
        stroke = Stroke(c.wire, s.wire)
        x -= 4
        for placed in ops:
            x += 4
            width = self.gap_op_width(placed, y)
            self.draw_gap_op(placed, x, width, y, c, s, stroke)
            x += width

    def draw_gap_op(self, placed: _Placed, x: float, width: float, y: dict, c, s, stroke) -> None:
        """One copy (dots and branches), delete (terminator), save or load (a named store)."""
        kind = placed.op.kind
        if kind == "delete":
            for w in placed.consumed:
                self.wires[w].x1 = x
                self.gap_items.append(Line(x, y[w] - 3.5, x, y[w] + 3.5, Stroke(c.wire, s.wire * 1.4), role="terminator"))
        elif kind in ("save", "load"):
            wires = placed.consumed or placed.new
            label = self.store_label(placed.op)
            mid = (min(y[w] for w in wires) + max(y[w] for w in wires)) / 2
            tip = x + 6 if kind == "save" else x + label.width + 10
            for w in wires:
                if kind == "save":
                    self.wires[w].x1 = tip - 5
                else:
                    self.wires[w].x0 = tip
                self.gap_items.append(_arrowhead(tip, y[w], c.wire))
            lx = tip + 2 if kind == "save" else x
            self.gap_items.append(self._placed_text(label, lx, mid + (label.ascent - label.descent) / 2, "label.name"))
        else:
            src = placed.through
            ys = [y[w] for w in src + placed.new]
            self.gap_items.append(Rect(x - 3, min(ys) - 3, width + 3, max(ys) - min(ys) + 6, None, None, role="region"))
            sources, branches = self.copy_heights(placed, y)
            tight = self.tight(src)
            items, starts = draw_copy(x, sources, branches, copy_widths(sources, branches, self.p.bend, tight), stroke, c.dot, tight)
            self.gap_items.extend(items)
            n = len(src)
            for k, w in enumerate(placed.new):
                self.wires[w].x0 = starts[k // n]

    def draw_sections(self, out: list, y: dict) -> None:
        p, f, c = self.p, self.theme.font, self.theme.colors
        spans: dict[int, list] = {}
        for column in self.columns:
            for sid in self.d.section_path(column.section):
                spans.setdefault(sid, []).append(column)
        for sid in sorted(spans, key=lambda s: self.d.sections[s].depth):
            section = self.d.sections[sid]
            cols = spans[sid]
            x0 = cols[0].x0 - p.section_pad
            x1 = cols[-1].x1 + cols[-1].label_room + p.section_pad
            nested = [s for s in spans if self.d.sections[s].parent == sid]
            for s in nested:
                x0 = min(x0, spans[s][0].x0 - p.section_pad * 2)
                x1 = max(x1, spans[s][-1].x1 + spans[s][-1].label_room + p.section_pad * 2)
            x1 = max(x1, x0 + self.title_room(sid) - p.section_pad)
            top, bottom = y[("T", sid)], y[("B", sid)]
            fill = c.sections[sid % len(c.sections)]
            # a fused section is one kernel: a dashed border says its inside stays on chip
            border = Stroke(c.box_stroke, self.theme.strokes.separator, self.theme.strokes.dash) if section.fused else None
            out.append(Rect(x0, top, x1 - x0, bottom - top, border, fill, radius=4.0, role="section", opacity=c.section_opacity))
            if section.kind == "repeat":  # a repeated block sits between large brackets
                ink = Stroke(c.text, self.theme.strokes.box)
                for edge, hook in ((x0 + 2.5, 3.0), (x1 - 2.5, -3.0)):
                    out.append(Path((("M", edge + hook, top + 2.5), ("L", edge, top + 2.5), ("L", edge, bottom - 2.5),
                                     ("L", edge + hook, bottom - 2.5)), ink, None, role="bracket"))
            title = self.section_title(sid)
            out.append(self._placed_text(title, x0 + (7 if section.kind == "repeat" else 4), top + 2 + title.ascent, "label.title", c.title))

    def section_title(self, sid: int):
        section = self.d.sections[sid]
        suffix = " · one kernel" if section.fused else f" ×{section.times}" if section.kind == "repeat" else ""
        return self._text((section.title + suffix).strip(), self.theme.font.title_size, bold=section.kind == "repeat")

    def title_room(self, sid: int) -> float:
        """How far past its first column a section reaches so its title fits inside it."""
        return self.section_title(sid).width + (7 if self.d.sections[sid].kind == "repeat" else 4) + 6

    def draw_separators(self, out: list, final: _Order, obstacles: list) -> None:
        """Dashed lines between the tensors of a tuple, wherever both run side by side,
        stopping clear of every box and wiring region at their height."""
        c, s = self.theme.colors, self.theme.strokes
        stroke = Stroke(c.separator, s.separator, s.dash)
        runs: dict[tuple[int, int], list[list[float]]] = defaultdict(list)
        for order, x0, x1 in self.stretches(final):
            for a, b in zip(order, order[1:]):
                # needed only where two tensors sit as close as a tuple's segments
                tight = self.wires[b].y - self.wires[a].y <= self.p.pitch + self.p.tensor_gap + 0.5
                if order.values[a] == order.values[b] or not tight:
                    continue
                lo = max(x0, self.wires[a].x0, self.wires[b].x0)
                hi = min(x1, self.wires[a].x1, self.wires[b].x1)
                if hi <= lo:
                    continue
                pair = runs[(a, b)]
                if pair and abs(pair[-1][1] - lo) < 1e-6:
                    pair[-1][1] = hi
                else:
                    pair.append([lo, hi])
        for (a, b), spans in sorted(runs.items()):
            sy = self.separator_y(a, b)
            blocked = [(bx0 - SEPARATOR_CLEAR, bx1 + SEPARATOR_CLEAR) for bx0, by0, bx1, by1 in obstacles
                       if by0 - SEPARATOR_CLEAR <= sy <= by1 + SEPARATOR_CLEAR]
            for x0, x1 in spans:
                for lo, hi in _subtract((x0, x1), blocked):
                    if hi - lo >= 6:
                        out.append(Line(lo, sy, hi, sy, stroke, role="separator"))

    def separator_y(self, a: int, b: int) -> float:
        ya, yb = self.wires[a].y, self.wires[b].y
        return ya + max(3.0, (yb - ya - self.axis_h - self.p.label_pad) / 2)

    def stretches(self, final: _Order):
        """(live wires, x from, x to) for each stretch of the figure where those wires run side by side."""
        x = min((w.x0 for w in self.wires.values()), default=0)
        for column in self.columns:
            yield column.gap_in, x, column.x_pre
            yield column.before, column.x_pre, column.x0
            busy = {w for pl in column.ops for w in pl.before + pl.after}
            extents = [(self.y[pl.top], self.y[pl.bottom]) for pl in column.ops]
            through = _Order([w for w in column.before if w not in busy], column.before.values)
            if through == [w for w in column.after if w not in busy]:
                for a, b in zip(through, through[1:]):
                    ys = self.separator_y(a, b)
                    if not any(top - 1 <= ys <= bottom + 1 for top, bottom in extents):
                        yield _Order([a, b], through.values), column.x0, column.x1
            x = column.x1
        yield final, x, self.x_end

    def wire_labels(self) -> list:
        p = self.p
        labels = []
        for wire in self.wires.values():
            if not wire.labelled or wire.x1 <= wire.x0:
                continue
            label, overline = self.axis_label(wire)
            if label is None:
                continue
            x = wire.x0 + p.label_pad + 1
            base = wire.y - p.label_pad
            labels.append(self._placed_text(label, x, base, "label.axis"))
            if overline:
                top = base - label.ascent - 0.6
                labels.append(Line(x, top, x + label.width, top, Stroke(self.theme.colors.text, 0.6), role="label.overline"))
        return labels

    def draw_op(self, placed: _Placed, body: list, overlay: list, column: _Column) -> None:
        op, p, c, s, f = placed.op, self.p, self.theme.colors, self.theme.strokes, self.theme.font
        y = self.y
        stroke = Stroke(c.box_stroke, s.learned_box if op.learned else s.box)
        wire = Stroke(c.wire, s.wire)
        x0, x1 = placed.x0, placed.x1
        top, bottom = y[placed.top], y[placed.bottom]
        if is_wiring(op):
            body.append(Rect(x0, min(y[w] for w in placed.before + placed.new) - 2, x1 - x0,
                             max(y[w] for w in placed.before + placed.new) - min(y[w] for w in placed.before + placed.new) + 4, None, None, role="region", ref=op.id))
            self.draw_wiring(placed, body)
            return
        if op.kind in ("rearrange", "concat"):  # a view or a concatenation: the solid bar
            ys = [y[w] for w in placed.before + placed.new]
            body.append(Rect(x0 + 2.5, min(ys) - p.box_pad_y, 3.0, max(ys) - min(ys) + 2 * p.box_pad_y, None, c.box_stroke, role="box", ref=op.id))
            return
        if op.kind in JOINS:  # the other operands come up into the box from below
            entering = sorted(placed.consumed, key=lambda w: y[w])
            body.append(Rect(x0, bottom, placed.entry + 6 + ENTRY * len(entering), y[entering[-1]] - bottom + 2, None, None, role="region"))
            body.extend(draw_entries(x0, x0 + placed.entry, bottom, [y[w] for w in entering], Stroke(c.wire, s.wire)))
            for j, w in enumerate(entering):
                self.wires[w].x1 = x0 + ENTRY * j
            x0 += placed.entry
        # wires inside the box's span that it does not touch pass over it
        members = set(placed.members)
        order = column.before
        idx = [order.index(w) for w in placed.members if w in order]
        passing = [w for w in order[min(idx):max(idx) + 1] if w not in members] if idx else []
        if op.kind == "softmax":
            mid = (top + bottom) / 2
            body.append(Path((("M", x1, top), ("L", x1, bottom), ("L", x0, mid), ("Z",)), stroke, c.softmax_fill, role="box", ref=op.id))
        elif op.kind == "norm":
            body.append(Rect(x0, top, x1 - x0, bottom - top, stroke, c.norm_fill, radius=min(x1 - x0, bottom - top) / 2, role="box", ref=op.id))
        elif op.kind in MARKS:  # ➤f➤: arrowheads into and out of a small box
            mid = (top + bottom) / 2
            body.append(_arrowhead(x0 + MARK_ARROW, mid, c.wire))
            body.append(_arrowhead(x1, mid, c.wire))
            x0, x1 = x0 + MARK_ARROW, x1 - MARK_ARROW
            body.append(Rect(x0, top, x1 - x0, bottom - top, stroke, c.box_fill, radius=1.5, role="box", ref=op.id))
        else:
            fill = c.learned_fill if op.learned else c.mask_fill if op.kind == "mask" else c.box_fill
            if op.kind == "call":
                body.append(Rect(x0 + 2.5, top - 2.5, x1 - x0, bottom - top, stroke, fill, radius=1.5, role="box.shadow"))
            body.append(Rect(x0, top, x1 - x0, bottom - top, stroke, fill, radius=4.0 if op.kind in ("add", "mul") else 1.5, role="box", ref=op.id))
        for w in passing:
            wy = self.wires[w].y
            overlay.append(Line(x0 - 1, wy, x1 + 1, wy, Stroke(c.halo, s.wire + 2.4), role="wire.halo"))
            overlay.append(Line(x0 - 1, wy, x1 + 1, wy, wire, role="wire.over"))
        if op.kind == "elementwise" and op.params["fn"] == "relu":
            cx, cy, r = (x0 + x1) / 2, (top + bottom) / 2, min(x1 - x0, bottom - top) * 0.3
            overlay.append(Path((("M", cx - r, cy + r * 0.55), ("L", cx, cy + r * 0.55), ("L", cx + r, cy - r * 0.75)), Stroke(c.text, 1.1), role="pictogram"))
        elif placed.label is not None:
            lab = placed.label
            lx = (x0 + x1) / 2 - lab.width / 2
            if op.kind == "linear" and op.params["bias"]:
                lx -= f.box_size * 0.15
            ly = (top + bottom) / 2 + (lab.ascent - lab.descent) / 2 - 0.5
            overlay.append(self._placed_text(lab, lx, ly, "label.box"))
        if op.kind == "linear" and op.params["bias"]:
            plus = self._text("+", f.box_size * 0.7, bold=True)
            overlay.append(self._placed_text(plus, x1 - plus.width - 1.2, bottom - 1.2, "label.box"))

    def draw_wiring(self, placed: _Placed, out: list) -> None:
        """Einsum and transposes: bends, cups (contractions) and merges (diagonals)."""
        op, c, s = placed.op, self.theme.colors, self.theme.strokes
        stroke = Stroke(c.wire, s.wire)
        y = self.y
        x0, x1 = placed.x0, placed.x1
        if op.kind == "unit":
            top, bottom = (y[w] for w in placed.new)
            out.append(Path((("M", x1, top), ("C", x0, top, x0, bottom, x1, bottom)), stroke, None, role="wire.bend"))
            return
        items, label_at = draw_region(placed.route, x0, x1, stroke, c.dot, Stroke(c.wire, s.wire * 1.4))
        out.extend(items)
        for w in placed.foreign:
            self.wires[w].gaps.append((x0, x1))
        label = self.scale_label(placed)
        if label is not None and label_at is not None:
            lx, ly = label_at
            text = self._placed_text(label, lx, ly + (label.ascent - label.descent) / 2, "label.box")
            out.append(replace(text, ref=placed.scale.id))


def _inside(orders, members: set) -> set:
    """``members`` and every wire that runs between them in any of ``orders``:
    what one rectangle over all those moments must hold."""
    inside = set(members)
    changed = True
    while changed:
        changed = False
        for order in orders:
            idx = [i for i, w in enumerate(order) if w in inside]
            if idx:
                extra = set(order[min(idx):max(idx) + 1]) - inside
                if extra:
                    inside |= extra
                    changed = True
    return inside


def _subtract(span: tuple[float, float], blocked: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """``span`` less the intervals in ``blocked``.

    >>> _subtract((0, 10), [(2, 3), (5, 12)])
    [(0, 2), (3, 5)]
    """
    pieces, x = [], span[0]
    for lo, hi in sorted(blocked):
        if lo > x:
            pieces.append((x, min(lo, span[1])))
        x = max(x, hi)
        if x >= span[1]:
            break
    if x < span[1]:
        pieces.append((x, span[1]))
    return [(a, b) for a, b in pieces if b > a]


def _pieces(wire: _Wire) -> list[tuple[float, float]]:
    """The stretches of a wire drawn as one straight line: its life less the regions that carry it."""
    pieces, x = [], wire.x0
    for a, b in sorted(wire.gaps):
        pieces.append((x, min(a, wire.x1)))
        x = max(x, b)
    pieces.append((x, wire.x1))
    return pieces


def _arrowhead(tip: float, y: float, color: str) -> Path:
    """A small filled arrowhead pointing right, its tip at (tip, y)."""
    return Path((("M", tip - 5, y - 2.6), ("L", tip, y), ("L", tip - 5, y + 2.6), ("Z",)), None, color, role="arrow")


