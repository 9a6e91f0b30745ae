"""Axes the whole figure is broadcast over, drawn once: an axis that every tensor has and that no box
acts on (a batch of sequences through a GRU cell, of queries through an attention) passes over the whole
diagram, as the paper draws a function broadcast over an axis (its Fig. 13: the function, and the axis
passing by).

Drawn in every tensor instead, its wire is copied with each tensor and joined again wherever two
meet (at each sum, each einsum's diagonal), and every copy and join crosses the wires between: an
imported key-padding attention with a batch axis crossed 26 times, 10 with the batch drawn once.
Here it becomes one wire of its own, an input that runs straight to the outputs above every other
wire, and the tensors are drawn without it; :func:`.choice.choose_drawing` keeps that drawing where it
crosses clearly fewer times. For drawing only, as :mod:`.compact` is: ``Diagram.through`` names the
wire's tensor, which no separator parts from the others (:mod:`.separators`) and a page's rows keep
(``Scene.through``, :mod:`ncd_render.page.passing`).

>>> from ncd_render.api import load_text
>>> d = load_text("axis b = 2\\naxis m = 3\\ninput X[b m], H[b m]\\nY = X + H\\nY = Y * X\\noutput Y\\n").diagram
>>> through_axes(d)
('b',)
>>> pulled = pulled_out(d, ("b",))
>>> [(v.name, v.axes) for v in pulled.values.values()][:3], pulled.values[pulled.through]
([('X', ('m',)), ('H', ('m',)), ('Y', ('m',))], Value(id=6, name='', axes=('b',), dtype='real', span=None))
"""
from __future__ import annotations

import re
from dataclasses import replace
from types import MappingProxyType

from ..diagram import Op, Value
from ..ir import Diagram

ENDS = ("input", "output", "copy", "delete")  # ops that only carry tensors: every axis passes them
REWRITTEN = {"einsum": ("equation", "merged"), "rearrange": ("pattern",)}  # ops that name the axis in specs of their own


def through_axes(diagram: Diagram) -> tuple[str, ...]:
    """The axes every tensor of ``diagram`` has, that every box passes by (or, at an einsum, joins as a
    diagonal, or a rearrange moves), and that lead every input's, as a batch does (drawn above them all,
    they keep their place first).

    >>> from ncd_render.api import load_text
    >>> head = "axis b = 2\\naxis n = 2\\naxis u = 1\\naxis t = 3\\naxis m = 3\\n"
    >>> through_axes(load_text(head + "input X[b m]\\nY = X + X\\noutput Y\\n").diagram)
    ('b',)
    >>> through_axes(load_text(head + "input E[n m], T[u m]\\nZ = concat(T, E: u, n -> t)\\noutput Z\\n").diagram)
    ()
    """
    values = list(diagram.values.values())
    if not diagram.inputs:
        return ()
    leading = [diagram.values[v].axes for v in diagram.inputs]
    found = []
    for k, axis in enumerate(leading[0]):
        if any(len(axes) <= k or axes[k] != axis for axes in leading) or \
                not all(axis in v.axes for v in values) or not all(_passes(op, axis) for op in diagram.ops):
            break
        found.append(axis)
    while found and any(set(v.axes) <= set(found) for v in values):  # every tensor keeps a wire of its own
        found.pop()  # (a gate per position, [y]: y stays in it)
    return tuple(found)


def _passes(op: Op, axis: str) -> bool:
    if any(axis in _names(value) for key, value in op.params.items() if key not in REWRITTEN.get(op.kind, ())):
        return False  # a map per index of it, a softmax over it, a rename of it: it is acted on
    return op.kind in ENDS or op.kind in REWRITTEN or axis in op.broadcast


def _names(value) -> set[str]:
    """The axis names a parameter holds: tuples of names, nested (a rename's pairs), not its free text."""
    if isinstance(value, tuple):
        return set().union(*(_names(v) for v in value)) if value else set()
    return {value} if isinstance(value, str) and re.fullmatch(r"[\w']+", value) else set()


def pulled_out(diagram: Diagram, axes: tuple[str, ...]) -> Diagram:
    """``diagram`` with ``axes`` taken out of every tensor and drawn as a tensor of their own, unnamed, read
    first and output first, so that it runs straight above every other wire."""
    values = {k: replace(v, axes=tuple(a for a in v.axes if a not in axes)) for k, v in diagram.values.items()}
    ops = [replace(op, acts=tuple(tuple(a for a in acted if a not in axes) for acted in op.acts),
                   broadcast=tuple(a for a in op.broadcast if a not in axes), params=_spec_without(op, axes))
           for op in diagram.ops]
    ops, values, moved = _without_moves(ops, values)
    wire = max(diagram.values) + 1
    values[wire] = Value(wire, "", tuple(axes), "real", None)
    first = max(op.id for op in diagram.ops) + 1  # (past the moves left out too: no id stands for two ops)
    last = next(k for k, op in enumerate(ops) if op.kind == "output")
    ops[last] = replace(ops[last], inputs=(wire,) + ops[last].inputs)
    ops.insert(0, Op(first, "input", (), (wire,)))
    outputs = (wire,) + tuple(moved.get(v, v) for v in diagram.outputs)
    return replace(diagram, values=values, ops=ops, inputs=(wire,) + diagram.inputs, outputs=outputs,
                   through=wire)


def _without_moves(ops: list[Op], values: dict) -> tuple[list[Op], dict, dict[int, int]]:
    """``ops`` without the rearranges that only moved the axes taken out (``pad: b x -> x b``), their
    results read from what they read; and which value each dropped result now is."""
    same = {op.outputs[0]: op.inputs[0] for op in ops
            if op.kind == "rearrange" and values[op.inputs[0]].axes == values[op.outputs[0]].axes}
    for v in same:  # (one such move after another: each read from the first's operand)
        while same[v] in same:
            same[v] = same[same[v]]
    kept = [replace(op, inputs=tuple(same.get(v, v) for v in op.inputs)) for op in ops
            if not (op.kind == "rearrange" and op.outputs[0] in same)]
    return kept, {k: v for k, v in values.items() if k not in same}, same


def _spec_without(op: Op, axes: tuple[str, ...]) -> MappingProxyType:
    """An einsum's equation and merged axes, a rearrange's pattern, without ``axes``."""
    if op.kind not in REWRITTEN:
        return op.params
    params = dict(op.params)
    for key in REWRITTEN[op.kind]:
        if isinstance(params.get(key), str):
            named = re.sub(r"(?<![\w'])(" + "|".join(map(re.escape, axes)) + r")(?![\w'])", "", params[key])
            params[key] = re.sub(r"\s+", " ", named).strip()
        elif key in params:
            params[key] = tuple(a for a in params[key] if a not in axes)
    return MappingProxyType(params)
