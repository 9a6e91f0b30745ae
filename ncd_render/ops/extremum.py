"""``maximum(A, B)``, ``minimum(A, B)``: the larger (smaller) of two tensors, element by element, B
broadcast over the axes of A it lacks (``torch.maximum``: a ReLU against a learned floor, a
clipped ratio's min of two bounds). Drawn as a compact box on A labelled max (min) that B enters
from below; the operands may trade places. 1 FLOP per element of the result.

>>> from ncd_render.api import load_text
>>> d = load_text("axis y = 2\\naxis m = 3\\ninput A[y m], B[m]\\nY = maximum(A, B)\\noutput Y\\n").diagram
>>> [(op.kind, op.label) for op in d.ops if op.kind == "maximum"]
[('maximum', 'max')]
"""
from __future__ import annotations

from ..errors import NcdError
from .arith import broadcast_fault, lined_args, lined_terms
from .registry import ATOM, OpKind, register
from .work import Work


def build(b, call, options, scope, label):
    """Two tensors, the second's axes some of the first's, in its order."""
    fn = call.fn.name
    if len(call.args) != 2 or call.spec is not None:
        for a in call.args:  # an unknown one first
            b.lookup(a, scope)
        raise NcdError(f"{fn} takes two tensors and no axes, got {len(call.args)} tensor{'s' * (len(call.args) != 1)}"
                       + (" and axes" if call.spec is not None else ""), call.span,
                       f"{fn}(A, B): the {'larger' if fn == 'maximum' else 'smaller'} of A and B, element by element")
    (first, second), (a, other) = call.args, (b.lookup(x, scope) for x in call.args)
    axes, theirs = b.values[a].axes, b.values[other].axes
    fault = broadcast_fault(axes, theirs)
    if fault:
        raise NcdError(f"cannot take the {fn} of {first.name} {b.describe(a)} and {second.name} {b.describe(other)}", second.span,
                       f"write {fn}({second.name}, {first.name}): the second is broadcast over the axes it lacks"
                       if fault == "swap" else
                       f"the second needs the first one's axes [{' '.join(axes)}], or some of them, in order")
    out = b.new_value("", axes, "real", call.span)
    b.add_op(kind=fn, inputs=(a, other), outputs=(out,), acts=((), ()), broadcast=axes, label=fn[:3],
             section=scope.section, span=call.span)
    return [out]


def _run(op, box, xs, rt):
    return getattr(rt.torch, op.kind)(*lined_terms(op, rt, xs))


def _source(op, w, target):
    return [], f"torch.{op.kind}({', '.join(lined_args(op, w, (0, 0)))})", ATOM, ""


for _fn in ("maximum", "minimum"):
    register(OpKind(_fn, _fn, build=build, glyph="join", hold="through", commutes=True, label=lambda op: (op.label, 1.0, False),
                    cost=lambda op, c: Work(0, c.n, c.ins, c.outs, c.mapped, 1), broadcasts=True, run=_run, source=_source,
                    example=f"input X[y m], F[m]\nY = {_fn}(X, F)"))
