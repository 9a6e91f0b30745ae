"""Moves after stage 2's longest-path solve, each keeping every constraint.

Longest paths put every node as high as it may go. That is right for most wires (the
figure stays compact) but not for all: a copy's branch would hang just below its source
however far below that its box puts its results, a sublayer with nothing above it would
stand at the top of its panel, a renamed wire would step down at the rename, an input's
wire would step down into an einsum whose result carries a mark, a box's top would float
above what it holds. :func:`settle` moves those down, each only as far as the
constraints below it allow (``below``: node -> {node below it: the least distance}).

>>> below = [{1: 10.0}, {}, {}]  # node 0 at least 10 above node 1; node 2 free
>>> y = [0.0, 10.0, 0.0]
>>> _Settle(below, {}, [], {}, {}, 10.0).move_down({0}, 30.0, y); y  # node 0 comes down to meet node 1
[0.0, 10.0, 0.0]
>>> y = [0.0, 25.0, 0.0]
>>> _Settle(below, {}, [], {}, {}, 10.0).move_down({0}, 30.0, y); y
[15.0, 25.0, 0.0]
"""
from __future__ import annotations

from functools import cached_property

from .model import Column, Wire, glyph, is_wiring, straight_through

INF = float("inf")


def settle(y: list[float], below: list[dict[int, float]], wires: dict[int, Wire], columns: list[Column],
           box: dict[int, int], section: dict[int, int], pitch: float) -> None:
    """Move the nodes of ``y`` (the longest-path heights of the constraint graph ``below``) down
    where they hang too high, in place. ``box``, ``section``: op or section id -> its top node (the
    bottom is the next); ``pitch``: the wires' pitch within a tensor."""
    s = _Settle(below, wires, columns, box, section, pitch)
    s.drop_hanging(y)
    s.lower_sublayers(y)
    s.straighten_renames(y)
    s.straighten_first_map(y)
    s.level_inputs(y)
    s.lower_tops(y)


