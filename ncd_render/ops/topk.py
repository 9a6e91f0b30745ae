"""``topk(P: e) with k=2, normalize, groups=8, topk_groups=4, scale=2.5, select_bias``: a
mixture-of-experts gate keeping the k best along one axis (zeros elsewhere); with
``select_bias`` a learned bias over that axis chooses (DeepSeek-V3), drawn bold."""
from __future__ import annotations

from types import MappingProxyType
from typing import Mapping

from ..errors import NcdError
from ..options import KINDS
from .along import acted_axes
from .registry import ATOM, OpKind, register
from .work import WHOLE, Array, Work

OPTIONS = ("k", "normalize", "groups", "topk_groups", "scale", "select_bias")


def build(b, call, options, scope, label):
    vid, acted, broadcast, out = acted_axes(b, call, scope)
    if len(acted) != 1:
        raise NcdError("topk chooses along one axis", call.span, "for example topk(P: e) with k=2")
    k = int(options.get("k", 1))
    size = b.axes[acted[0]].size
    if size is not None and not 1 <= k <= size:
        raise NcdError(f"topk keeps {k} of {size}", call.span)
    params = dict(axes=acted, k=k, normalize=bool(options.get("normalize")), groups=int(options.get("groups", 1)),
                  topk_groups=int(options.get("topk_groups", 1)), scale=float(options.get("scale", 1.0)),
                  select_bias=bool(options.get("select_bias")))
    if params["select_bias"]:
        params["name"] = b.param_name(label or "bias_e", scope)
    b.add_op(kind="topk", inputs=(vid,), outputs=(out,), acts=(acted,), broadcast=broadcast, label=label or f"top{k}" + (" Σ=1" if params["normalize"] else ""),
             learned=params["select_bias"], params=MappingProxyType(params), section=scope.section, span=call.span)
    return [out]


def topk_flops(params: Mapping) -> int:
    """FLOPs per element of a top-k gate: k comparisons (the running top k), plus 1 each
    for a selection bias, normalising the kept weights and a scale other than 1,
    and 2 for grouped routing (each group's score).

    >>> topk_flops({"k": 2, "normalize": True, "groups": 1, "scale": 1.0, "select_bias": False})
    3
    """
    return (params["k"] + params["select_bias"] + params["normalize"] + (params["scale"] != 1)
            + 2 * (params["groups"] > 1))


def gate_options(op, pt) -> dict:
    """The options of a top-k box, checked against the sizes (``pt``: the torch patterns), as
    keyword arguments of :func:`~ncd_render.pytorch.functional.topk_gate`."""
    p = op.params
    size = pt.size(p["axes"][0])
    if size % p["groups"] or not 1 <= p["topk_groups"] <= p["groups"] or p["k"] > size // p["groups"] * p["topk_groups"]:
        raise NcdError(f"topk cannot keep {p['k']} of the best {p['topk_groups']} of {p['groups']} groups "
                       f"along axis '{p['axes'][0]}' of size {size}", op.span,
                       "the groups must split the axis evenly and hold at least k of its values")
    options = {"k": p["k"], "groups": p["groups"], "topk_groups": p["topk_groups"], "normalize": p["normalize"], "scale": p["scale"]}
    defaults = {"groups": 1, "topk_groups": 1, "normalize": False, "scale": 1.0}
    return {key: value for key, value in options.items() if defaults.get(key, object()) != value}


def cost(op, c) -> Work:
    p = op.params
    bias = (Array((op.name, "bias"), p["axes"]),) if p["select_bias"] else ()
    return Work(0, topk_flops(p) * c.n, c.ins + bias, c.outs, {**c.mapped, **{a: WHOLE for a in p["axes"]}}, 1)


def run(op, box, xs, rt):
    (axes,) = rt.patterns.values(op)
    (dim,) = rt.patterns.dims(axes, op.params["axes"])
    return rt.functional.topk_gate(xs[0], dim, **gate_options(op, rt.patterns), bias=box.bias if box else None)


def source(op, w, target):
    w.helpers.add("topk_gate")
    call = w.call("topk_gate", [w.arg(op.inputs[0]), str(w.dims_of(op, op.params["axes"])[0])], gate_options(op, w.p))
    return [], call[:-1] + (f", bias={w.owner}.{op.name}.bias)" if op.params["select_bias"] else ")"), ATOM, f"over {op.params['axes'][0]}"


register(OpKind("topk", "topk", build=build, options=MappingProxyType({k: KINDS[k] for k in OPTIONS}), glyph="box", hold="through", cost=cost,
                parameters=lambda op: {"bias": op.params["axes"]} if op.params["select_bias"] else {},
                initial=lambda op, param: "zeros", check=gate_options, run=run, source=source,
                routes=lambda op: (op.params["axes"][0], op.params["k"]), example="input X[y m]\nY = topk(X: m) with k=2, select_bias"))
