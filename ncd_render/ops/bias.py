"""``bias(X: y m)``: a learned tensor over the named axes added to every element, broadcast over the
others: GPT-2's and BERT's learned position embeddings (the table's first rows, one a position, added to
the token embeddings), ViT's position table. Drawn as a bold learned box over the axes it names,
labelled b unless named (``as E_{pos}``); its ``weight`` lies over those axes and starts at 0. One
addition per element; the weight is read once."""
from __future__ import annotations

from types import MappingProxyType

from .along import acted_axes, weight_trails
from .registry import ADD, OpKind, register
from .work import Array, Work


def build(b, call, options, scope, label):
    vid, acted, broadcast, out = acted_axes(b, call, scope, "the axes its weight lies over")
    b.add_op(kind="bias", inputs=(vid,), outputs=(out,), acts=(acted,), broadcast=broadcast, label=label or "b", learned=True,
             params=MappingProxyType({"axes": acted, "name": b.param_name(label or "bias", scope)}), section=scope.section, span=call.span)
    return [out]


def _lined_up(op, p) -> str:
    """einops pattern taking the weight to the input's layout, a dim of one for each axis it lacks."""
    (x,) = p.values(op)
    return f"{p.spec(op.params['axes'], batch=False)} -> " + " ".join(a if a in op.params["axes"] else "()" for a in x)


def source(op, w, target):
    box, x = f"{w.owner}.{op.name}", w.arg(op.inputs[0], ADD)
    if weight_trails(op, w.p):  # plain broadcasting
        return [], f"{x} + {box}.weight", ADD, ""
    return [], f'{x} + rearrange({box}.weight, "{_lined_up(op, w.p)}")', ADD, ""


register(OpKind("bias", "bias", build=build, glyph="box", hold="through",
                cost=lambda op, c: Work(0, c.n, c.ins + (Array((op.name, "weight"), op.params["axes"]),), c.outs, c.mapped, 1),
                broadcasts=True, parameters=lambda op: {"weight": op.params["axes"]}, initial=lambda op, param: "zeros",
                run=lambda op, box, xs, rt: xs[0] + rt.einops.rearrange(box.weight, _lined_up(op, rt.patterns)), source=source,
                example="input X[y m k]\nY = bias(X: y k) as E_{pos}"))
