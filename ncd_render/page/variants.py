"""A component that is another one with a few more steps, defined by what it adds.

The transformer's MaskedAttention is its Attention with one more step, the causal mask
before the softmax. A page that draws both bodies in full spends a third of its room on
the same picture twice; the paper instead says what differs. Here a component whose body
is an earlier component's body, statement for statement as written, with a run of up to
MOST_ADDED statements put in, is a *variant*: its definition is those statements alone,
drawn as a diagram of their own (their inputs as they are at that point of the body),
under "MaskedAttention = Attention with this before its softmax:" (the step it comes
before named by its function, or written out when that is not a call).

>>> from ncd_render.parse import parse
>>> body = "  Y = relu(X)\\n  Z = relu(Y)\\n  return Z\\n"
>>> text = ("axis m = 4\\nblock F(X[y m])\\n" + body + "end\\nblock G(X[y m])\\n  Y = relu(X)\\n"
...         "  Y = softmax(Y: m)\\n  Z = relu(Y)\\n  return Z\\nend\\n")
>>> found = variant(parse(text), "G", ["F"])
>>> found.base, found.before, [op.kind for op in found.added.ops if op.kind not in ("input", "output")]
('F', 'relu', ['softmax'])
>>> variant(parse(text), "F", ["G"]) is None  # F adds nothing to G: it is drawn in full
True
"""
from __future__ import annotations

from dataclasses import replace

from ..errors import NcdError
from ..ir import Diagram, build
from ..parse import Assign, AxisDecl, AxisRef, Block, Call, Input, Name, Output, Program, Return, TensorDecl, Title
from ..records import record
from .chunks import free_reads, writes_of
from .definitions import local_axes

MOST_ADDED = 2  # a component adding more than this many statements is drawn in full


@record
class Variant:
    base: str        # the component it adds to
    before: str      # the step the added ones come before: its function's name, or the statement as written
    added: Diagram   # the added statements, inputs as they are where they are added


def variant(program: Program, name: str, defined: list[str]) -> Variant | None:
    """How component ``name`` is one of the components ``defined`` with a run of statements put
    in; None when it is not (or the added run cannot be drawn on its own)."""
    blocks = {s.name: s for s in program.statements if isinstance(s, Block)}
    block = blocks[name]
    mine = [_text(s) for s in block.body]
    for base in defined:
        other = blocks.get(base)
        if other is None or base == name or [_text(p) for p in other.params] != [_text(p) for p in block.params]:
            continue
        theirs = [_text(s) for s in other.body]
        start = next((k for k, (a, b) in enumerate(zip(mine, theirs)) if a != b), len(theirs))
        added = len(mine) - len(theirs)
        if not 0 < added <= MOST_ADDED or mine[start + added:] != theirs[start:] or start == len(theirs):
            continue
        diagram = _added(program, block, start, start + added)
        if diagram is not None:
            after = block.body[start + added]
            named = isinstance(after, Assign) and isinstance(after.expr, Call)
            return Variant(base, after.expr.fn.name if named else mine[start + added], diagram)
    return None


def _added(program: Program, block: Block, start: int, end: int) -> Diagram | None:
    """Statements ``start:end`` of ``block``'s body as a diagram: inputs what they read, outputs what they make."""
    span = block.span
    kept = [AxisDecl(a, None, False, span) for a in local_axes(program, block)] + [s for s in program.statements if isinstance(s, AxisDecl)]
    head = [Input(block.params, span)] + list(block.body[:start])
    part = list(block.body[start:end])
    known = {t.name for t in block.params} | {n for s in head[1:] for n in writes_of(s)}
    reads = [n for n in free_reads(part) if n in known]  # (not an axis: Y * m)
    try:
        before = build(replace(program, statements=tuple(kept + head + [Output(tuple(Name(n, span) for n in reads), span)])), depth=0)
        shapes = [(before.values[v].name, before.values[v].axes, before.values[v].dtype) for v in before.outputs]
        decl = Input(tuple(TensorDecl(n, tuple(AxisRef((a,), span) for a in axes), dtype, span) for n, axes, dtype in shapes), span)
        made = list(dict.fromkeys(n for s in part for n in writes_of(s)))
        statements = [Title(block.name, span)] + kept + [decl] + part + [Output(tuple(Name(n, span) for n in made), span)]
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
