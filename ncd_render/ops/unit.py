"""``unit(: a b)``: the identity matrix over two axes of one size (a cap), drawn as a bend."""
from __future__ import annotations

from types import MappingProxyType

from ..errors import NcdError
from .registry import ATOM, OpKind, register
from .work import Work


def build(b, call, options, scope, label):
    spec = call.spec
    if call.args or spec is None or spec.outputs is not None or len(spec.inputs) != 1 or len(spec.inputs[0]) != 2:
        raise NcdError("unit takes no tensor and two axes of one size: unit(: a b)", spec.span if spec else call.span)
    a, c = b.shape(spec.inputs[0], scope, "a unit")
    if b.axes[a].size != b.axes[c].size:
        raise NcdError(f"unit needs two axes of one size; '{a}' has {b.axes[a].size}, '{c}' has {b.axes[c].size}", spec.span)
    out = b.new_value("", (a, c), "real", call.span)
    b.add_op(kind="unit", inputs=(), outputs=(out,), label=label, params=MappingProxyType({"axes": (a, c)}), section=scope.section, span=call.span)
    return [out]


def run(op, box, xs, rt):  # the identity, in the dtype and on the device of the inputs (torch's default without any)
    like = next((t for t in rt.values.values() if t.is_floating_point()), None)
    n = rt.patterns.shape(op.params["axes"])[0]
    return rt.torch.eye(n) if like is None else rt.torch.eye(n, dtype=like.dtype, device=like.device)


def source(op, w, target):
    like = next((w.var[v] for v in w.d.inputs if w.d.values[v].dtype == "real"), None)
    n = w.p.shape(op.params["axes"])[0]
    made = f"torch.eye({n})" if like is None else f"torch.eye({n}, dtype={like}.dtype, device={like}.device)"
    return [], made, ATOM, "unit over " + ", ".join(op.params["axes"])


register(OpKind("unit", "unit", build=build, glyph="cap", hold="none", label=None, cost=lambda op, c: Work(0, 0, (), c.outs, {}, 0),
                run=run, source=source, example="input X[y m]\nU = unit(: m p)\nY = einsum(X, U: y m, m p -> y p)"))
