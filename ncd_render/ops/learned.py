"""``T = learned(: n m)``: a learned tensor over the named axes that no input feeds (ViT's class token,
joined to the patches), drawn as a bold box its wires leave, labelled W unless named (``as E_{cls}``);
its ``weight`` lies over the axes, in their order. ``learned(:)`` is one learned number (CLIP's
temperature, ``exp`` of it scaling the logits), drawn on a wire of one as any tensor of no axes is
(:mod:`ncd_render.layout.scalars`). No FLOP: the box that reads it reads its bytes."""
from __future__ import annotations

from types import MappingProxyType

from ..errors import NcdError
from .registry import ATOM, OpKind, register
from .work import Array, Work


def build(b, call, options, scope, label):
    spec = call.spec
    if call.args or spec is None or spec.outputs is not None or len(spec.inputs) != 1:
        raise NcdError("learned takes no tensor, and the axes its values lie over", spec.span if spec and not call.args else call.span,
                       "learned(: n m) for a tensor over n and m, learned(:) for one number")
    axes = b.shape(spec.inputs[0], scope, "a learned tensor")
    out = b.new_value("", axes, "real", call.span)
    b.add_op(kind="learned", inputs=(), outputs=(out,), label=label or "W", learned=True,
             params=MappingProxyType({"axes": axes, "name": b.param_name(label or "learned", scope)}), section=scope.section, span=call.span)
    return [out]


register(OpKind("learned", "learned", build=build, glyph="box", hold="none",
                cost=lambda op, c: Work(0, 0, (Array((op.name, "weight"), op.params["axes"]),), c.outs, {}, 0),
                parameters=lambda op: {"weight": op.params["axes"]}, initial=lambda op, param: "randn",
                run=lambda op, box, xs, rt: box.weight,
                source=lambda op, w, target: ([], f"{w.owner}.{op.name}.weight", ATOM, ""),
                example="axis u = 1\naxis t = y + u\ninput X[y m]\nT = learned(: u m) as E_{cls}\nY = concat(T, X: u, y -> t)"))
