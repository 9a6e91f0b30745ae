"""``concat(A, B: x1, x2 -> x)``: tensors joined along one axis, drawn as a solid bar; a copy of
every input into place. Their other axes match by name, in any order, and one may lack some of
them (copied along them: DeepSeek-V3's rotary key, shared by every head, joined to each head's
own key); the result is laid out as the tensor with the most axes."""
from __future__ import annotations

from types import MappingProxyType

from ..errors import NcdError, plural
from .registry import ATOM, OpKind, register
from .work import WHOLE, Work


def build(b, call, options, scope, label):
    args = [b.lookup(a, scope) for a in call.args]
    spec = call.spec
    if spec is None or spec.outputs is None or len(spec.outputs) != 1 or len(spec.inputs) != len(args) or len(spec.outputs[0]) != 1:
        counted = f" (the spec has {plural(len(spec.inputs), 'place')}, separated by commas, for {plural(len(args), 'tensor')})" if spec is not None and len(spec.inputs) != len(args) else ""
        raise NcdError(f"concat needs one axis per tensor and the joined axis: concat(A, B: x1, x2 -> x){counted}",
                       spec.span if spec else call.span, "a tensor with no axis named, concat(A, B: , -> s), is one position of "
                       "the joined axis: that stacks tensors")
    joined = [b.spec_axes(refs, v, scope, "concat", spec.span) if refs else () for refs, v in zip(spec.inputs, args)]
    if any(len(j) > 1 for j in joined):
        raise NcdError("concat joins one axis of each tensor", spec.span)
    (target,) = b.shape(spec.outputs[0], scope, "the output of concat")
    for j, v, name in zip(joined, args, call.args):
        if target in b.values[v].axes and target not in j:
            raise NcdError(f"output axis '{target}' is already an axis of {name.name} {b.describe(v)}", spec.outputs[0][0].span,
                           "the other axes pass by the bar; name the joined axis differently")
    rests = [tuple(target if a == j[0] else a for a in b.values[v].axes) if j else b.values[v].axes for j, v in zip(joined, args)]
    along = [k for k, j in enumerate(joined) if j] or [0]
    full = max(along, key=lambda k: len(rests[k]))  # (the first of the most axes)
    laid = rests[full] if joined[full] else rests[full] + (target,)  # tensors only stacked: the new axis last
    for rest, v, name in zip(rests, args, call.args):
        if not set(rest) <= set(laid):
            raise NcdError(f"concat: {name.name} {b.describe(v)} does not match {call.args[full].name} {b.describe(args[full])} apart from "
                           "the joined axis", name.span, "one tensor must have every other axis of the rest (a tensor that lacks some "
                           "is copied along them)")
    sizes = [b.axes[j[0]].size if j else 1 for j in joined]
    total = b.axes[target].size
    if None not in sizes and total is not None and sum(sizes) != total:
        raise NcdError(f"axis '{target}' has size {total}, but the joined axes add up to {sum(sizes)}", spec.span,
                       f"declare 'axis {target} = {' + '.join(j[0] if j else '1' for j in joined)}'"
                       + (" (a tensor with no axis named is one position of it)" if not all(joined) else ""))
    out = b.new_value("", laid, "real", call.span)
    b.add_op(kind="concat", inputs=tuple(args), outputs=(out,), acts=tuple(j for j in joined),
             broadcast=tuple(a for a in laid if a != target), label=label,
             params=MappingProxyType({"axes": tuple(j[0] if j else None for j in joined), "into": target}), section=scope.section, span=call.span)
    return [out]


def _lined_up(op, p, k: int) -> str | None:
    """The einops pattern laying input ``k`` out as the output (its joined axis where the output's is, a dim of one
    for each axis it lacks); None when it is laid out so already."""
    (out,) = p.values(op, "outputs")
    joined = op.params["axes"][k]
    return p.lined_up(p.values(op)[k], out, {op.params["into"]: joined} if joined else {})


def run(op, box, xs, rt):
    (out,) = rt.patterns.values(op, "outputs")
    (dim,) = rt.patterns.dims(out, (op.params["into"],))
    xs = [x if pattern is None else rt.einops.rearrange(x, pattern) for k, x in enumerate(xs) for pattern in [_lined_up(op, rt.patterns, k)]]
    return rt.functional.concat(xs, dim)


def source(op, w, target):
    p = op.params
    w.helpers.add("concat")
    (dim,) = w.dims_of(op, (p["into"],), "outputs")
    parts = [w.arg(v) if pattern is None else f'rearrange({w.arg(v)}, "{pattern}")'
             for k, v in enumerate(op.inputs) for pattern in [_lined_up(op, w.p, k)]]
    return [], f"concat([{', '.join(parts)}], {dim})", ATOM, f"{' + '.join(a or '1' for a in p['axes'])} -> {p['into']}"


register(OpKind("concat", "concat", build=build, glyph="bar", hold="all", label=None, run=run, source=source,
                cost=lambda op, c: Work(0, 0, c.ins, c.outs, {**c.mapped, **{a: WHOLE for a in op.params["axes"] + (op.params["into"],) if a}}, 1),
                example="input X[y m], U[y k]\nY = concat(X, U: m, k -> q)"))
