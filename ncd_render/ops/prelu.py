"""``prelu(X: c)``: a ReLU whose slope below zero is learned, one slope per index of the named axes, broadcast over
the others (nn.PReLU(c) on channels: SRGAN's, ENet's); ``prelu(X)``, one slope for every element (nn.PReLU()).
Drawn as a bold learned box over the axes it names, or, with one slope, as the ➤PReLU➤ mark above its tensor; its
``weight`` lies over those axes, starting at 0.25 as torch's does. Three FLOPs per element; the weight is read once."""
from __future__ import annotations

from types import MappingProxyType

from ..errors import NcdError
from .along import weight_trails
from .registry import ADD, OpKind, register
from .work import Array, Work

INIT = 0.25  # nn.PReLU's starting slope


def build(b, call, options, scope, label):
    vid = b.one_arg(call, scope)
    axes = b.values[vid].axes
    if call.spec is not None and (call.spec.outputs is not None or len(call.spec.inputs) != 1):
        raise NcdError("prelu names the axes its slopes vary along, or none for one slope", call.spec.span,
                       f"for example prelu({call.args[0].name}: {axes[-1] if axes else 'c'}), or prelu({call.args[0].name})")
    acted = b.spec_axes(call.spec.inputs[0], vid, scope, "prelu", call.spec.span) if call.spec is not None else ()
    out = b.new_value("", axes, "real", call.span)
    b.add_op(kind="prelu", inputs=(vid,), outputs=(out,), acts=(acted,), broadcast=tuple(a for a in axes if a not in acted),
             label=label or "PReLU", learned=True,
             params=MappingProxyType({"axes": acted, "name": b.param_name(label or "prelu", scope)}),
             section=scope.section, span=call.span)
    return [out]


def _pattern(op, p) -> str:
    """einops pattern ``input, weight -> output``: the slopes lined up with the input's axes."""
    (x,) = p.values(op)
    return f"{p.spec(x)}, {p.spec(op.params['axes'], batch=False)} -> {p.spec(x)}"


def run(op, box, xs, rt):
    (x,) = xs
    below = x.clamp(max=0)
    slope = rt.einops.einsum(below, box.weight, _pattern(op, rt.patterns)) if op.params["axes"] else below * box.weight
    return x.clamp(min=0) + slope


def source(op, w, target):
    box, x = f"{w.owner}.{op.name}", w.arg(op.inputs[0])
    if not op.params["axes"] or weight_trails(op, w.p):  # plain broadcasting
        return [], f"{x}.clamp(min=0) + {x}.clamp(max=0) * {box}.weight", ADD, ""
    return [], f'{x}.clamp(min=0) + einsum({x}.clamp(max=0), {box}.weight, "{_pattern(op, w.p)}")', ADD, ""


register(OpKind("prelu", "prelu", build=build, glyph=lambda op: "box" if op.params["axes"] else "mark", hold="through",
                cost=lambda op, c: Work(0, 3 * c.n, c.ins + (Array((op.name, "weight"), op.params["axes"]),), c.outs, c.mapped, 1),
                broadcasts=True, parameters=lambda op: {"weight": op.params["axes"]}, initial=lambda op, param: ("fill", INIT),
                run=run, source=source, example="input X[y m]\nY = prelu(X: m)"))
