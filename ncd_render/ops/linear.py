"""``linear(X: m -> k) with bias, per=e``: a learned linear map on some axes, broadcast over the
rest; drawn as a bold box labelled L (a "+" for a bias, a deck of boxes for ``per``).
Its weight is [output axes, input axes] (nn.Linear's [out, in]); 2 FLOPs per multiply-add."""
from __future__ import annotations

import math

from types import MappingProxyType

from ..errors import NcdError
from ..options import KINDS
from .along import in_place
from .registry import ADD, ATOM, OpKind, default_label, register
from .window import taper
from .work import SUM, WHOLE, Array, Work


def build(b, call, options, scope, label):
    vid = b.one_arg(call, scope)
    axes = b.values[vid].axes
    if call.spec is None or call.spec.outputs is None or len(call.spec.inputs) != 1 or len(call.spec.outputs) != 1:
        raise NcdError("linear needs a spec 'IN AXES -> OUT AXES'", call.spec.span if call.spec else call.span,
                       f"for example linear({call.args[0].name}: {axes[-1] if axes else 'm'} -> k)")
    acted = b.spec_axes(call.spec.inputs[0], vid, scope, "linear", call.spec.span)
    new = b.shape(call.spec.outputs[0], scope, "the output of linear")
    per = ()
    if "per" in options:
        option = next(o for o in call.options if o.name == "per")
        per = (scope.rename.get(str(options["per"]), str(options["per"])),)
        b.axis(per[0], option.span)
        if per[0] in acted or per[0] in new:
            raise NcdError(f"'per {per[0]}' gives each {per[0]} its own weights; it cannot also be mapped", option.span)
        if per[0] not in axes:
            new = new + per  # one map for each value of the axis: the axis appears
    broadcast = tuple(a for a in axes if a not in acted and a not in per)
    clash = [a for a in new if a in broadcast]
    if clash:
        ref = next(r for r in call.spec.outputs[0] if b.axis_name(r, scope) == clash[0])
        raise NcdError(f"output axis '{clash[0]}' is already an axis of {call.args[0].name} {b.describe(vid)}", ref.span,
                       "linear maps act on some axes and broadcast over the rest; name the new axis differently")
    out_axes = in_place(axes, acted, new)
    name = label or "L"
    out = b.new_value("", out_axes, "real", call.span)
    b.add_op(kind="linear", inputs=(vid,), outputs=(out,), acts=(acted,), broadcast=broadcast, label=name, learned=True,
             params=MappingProxyType({"in_axes": acted, "out_axes": tuple(a for a in new if a not in per), "per": per,
                                      "bias": bool(options.get("bias")), "name": b.param_name(name, scope)}),
             section=scope.section, span=call.span)
    return [out]


def label(op):
    """Bold L; drawn with its ★ as one box (a convolution, :mod:`ncd_render.layout.compact`), the
    paper's upright ★k, the box's bold outline saying it learns."""
    return (op.label, 1.0, False) if "compact" in op.params else default_label(op)


def cost(op, c) -> Work:
    in_axes, out_axes, per = op.params["in_axes"], op.params["out_axes"], op.params["per"]  # per: axes with a weight of their own
    weights = (Array((op.name, "weight"), per + in_axes + out_axes),)
    if op.params["bias"]:
        weights += (Array((op.name, "bias"), per + out_axes),)
    # an axis read and written (m -> m) is two axes of the weight under one name: never split
    usage = {**c.mapped, **{a: WHOLE if a in out_axes else SUM for a in in_axes}}
    bias = c.n if op.params["bias"] else 0
    return Work(2 * c.size(op.broadcast + per + in_axes + out_axes), bias, c.ins + weights, c.outs, usage, 1)


def gemm(diagram, op) -> tuple[int, int, int, int]:
    """(batch, M, N, K) of the map as a GEMM: one per index of ``per``, the broadcast axes as rows."""
    size = lambda axes: math.prod(diagram.axes[a].size for a in axes)  # noqa: E731
    return size(op.params["per"]), size(op.broadcast), size(op.params["out_axes"]), size(op.params["in_axes"])


def parameters(op) -> dict:
    per = op.params["per"]
    out = {"weight": per + op.params["out_axes"] + op.params["in_axes"]}
    if op.params["bias"]:
        out["bias"] = per + op.params["out_axes"]
    return out


def run(op, box, xs, rt):
    y = rt.einops.einsum(xs[0], box.weight, rt.patterns.linear(op))
    if "bias" in box:
        pattern = rt.patterns.bias_pattern(op)
        y = y + (rt.einops.rearrange(box.bias, pattern) if pattern else box.bias)
    return y


def source(op, w, target):
    x, box = w.arg(op.inputs[0]), f"{w.owner}.{op.name}"
    (axes,) = w.p.values(op)
    if not op.params["per"] and op.params["in_axes"] == axes[-1:] and len(op.params["out_axes"]) == 1:
        return [], f"nn.functional.linear({x}, {box}.weight" + (f", {box}.bias)" if op.params["bias"] else ")"), ATOM, ""
    expr = f'einsum({x}, {box}.weight, "{w.p.linear(op)}")'
    if not op.params["bias"]:
        return [], expr, ATOM, ""
    pattern = w.p.bias_pattern(op)
    return [], expr + (f' + rearrange({box}.bias, "{pattern}")' if pattern else f" + {box}.bias"), ADD, ""


register(OpKind("linear", "linear", build=build, options=MappingProxyType({"bias": KINDS["bias"], "per": KINDS["per"]}),
                glyph="box", hold="acts", taper=taper, label=label, cost=cost, gemm=gemm, parameters=parameters,
                initial=lambda op, param: "zeros" if param == "bias" else "fan_in",  # weights keep the variance of their input
                run=run, source=source, example="input X[y m]\nY = linear(X: m -> k) with bias"))