class _Settle:
    """The graph and the placed ops that :func:`settle` moves nodes of."""

    def __init__(self, below: list[dict[int, float]], wires: dict[int, Wire], columns: list[Column],
                 box: dict[int, int], section: dict[int, int], pitch: float):
        self.below, self.wires, self.columns, self.box, self.section, self.pitch = below, wires, columns, box, section, pitch

    @cached_property
    def placed(self) -> dict:
        """Each op in a column, as placed, by its op's id."""
        return {pl.op.id: pl for col in self.columns for pl in col.ops}

    def drop_hanging(self, y: list[float]) -> None:
        """Longest paths hang a copy's branch just below its source, however far below that the box
        it feeds puts its results: the box then stands as tall as the whole drop (a convolution's ★
        beside the wires of the sections after it). Move such a box's branches down, as one, until its
        first input meets its first result, as far as everything below them allows: the branch bends
        down in its gap instead, and the box holds its wires only. An input's wire that a box reads last
        (its copies' branches made) comes down likewise, its branches rising from it. A mark (➤f➤) hangs likewise just
        below the wire above its tensor: it comes down onto its tensor."""
        below, wires = self.below, self.wires
        for column in self.columns:  # each move keeps every constraint: the order only decides who has room first
            for placed in column.ops:
                if placed.over:  # a mark: down onto its tensor
                    bottom = self.box[placed.op.id] + 1
                    y[bottom] = min(y[m] - weight for m, weight in below[bottom].items())
                    continue
                if not placed.consumed or not placed.new:
                    continue
                branch = placed.consumed
                drop = y[placed.new[0]] - y[branch[0]]
                if drop <= 0 or any(wires[w].start[0] not in ("copy", "input") for w in branch):
                    continue
                if is_wiring(placed.op) and not straight_through(placed, wires, y, drop):
                    continue
                group = set(branch)
                room = min((y[m] - weight - y[w] for w in branch for m, weight in below[w].items() if m not in group),
                           default=INF)
                drop = min(drop, room)
                if drop > 0:
                    for w in branch:
                        y[w] += drop

    def lower_sublayers(self, y: list[float]) -> None:
        """Longest paths hang a copy's branch that runs above its source as high as it may go: a
        sublayer with nothing above it (the decoder's feed-forward, its residual stream far below)
        stood at the top of its panel, its branch a long climb and its results a long fall back to
        the sum. Move each such branch, with the boxes that read only it and their results
        (:meth:`sublayer`), down as one, as far as everything below them allows."""
        for column in self.columns:
            for branch, now in zip(column.pre, column.gap_steps):
                if branch.op.kind != "branch" or not branch.new:
                    continue
                copy = branch.op.copy
                source = [w for w in now if now.values[w] in copy.outputs and now.values[w] != branch.op.value]
                if source and max(y[w] for w in branch.new) < min(y[w] for w in source):
                    group = self.sublayer(branch.new)
                    if group:
                        self.move_down(group, INF, y)

    def sublayer(self, branch: list[int]) -> set[int]:
        """The nodes of what reads ``branch`` (a copy's branch) alone: its wires, the boxes that read
        only them and theirs, and the results of those boxes, on to the top edge of each box that
        also reads another wire (the residual sum: its top lies below what comes into it from above);
        empty where a wiring region or an end of the figure reads them (they bend where they are)."""
        group, live = set(branch), list(branch)
        while live:
            end = self.wires[live.pop()].end
            placed = self.placed.get(end[1]) if end[0] == "op" else None
            if placed is None or is_wiring(placed.op):
                return set()
            top = self.box.get(placed.op.id)
            if not set(placed.before) <= group:
                if top is not None:
                    group.add(top)
                continue
            if top is not None:
                group |= {top, top + 1}
            for w in placed.new:
                if w not in group:
                    group.add(w)
                    live.append(w)
        return group

    def straighten_renames(self, y: list[float]) -> None:
        """A rename's wires go on at no higher a height (:meth:`constrain_column`), but may go on
        lower: a box later on a wire can push it down a point past its pitch, and the wire then
        stepped down at the rename, a kink that reads as a new wire (and was labelled as one).
        Move each renamed wire before it down to meet it, with the bottom of the view or rename
        that made it (:meth:`maker_bottom`), as far as everything below allows, the lowest first
        (so each leaves room for the one above); the last rename first. A drop of a pitch or more
        (branches came in above the renamed wires) is straightened only where the wires before
        come straight from an input of the figure, through renames and views (bars): then all of
        them, with those bars, move down as one (:meth:`from_input`), and bend nowhere; elsewhere
        the bend would only move back to where the wires start."""
        renames = [pl for col in reversed(self.columns) for pl in col.ops if pl.op.kind == "rename"]
        if not renames:
            return
        for placed in renames:
            drop = y[placed.new[0]] - y[placed.consumed[0]]
            if drop >= self.pitch:
                self.move_down(self.from_input(placed), drop, y)
            for old, new in sorted(zip(placed.consumed, placed.new), key=lambda pair: -y[pair[0]]):
                if 0 < y[new] - y[old] < self.pitch:
                    self.move_down({old} | self.maker_bottom(old), y[new] - y[old], y)

    def straighten_first_map(self, y: list[float]) -> None:
        """A map of one wire into one wire whose result runs lower than the wire it reads (the MLP's L_1: a mark above its
        result pushes it down, and L_1 stood a third taller than L_2 and L_3, its input stepping down through it), where
        that wire comes straight from an input of the figure through renames and views (bars): the input's wires and those
        bars move down as one, so that the wire runs straight through the map."""
        for column in self.columns:
            for placed in column.ops:
                if len(placed.consumed) == 1 and len(placed.new) == 1 and not placed.through and not placed.over \
                        and glyph(placed.op) == "box" and 0 < y[placed.new[0]] - y[placed.consumed[0]] < self.pitch:
                    self.move_down(self.from_input(placed), y[placed.new[0]] - y[placed.consumed[0]], y)

    def level_inputs(self, y: list[float]) -> None:
        """An einsum whose first operand comes from the figure's inputs, its top wire going on lower, by less than
        a pitch, as its result's: spherical attention's ȳ stepped down 7.6 pt past its cup, the room for the mark on
        the scores under the section's title. Push the inputs down by that step, and what lies below them, so that
        the wire runs level; only where what must move is the inputs' wires and the bottoms of the panels around
        them (a box pushed would stand taller)."""
        for column in self.columns:
            for placed in column.ops:
                if placed.op.kind != "einsum" or not placed.consumed or not placed.new:
                    continue
                top, result = placed.consumed[0], placed.new[0]
                step = y[result] - y[top]
                if self.wires[top].axis == self.wires[result].axis and 0 < step < self.pitch \
                        and self.wires[top].start[0] == "input":
                    moved = self.pushed({w for w in placed.consumed if self.wires[w].start[0] == "input"}, step, y)
                    for n, at in (moved or {}).items():
                        y[n] = at

    def pushed(self, group: set[int], step: float, y: list[float]) -> dict[int, float] | None:
        """Where the nodes of ``group`` and those they push go, moved down by ``step``; None where one of
        them is neither an input's wire nor the bottom edge of a panel or of a wiring region (which draws
        no edge: its wires bend within it)."""
        bottoms = {top + 1 for top in self.section.values()}
        bottoms.update(self.box[pl.op.id] + 1 for pl in self.placed.values() if is_wiring(pl.op))
        moved = {n: y[n] + step for n in group}
        stack = list(group)
        while stack:
            n = stack.pop()
            for m, weight in self.below[n].items():
                if moved[n] + weight > moved.get(m, y[m]) + 1e-9:
                    if m not in bottoms and (m not in self.wires or self.wires[m].start[0] != "input"):
                        return None
                    moved[m] = moved[n] + weight
                    stack.append(m)
        return moved

    def move_down(self, group: set[int], most: float, y: list[float]) -> None:
        """Move the nodes of ``group`` down together, by ``most`` or as far as the nodes below them allow."""
        below = self.below
        room = min((y[m] - weight - y[n] for n in group for m, weight in below[n].items() if m not in group), default=most)
        for n in group:
            y[n] += max(0.0, min(room, most))

    @cached_property
    def views(self) -> dict:
        """Each rename and view (a rearrange drawn as a bar) by its op's id, as placed: what a wire passes unbent."""
        return {pl.op.id: pl for col in self.columns for pl in col.ops
                if pl.op.kind == "rename" or pl.op.kind == "rearrange" and glyph(pl.op) == "bar"}

    def maker_bottom(self, wire: int) -> set[int]:
        """The bottom edge of the view (bar) or rename that made ``wire``, if one did."""
        start = self.wires[wire].start
        made = self.views.get(start[1]) if start[0] == "op" else None
        return set() if made is None else {self.box[made.op.id] + 1}

    def from_input(self, placed) -> set[int]:
        """The wires ``placed`` (a rename, or a map) takes in and, back to an input of the figure through renames and
        views, the wires and bars before them (their nodes: they move as one); empty where something else makes them."""
        group = set(placed.consumed)
        while True:
            start = self.wires[placed.consumed[0]].start
            if start[0] == "input":
                return group
            placed = self.views.get(start[1]) if start[0] == "op" else None
            if placed is None:
                return set()
            top = self.box[placed.op.id]
            group.update(placed.consumed, (top, top + 1))

    def lower_tops(self, y: list[float]) -> None:
        """Longest paths put every node as high as it may go; a box's or section's top
        edge instead belongs just above what it holds, so move it down to that."""
        below = self.below
        # a box's top lies above wires (a mark's, above its bottom) only, no other top: the boxes' in any
        # order, then the sections' innermost (lowest) first; a top with nothing below it stays
        for n in [*self.box.values(), *sorted(self.section.values(), key=lambda n: -y[n])]:
            lowest = INF  # (a loop: a generator for min() costs more than a box's few edges)
            for m, weight in below[n].items():
                if y[m] - weight < lowest:
                    lowest = y[m] - weight
            if lowest < INF:
                y[n] = lowest
