"""The order stage's rules for the gaps between columns: where a copy's branch goes among the wires it
copies (below, above, or nested between them), when the tensor it nests in bows apart around it (a
residual stream around its sublayer), and where a save, delete or load takes or puts back wires.
A mixin of :class:`.order._Sweep`, whose state it reads and changes: the diagram ``d``, ``wires``,
``straight``, ``inside``, ``above``, ``bowed`` and the ``splits`` cache.

>>> from ncd_render.api import load_text
>>> from ncd_render.layout.order import order
>>> def branch(f):  # the copy of X[a b] whose branch, nested between X's wires, holds f
...     d = load_text(f"axis a = 2\\naxis b = 3\\ninput X[a b]\\nY = {f}\\nZ = X + Y\\noutput Z\\n").diagram
...     ordered = order(d, (frozenset(), frozenset(), frozenset({1})))
...     return [ordered.wires[w].axis for w in ordered.columns[0].gap_steps[0]], ordered.columns[0].pre[0]
>>> branch("linear(X: a b -> a b)")[0]  # the branch (a b) between the stream's a and b
['a', 'a', 'b', 'b']
>>> len(branch("linear(X: a b -> a b)")[1].new), len(branch("relu(X)")[1].new)  # a box bows the stream apart; a mark does not
(4, 2)
"""
from __future__ import annotations

from ..ir import Diagram, Op
from .model import Placed, _Branch, _drawn, glyph
from .nesting import inner_split, tight

LOOK_AHEAD = 32  # ops a copy's branch is followed for a box (:meth:`Copies.boxed`)


class Copies:
    """The sweep's rules for copies, saves, deletes and loads (see the module)."""

    def inner_split(self, wires: list[int]) -> int | None:
        """Where a branch nests between ``wires`` (:func:`.nesting.inner_split`): found once per stack
        of axes, as the branches of a long figure copy tensors of a few shapes again and again."""
        axes = tuple([self.wires[w].axis for w in wires])
        if axes not in self.splits:
            self.splits[axes] = inner_split(len(axes), tight(self.d.tandems, axes))
        return self.splits[axes]

    def bows_apart(self, op: _Branch, src: list[int], at: list[int]) -> bool:
        """Whether the tensor whose wires ``src`` (at places ``at`` among the live wires) a copy's branch (``op``)
        nests between goes on bowed apart around it, from the branch's dots: where a box on the branch spreads them
        (marks alone, a residual ReLU's, spread them little: it stays nested, as the paper draws it) and they run
        together (in the order: a tensor already bowed around an earlier branch bows again, from its own heights to
        this branch's), so the tensor stays together before (a residual stream, not torn apart from its start for a
        sublayer far on) and each sublayer spreads it as far as its own branch needs."""
        return at[-1] - at[0] + 1 == len(src) and self.boxed(op)

    def boxed(self, op: _Branch) -> bool:
        """Whether a copy's branch meets a box before the op that reads the copy's tensor again (its sum), or before
        it ends; looked at :data:`LOOK_AHEAD` ops ahead at most (a branch that long holds a box)."""
        straight, queue, seen = self.straight[op.id], [op.value], 0
        while queue and seen < LOOK_AHEAD:
            user = self.d.consumer(queue.pop())
            seen += 1
            if user is None or straight in user.inputs:
                continue
            if user.kind not in ("copy", "output") and glyph(user) != "mark":
                return True
            queue.extend(user.outputs)
        return bool(queue)

    def nests_next(self, op: Op) -> bool:
        """Whether the result of ``op`` is copied next, with a branch that nests in it."""
        user = self.d.consumer(op.outputs[0])
        return user is not None and user.kind == "copy" and user.id in self.inside

    def place_gap_op(self, op, live: list[int]) -> Placed | None:
        if op.kind == "load":  # a stored tensor comes back in at the bottom, or above what a bar joins it to first (a UNet's skip)
            wires = [self.new_wire(op.outputs[0], a, ("load", op.id)) for a in self.d.values[op.outputs[0]].axes]
            at = self.source_place(op, live) if joined_first(self.d, op) else len(live)
            live[at:at] = wires
            return Placed(op, [], [], wires)
        src = self.value_wires(op.inputs[0])
        if op.kind in ("delete", "save"):
            for w in src:
                live.remove(w)
                self.wires[w].end = (op.kind, op.id)
            return Placed(op, src, [], [])
        if op.kind == "copy":  # the output used last goes straight on; the others branch off later
            self.alias(self.straight[op.id], src)
            return None
        # a branch: just below or above the wires it copies, or nested between them, its wires stacked as theirs
        # are (a tensor's wires need not be in its axes' order: a map's new wire stands where the axes it read were)
        src = sorted(self.value_wires(self.straight[op.id]), key=live.index)
        wires = [self.new_wire(op.value, self.wires[w].axis, ("copy", op.id), labelled=False) for w in src]
        split = self.inner_split(src) if op.id in self.inside else None
        if split is not None:
            at = live.index(src[split - 1]) + 1
        else:
            at = live.index(src[0]) if op.id in self.above else live.index(src[-1]) + 1
        here = list(map(live.index, src))
        crossed = sum(at - k - 1 if k < at else k - at for k in here)  # each wire passes those between it and its copy
        if split is not None and self.bows_apart(op, src, here):  # its tensor goes on from the same dots, bowed apart around it
            at = here[0]
            for w in src:
                live.remove(w)
                self.wires[w].end = ("copy", op.id)
            stream = [self.new_wire(self.straight[op.id], self.wires[w].axis, ("copy", op.id), labelled=False) for w in src]
            live[at:at] = stream[:split] + wires + stream[split:]
            self.bowed.update(stream)
            return Placed(op, src, [], wires + stream, crossed=crossed)
        live[at:at] = wires
        return Placed(op, [], src, wires, crossed=crossed)


def joined_first(diagram: Diagram, op: Op) -> bool:
    """Whether a bar joins ``op``'s result first of several (ViT's class token, a UNet's skip): its wires belong
    above the others'."""
    user = diagram.consumer(op.outputs[0])
    return user is not None and len(user.inputs) > 1 and user.inputs[0] == op.outputs[0] and _drawn(user)[0] == "bar"
