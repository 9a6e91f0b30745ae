"""``concat(A, B: x1, x2 -> x)``: tensors joined along one axis, drawn as a solid bar; a copy of
every input into place."""
from __future__ import annotations

from types import MappingProxyType

from ..errors import NcdError
from .registry import ATOM, OpKind, register
from .work import WHOLE, Work


def build(b, call, options, scope, label):
    args = [b.lookup(a, scope) for a in call.args]
    spec = call.spec
    if spec is None or spec.outputs is None or len(spec.outputs) != 1 or len(spec.inputs) != len(args) or len(spec.outputs[0]) != 1:
        raise NcdError("concat needs one axis per tensor and the joined axis: concat(A, B: x1, x2 -> x)", spec.span if spec else call.span)
    joined = [b.spec_axes(refs, v, scope, "concat", spec.span) for refs, v in zip(spec.inputs, args)]
    if any(len(j) != 1 for j in joined):
        raise NcdError("concat joins one axis of each tensor", spec.span)
    (target,) = b.shape(spec.outputs[0], scope, "the output of concat")
    b.fresh((target,), spec.outputs[0], args[0], joined[0], call)
    first_rest = tuple(target if a == joined[0][0] else a for a in b.values[args[0]].axes)
    for j, v, name in zip(joined[1:], args[1:], call.args[1:]):
        other = tuple(target if a == j[0] else a for a in b.values[v].axes)
        if other != first_rest:
            raise NcdError(f"concat: {name.name} {b.describe(v)} does not match {call.args[0].name} {b.describe(args[0])} apart from the joined axis",
                           name.span)
    sizes = [b.axes[j[0]].size for j in joined]
    total = b.axes[target].size
    if None not in sizes and total is not None and sum(sizes) != total:
        raise NcdError(f"axis '{target}' has size {total}, but the joined axes add up to {sum(sizes)}", spec.span,
                       f"declare 'axis {target} = {' + '.join(j[0] for j in joined)}'")
    out = b.new_value("", first_rest, "real", call.span)
    b.add_op(kind="concat", inputs=tuple(args), outputs=(out,), acts=tuple(j for j in joined),
             broadcast=tuple(a for a in first_rest if a != target), label=label,
             params=MappingProxyType({"axes": tuple(j[0] for j in joined), "into": target}), section=scope.section, span=call.span)
    return [out]


def run(op, box, xs, rt):
    (out,) = rt.patterns.values(op, "outputs")
    (dim,) = rt.patterns.dims(out, (op.params["into"],))
    return rt.functional.concat(xs, dim)


def source(op, w, target):
    p = op.params
    w.helpers.add("concat")
    (dim,) = w.dims_of(op, (p["into"],), "outputs")
    return [], f"concat([{', '.join(w.arg(v) for v in op.inputs)}], {dim})", ATOM, f"{' + '.join(p['axes'])} -> {p['into']}"


register(OpKind("concat", "concat", build=build, glyph="bar", hold="all", label=None, run=run, source=source,
                cost=lambda op, c: Work(0, 0, c.ins, c.outs, {**c.mapped, **{a: WHOLE for a in op.params["axes"] + (op.params["into"],)}}, 1),
                example="input X[y m], U[y k]\nY = concat(X, U: m, k -> q)"))
