"""``mask(S, M)``: S with −∞ wherever the boolean input M is true, M broadcast over the axes of S it lacks
(``masked_fill(M, -inf)``: a key-padding mask ``M[x]`` hiding padded keys from every query, a graph's
non-edges ``M[y x]`` hiding nodes from attention over neighbours); ``with keep``, −∞ wherever M is false
(``scaled_dot_product_attention``'s boolean ``attn_mask``, ``torch.where(M, S, -inf)``). Drawn as a compact
pink box on S, labelled mask (keep), that M enters from below; 1 select per element.
``mask(S: y x) with causal`` computes its pattern instead (:mod:`.positional`).

>>> from ncd_render.api import load_text
>>> d = load_text("axis y = 2\\naxis x = 3\\ninput S[y x], M[x] bool\\nY = mask(S, M)\\noutput Y\\n").diagram
>>> [(op.kind, [d.values[v].axes for v in op.inputs]) for op in d.ops if op.kind == "masked"]
[('masked', [('y', 'x'), ('x',)])]
"""
from __future__ import annotations

from types import MappingProxyType

from ..errors import NcdError
from .arith import broadcast_fault, lined_args, lined_terms
from .registry import ATOM, OpKind, register
from .work import Work

EXAMPLE = "mask(S, M): S where M is false, -inf where it is true (with keep: the other way round)"


def build(b, call, options, scope, label):
    """Two tensors, the second a boolean one whose axes are some of the first's, in its order."""
    if len(call.args) != 2 or call.spec is not None or set(options) - {"keep"}:
        for a in call.args:  # an unknown one first
            b.lookup(a, scope)
        raise NcdError("mask by a tensor takes the scores and a boolean mask, no axes, and no option but keep", call.span,
                       f"{EXAMPLE}; mask(S: y x) with causal computes a causal one")
    (first, second), (vid, hider) = call.args, (b.lookup(x, scope) for x in call.args)
    if b.values[hider].dtype != "bool" and b.values[vid].dtype == "bool":
        raise NcdError(f"mask takes the scores first, then the flags: {first.name} holds flags", first.span,
                       f"write mask({second.name}, {first.name})")
    if b.values[hider].dtype != "bool":
        raise NcdError(f"mask hides {first.name} where {second.name} is {'false' if options.get('keep') else 'true'}, but {second.name} holds "
                       + ("integer ids" if b.values[hider].dtype == "int" else "real numbers"), second.span,
                       f"declare it 'input {second.name}[...] bool'; an additive mask of numbers is added: {first.name} + {second.name}")
    if b.values[vid].dtype != "real":
        raise NcdError(f"mask hides values of a real tensor, and {first.name} holds {b.values[vid].dtype} values", first.span, EXAMPLE)
    axes, theirs = b.values[vid].axes, b.values[hider].axes
    fault = broadcast_fault(axes, theirs)
    if fault:
        raise NcdError(f"cannot mask {first.name} {b.describe(vid)} by {second.name} {b.describe(hider)}", second.span,
                       f"the mask needs {first.name}'s axes [{' '.join(axes)}], or some of them (it is broadcast over the "
                       f"rest), in order" + (f": [{' '.join(x for x in axes if x in theirs)}]" if fault == "order" else ""))
    out = b.new_value("", axes, "real", call.span)
    keep = bool(options.get("keep"))
    b.add_op(kind="masked", inputs=(vid, hider), outputs=(out,), acts=((), ()), broadcast=axes, label=label or ("keep" if keep else "mask"),
             params=MappingProxyType({"keep": keep}), section=scope.section, span=call.span)
    return [out]


def _run(op, box, xs, rt):
    scores, hidden = lined_terms(op, rt, xs)
    return scores.masked_fill(~hidden if op.params.get("keep") else hidden, float("-inf"))


def _source(op, w, target):
    scores, hidden = lined_args(op, w, (ATOM, 0))
    if op.params.get("keep"):
        return [], f'{scores}.masked_fill(~{hidden}, float("-inf"))', ATOM, "kept where true"
    return [], f'{scores}.masked_fill({hidden}, float("-inf"))', ATOM, ""


register(OpKind("masked", "masked", build=build, glyph="join", hold="through", fill="mask", in_dsl=False,
                label=lambda op: (op.label, 0.9, False), cost=lambda op, c: Work(0, c.n, c.ins, c.outs, c.mapped, 1),
                broadcasts=True, clones=True, reads_flags=1, run=_run, source=_source, example="input S[y n], M[n] bool\nY = mask(S, M)"))
