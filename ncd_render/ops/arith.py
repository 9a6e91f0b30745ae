"""Sums ``A + B + C`` (a compact box the other terms enter from below; n - 1 FLOPs per element)
and scalings ``X * 0.5``, ``X * k^-1/2`` (the ➤×k➤ mark; 1 FLOP per element). Both are written
as syntax, not calls."""
from __future__ import annotations

from types import MappingProxyType

from .. import limits
from ..errors import NcdError
from .registry import ADD, MUL, OpKind, register
from .work import Work


def build_add(b, expr, options, scope, label):
    args = [b.lookup(t, scope) for t in expr.terms]
    first = b.values[args[0]].axes
    for name, vid in zip(expr.terms[1:], args[1:]):
        if b.values[vid].axes != first:
            raise NcdError(f"cannot add {name.name} {b.describe(vid)} to {expr.terms[0].name} {b.describe(args[0])}", name.span,
                           f"every term needs the first one's axes [{' '.join(first)}], in order; {name.name} has {b.describe(vid)}")
    out = b.new_value("", first, "real", expr.span)
    b.add_op(kind="add", inputs=tuple(args), outputs=(out,), acts=tuple(() for _ in args), broadcast=first,
             label="+", section=scope.section, span=expr.span)
    return [out]


def build_scale(b, vid, scale, scope, span):
    """``vid`` times a number or a power of an axis's size."""
    if scale.axis is not None:
        axis = b.axis(scope.rename.get(scale.axis, scale.axis), scale.span)
        factor = None if axis.size is None else limits.power(axis.size, scale.exponent, scale.text, scale.span)
        text = axis.name if scale.exponent == 1 else f"{axis.name}^{{{scale.exponent}}}"
    else:
        factor, text = scale.number, scale.text
    axes = b.values[vid].axes
    out = b.new_value("", axes, "real", span)
    b.add_op(kind="scale", inputs=(vid,), outputs=(out,), acts=((),), broadcast=axes, label=text,
             params=MappingProxyType({"factor": factor, "text": text}), section=scope.section, span=span)
    return [out]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def source_scale(op, w, target):
    text = op.params["text"].replace("{", "").replace("}", "")
    return [], f"{w.arg(op.inputs[0], MUL)} * {op.params['factor']!r}", MUL, "" if _is_number(text) else text


register(
    OpKind("add", "add", build=build_add, in_dsl=False, glyph="join", hold="through", label=lambda op: (op.label, 1.2, True),
           cost=lambda op, c: Work(0, (len(c.ins) - 1) * c.n, c.ins, c.outs, c.mapped, 1),
           run=lambda op, box, xs, rt: sum(xs[1:], xs[0]),
           source=lambda op, w, target: ([], " + ".join(w.arg(v) for v in op.inputs), ADD, ""), example="input X[y m], Z[y m]\nY = X + Z"),
    OpKind("scale", "scale", build=build_scale, in_dsl=False, glyph="mark", hold="through", at_cup=True, rescalable=True,
           cost=lambda op, c: Work(0, c.n, c.ins, c.outs, c.mapped, 1),
           run=lambda op, box, xs, rt: xs[0] * op.params["factor"], source=source_scale, example="input X[y m]\nY = X * m^-1/2"),
)
