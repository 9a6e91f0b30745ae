"""The order stage's first phase: which ops share a column, and where each copy branches off.

:class:`Plan` walks the ops in program order and groups consecutive independent ops into
columns (:class:`Planned`), with the copies, deletes, saves and loads that go in the gap
before each; it notes, as it meets them, where each copy's outputs branch off and which
scales are written at a contraction's cup. :mod:`.order`'s sweep then places the wires
column by column as planned.

>>> from ncd_render.api import load_text
>>> d = load_text("axis a = 2\\ninput X[a]\\nY = relu(X)\\nZ = exp(X)\\nW = Y + Z\\noutput W\\n").diagram
>>> [[op.params.get("fn", op.kind) for op in column.ops] for column in Plan(d, frozenset()).columns()]  # relu and exp side by side
[['relu', 'exp'], ['add']]
"""
from __future__ import annotations

from collections import defaultdict

from .. import ops
from ..ir import Diagram, Op
from .model import _Branch, is_wiring


class Plan:
    """The planner's state for one sweep: the diagram, the copies that branch off at once (``eager``),
    and what the walk notes for the sweep: ``absorbed`` (scale op id -> the contraction at whose cup
    it is written), ``straight`` (copy op id -> its output that goes straight on), ``at_once`` (eager
    copy op id -> the outputs that branch off at once) and, once every column is planned, ``trailing``
    (the deletes, saves and branches after the last column)."""

    def __init__(self, diagram: Diagram, eager: frozenset):
        self.d, self.eager = diagram, eager
        self.absorbed: dict[int, Op] = {}
        self.straight: dict[int, int] = {}
        self.at_once: dict[int, list[int]] = {}
        self.trailing: list = []

    def absorb(self, op: Op) -> None:
        """A scale written at the cup of the contraction ``op`` (``einsum(...) * k^-1/2``), if one
        follows it: noted in ``self.absorbed`` (scale op id -> the einsum)."""
        if is_wiring(op) and any(sum(a in self.d.values[v].axes for v in op.inputs) > 1 for a in op.params.get("contracted", ())):
            # a contraction of an axis two operands share: it has a cup (a lone summed axis ends in a bar, where a
            # scale written at it was lost: its own box, then)
            after = self.d.consumer(op.outputs[0])
            if after is not None and ops.of(after).at_cup and after.section == op.section:
                self.absorbed[after.id] = op

    def plan_copy(self, op: Op, position: dict[int, int], deferred: dict[int, list[tuple[Op, int]]]) -> None:
        """Where the copy ``op``'s outputs branch off. A deferred copy (the default) sends the
        output used last straight on, a store's too (every branch must leave before the straight
        output's wires end), and branches every other off just before its consumer; an eager one
        (in ``self.eager``) sends the output used first straight on, one that only goes into a store
        last of all, and branches the others off at once. Adds consumer op id -> (copy, output) to
        ``deferred`` for deferred branches, and fills ``self.straight`` and ``self.at_once``."""
        users = {v: self.d.consumer(v) for v in op.outputs}
        when = {v: position[user.id] if user is not None else len(position) for v, user in users.items()}
        eager = op.id in self.eager
        if eager:
            stored = stored_outputs(self.d, op)
            straight = min(op.outputs, key=lambda v: (v in stored, when[v]))
        else:
            straight = max(op.outputs, key=lambda v: when[v])
        self.straight[op.id] = straight
        branches = [v for v in op.outputs if v != straight]
        if eager:
            self.at_once[op.id] = branches
        else:
            for v in branches:
                deferred[users[v].id if users[v] is not None else -1].append((op, v))

    def columns(self):
        """Assign ops to columns in program order; consecutive independent ops share one. Yields
        each column once it is complete (so a sweep that stops early plans no further), then sets
        ``self.trailing``. Each copy is planned, and each scale at a cup found, as the walk meets it."""
        position = {op.id: k for k, op in enumerate(self.d.ops)}
        deferred: dict[int, list[tuple[Op, int]]] = defaultdict(list)  # consumer op id -> (copy, output) branching off before it
        fresh: set[int] = set()  # the values the current column's ops compute (directly, or through copies and scales)
        pending: list = []
        current: Planned | None = None
        opens: set[int] = set()  # the repeated blocks that open at the current column

        def in_gap(event, src: int) -> None:
            if current is None or pending or src in fresh:
                pending.append(event)
            else:  # the source is older than the current column: copy it just before that column
                current.pre.append(event)

        for op in self.d.ops:
            waiting = deferred.pop(op.id, None)
            branches = [_Branch(copy, v) for copy, v in waiting] if waiting else []  # just before the column that uses it
            self.absorb(op)
            if op.kind in ("input", "copy", "delete", "save", "load", "output") or op.id in self.absorbed:
                pending.extend(branches)
                branches = []
            if op.kind == "input":
                continue
            if op.kind == "copy":
                self.plan_copy(op, position, deferred)
                src = op.inputs[0]
                if src in fresh:
                    fresh.update(op.outputs)
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
                if op.inputs[0] in fresh:
                    fresh.add(op.outputs[0])
                continue
            joinable = current is not None and not pending and self.together(current.section, op.section) and fresh.isdisjoint(op.inputs)
            # its branches copy tensors older than the column: they leave in the gap before it, unless a repeated block
            # they belong to opens at the column (they leave a column later, clear of the bracket: the transformer's
            # decoder layer; a page of it then keeps each layer's closing norm beside its bracket)
            if joinable and not any(opens.intersection(self.d.section_path(b.copy.section)) for b in branches):
                current.pre.extend(branches)
            else:
                pending.extend(branches)
                if current is not None:
                    yield current
                opens = self.repeats_opening(op.section, current.section if current else None)
                current = Planned(pending, op.section)
                pending = []
                fresh = set()
            current.ops.append(op)
            fresh.update(op.outputs)
        if current is not None:
            yield current
        for copy, v in deferred.pop(-1, ()):  # copies that are outputs of the diagram
            pending.append(_Branch(copy, v))
        self.trailing = pending  # deletes and saves after the last column

    def together(self, section: int | None, other: int | None) -> bool:
        """Whether ops of ``section`` and ``other`` may share a column: the same section, or two of one run of
        parallel sections (:mod:`.parallel`), drawn one above the other."""
        if section == other:
            return True
        stacks = self.d.stacks
        if not stacks:
            return False
        one, two = self.d.section_path(section), self.d.section_path(other)
        return bool(one and two) and one[0] != two[0] and stacks.get(one[0], -1) == stacks.get(two[0], -2)

    def repeats_opening(self, section: int | None, before: int | None) -> set[int]:
        """The repeated blocks around ``section`` that are not around ``before``: they open between the two."""
        if section is None:  # outside every section (the hot path of long figures)
            return set()
        return {sid for sid in self.d.section_path(section) if self.d.sections[sid].kind == "repeat"}.difference(self.d.section_path(before))


class Planned:
    """A column as :meth:`Plan.columns` plans it: the copies, deletes, saves and loads in the
    gap before it, its ops (IR ops, in program order) and its section."""

    __slots__ = ("pre", "ops", "section")

    def __init__(self, pre: list, section: int | None):
        self.pre, self.ops, self.section = pre, [], section


def stored_outputs(diagram: Diagram, op: Op) -> set[int]:
    """The outputs of ``op`` that go into a save (a copy's skip connection, kept for later)."""
    return {v for v in op.outputs if (user := diagram.consumer(v)) is not None and user.kind == "save"}
