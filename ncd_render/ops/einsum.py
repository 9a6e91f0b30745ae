"""``einsum(A, B: y m, m k -> y k)``: contractions, merges (diagonals) and outer products,
drawn as wiring (cups and merges, no box). 2 FLOPs per multiply-add, contracting left to right
as torch.einsum does; an einsum of one tensor is a sum (one add per element read)."""
from __future__ import annotations

import math

from collections import Counter
from types import MappingProxyType

from .. import syntax as ast
from ..errors import NcdError, Span, plural
from .registry import ATOM, OpKind, register
from .work import MAP, SUM, Work


def build(b, call, options, scope, label):
    args = [b.lookup(a, scope) for a in call.args]
    spec = call.spec
    if spec is None or spec.outputs is None or len(spec.outputs) != 1:
        raise NcdError("einsum needs a spec 'A AXES, B AXES -> OUT AXES'", spec.span if spec else call.span)
    if len(spec.inputs) != len(args):
        raise NcdError(f"einsum spec has {plural(len(spec.inputs), 'input shape')} for {plural(len(args), 'tensor')}", spec.span)
    groups = []
    for refs, vid, name in zip(spec.inputs, args, call.args):
        written = tuple(b.axis_name(r, scope) for r in refs)
        if written != b.values[vid].axes:
            hint = f"the spec writes {name.name} as [{' '.join(written)}], but {name.name} is {b.describe(vid)}"
            if sorted(written) == sorted(b.values[vid].axes):
                hint += "; the order of axes matters: transpose with rearrange first, or write them in the tensor's order"
            span = Span(spec.span.source, refs[0].span.line, refs[0].span.column, refs[-1].span.end_line, refs[-1].span.end_column) if refs else spec.span
            raise NcdError(f"einsum operand {name.name} has axes {b.describe(vid)}", span, hint)
        groups.append(written)
    out_axes = b.shape(spec.outputs[0], scope, "the output of einsum", twice=lambda a: _rename_hint(b, call, scope, groups, a))
    for ref, a in zip(spec.outputs[0], out_axes):
        if not any(a in g for g in groups):
            raise NcdError(f"output axis '{a}' is not an axis of any operand", ref.span, "einsum cannot create axes")
    counts = Counter(a for g in groups for a in g)
    contracted = tuple(a for a in counts if a not in out_axes)
    merged = tuple(a for a in out_axes if counts[a] > 1)
    acts = tuple(tuple(a for a in g if a in contracted or a in merged) for g in groups)
    broadcast = tuple(a for a in out_axes if counts[a] == 1)
    equation = ", ".join(" ".join(g) for g in groups) + " -> " + " ".join(out_axes)
    out = b.new_value("", out_axes, "real", call.span)
    b.add_op(kind="einsum", inputs=tuple(args), outputs=(out,), acts=acts, broadcast=broadcast, label=label,
             params=MappingProxyType({"equation": equation, "contracted": contracted, "merged": merged}),
             section=scope.section, span=call.span)
    return [out]


def _rename_hint(b, call, scope, groups, twice: str) -> str:
    """What to do about an output that names axis ``twice`` twice (``Q, K: y k, y k -> y y``): rename it in one of
    the operands that hold it first, as the attention examples do (``Kx = rename(K: y -> x)``), spelled in the
    statement's own names; an axis declared as the same as it (``axis x = y``) is taken where there is one."""
    spec = call.spec
    second = [r for r in spec.outputs[0] if b.axis_name(r, scope) == twice][1]
    holders = [i for i, g in enumerate(groups) if twice in g]
    if not holders:
        return "an einsum's output names each axis once, and only axes of its operands"
    if second.grouped:
        return "an einsum's output names each axis once: rename the axis of one operand first, as in Kx = rename(K: y -> x)"
    written, i = str(second), holders[-1]
    taken = {n for refs in (*spec.inputs, *spec.outputs) for r in refs for n in r.names}
    new = next((s.name for s in b.program.statements if isinstance(s, ast.AxisDecl) and isinstance(s.size, ast.SizeRef)
                and s.size.name == written and s.name not in taken), None)
    declare = ""
    if new is None:  # a new axis of the same size
        new = next(f"{written}{n}" for n in range(2, len(b.axes) + 3) if f"{written}{n}" not in b.axes)
        declare = f"declare an axis of the same size, 'axis {new} = {written}{' width' if b.axes[twice].width else ''}', "
    operand = call.args[i].name
    renamed = f"{operand}{new}" if f"{operand}{new}".isidentifier() else f"{operand}_{new}"
    rename = f"{renamed} = rename({operand}: {written} -> {new})"
    if len(holders) < 2:  # one tensor's axis, wanted twice: a renamed copy is a second operand
        return (f"an einsum's output names each axis once; for a second '{written}', {declare}and pass a copy of "
                f"{operand} with its '{written}' renamed, {rename}")
    sides = [" ".join(new if k == i and a == twice else str(r) for r, a in zip(refs, g))
             for k, (refs, g) in enumerate(zip(spec.inputs, groups))]
    out = " ".join(new if r is second else str(r) for r in spec.outputs[0])
    args = ", ".join(renamed if k == i else a.name for k, a in enumerate(call.args))
    return (f"an einsum's output names each axis once: {declare}rename {operand}'s '{written}' to "
            f"{'it' if declare else repr(new)} first, {rename}, then einsum({args}: {', '.join(sides)} -> {out})")


def cost(op, c) -> Work:
    contracted = op.params["contracted"]
    usage = {a: SUM if a in contracted else MAP for a in c.mapped}
    if len(c.ins) == 1:  # a sum: one addition per element read
        return Work(0, c.size(c.ins[0].axes), c.ins, c.outs, usage, 1)
    return Work(pairwise_flops(c.size, [x.axes for x in c.ins], c.outs[0].axes), 0, c.ins, c.outs, usage, 1)


def gemm(diagram, op) -> tuple[int, int, int, int] | None:
    """(batch, M, N, K) of a two-operand einsum as one batched GEMM; None for a sum or three operands."""
    if len(op.inputs) != 2:
        return None
    size = lambda axes: math.prod(diagram.axes[a].size for a in axes)  # noqa: E731
    a, b = (diagram.values[v].axes for v in op.inputs)
    out = diagram.values[op.outputs[0]].axes
    batch = [x for x in out if x in a and x in b]
    return (size(batch), size([x for x in out if x in a and x not in b]), size([x for x in out if x in b and x not in a]),
            size([x for x in a if x in b and x not in out]))


def pairwise_flops(size, groups: list[tuple[str, ...]], out: tuple[str, ...]) -> int:
    """2 FLOPs per multiply-add, contracting left to right (as torch.einsum does)."""
    flops, acc = 0, groups[0]
    for i, g in enumerate(groups[1:], 1):
        axes = tuple(dict.fromkeys(acc + g))
        flops += 2 * size(axes)
        later = set(out).union(*groups[i + 1:])
        acc = tuple(a for a in axes if a in later)
    return flops


register(OpKind("einsum", "einsum", build=build, glyph="wiring", hold="none", label=None, cost=cost, gemm=gemm, rescalable=True, permutes=True,
                run=lambda op, box, xs, rt: rt.einops.einsum(*xs, rt.patterns.einsum(op)),
                source=lambda op, w, target: ([], f'einsum({", ".join(w.arg(v) for v in op.inputs)}, "{w.p.einsum(op)}")', ATOM, ""),
                example="input X[y m], W[m k]\nY = einsum(X, W: y m, m k -> y k)"))
