"""Stage 1, order: columns in program order and the order of the live wires in each.

:mod:`.plan` decides which ops share a column and where each copy branches off; the sweep
here places the wires column by column as planned. Copies branch off where they are used (or all at once), new wires take the place
of the ones they replace, and wires in a box's way are moved out of it by a
permutation of their own. Where copies' branches go is :mod:`.copies`' rule; the rules for sums are :mod:`.sums`'. :func:`order` is a pure function from the diagram and a
choice of how copies branch to an :class:`~.model.Ordered`; one can count
what an order commits to (:func:`.report.crossings`), before any height is known, so
:func:`.choose_copies` can compare orders.

>>> from ncd_render.api import load_text
>>> d = load_text("axis a = 2\\naxis b = 3\\ninput X[a b]\\nY = relu(X)\\nZ = X + Y\\noutput Z\\n").diagram
>>> below, above = order(d), order(d, (frozenset(), frozenset({1}), frozenset()))
>>> branch = lambda ordered: [ordered.wires[w].axis + ("'" if not ordered.wires[w].labelled else "") for w in ordered.columns[0].gap_steps[0]]
>>> branch(below), branch(above)  # the copy's branch (its wires unlabelled) runs below X, or above it
(['a', 'b', "a'", "b'"], ["a'", "b'", 'a', 'b'])
>>> from ncd_render.layout.report import crossings
>>> crossings(below), crossings(above)  # its a wire crosses X's b wire, as it leaves the copy's dots (or X's a, its b)
(1, 1)
"""
from __future__ import annotations

from dataclasses import dataclass

from ..ir import Diagram, Op
from .model import WIRING_SHAPES, Column, Ordered, Placed, Wire, _drawn, _Order, _Permute
from .copies import Copies, joined_first
from .plan import Plan
from .sums import Sums

NONE_CHOSEN = (frozenset(),) * 3  # every copy branches off where used, below its source; every result where its operands began


def order(diagram: Diagram, choice: tuple[frozenset, ...] = NONE_CHOSEN, stop=None,
          bends: frozenset = frozenset()) -> Ordered | None:
    """Columns and the order of the live wires in each. ``choice``: the copies (op ids) whose
    branches all leave at once, and that branch upwards (with the tensors no input feeds that start
    above every wire); and the ops of several operands (an
    einsum, a concatenation) whose results take the place of their operands' lowest wires, not their topmost. ``stop(column, wires)``, if given,
    sees each column as it is finished (with every wire so far); once it returns True the sweep
    ends there and ``order`` returns None. ``bends``: the boxes (op ids) whose results start beside
    them and bend, in a wiring region of their own just after them, to where they run on."""
    try:
        return _Sweep(diagram, *choice, stop=stop, bends=bends).run()
    except _Stopped:
        return None


class _Stopped(Exception):
    """``order``'s ``stop`` asked the sweep to end."""


@dataclass(slots=True)
class _WireDraft:
    id: int
    axis: str
    value: int
    labelled: bool = True
    start: tuple = ("input", -1)
    end: tuple = ("output", -1)


class _ColumnDraft:
    """A column being placed: a :class:`~.model.Column` less its last order (``after``), known when it ends."""

    __slots__ = ("pre", "ops", "gap_in", "gap_steps", "before", "section")

    def __init__(self, gap_in: _Order, before: _Order, section: int | None):
        self.pre, self.ops, self.gap_steps = [], [], []
        self.gap_in, self.before, self.section = gap_in, before, section


