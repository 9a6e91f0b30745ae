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
from types import MappingProxyType

from ..ir import Diagram, Op

REDUCTIONS = {"max": "max", "mean": "mean", "sum": "sum"}


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
        made = _merge(diagram, op, nxt)
        if made is not None:
            merged[op.id] = made
            gone |= {nxt.id, ("value", op.outputs[0])}
    if not merged:
        return diagram
    ops = [merged.get(op.id, op) for op in diagram.ops if op.id not in gone]
    values = {k: v for k, v in diagram.values.items() if ("value", k) not in gone}
    return replace(diagram, ops=ops, values=values)


def _merge(d: Diagram, first: Op, second: Op) -> Op | None:
    if first.kind == "unfold" and second.kind == "linear" and not second.params["per"]:
        kernels = first.params["kernel_axes"]
        if set(kernels) <= set(second.params["in_axes"]):
            acted = tuple(a for a in second.params["in_axes"] if a not in kernels)
            return _box(d, first, second, second, acted, _star(first.params), first.params)
    if first.kind == "unfold" and second.kind == "reduce" and set(second.params["axes"]) == set(first.params["kernel_axes"]):
        word = REDUCTIONS[second.params["fn"]]
        return _box(d, first, second, second, (), _star(first.params) + " " + word, first.params)
    if first.kind == "linear" and second.kind == "fold" and not first.params["per"]:
        if set(second.params["kernel_axes"]) <= set(first.params["out_axes"]):
            acted = first.params["in_axes"]
            made = _box(d, first, second, second, acted, _star(second.params, "^{T}"), second.params)
            # the learned map's id: the box, its hover card and its parameters are the map's
            return replace(made, id=first.id, learned=True, params=MappingProxyType({**made.params, "bias": first.params["bias"]}))
    return None


def _star(window, sup: str = "") -> str:
    """★k with its stride and dilation, as the unfold's own label writes them (``sup``: a superscript T)."""
    sub = ",".join(f"{k[0]}{window[k]}" for k in ("stride", "dilation") if window[k] != 1)
    return f"\\star{window['kernel']}" + sup + (f"_{{{sub}}}" if sub else "")


def _box(d: Diagram, first: Op, second: Op, base: Op, acted: tuple, label: str, window) -> Op:
    """One box from ``first``'s input to ``second``'s output: on ``acted`` (the channels) and on the
    width axes when they change name or size; the width axes that keep theirs pass by."""
    spatial = tuple(a for a, b in zip(window["spatial_in"], window["spatial_out"]) if a != b)
    axes = d.values[first.inputs[0]].axes
    held = tuple(a for a in axes if a in acted or a in spatial)
    if not held:  # pooling keeps the width names only when the sizes do: it holds them all the same
        held = tuple(a for a in axes if a in window["spatial_in"])
    return replace(base, inputs=first.inputs, acts=(held,), broadcast=tuple(a for a in axes if a not in held), label=label,
                   params=MappingProxyType({**base.params, "window": MappingProxyType(dict(window))}))
