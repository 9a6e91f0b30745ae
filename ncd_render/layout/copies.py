"""The order stage's rules for the gaps between columns: where a copy's branch goes beside the wires it
copies (below or above them, its wires together as theirs are), and where a save, delete or load takes
or puts back wires. A mixin of :class:`.order._Sweep`, whose state it reads and changes: the diagram
``d``, ``wires``, ``straight`` and ``above``.

>>> from ncd_render.api import load_text
>>> from ncd_render.layout.order import order
>>> d = load_text("axis a = 2\\naxis b = 3\\naxis c = 4\\ninput X[a b]\\nY = linear(X: b -> c)\\nZ = X + Y\\noutput Z\\n").diagram
>>> ordered = order(d)
>>> [ordered.wires[w].axis for w in ordered.columns[0].gap_steps[0]]  # the branch below the stream, as the paper draws it
['a', 'b', 'a', 'b']
"""
from __future__ import annotations

from ..ir import Diagram, Op
from .model import Placed, _drawn


class Copies:
    """The sweep's rules for copies, saves, deletes and loads (see the module)."""

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
        # a branch: just below or above the wires it copies, its wires stacked as theirs are (a tensor's wires need
        # not be in its axes' order: a map's new wire stands where the axes it read were)
        src = sorted(self.value_wires(self.straight[op.id]), key=live.index)
        wires = [self.new_wire(op.value, self.wires[w].axis, ("copy", op.id), labelled=False) for w in src]
        at = live.index(src[0]) if op.id in self.above else live.index(src[-1]) + 1
        crossed = sum(at - k - 1 if k < at else k - at for k in map(live.index, src))  # each wire passes those between it and its copy
        live[at:at] = wires
        return Placed(op, [], src, wires, crossed=crossed)


def joined_first(diagram: Diagram, op: Op) -> bool:
    """Whether a bar joins ``op``'s result first of several (ViT's class token, a UNet's skip): its wires belong
    above the others'."""
    user = diagram.consumer(op.outputs[0])
    return user is not None and len(user.inputs) > 1 and user.inputs[0] == op.outputs[0] and _drawn(user)[0] == "bar"
