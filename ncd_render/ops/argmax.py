"""``argmax(S: e)``, ``argmin(D: e)``: where along an axis the largest (smallest) value is, as integer ids into it
(a vector quantiser's nearest code, a greedy decoder's next token, a classifier's prediction), which an
``embedding(I: e -> d)`` looks up. Drawn as a box that ends the axis, as ``max`` does; the ids' wires are the
other axes. One comparison per element read. The ids carry no gradient: a quantiser passes one straight through.

>>> from ncd_render.api import load_text
>>> d = load_text("axis n = 4 width\\naxis e = 8\\ninput D[n e]\\nI = argmin(D: e)\\noutput I\\n").diagram
>>> [(d.values[v].axes, d.values[v].dtype) for v in d.ops[1].outputs]
[(('n',), 'int')]
"""
from __future__ import annotations

from types import MappingProxyType

from ..errors import NcdError
from .reductions import cost_reduce
from .registry import ATOM, OpKind, register


def build(b, call, options, scope, label):
    fn = call.fn.name
    vid = b.one_arg(call, scope)
    if call.spec is None or call.spec.outputs is not None or len(call.spec.inputs) != 1:
        raise NcdError(f"{fn} needs the one axis it looks along", call.spec.span if call.spec else call.span,
                       f"for example {fn}({call.args[0].name}: e)")
    acted = b.spec_axes(call.spec.inputs[0], vid, scope, fn, call.spec.span)
    if len(acted) != 1:
        raise NcdError(f"{fn} looks along one axis, whose positions its ids count", call.spec.span,
                       "group several first: rearrange(X: a b -> (a b))")
    if b.values[vid].dtype == "int":
        raise NcdError(f"{fn} compares values, but {call.args[0].name} holds integer ids", call.args[0].span)
    axes = b.values[vid].axes
    kept = tuple(a for a in axes if a != acted[0])
    out = b.new_value("", kept, "int", call.span)
    b.add_op(kind=fn, inputs=(vid,), outputs=(out,), acts=(acted,), broadcast=kept, label=label or fn,
             params=MappingProxyType({"axes": acted}), section=scope.section, span=call.span)
    return [out]


def run(op, box, xs, rt):
    (axes,) = rt.patterns.values(op)
    (dim,) = rt.patterns.dims(axes, op.params["axes"])
    return getattr(rt.torch, op.kind)(xs[0], dim)


def source(op, w, target):
    (dim,) = w.dims_of(op, op.params["axes"])
    return [], f"{w.arg(op.inputs[0], ATOM)}.{op.kind}(dim={dim})", ATOM, f"where {op.params['axes'][0]} is {op.kind[3:]}"


register(*(OpKind(fn, fn, build=build, glyph="box", hold="acts", run=run, source=source, cost=cost_reduce,
                  example=f"input X[y m]\nY = {fn}(X: m)")
           for fn in ("argmax", "argmin")))
