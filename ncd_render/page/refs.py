"""The ops a page's items name, numbered as the figure's own diagram numbers them.

A page is set from pieces laid out one by one (a part, the figure collapsed to a depth, a
component's definition), each built as a diagram of its own with ops numbered from 0, so one
number names different boxes in two pieces. The SVG writes an item's op as ``data-op`` (the
browser view's cards and selection look it up in the figure's diagram) and groups a box with
the items after it that name its op, so a number shared across pieces both misnames a box and
draws a label of one row with a box of another (under a later row's panel). Here each item's
op is renamed: the figure's op made by the same statement, in the same component calls, the same
time over; None where the figure draws no such op (a collapsed component's body).

>>> from ncd_render.api import load_text
>>> from ncd_render.layout import layout
>>> from ncd_render.style import load_preset, load_theme
>>> text = "axis m = 4\\ninput X[m]\\nY = linear(X: m -> m) as A\\nZ = linear(Y: m -> m) as B\\noutput Z\\n"
>>> figure, part = load_text(text).diagram, load_text(text.replace("Y = linear(X: m -> m) as A", "Y = relu(X)")).diagram
>>> [op.id for op in figure.ops if op.label == "B"], [op.id for op in part.ops if op.label == "B"]
([2], [2])
>>> scene = layout(part, load_theme("paper"), load_preset("paper"))
>>> sorted({i.ref for i in in_figure(scene, part, Numbering(figure)).items if getattr(i, "ref", None) is not None})
[2]
"""
from __future__ import annotations

from collections import Counter
from dataclasses import replace

from ..diagram import Diagram
from ..records import replaced
from ..scene import Scene


def op_keys(diagram: Diagram) -> dict[int, tuple]:
    """Op id -> (the places of the component calls around it, outermost first; where its statement starts;
    its kind; how many such ops came before it), or None for an op made by no statement (an output)."""
    keys, seen = {}, Counter()
    for op in diagram.ops:
        if op.span is None:
            keys[op.id] = None
            continue
        calls = tuple((s.span.line, s.span.column) for s in map(diagram.sections.get, diagram.section_path(op.section))
                      if s.kind == "block" and s.span is not None)
        key = (calls, op.span.line, op.span.column, op.kind)
        keys[op.id] = (*key, seen[key])
        seen[key] += 1
    return keys


class Numbering:
    """The figure's ops by their :func:`op_keys`, found once for every piece of its page."""

    def __init__(self, figure: Diagram):
        self.figure = figure
        self.ids = {key: op_id for op_id, key in op_keys(figure).items() if key is not None}


def in_figure(scene: Scene, piece: Diagram, numbering: Numbering) -> Scene:
    """``scene``, laid out from ``piece``, with each item's op numbered as in ``numbering``'s figure."""
    if piece is numbering.figure:
        return scene
    to = {op_id: numbering.ids.get(key) for op_id, key in op_keys(piece).items()}
    items = [replaced(item, ref=to.get(item.ref)) if getattr(item, "ref", None) is not None else item for item in scene.items]
    return replace(scene, items=items)
