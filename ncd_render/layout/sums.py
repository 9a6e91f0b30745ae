"""The order stage's rules for sums and products (joins): which operand a join goes on along, which wires its
box holds, which go on past it (an outer sum's), and whether its other operand runs between the first's wires.
A mixin of :class:`.order._Sweep`, whose state it reads: the diagram ``d``, ``wires``, ``wire_of`` and the
``commutes`` cache.

>>> from ncd_render.api import load_text
>>> from ncd_render.layout.order import order
>>> d = load_text("axis y = 2 width\\naxis x = 3 width\\naxis a = 2\\ninput A[y a], B[x a]\\nE = A + B\\noutput E\\n").diagram
>>> [order(d).wires[w].axis for w in order(d).final]  # the result: A's wires, then B's x, gone on past the box
['y', 'a', 'x']
"""
from __future__ import annotations

from .. import ops
from ..ir import Op


class Sums:
    """The sweep's rules for joins (see the module)."""

    def join_order(self, op: Op, inputs: list[list[int]], live: list[int]) -> None:
        """Put a sum's operand that goes on first in ``inputs``: where every operand has every axis and
        they commute, a residual stream (a copy's output that went straight on while its branch made the
        other operand), else the topmost, keeping figures compact (a broadcasting product goes on along the
        operand with every axis, a scalar's wire never; a quotient along its dividend). Going on along the
        topmost, a stream whose branch ran above it climbed a level at each sum: the transformer's decoder, four."""
        if self.commuting(op):
            inputs.sort(key=self._goes_on(op, live))

    def _goes_on(self, op: Op, live: list[int]):
        """The key that sorts a commuting join's operands (lists of wires, as :meth:`join_order` has them) so the
        one it goes on along comes first."""
        def stream(v: int) -> bool:  # (asked of the copy that made it: a set of every copy's, made per sum, was quadratic)
            maker = self.d.producer(v)
            return maker.kind == "copy" and self.straight.get(maker.id) == v

        rank = {self.value_wires(v)[0]: not stream(v) for v in op.inputs}  # (by an operand's first wire)
        return lambda ws: (rank.get(ws[0], True), live.index(ws[0]))

    def commuting(self, op: Op) -> bool:
        """Whether a join's operands may trade places: its kind commutes and each has every axis (found once)."""
        found = self.commutes.get(op.id)
        if found is None:
            axes = set(self.d.values[op.outputs[0]].axes)
            found = self.commutes[op.id] = ops.of(op).commutes and all(set(self.d.values[v].axes) == axes for v in op.inputs)
        return found

    def join_members(self, op: Op, inputs: list[list[int]], live: list[int]) -> list[int]:
        """The wires of a sum's operands between its first operand's top and bottom wires, where its box
        stands: another tensor's wire there would run through the box, so it is moved out first ([] when
        nothing lies between them), as is a wire that goes on past the box (an outer sum's)."""
        first = min(inputs, key=self._goes_on(op, live)) if self.commuting(op) else inputs[0]
        at = [live.index(w) for w in first]
        lo, hi = min(at), max(at)
        if hi - lo + 1 == len(first):
            return []
        own = {w for ws in inputs for w in ws}.difference(self.passing(op))
        return [w for w in live[lo:hi + 1] if w in own]

    def join_covered(self, first: list[int], others: list[int], live: list[int]) -> list[int]:
        """The wires of a join's first operand its box stands on: only those of the axes its other operands (their
        wires ``others``, all beyond its top or all beyond its bottom) share, where those stand together on that side;
        the first's other wires, the axes the others are broadcast over, pass over (or under) the box untouched, as
        the paper draws broadcasting (FiLM's gamma over positions). Else every wire of the first."""
        shared = {self.wires[w].axis for w in others}
        at = sorted(map(live.index, first))
        if not others or at[-1] - at[0] + 1 != len(at) or all(self.wires[w].axis in shared for w in first):
            return first
        where = [live.index(w) for w in others]
        stack = [live[k] for k in at]  # the first's wires, top to bottom
        if min(where) > at[-1]:  # the others come up from below: the shared wires must be the first's lowest
            stack.reverse()
        elif max(where) > at[0]:
            return first
        near = 0
        while near < len(stack) and self.wires[stack[near]].axis in shared:
            near += 1
        if near == 0 or any(self.wires[w].axis in shared for w in stack[near:]):
            return first
        return stack[:near]

    def passing(self, op: Op) -> list[int]:
        """The wires of an outer sum's (or difference's) second term for the axes its first lacks, in the term's order
        ([] for any other op): they go on past its box, as the result's last axes."""
        if op.kind not in ("add", "sub") or len(op.inputs) != 2:
            return []
        mine, made = set(self.d.values[op.inputs[0]].axes), set(self.d.values[op.outputs[0]].axes)
        return [w for a, w in self.wire_of[op.inputs[1]].items() if a not in mine and a in made]  # (not a scalar's wire: it ends)

    def between(self, op: Op, first: list[int], other: list[int], live: list[int]) -> bool:
        """Whether a sum's other operand lacks some of its first operand's axes and lies all between the first's top
        and bottom wires, its wires together and right beside the first's of the same axes, in their order (an SE
        block's gate over channels, nested in the feature map it scales just above its channels): it comes into the
        box's left edge, as a box's inputs do, beside the wires it meets."""
        if not ops.of(op).commutes or self.commuting(op):
            return False
        at, where = sorted(map(live.index, first)), sorted(map(live.index, other))
        if not (at[0] < where[0] and where[-1] < at[-1] and where[-1] - where[0] + 1 == len(where)):
            return False
        axes = [self.wires[live[k]].axis for k in where]
        n = len(axes)
        below, above = live[where[-1] + 1:min(where[-1] + 1 + n, at[-1] + 1)], live[max(at[0], where[0] - n):where[0]]
        return [self.wires[w].axis for w in below] == axes or [self.wires[w].axis for w in above] == axes

    def within(self, op: Op, first: list[int], other: list[int], live: list[int]) -> bool | None:
        """Whether a sum's other operand runs between its first operand's wires (a copy's
        branch nested in its source, coming back): True when it lies there whole, together
        and with its axes stacked in the first's order (top to bottom, whatever order the
        tensors name them in), so each of its wires can merge into its match at a dot;
        False when none of it is there (an operand :meth:`between` them is not asked); None (no drawing fits) when part of it is, or when the
        join does not commute (a difference, a quotient): merged, its wires would not say which
        operand is taken away, so it keeps its box on the first."""
        at = sorted(map(live.index, first))
        lo, hi = at[0], at[-1]
        where = sorted(map(live.index, other))
        if not any(lo < k < hi for k in where):
            return False
        # each wire merges into the first's wire of its axis: the merges nest when both run in one order, top to bottom
        stacked = [self.wires[live[k]].axis for k in at]
        whole = (len(op.inputs) == 2 and [self.wires[live[k]].axis for k in where] == stacked and lo < where[0] and where[-1] < hi
                 and where == list(range(where[0], where[0] + len(where))))
        return True if whole and ops.of(op).commutes else None  # (merged, A - B would not say which is taken away)
