"""Compact convolutions, as the paper draws them: with ``convolutions compact`` in a file, a
convolution tensor and the map right after it become one box, for drawing only.

The language spells a convolution as ``unfold`` (the paper's ★, splitting the width axes
into overlapping blocks) followed by a map over the blocks. The paper's later figures draw
the pair as one ``★k`` box on the channel wires, the width wires passing by; a strided one
as a trapezoid narrowing to its output, a transposed one (a map, then ``fold``) as a
trapezoid widening, and pooling as ``★k max``. The kernel wires between them disappear.
Running, checking and costing still read the diagram as built: this is a drawing of it. Each
merged box keeps the id of its learned map (the reduction's, for pooling), so the SVG still
names every learned op.

Pairs merged (each value is consumed once, so "right after" is "its only consumer"):

* ``unfold`` then ``linear`` over all its kernel axes: ★k, learned (a convolution);
* ``unfold`` then ``max``/``mean``/``sum`` over exactly its kernel axes: ★k max (pooling);
* ``linear`` making all of a ``fold``'s kernel axes, then that ``fold``: ★kᵀ, learned.

>>> from ncd_render.parse import parse
>>> from ncd_render.ir import build
>>> text = ("convolutions compact\\naxis h = 8 width\\naxis c = 3\\naxis d = 4\\naxis i = 3\\ninput X[h c]\\n"
...         "B = unfold(X: h -> h i) with padding=1\\nY = linear(B: i c -> d) with bias\\noutput Y\\n")
>>> [(op.kind, op.label, op.acts) for op in compact(build(parse(text))).ops if op.kind not in ("input", "output")]
[('linear', '\\\\star3', (('c',),))]
"""
from __future__ import annotations

from dataclasses import replace

from ..ops import of as kind_of
from ..ir import Diagram, Op


def compact(diagram: Diagram) -> Diagram:
    """``diagram`` with its convolutions merged into single boxes when its file asks for it."""
    if getattr(diagram.source, "convolutions", "explicit") != "compact":
        return diagram
    merged: dict[int, Op] = {}  # the first op of a pair's id -> the merged op
    gone: set[int] = set()  # the second op of each pair, and the value between the two
    for op in diagram.ops:
        if op.id in gone:
            continue
        nxt = diagram.consumer(op.outputs[0]) if len(op.outputs) == 1 else None
        if nxt is None or nxt.id in gone:
            continue
        made = next((made for kind in (kind_of(op), kind_of(nxt)) if kind.compacts is not None
                     for made in [kind.compacts(diagram, op, nxt)] if made is not None), None)  # each pair's rule: ops/window.py
        if made is not None:
            merged[op.id] = made
            gone |= {nxt.id, ("value", op.outputs[0])}
    if not merged:
        return diagram
    ops = [merged.get(op.id, op) for op in diagram.ops if op.id not in gone]
    values = {k: v for k, v in diagram.values.items() if ("value", k) not in gone}
    return replace(diagram, ops=ops, values=values)
