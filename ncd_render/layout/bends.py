"""Boxes kept short: a box whose result runs on far from the wires it reads (BERT's attention output
map, whose m wire ran on below a branch then nested between the residual's wires, stood 81 pt tall
for two wires in and one out) has its result start beside it and bend to that height in a wiring
region just after it, as a hand drawing would; wires keep one height otherwise.

:func:`tall_boxes` finds them from a first solve of the heights; the layout then orders the
diagram again with those boxes' results bent (:func:`.order.order`'s ``bends``) and solves again.

>>> from ncd_render.api import load_text
>>> text = ("axis b = 4 width\\naxis d = 3\\naxis h = 5\\ninput X[b d], H[b h]\\nN = linear(X: d -> h) as W\\n"
...         "Z = linear(H: h -> h) as U\\nZ = sigmoid(Z)\\nD = H - N\\nD = Z * D\\nY = N + D\\noutput Y\\n")
>>> [round(i.h) for i in load_text(text).scene().items if i.role == "box" and i.ref == 2]  # W, one wire in and one out: 68 pt before
[16]
"""
from __future__ import annotations

from .heights import Heights
from .model import Ordered, Style, glyph

FAR = 1.5  # pitches a box may stand taller than its wires need before its results are bent


def tall_boxes(style: Style, ordered: Ordered, high: Heights) -> frozenset[int]:
    """The boxes (op ids) that stand more than :data:`FAR` pitches taller, in the heights ``high``, than
    the wires they read or the results they make need, whichever are more, one pitch apart."""
    pitch = style.preset.pitch
    tall = set()
    for column in ordered.columns:
        for placed in column.ops:
            if not placed.new or not placed.before or glyph(placed.op) != "box":
                continue
            ys = [high.y[w] for w in placed.before + placed.new]
            if max(ys) - min(ys) > (max(len(placed.before), len(placed.new)) - 1 + FAR) * pitch:
                tall.add(placed.op.id)
    return frozenset(tall)
