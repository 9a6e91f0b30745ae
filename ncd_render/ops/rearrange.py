"""``rearrange(X: y (k h) -> y k h)``: transposes (drawn as crossing wires) and reshapes (a solid
bar), and ``rename(X: t -> s)``, the same data under other axis names (drawn as wiring). Views
move nothing; a rearrange that merges axes out of order reads and writes its tensor once."""
from __future__ import annotations

from types import MappingProxyType

from ..errors import NcdError
from .registry import ATOM, OpKind, register
from .work import MAP, WHOLE, Work


def build_rearrange(b, call, options, scope, label):
    vid = b.one_arg(call, scope)
    spec = call.spec
    if spec is None or spec.outputs is None or len(spec.inputs) != 1 or len(spec.outputs) != 1:
        raise NcdError("rearrange needs a pattern 'IN AXES -> OUT AXES'", spec.span if spec else call.span,
                       "for example rearrange(X: y (k h) -> y k h)")
    written, axes = tuple(b.axis_name(r, scope) for r in spec.inputs[0]), b.values[vid].axes
    if written != axes:
        name = call.args[0].name
        flat_in, flat_written = ([p for a in x for p in b.axes[a].parts] for x in (axes, written))
        raise NcdError(f"rearrange input has axes {b.describe(vid)}", spec.span,
                       f"the pattern starts from [{' '.join(written)}], but {name} is {b.describe(vid)}; write its axes in order"
                       if sorted(written) == sorted(axes) else
                       _regroup_hint(b, name, axes, b.shape(spec.outputs[0], scope, "the output of rearrange"), flat_in, flat_written)
                       or f"the pattern starts from [{' '.join(written)}], but {name} is {b.describe(vid)}: the left side names "
                          f"every axis of {name}, in order (rearrange({name}: {' '.join(axes)} -> ...); none is broadcast)")
    out_axes = b.shape(spec.outputs[0], scope, "the output of rearrange")
    flat_in = [p for a in written for p in b.axes[a].parts]
    flat_out = [p for a in out_axes for p in b.axes[a].parts]
    if sorted(flat_in) != sorted(flat_out):
        raise NcdError("rearrange must keep the same axes", spec.span,
                       _regroup_hint(b, call.args[0].name, written, out_axes, flat_in, flat_out)
                       or f"in: {' '.join(flat_in)}; out: {' '.join(flat_out)}")
    permutation = set(written) == set(out_axes)
    pattern = " ".join(written) + " -> " + " ".join(out_axes)
    out = b.new_value("", out_axes, b.values[vid].dtype, call.span)
    changed = tuple(a for a in written if a not in out_axes or not permutation or written.index(a) != out_axes.index(a))
    b.add_op(kind="rearrange", inputs=(vid,), outputs=(out,), acts=(changed,), broadcast=tuple(a for a in written if a not in changed),
             label=label, params=MappingProxyType({"pattern": pattern, "transpose": permutation}), section=scope.section, span=call.span)
    return [out]


def _regroup_hint(b, name, written, out_axes, flat_in, flat_out) -> str | None:
    """How to write a split (``r -> a i``) or a merge (``a i -> r``) of axes whose sizes agree: an axis splits only
    where it is made as a group, ``(a i)``, and axes merge into a group, not into another axis's name."""
    only_in = [a for a in flat_in if a not in flat_out]
    only_out = [a for a in flat_out if a not in flat_in]
    sizes = b.axes

    def product(axes):
        out = 1
        for a in axes:
            if sizes[a].size is None:
                return None
            out *= sizes[a].size
        return out

    if len(only_in) == 1 and len(only_out) > 1 and product(only_in) == product(only_out) is not None:
        group = f"({' '.join(only_out)})"
        shape = " ".join(group if a == only_in[0] else a for a in written)
        return (f"{only_in[0]} ({product(only_in)}) is {' × '.join(only_out)} only where it is made as the group {group}: "
                f"declare {name}[{shape}] (an input, or the output of the op that makes it), or rename({name}: {only_in[0]} -> "
                f"{group}) first; then rearrange({name}: {shape} -> {' '.join(out_axes)})")
    if len(only_out) == 1 and len(only_in) > 1 and product(only_in) == product(only_out) is not None:
        group = f"({' '.join(only_in)})"
        return f"axes merge into a group: write {group} for {only_out[0]} on the right, -> {' '.join(group if a == only_out[0] else a for a in out_axes)}"
    return None