class _Sweep(Copies, Sums):
    """The order stage's working state, private to one call of :func:`order`."""

    def __init__(self, diagram: Diagram, eager: frozenset, above: frozenset, low: frozenset = frozenset(),
                 stop=None, bends: frozenset = frozenset()):
        self.d, self.stop, self.bends = diagram, stop, bends
        self.eager, self.above, self.low = eager, above, low
        self.wires: dict[int, _WireDraft] = {}
        self.wire_of: dict[int, dict[str, int]] = {}  # value -> axis -> its wire
        self.value_of: dict[int, int] = {}  # wire -> the tensor it carries now (what a snapshot records)
        self.columns: list[Column] = []
        self.commutes: dict[int, bool] = {}  # join op id -> whether its operands may trade places

    def run(self) -> Ordered:
        self.plan = Plan(self.d, self.eager)  # its notes fill as the sweep asks it for each column
        self.absorbed, self.straight = self.plan.absorbed, self.plan.straight
        self.permutes: list[_Permute] = []
        final = self.sweep()
        wires = {w: Wire(draft.id, draft.axis, draft.value, draft.labelled, draft.start, draft.end) for w, draft in self.wires.items()}
        return Ordered(wires, self.columns, self.input_wires, final, self.final_gap, self.final_steps)

    def new_wire(self, value: int, axis: str, start: tuple, labelled: bool = True) -> int:
        wid = len(self.wires)
        self.wires[wid] = _WireDraft(wid, axis, value, labelled=labelled, start=start)
        self.wire_of.setdefault(value, {})[axis] = wid
        self.value_of[wid] = value
        return wid

    def value_wires(self, value: int) -> list[int]:
        wires = self.wire_of[value]
        return [wires[a] for a in self.d.values[value].axes]

    def alias(self, value: int, wires: list[int]) -> None:
        self.wire_of[value] = dict(zip(self.d.values[value].axes, wires))
        for w in wires:
            self.wires[w].value = self.value_of[w] = value

    def sweep(self) -> _Order:
        """Walk the columns, tracking the live wires top to bottom; returns the final order."""
        live: list[int] = []
        for op in self.d.ops:
            if op.kind == "input":  # its wires top to bottom as its axes, or as the part that made it handed it on
                axes = op.params.get("stacked") or self.d.values[op.outputs[0]].axes
                wires = [self.new_wire(op.outputs[0], a, ("input", op.id)) for a in axes]
                live.extend(wires)
        self.input_wires = list(live)
        now = self.snap(live)  # the live wires as they are, shared by every snapshot until they change
        for planned in self.plan.columns():
            column = _ColumnDraft(now, now, planned.section)
            for op in planned.pre:  # each copy, save or load changes the live wires in turn
                placed = self.place_gap_op(op, live)
                if placed is not None:
                    column.pre.append(placed)
                    column.gap_steps.append(self.snap(live))
            ops = planned.ops
            if len(ops) > 1:
                ops.sort(key=lambda op: min(live.index(w) for v in op.inputs for w in self.value_wires(v)) if op.inputs else len(live))
            if planned.pre:  # a copy changes the tensor its wires carry; any other gap op leaves the wires as its step has them
                column.before = self.snap(live) if planned.pre[-1].kind == "copy" else column.gap_steps[-1]
            side_by_side = len(ops) > 1  # ops in one column must not overlap: one that would starts the next column
            beside: list[tuple[Placed, tuple]] = []  # the ops in the column so far, when side by side, and where they read
            bent = []  # boxes whose results bend to where they run on, in a column of their own after this one
            for op in ops:
                inputs = [self.value_wires(v) for v in op.inputs]
                shape, holds = _drawn(op)  # (glyph(op), hold(op)), looked up once for all that places it
                if side_by_side:
                    idx = [live.index(w) for ws in inputs for w in ws]
                    span = (min(idx), max(idx)) if idx else (self.source_place(op, live) - 0.5,) * 2  # a source: between two wires
                    # an op of another of parallel sections (:mod:`.parallel`) stands where its results are now (where it
                    # read, measured then, a box that made fewer wires than it read stood where the next one reads)
                    if any(not (span[1] < s[0] or span[0] > s[1])
                           for s in (_place(pl, live) if pl.op.section != op.section else at for pl, at in beside)):
                        column = self.next_column(column, live, op.section)
                        beside = []
                members = self.box_members(op, shape, holds, inputs) if shape != "join" else self.join_members(op, inputs, live)
                in_the_way, stacked = [], None
                if members:
                    held, at = set(members), list(map(live.index, members))
                    lo, hi = min(at), max(at)
                    if hi - lo + 1 > len(held):  # some wire between them is not the box's
                        in_the_way = [w for w in live[lo:hi + 1] if w not in held]
                    stacked = _tuple_order(shape, inputs, live)
                if in_the_way or stacked:  # wires between the box's own, or its operands out of order: a permutation first
                    if column.ops:
                        column = self.next_column(column, live, op.section)
                    column.ops.append(self.place_permute(members, in_the_way, live, op.section, stacked))
                    column = self.next_column(column, live, op.section)
                    beside = []
                    inputs = [self.value_wires(v) for v in op.inputs]  # its wires are new now
                column.ops.append(self.place_op(op, shape, holds, live, inputs))
                if side_by_side:
                    beside.append((column.ops[-1], span))
                if op.id in self.bends and column.ops[-1].new:
                    bent.append((column.ops[-1].new, op.section))
            bent = [(new, sid) for new, sid in bent if max(map(live.index, new)) - min(map(live.index, new)) + 1 == len(new)]  # (still together)
            if bent:  # (:mod:`.bends`) their results start beside them, then bend to where they run on
                column = self.next_column(column, live, bent[0][1])
                column.ops.extend(self.place_permute(new, [], live, sid) for new, sid in bent)
            now = self.finish(column, live)
        self.final_gap, self.final_steps = [], []
        for op in self.plan.trailing:
            placed = self.place_gap_op(op, live)
            if placed is not None:
                self.final_gap.append(placed)
                self.final_steps.append(self.snap(live))
        return self.snap(live)

    def snap(self, live: list[int]) -> _Order:
        return _Order(live, self.value_of)

    def next_column(self, column: _ColumnDraft, live: list[int], section: int | None) -> _ColumnDraft:
        """End ``column`` here; returns the next one, in ``section`` (the column's, but where parallel sections share
        it: :mod:`.parallel`), starting with the wires as they are."""
        now = self.finish(column, live)
        return _ColumnDraft(now, now, section)

    def finish(self, draft: _ColumnDraft, live: list[int]) -> _Order:
        """End ``draft`` with the wires as they are (returned); its column goes to ``self.columns``."""
        now = self.snap(live)
        column = Column(draft.pre, draft.ops, draft.gap_in, draft.gap_steps, draft.before, now, draft.section)
        self.columns.append(column)
        if self.stop is not None and self.stop(column, self.wires):
            raise _Stopped
        return now

    def end_wires(self, wires: list[int], live: list[int], op: Op) -> None:
        for w in wires:
            live.remove(w)
            self.wires[w].end = ("op", op.id)

    def box_members(self, op: Op, shape: str, holds: str, inputs: list[list[int]]) -> list[int]:
        """The live wires a box will hold at its left edge (``shape``, ``holds``: the op's glyph and hold;
        ``inputs``: each input's wires); [] for ops drawn as wiring or joins."""
        if shape in ("wiring", "cap", "join"):
            return []
        if holds == "through":
            return self.covered(op, shape, inputs[0]) + [w for ws in inputs[1:] for w in ws]
        if holds == "acts":
            per = [a for a in op.params.get("per", ()) if a in self.d.values[op.inputs[0]].axes]
            wires = self.wire_of[op.inputs[0]]
            return [wires[a] for a in op.acts[0] + tuple(per)]
        return [w for ws in inputs for w in ws]

    def covered(self, op: Op, shape: str, first: list[int]) -> list[int]:
        """The wires a box (drawn as ``shape``) that lets its tensor go on through it sits on."""
        if shape == "mark":  # f: R -> R acts on no axis: its mark sits above the tensor, on no wire
            return []
        if shape == "join":
            return first
        wires = self.wire_of[op.inputs[0]]
        return [wires[a] for a in op.acts[0]]  # along-axis ops cover only their axes

    def place_permute(self, members: list[int], in_the_way: list[int], live: list[int], section, stacked: list[int] | None = None) -> Placed:
        """Move ``in_the_way`` above or below ``members`` (whichever crosses fewer of them), and the members
        into the order ``stacked`` where it is given, as a wiring region of its own; the wires go on as new
        wires of the same axes."""
        lo = min(live.index(w) for w in members)
        hi = max(live.index(w) for w in members)
        span = live[lo:hi + 1]
        held = set(members)
        kept = stacked or [w for w in span if w in held]
        up, down = [], []
        for w in in_the_way:
            above = sum(1 for m in span[:span.index(w)] if m in held)
            (up if above < len(kept) - above else down).append(w)
        op = _Permute(-1 - len(self.permutes), section)
        self.permutes.append(op)
        new = []
        for w in up + kept + down:
            old = self.wires[w]
            self.end_wires([w], live, op)
            new.append(self.new_wire(old.value, old.axis, ("permute", op.id), labelled=False))
        live[lo:lo] = new
        return Placed(op, span, [], new, anchor=span[0], targets={w: (up + kept + down).index(w) for w in span})

    def source_place(self, op: Op, live: list[int]) -> int:
        """Where the wires of ``op``, fed by no input, start: just below the tensor its output
        meets (the other operand of the op that uses it, where that is drawn already; above it
        where a bar joins it first), so they need not cross the wires between; else at the bottom, or at the top where the choice
        of copies (``above``) puts it."""
        if op.id in self.above:  # chosen (:mod:`.choice`) to start above every wire
            return 0
        user = self.d.consumer(op.outputs[0])
        if user is None or user.kind == "copy":
            return len(live)
        met = [self.wire_of[v][a] for v in user.inputs if v != op.outputs[0] and v in self.wire_of for a in self.d.values[v].axes]
        if not met or not all(w in live for w in met):
            return len(live)
        if joined_first(self.d, op):  # (ViT's class token): above the rest
            return min(map(live.index, met))
        return max(map(live.index, met)) + 1

    def place_op(self, op: Op, shape: str, holds: str, live: list[int], inputs: list[list[int]]) -> Placed:
        """Update the live wires for one op (``shape``, ``holds``: its glyph and hold; ``inputs``: each
        input's wires, a list this may reorder); returns what it consumes, covers and creates."""
        if not op.inputs:  # a unit's cap, a learned tensor, an opaque source: no input feeds it
            new = [self.new_wire(op.outputs[0], a, ("op", op.id)) for a in self.d.values[op.outputs[0]].axes]
            at = self.source_place(op, live)
            live[at:at] = new
            return Placed(op, [], [], new)
        if shape == "join":
            self.join_order(op, inputs, live)
        first = inputs[0]
        if holds == "through":  # the wires go on through the box
            passing = self.passing(op)  # an outer sum's second term's own axes: they go on past the box
            consumed = [w for ws in inputs[1:] for w in ws if w not in passing]
            between = shape == "join" and bool(consumed) and self.between(op, first, consumed, live)
            within = self.within(op, first, consumed, live) if shape == "join" and not between else False
            # a join whose other operands come in from beyond its first's wires stands on the axes they share alone
            covered = (self.join_covered(first, consumed, live) if shape == "join" and not (between or within)
                       else self.covered(op, shape, first))
            self.end_wires(consumed, live, op)
            self.alias(op.outputs[0], first + passing)
            over = _marked(first, live) if shape == "mark" else []
            return Placed(op, consumed, covered, [], over=over, within=within, between=between)
        if holds == "lookup":  # the ids' wires go on; the looked-up axes start below them
            self.alias(op.outputs[0], first)
            new = [self.new_wire(op.outputs[0], a, ("op", op.id)) for a in op.params["out_axes"]]
            at = live.index(first[-1]) + 1
            live[at:at] = new
            return Placed(op, [], first, new)
        if holds == "acts":
            wires = self.wire_of[op.inputs[0]]
            acted = [wires[a] for a in op.acts[0]]
            per = [a for a in op.params.get("per", ()) if a in self.d.values[op.inputs[0]].axes]  # weights indexed by these
            keep = {a: wires[a] for a in op.broadcast + tuple(per)}
            covered = [keep[a] for a in per]
        else:  # einsum, rearrange, concat, call: every input wire ends, every output wire is new
            acted = [w for ws in inputs for w in ws]
            keep, covered = {}, []
        where = sorted(map(live.index, acted))
        at, span = where[0], live[where[0]:where[-1] + 1]
        anchor = live[at]  # the new wires take its place
        if op.id in self.low and len(op.inputs) > 1:  # chosen (:mod:`.choice`) to take the place of the lowest instead
            anchor = live[where[max(0, len(where) - sum(len(self.d.values[v].axes) for v in op.outputs))]]
            at = where[-1] + 1 - len(acted)
        ends = set(acted)
        foreign = [w for w in span if w not in ends] if shape in WIRING_SHAPES else []
        self.end_wires(acted, live, op)
        new = []
        for v in op.outputs:
            for a in self.d.values[v].axes:
                if a in keep:
                    self.wire_of.setdefault(v, {})[a] = keep[a]
                    self.wires[keep[a]].value = self.value_of[keep[a]] = v
                else:
                    new.append(self.new_wire(v, a, ("op", op.id)))
        live[at:at] = new
        scale = self.d.consumer(op.outputs[0]) if len(op.outputs) == 1 else None
        if scale is not None and scale.id in self.absorbed:
            self.alias(scale.outputs[0], self.value_wires(op.outputs[0]))
        else:
            scale = None
        return Placed(op, acted, covered, new, anchor=anchor, foreign=foreign, scale=scale)


