"""``softmax(X: x)`` over named axes, drawn as the paper's triangle; 5 FLOPs per element
(max, subtract, exp, sum, divide), streamable in a fused kernel (online softmax)."""
from __future__ import annotations

from types import MappingProxyType

from .along import acted_axes
from .registry import ATOM, OpKind, register
from .work import SOFTMAX, Work


def build(b, call, options, scope, label):
    vid, acted, broadcast, out = acted_axes(b, call, scope)
    b.add_op(kind="softmax", inputs=(vid,), outputs=(out,), acts=(acted,), broadcast=broadcast, label=label,
             params=MappingProxyType({"axes": acted}), section=scope.section, span=call.span)
    return [out]


def run(op, box, xs, rt):
    (x,), (axes,) = xs, rt.patterns.values(op)
    dims = rt.patterns.dims(axes, op.params["axes"])
    return rt.torch.softmax(x, dims[0]) if len(dims) == 1 else (x - x.logsumexp(dims, keepdim=True)).exp()


def source(op, w, target):
    x, dims = w.arg(op.inputs[0]), w.dims_of(op, op.params["axes"])
    over = "over " + ", ".join(op.params["axes"])
    if len(dims) == 1:
        return [], f"torch.softmax({x}, dim={dims[0]})", ATOM, over
    return [], f"({x} - {x}.logsumexp(dim={dims}, keepdim=True)).exp()", ATOM, over


register(OpKind("softmax", "softmax", build=build, glyph="softmax", hold="through", label=None,
                cost=lambda op, c: Work(0, 5 * c.n, c.ins, c.outs, {**c.mapped, **{a: SOFTMAX for a in op.acts[0]}}, 1),
                run=run, source=source, reads_twice=lambda op: len(op.params["axes"]) > 1, example="input X[y m]\nY = softmax(X: m)",
                special=1, framework_kernel=lambda op: "softmax"))
