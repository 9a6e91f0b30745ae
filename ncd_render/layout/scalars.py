"""Scalars on a wire: a tensor with no axes (a sum over all of them, a mean that a norm divides
by) is drawn, where a box reads it, on one wire labelled 1, an axis of one (the same numbers),
so that what it feeds can be followed; for drawing only, as :mod:`.compact` is.

Every wire of a figure is an axis, so a tensor with none has no wire; a box reading one had no
wire to draw it in by (a traceback, before).

>>> from ncd_render.api import load_text
>>> d = load_text("axis m = 3\\ninput X[m]\\nR = sum(X: m)\\nY = X * R\\noutput Y\\n").diagram
>>> [v.axes for v in d.values.values() if v.name == "R"], [v.axes for v in scalars_on_wires(d).values.values() if v.name == "R"]
([()], [('1',)])
"""
from __future__ import annotations

from dataclasses import replace

from ..diagram import Axis
from ..ir import Diagram

UNIT = "1"  # the axis a scalar is drawn on: no axis of a file can be named so


def scalars_on_wires(diagram: Diagram) -> Diagram:
    """``diagram`` with each tensor of no axes that a box reads on one axis of one, :data:`UNIT`."""
    scalars = {k for k, v in diagram.values.items() if not v.axes}
    if scalars:  # (few figures have any: the boxes' reads are looked at only then)
        scalars &= {v for op in diagram.ops for v in op.inputs}
    if not scalars:
        return diagram
    values = {k: replace(v, axes=(UNIT,)) if k in scalars else v for k, v in diagram.values.items()}
    return replace(diagram, values=values, axes={**diagram.axes, UNIT: Axis(UNIT, 1, False, None)})
