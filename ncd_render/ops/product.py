"""``A * B``: the element-wise product, broadcasting B over the axes of A it lacks
(``X[y m] * G[m]``: a gate per channel, as in squeeze-and-excitation); ``A / B``, the quotient
(``O[y v h] / D[y h]``: linear attention's normaliser). Drawn as a compact box on A, × or ÷,
that B enters from below; 1 FLOP per element of the result. B's axes come in A's order."""
from __future__ import annotations

from .. import parse as ast
from ..errors import NcdError
from .arith import broadcast_fault, lined_args, lined_terms, lined_up
from .registry import ATOM, MUL, OpKind, register
from .work import Work


def build(b, expr, options, scope, label):
    """``A * B`` (or ``A / B``, ``expr.scale.divide``): B's axes some of A's, in A's order."""
    a = b.lookup(expr.arg, scope)
    other = b.lookup(ast.Name(expr.scale.axis, expr.scale.span), scope)
    axes, theirs = b.values[a].axes, b.values[other].axes
    verb, sign = ("divide", "/") if expr.scale.divide else ("multiply", "*")
    fault = broadcast_fault(axes, theirs)
    if fault in ("missing", "swap"):
        missing = [x for x in theirs if x not in axes]
        flip = fault == "swap" and sign == "*"
        raise NcdError(f"cannot {verb} {expr.arg.name} {b.describe(a)} by {expr.scale.axis} {b.describe(other)}: "
                       f"{expr.arg.name} has no axis {', '.join(repr(x) for x in missing)}", expr.scale.span,
                       f"write {expr.scale.axis} * {expr.arg.name}: the right side broadcasts over axes it lacks"
                       if flip else "the right side may lack axes of the left, but needs no axis the left does not have")
    if fault == "order":
        raise NcdError(f"cannot {verb} {expr.arg.name} {b.describe(a)} by {expr.scale.axis} {b.describe(other)}", expr.scale.span,
                       f"both need one shape, in order: {expr.arg.name} has {b.describe(a)}, {expr.scale.axis} has {b.describe(other)}"
                       if len(theirs) == len(axes) else f"{expr.scale.axis}'s axes must come in {expr.arg.name}'s order")
    out = b.new_value("", axes, "real", expr.span)
    kind = "div" if expr.scale.divide else "mul"
    b.add_op(kind=kind, inputs=(a, other), outputs=(out,), acts=((), ()), broadcast=axes, label="÷" if kind == "div" else "×",
             section=scope.section, span=expr.span)
    return [out]


def _same(op, values) -> bool:
    return values(op)[0] == values(op)[1]


def run(op, box, xs, rt):
    if _same(op, rt.patterns.values):
        return xs[0] * xs[1]
    return rt.einops.einsum(*xs, rt.patterns.einsum(op))  # B lined up with A's axes, whatever their order


def source(op, w, target):
    if _same(op, w.p.values):
        return [], f"{w.arg(op.inputs[0], MUL)} * {w.arg(op.inputs[1], MUL + 1)}", MUL, ""
    return [], f'einsum({w.arg(op.inputs[0])}, {w.arg(op.inputs[1])}, "{w.p.einsum(op)}")', ATOM, "broadcast product"


def run_div(op, box, xs, rt):
    dividend, divisor = lined_terms(op, rt, xs)
    return dividend / divisor


def source_div(op, w, target):
    dividend, divisor = lined_args(op, w, (MUL, MUL + 1))
    return [], f"{dividend} / {divisor}", MUL, "" if lined_up(op, w.p, 1) is None else "broadcast quotient"


register(OpKind("mul", "mul", build=build, in_dsl=False, glyph="join", hold="through", commutes=True, label=lambda op: (op.label, 1.2, True),
                cost=lambda op, c: Work(0, c.n, c.ins, c.outs, c.mapped, 1), broadcasts=True, run=run, source=source,
                example="input X[y m], G[m]\nY = X * G"))
# a quotient's one FLOP per element is a reciprocal on the special-function units (then a product)
register(OpKind("div", "div", build=build, in_dsl=False, glyph="join", hold="through", label=lambda op: (op.label, 1.2, True),
                cost=lambda op, c: Work(0, c.n, c.ins, c.outs, c.mapped, 1), broadcasts=True, special=1, run=run_div, source=source_div,
                example="input X[y m], G[y]\nY = X / G"))