def _marked(wires: list[int], live: list[int]) -> list[int]:
    """A mark's tensor's ``wires``, the one it stands above first: the topmost wire of the tensor's
    youngest run of adjacent wires. A tensor drawn together gets its mark above its top wire; one whose
    wires a copy spread apart (a Set Transformer's ReLU on ``[s m]``, ``s`` far above with the
    residual) gets it beside the wires its last op made, not above a wire it shares.

    >>> _marked([7, 3], [3, 5, 7]), _marked([3, 7], [3, 7, 5]), _marked([4, 2], [2, 4])
    ([7, 3], [3, 7], [2, 4])
    """
    at = sorted(map(live.index, wires))
    start = max(range(len(at)), key=lambda k: live[at[k]])  # where the youngest wire is...
    while start and at[start - 1] == at[start] - 1:  # ...back to the top of its run
        start -= 1
    return [live[k] for k in at[start:] + at[:start]]


def takes_place(op: Op) -> bool:
    """Whether ``op``'s result is all new wires, in the place of every wire of its operands (an einsum, a
    concatenation, a component's call), not a box its tensor's wires go through or a map that keeps some."""
    return op.kind not in ("input", "output") and _drawn(op)[1] not in ("through", "lookup", "acts")


def _place(placed: Placed, live: list[int]) -> tuple[float, float]:
    """Where a placed op stands among the live wires: from its first wire on the right to its last, a wiring region's
    wires that it carries across too ((-1, -1), above every wire, where it leaves none)."""
    idx = [live.index(w) for w in placed.after + placed.foreign if w in live]  # (and the wires a region carries across)
    return (min(idx), max(idx)) if idx else (-1.0, -1.0)


def _tuple_order(shape: str, inputs: list[list[int]], live: list[int]) -> list[int] | None:
    """The wires of a bar's operands top to bottom in the order it joins them, each operand's own as stacked, where
    they are stacked otherwise (a concatenation reads its operands from the top: ViT's class token before its
    patches); None where they are in order, or the box joins nothing."""
    if shape != "bar" or len(inputs) < 2:
        return None
    wanted = [w for ws in inputs for w in sorted(ws, key=live.index)]
    held = set(wanted)
    return wanted if [w for w in live if w in held] != wanted else None
