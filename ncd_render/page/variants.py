"""A component that is another one with a few more steps, defined by what it adds.

The transformer's MaskedAttention is its Attention with one more step, the causal mask
before the softmax. A page that draws both bodies in full spends a third of its room on
the same picture twice; the paper instead says what differs. Here a component whose body
is an earlier component's body, statement for statement as written, with a run of up to
MOST_ADDED statements put in, is a *variant*: its definition is those statements alone,
drawn as a diagram of their own (their inputs as they are at that point of the body),
under "MaskedAttention = Attention with this before its softmax:" (the step it comes
before named by its function, or written out when that is not a call). The two may name their tensors
and axes otherwise, one name for another throughout (an imported decoder's self-attention
calls its positions x where the encoder's calls them y): T5's and BART's pages define the
decoder's self-attention as the encoder's with a causal mask.

>>> from ncd_render.parse import parse
>>> body = "  Y = relu(X)\\n  Z = relu(Y)\\n  return Z\\n"
>>> text = ("axis m = 4\\nblock F(X[y m])\\n" + body + "end\\nblock G(X[y m])\\n  Y = relu(X)\\n"
...         "  Y = softmax(Y: m)\\n  Z = relu(Y)\\n  return Z\\nend\\n")
>>> found = variant(parse(text), "G", ["F"])
>>> found.base, found.before, [op.kind for op in found.added.ops if op.kind not in ("input", "output")]
('F', 'relu', ['softmax'])
>>> variant(parse(text), "F", ["G"]) is None  # F adds nothing to G: it is drawn in full
True
>>> renamed = ("axis m = 4\\naxis n = 4\\naxis k = 8\\naxis j = {j}\\nblock F(X[y m])\\n  Y = relu(X)\\n"
...            "  Z = linear(Y: m -> k)\\n  return Z\\nend\\nblock G(A[x n])\\n  B = relu(A)\\n  B = softmax(B: n)\\n"
...            "  C = linear(B: n -> j)\\n  return C\\nend\\n")
>>> sizes = {"m": 4, "n": 4, "k": 8, "j": 8}
>>> variant(parse(renamed.format(j=8)), "G", ["F"], sizes).base  # other names: x for y, n for m, j for k, A for X
'F'
>>> variant(parse(renamed.format(j=9)), "G", ["F"], {**sizes, "j": 9}) is None  # j is not as long as k: another block
True
"""
from __future__ import annotations

import re
from dataclasses import replace

from ..errors import NcdError
from ..ir import Diagram, build
from ..parse import (Assign, AxisDecl, AxisRef, Block, Call, Input, Name, Output, Program, Return, SizeRef, TensorDecl, Title,
                     parse)
from ..records import record
from .chunks import free_reads, writes_of
from .definitions import local_axes

MOST_ADDED = 2  # a component adding more than this many statements is drawn in full


@record
class Variant:
    base: str        # the component it adds to
    before: str      # the step the added ones come before: its function's name, or the statement as written
    added: Diagram   # the added statements, inputs as they are where they are added


def variant(program: Program, name: str, defined: list[str], sizes: dict | None = None) -> Variant | None:
    """How component ``name`` is one of the components ``defined`` with a run of statements put
    in; None when it is not (or the added run cannot be drawn on its own). The two may name their
    tensors and axes differently (an imported decoder's self-attention, its positions x where the
    encoder's are y): one name for another throughout, an axis for an axis of the same size
    (``sizes``, by name) unless a parameter's, which a call binds."""
    blocks = {s.name: s for s in program.statements if isinstance(s, Block)}
    block = blocks[name]
    mine = [_tokens(s) for s in block.body]
    for base in defined:
        other = blocks.get(base)
        if other is None or base == name:
            continue
        names = _Renaming(program, block, other, sizes or {})
        if len(block.params) != len(other.params) or not all(
                names.match(_tokens(a), _tokens(b)) for a, b in zip(block.params, other.params)):
            continue
        theirs = [_tokens(s) for s in other.body]
        start = 0
        while start < min(len(mine), len(theirs)) and names.match(mine[start], theirs[start]):
            start += 1
        added = len(mine) - len(theirs)
        if not 0 < added <= MOST_ADDED or start == len(theirs) or not all(
                names.match(a, b) for a, b in zip(mine[start + added:], theirs[start:])):
            continue
        # drawn in the base's names, where they are the base's to find ("this" goes where its softmax is), else its own
        diagram = _added(program, other, list(other.body[:start]), names.renamed(block.body[start:start + added]), name)
        diagram = diagram or _added(program, block, list(block.body[:start]), list(block.body[start:start + added]), name)
        if diagram is not None:
            after = block.body[start + added]
            named = isinstance(after, Assign) and isinstance(after.expr, Call)
            return Variant(base, after.expr.fn.name if named else _text(after), diagram)
    return None


