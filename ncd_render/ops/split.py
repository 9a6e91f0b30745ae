"""``A, B = split(H: f2 -> f, f)``: a tensor cut along one axis into consecutive parts, the inverse of
``concat``: the usual GLU's one map of twice the width, halved (``torch.split``, ``chunk``). Drawn as a
solid bar that the parts leave as a tuple; each part is a view of the input (no kernel). The parts'
sizes must add up to the axis cut."""
from __future__ import annotations

from types import MappingProxyType

from ..errors import NcdError
from .registry import ATOM, OpKind, register
from .work import Work


def build(b, call, options, scope, label):
    arg = b.one_arg(call, scope)
    spec = call.spec
    if spec is None or spec.outputs is None or len(spec.inputs) != 1 or len(spec.inputs[0]) != 1 or len(spec.outputs) < 2 \
            or any(len(group) != 1 for group in spec.outputs):
        raise NcdError("split needs the axis cut and one axis per part: split(H: f2 -> f, g)", spec.span if spec else call.span)
    (cut,) = b.spec_axes(spec.inputs[0], arg, scope, "split", spec.span)
    parts = [b.shape(group, scope, "a part of split")[0] for group in spec.outputs]
    b.fresh(tuple(parts), [group[0] for group in spec.outputs], arg, (cut,), call)  # (halves may share one axis: -> f, f)
    sizes, total = [b.axes[p].size for p in parts], b.axes[cut].size
    if None not in sizes and total is not None and sum(sizes) != total:
        raise NcdError(f"axis '{cut}' has size {total}, but the parts add up to {sum(sizes)}", spec.span,
                       f"declare 'axis {cut} = {' + '.join(parts)}'")
    axes = b.values[arg].axes
    outs = [b.new_value("", tuple(p if a == cut else a for a in axes), "real", call.span) for p in parts]
    b.add_op(kind="split", inputs=(arg,), outputs=tuple(outs), acts=((cut,),), broadcast=tuple(a for a in axes if a != cut),
             label=label, params=MappingProxyType({"axis": cut, "parts": tuple(parts)}), section=scope.section, span=call.span)
    return outs


def run(op, box, xs, rt):
    (x,) = rt.patterns.values(op)
    (dim,) = rt.patterns.dims(x, (op.params["axis"],))
    return tuple(xs[0].split([rt.patterns.size(p) for p in op.params["parts"]], dim))


def source(op, w, target):
    (dim,) = w.dims_of(op, (op.params["axis"],))
    sizes = ", ".join(str(w.p.size(p)) for p in op.params["parts"])
    return [], f"{w.arg(op.inputs[0], ATOM)}.split([{sizes}], {dim})", ATOM, f"{op.params['axis']} -> {', '.join(op.params['parts'])}"


register(OpKind("split", "split", build=build, glyph="bar", hold="all", label=None, run=run, source=source,
                cost=lambda op, c: Work(0, 0, (), (), c.mapped, 0),
                example="input X[y q]\nA, B = split(X: q -> k, p)\nY = concat(B, A: p, k -> q)"))