def is_view(diagram, op) -> bool:
    """True when a rearrange's output can share its input's memory: each output
    axis is one input axis, or merges input axes that are adjacent and in order."""
    flat = [p for a in diagram.values[op.inputs[0]].axes for p in diagram.axes[a].parts]
    for a in diagram.values[op.outputs[0]].axes:
        parts = list(diagram.axes[a].parts)
        start = flat.index(parts[0])
        if flat[start:start + len(parts)] != parts:
            return False
    return True


def cost_rearrange(op, c) -> Work:
    moved = set(c.ins[0].axes) ^ set(c.outs[0].axes)
    usage = {a: WHOLE if a in moved else MAP for a in c.mapped}
    return Work(0, 0, c.ins, c.outs, usage, 0 if is_view(c.d, op) else 1)


def source_rearrange(op, w, target):
    sizes = "".join(f", {k}={v}" for k, v in w.p.rearrange_sizes(op, all_parts=False).items())
    return [], f'rearrange({w.arg(op.inputs[0])}, "{w.p.rearrange(op)}"{sizes})', ATOM, ""


def build_rename(b, call, options, scope, label):
    """The same data with other axis names, e.g. token positions as keys: rename(X: t -> s)."""
    vid = b.one_arg(call, scope)
    spec = b.spec_arity(call, "rename", "t -> s")
    old = b.spec_axes(spec.inputs[0], vid, scope, "rename", spec.span)
    new = b.shape(spec.outputs[0], scope, "the output of rename")
    if len(old) != len(new):
        raise NcdError("rename maps each axis to one new name", spec.span)
    for a, c in zip(old, new):
        if b.axes[a].size != b.axes[c].size:
            raise NcdError(f"rename: axis '{c}' has size {b.axes[c].size}, '{a}' has {b.axes[a].size}", spec.span, f"declare 'axis {c} = {a}'")
    mapping = dict(zip(old, new))
    axes = b.values[vid].axes
    out_axes = tuple(mapping.get(a, a) for a in axes)
    if len(set(out_axes)) != len(out_axes):
        raise NcdError(f"rename would give the tensor two axes named the same: [{' '.join(out_axes)}]", spec.span)
    out = b.new_value("", out_axes, b.values[vid].dtype, call.span)
    b.add_op(kind="rename", inputs=(vid,), outputs=(out,), acts=(old,), broadcast=tuple(a for a in axes if a not in mapping),
             label=label, params=MappingProxyType({"mapping": tuple(mapping.items())}), section=scope.section, span=call.span)
    return [out]


def source_rename(op, w, target):
    source = op.inputs[0]
    return [], w.arg(source), w.inline.get(source, ("", ATOM))[1], " ".join(f"{a} -> {b}" for a, b in op.params["mapping"])


register(
    OpKind("rearrange", "rearrange", build=build_rearrange, glyph=lambda op: "wiring" if op.params["transpose"] else "bar",
           hold="all", label=None, cost=cost_rearrange, keeps_ids=True, strided_copy=True, permutes=lambda op: op.params["transpose"],
           run=lambda op, box, xs, rt: rt.einops.rearrange(xs[0], rt.patterns.rearrange(op), **rt.patterns.rearrange_sizes(op)),
           source=source_rearrange, example="input X[y m]\nY = rearrange(X: y m -> m y)"),
    OpKind("rename", "rename", build=build_rename, glyph="wiring", hold="none", label=None, keeps_ids=True,
           cost=lambda op, c: Work(0, 0, c.ins, c.outs, c.mapped, 0), run=lambda op, box, xs, rt: xs[0], source=source_rename,
           example="input X[y m]\nY = rename(X: m -> p)"),
)