class _Renaming:
    """A one-to-one renaming of one block's tensors and axes to another's, grown statement by statement."""

    def __init__(self, program: Program, mine: Block, theirs: Block, sizes: dict):
        self.refs = {s.name: s.size.name for s in program.statements if isinstance(s, AxisDecl) and isinstance(s.size, SizeRef)}
        axes = {s.name for s in program.statements if isinstance(s, AxisDecl)}
        self.axes = [axes | set(local_axes(program, b)) for b in (mine, theirs)]
        self.tensors = [{p.name for p in b.params} | {n for s in b.body for n in writes_of(s)} for b in (mine, theirs)]
        self.formal = [{str(ref) for p in b.params for ref in p.axes} for b in (mine, theirs)]
        self.sizes = sizes
        self.to, self.back = {}, {}

    def match(self, a: list, b: list) -> bool:
        """Whether token lists ``a`` (mine) and ``b`` (theirs) are one statement under the renaming, grown to
        make them so where it can be; left as it was when they are not."""
        if len(a) != len(b):
            return False
        to, back = {}, {}
        for x, y in zip(a, b):
            kind = self._kind(x, 0)
            if kind is None or kind != self._kind(y, 1):
                if x != y:
                    return False
                continue
            if self.to.get(x, to.get(x, y)) != y or self.back.get(y, back.get(y, x)) != x:
                return False
            if kind == "axis" and x not in self.formal[0] and not self._as_long(x, y, to):
                return False
            to[x], back[y] = y, x
        self.to.update(to)
        self.back.update(back)
        return True

    def renamed(self, statements) -> list:
        """``statements`` of my block written in the other's names (a name the renaming has not met kept), parsed;
        [] when a name kept is one of the other's own."""
        lines = []
        for statement in statements:
            tokens = _tokens(statement)
            if any(t not in self.to and self._kind(t, 0) and self._kind(t, 1) for t in tokens):
                return []
            lines.append(" ".join(self.to.get(t, t) if self._kind(t, 0) else t for t in tokens))
        try:
            return list(parse("\n".join(lines) + "\n", "<variant>").statements)
        except NcdError:
            return []

    def _as_long(self, x: str, y: str, to: dict) -> bool:
        """Whether axis ``x`` (mine) may be ``y`` (theirs): as long as it, or each as long as an axis that the
        renaming pairs (``axis s = x width`` with ``axis t = y width``, x a parameter's axis, bound at the call)."""
        if x == y:
            return True
        if x in self.refs and y in self.refs:
            return to.get(self.refs[x], self.to.get(self.refs[x])) == self.refs[y]
        return self.sizes.get(x) is not None and self.sizes.get(x) == self.sizes.get(y)

    def _kind(self, token: str, side: int) -> str | None:
        if token in self.tensors[side]:
            return "tensor"
        return "axis" if token in self.axes[side] else None


def _tokens(statement) -> list[str]:
    """A statement (or parameter) as written, as its words and signs; a label (after "as") whole, as one."""
    text, label = _text(statement), None
    if " as " in text:
        text, label = text.rsplit(" as ", 1)
    return re.findall(r"[A-Za-z_]\w*'*|[0-9.]+(?:[eE][-+]?[0-9]+)?|\S", text) + ([" as " + label] if label else [])


def _added(program: Program, block: Block, head: list, part: list, title: str) -> Diagram | None:
    """The statements ``part``, put in ``block``'s body after ``head``, as a diagram titled ``title``: inputs what they
    read, outputs what they make."""
    if not part:
        return None
    span = block.span
    kept = [AxisDecl(a, None, False, span) for a in local_axes(program, block)] + [s for s in program.statements if isinstance(s, AxisDecl)]
    head = [Input(block.params, span)] + head
    known = {t.name for t in block.params} | {n for s in head[1:] for n in writes_of(s)}
    reads = [n for n in free_reads(part) if n in known]  # (not an axis: Y * m)
    try:
        before = build(replace(program, statements=tuple(kept + head + [Output(tuple(Name(n, span) for n in reads), span)])), depth=0)
        shapes = [(before.values[v].name, before.values[v].axes, before.values[v].dtype) for v in before.outputs]
        decl = Input(tuple(TensorDecl(n, tuple(AxisRef((a,), span) for a in axes), dtype, span) for n, axes, dtype in shapes), span)
        made = list(dict.fromkeys(n for s in part for n in writes_of(s)))
        statements = [Title(title, span)] + kept + [decl] + part + [Output(tuple(Name(n, span) for n in made), span)]
        return build(replace(program, statements=tuple(statements)), depth=0)
    except NcdError:
        return None


def _text(statement) -> str:
    """A statement (or parameter) as written, spaces evened out; a return's names alone."""
    if isinstance(statement, Return):
        return "return " + " ".join(n.name for n in statement.names)
    s = statement.span
    lines = [s.source.line(k) for k in range(s.line, s.end_line + 1)]
    if len(lines) == 1:
        text = lines[0][s.column - 1:s.end_column - 1]
    else:
        text = "\n".join([lines[0][s.column - 1:]] + lines[1:-1] + [lines[-1][:s.end_column - 1]])
    return " ".join(text.split())
