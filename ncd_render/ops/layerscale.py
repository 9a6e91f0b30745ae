"""``layerscale(X: c)``: a learned scale per index of the named axes, broadcast over the others:
ConvNeXt's and CaiT's layer scale ``gamma * x``; ``layerscale(X)``, one learned number for every
element (differential attention's lambda, a learned temperature). Drawn as a bold learned box over
the axes it names, labelled γ, or with one number as the bold ➤γ➤ mark above its tensor; its
``weight`` lies over those axes (starting at ``init``, 1e-6 in ConvNeXt, by default 1). One
multiply per element; the weight is read once."""
from __future__ import annotations

from types import MappingProxyType

from ..options import Kind
from .along import acted_axes, weight_trails
from .registry import ATOM, MUL, OpKind, register
from .work import Array, Work


def build(b, call, options, scope, label):
    if call.spec is None:  # one number
        vid = b.one_arg(call, scope)
        acted, broadcast, out = (), b.values[vid].axes, b.new_value("", b.values[vid].axes, "real", call.span)
    else:
        vid, acted, broadcast, out = acted_axes(b, call, scope, "the axes its weight lies over")
    name = label or "\\gamma"
    b.add_op(kind="layerscale", inputs=(vid,), outputs=(out,), acts=(acted,), broadcast=broadcast, label=name, learned=True,
             params=MappingProxyType({"axes": acted, "init": float(options.get("init", 1.0)), "name": b.param_name(label or "gamma", scope)}),
             section=scope.section, span=call.span)
    return [out]


def _pattern(op, p) -> str:
    """einops pattern ``input, weight -> output``: the weight lined up with the input's axes."""
    (x,) = p.values(op)
    return f"{p.spec(x)}, {p.spec(op.params['axes'], batch=False)} -> {p.spec(x)}"


def source(op, w, target):
    box, x = f"{w.owner}.{op.name}", w.arg(op.inputs[0], MUL)
    if not op.params["axes"] or weight_trails(op, w.p):  # plain broadcasting
        return [], f"{x} * {box}.weight", MUL, ""
    return [], f'einsum({w.arg(op.inputs[0])}, {box}.weight, "{_pattern(op, w.p)}")', ATOM, ""


def run(op, box, xs, rt):
    if not op.params["axes"]:
        return xs[0] * box.weight
    return rt.einops.einsum(xs[0], box.weight, _pattern(op, rt.patterns))


register(OpKind("layerscale", "layerscale", build=build, options=MappingProxyType({"init": Kind("real", 0, 1e30, open_low=True, example="1e-6")}),
                glyph=lambda op: "box" if op.params["axes"] else "mark", hold="through", cost=lambda op, c: Work(0, c.n, c.ins + (Array((op.name, "weight"), op.params["axes"]),), c.outs, c.mapped, 1),
                broadcasts=True, parameters=lambda op: {"weight": op.params["axes"]}, initial=lambda op, param: ("fill", op.params["init"]),
                run=run, source=source,
                example="input X[y m]\nY = layerscale(X: m) with init=0.5"))
