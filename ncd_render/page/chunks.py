"""A figure's top-level sections as diagrams of their own, to be laid out one by one.

The whole-figure layout gives every wire one height across the figure, so a
wire that waits (the decoder's inputs while the encoder runs) keeps its room
in every row. The paper instead draws each part on its own row: the encoder,
then the decoder, the tensors that pass between them named where one part
ends and the next begins. Here each top-level section (or repeat) is one
*chunk*, and the plain statements between sections are chunks too; a chunk's
inputs are the tensors it reads that earlier chunks made, its outputs what it
makes that later ones (or the figure's outputs) read. It takes its inputs in, top to
bottom, in the order its boxes stack them (:func:`stacking`), not the order it first
reads them (in a cross-attention cut before its values, the later part reads the
image for W_V before the scores: taken in that order, the image stood above the
scores, and the two crossed to meet in the values' einsum).

>>> from ncd_render.parse import parse
>>> from ncd_render.ir import build
>>> text = ('axis m = 4\\naxis t = 3\\ninput X[t m]\\nsection "A"\\n  Y = relu(X)\\nend\\n'
...         'section "B"\\n  Z = relu(Y)\\nend\\noutput Z\\n')
>>> [(c.title, [d.values[v].name for v in d.inputs], [d.values[v].name for v in d.outputs])
...  for c, d in [(c, c.diagram) for c in chunks(build(parse(text)))]]
[('A', ['X'], ['Y']), ('B', ['Y'], ['Z'])]
"""
from __future__ import annotations

import warnings
from dataclasses import replace

from ..errors import NcdError
from ..ir import Diagram, build
from ..parse import Add, Assign, AxisDecl, AxisRef, Block, Call, Convolutions, Delete, Depth, Input, Name, Output, Program, Repeat, Save, Scaled, Section, Tandem, TensorDecl
from ..records import record
from .continued import CONTINUED

KEPT = (AxisDecl, Tandem, Block, Depth, Convolutions)  # what every chunk's program keeps from the file


@record
class Chunk:
    title: str | None
    diagram: Diagram
    handed: frozenset = frozenset()  # the inputs an earlier part made (a residual stream's X made again), not the figure's


def chunks(diagram: Diagram, depth: int | None = None, deep: bool = False, sums: bool = False) -> list[Chunk]:
    """The top-level parts of ``diagram``, each built on its own; [] when it has fewer than two
    parts or a part cannot stand alone (a tensor saved in one part and loaded in another).
    ``deep``: a top-level section holding sections or repeats is split the same way, its plain
    statements in a section of the same title (the decoder's embedding, then its layers); [] when
    no section splits, the parts being the plain ones. ``sums``: a sublayer's residual sum right after
    it goes in its part (:func:`split_parts`), and a tensor a part reads that a later sum adds to goes on through
    it, copied there (:func:`_joined_later`'s ``carry``); [] when that changes no part."""
    steps = [s for s in diagram.source.statements if isinstance(s, (Assign, Section, Repeat, Delete, Save))]
    parts = split_parts(steps, deep, sums)
    if len(parts) < 2 or deep and len(parts) == len(split_parts(steps, sums=sums)):  # a split only adds parts
        return []
    out = built(diagram.source, parts, depth, carry=sums)
    if sums and parts == split_parts(steps, deep) and [_ends(c) for c in out] == [_ends(c) for c in built(diagram.source, parts, depth)]:
        return []
    return out


def _ends(chunk: Chunk) -> tuple:
    d = chunk.diagram
    return tuple(d.values[v].name for v in d.inputs), tuple(d.values[v].name for v in d.outputs)


def built(program: Program, parts: list[list], depth: int | None, carry: bool = False) -> list[Chunk]:
    """Each of ``parts`` (the program's steps, in order) built on its own; [] when one cannot stand alone. ``carry``:
    as :func:`built_part`'s."""
    out = []
    for k, part in enumerate(parts):
        chunk = built_part(program, [s for p in parts[:k] for s in p], part, [s for p in parts[k + 1:] for s in p], depth, carry)
        if chunk is None:
            return []
        out.append(chunk)
    return out


def built_part(program: Program, before: list, part: list, later: list, depth: int | None, carry: bool = False) -> Chunk | None:
    """The steps ``part`` built on their own, their inputs what they read that the steps ``before`` made,
    their outputs what they make that the steps ``later`` (or the figure's outputs) read; None when it
    gives nothing on or cannot stand alone (a tensor saved in one part and loaded in another). ``carry``: a
    tensor it reads goes on through it where a later sum adds to it what a later part makes, too."""
    kept = [s for s in program.statements if isinstance(s, KEPT)]
    inputs = [s for s in program.statements if isinstance(s, Input)]
    final = {n.name for s in program.statements if isinstance(s, Output) for n in s.names}
    wanted = read_later([later], final)
    gives = _ordered(n for s in part for n in writes_of(s) if n in wanted)
    if not gives:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a part's unused inputs are used by a later part
            remade = {n for s in before for n in writes_of(s)}
            made = _inputs_of(inputs) | remade
            reads = [n for n in free_reads(part) if n in made]
            # what it reads and the statement after it that next reads joins to what it makes goes on through it,
            # copied where it reads it, above what it makes: a residual stream past its sublayer, to the sum (drawn
            # apart, the sum's X came from nowhere); not a tensor later parts only read again (convolution's X)
            written = {n for s in part for n in writes_of(s)}
            gives = [n for n in reads if n not in written and _joined_later(n, later, set(gives), carry)] + gives
            # a figure output this part reads last goes on to its end, where the figure gives it out (CLIP's logits L,
            # read by their transpose: they came in with arrowheads and went out as Lᵀ alone, nowhere an output)
            last = read_later([later], set()) | {n for s in later for n in writes_of(s)}
            gives = [n for n in reads if n in final and n not in written and n not in last and n not in gives] + gives
            shapes = shapes_after(program, before, reads, depth)  # (not an axis: Y * m)
            title = part[0].title if len(part) == 1 and isinstance(part[0], (Section, Repeat)) else None
            own = [t.name for s in inputs for t in s.tensors if t.name not in remade]  # the figure's inputs, as given
            d = _built_with(program, kept, shapes, list(shapes), part, gives, depth)
            stacked = stacking(d, own)
            if stacked != list(shapes):
                d = _built_with(program, kept, shapes, stacked, part, gives, depth)
            passed = set(free_reads(before))  # (an earlier part that read it handed it on)
            return Chunk(title, d, frozenset(n for n in shapes if n in remade or n in passed))
    except NcdError:
        return None


def _joined_later(name: str, later: list, made: set[str], carry: bool = False) -> bool:
    """Whether the first of the statements ``later`` that reads ``name`` reads one of ``made`` too (X = X + A);
    ``carry``: or what a statement between makes (A made in a later part: the first part, X -> RMSNorm -> N, drew
    no copy of X, and X came back into the sum from nowhere)."""
    made = set(made)
    for s in later:
        for step in (s.body if isinstance(s, (Section, Repeat)) else (s,)):
            reads = set(reads_of(step)) if not isinstance(step, (Section, Repeat)) else set(free_reads([step]))
            if name in reads:
                return bool(reads & made)
            if name in writes_of(step):
                return False
            if carry:
                made.update(writes_of(step))
    return False


def _inputs_of(inputs: list[Input]) -> set[str]:
    return {t.name for s in inputs for t in s.tensors}


def _built_with(program: Program, kept: list, shapes: dict, names: list[str], part: list, gives: list[str], depth: int | None) -> Diagram:
    """``part`` built taking the tensors ``names`` (of ``shapes``) in, in that order, and giving ``gives``."""
    span = program.source.span(1, 1)
    decl = Input(tuple(TensorDecl(n, tuple(AxisRef((a,), span) for a in shapes[n][0]), shapes[n][1], span) for n in names), span)
    return build(replace(program, statements=tuple(kept + [decl] + part + [Output(tuple(Name(n, span) for n in gives), span)])), depth=depth)


def stacking(diagram: Diagram, declared: list[str] = ()) -> list[str]:
    """The names of ``diagram``'s inputs in the order its outputs reach them, each op's operands
    first to last: the order their wires stack in, top to bottom, where they meet. Those in
    ``declared`` (the figure's own inputs) keep its order among themselves, as the whole figure has them.

    >>> from ncd_render.parse import parse
    >>> d = build(parse("axis m = 4\\ninput A[m], B[m]\\nC = relu(A)\\nZ = B + C\\noutput Z\\n"))
    >>> stacking(d)  # the sum's first term, B, stands above: read first, A would start below it and cross it
    ['B', 'A']
    >>> stacking(d, ["A", "B"])  # as the figure declares them
    ['A', 'B']
    """
    names, seen, stack = [], set(), list(reversed(diagram.outputs))
    while stack:
        op = diagram.producer(stack.pop())
        if op.id in seen:
            continue
        seen.add(op.id)
        if op.kind == "input":
            names.append(diagram.values[op.outputs[0]].name)
        stack += reversed(op.inputs)
    names += [diagram.values[v].name for v in diagram.inputs if diagram.values[v].name not in names]
    own = iter(sorted((n for n in names if n in declared), key=declared.index))
    return [next(own) if n in declared else n for n in names]


def split_parts(steps: list, deep: bool = False, sums: bool = False) -> list[list]:
    """Each top-level section or repeat alone; the plain statements between them together;
    ``deep``: a section holding sections or repeats as its own parts, each in a copy of the section;
    ``sums``: a residual sum of what a section or repeat makes, right after it, in its part (:func:`_sums_onto`)."""
    parts, plain = [], []
    for s in steps:
        if isinstance(s, (Section, Repeat)):
            if plain:
                parts.append(plain)
                plain = []
            inner = split_parts(list(s.body), sums=sums) if deep and isinstance(s, Section) else []
            if len(inner) > 1:  # the section's plain runs each in a copy of it, titled continued after the first
                wrapped = [k for k, p in enumerate(inner) if not _alone(p)]
                parts += [p if _alone(p) else [replace(s, body=tuple(p), title=s.title + (CONTINUED if k != wrapped[0] and s.title else ""))]
                          for k, p in enumerate(inner)]
            else:
                parts.append([s])
        elif sums and not plain and parts and _alone(parts[-1]) and _sums_onto(s, parts[-1][0]):
            parts[-1] = parts[-1] + [s]  # the sublayer's residual sum with it, its stream passing by, as the paper draws it
        else:
            plain.append(s)
    if plain:
        parts.append(plain)
    return parts


def _sums_onto(step, section) -> bool:
    """Whether ``step`` adds what ``section`` (a section or repeat just before it) makes to a tensor made before it:
    X = X + A, the residual sum of a sublayer (alone, it was a part of its own, a lone + between two rows, the copy
    of X out of sight in the part before)."""
    if not (isinstance(step, Assign) and isinstance(step.expr, Add) and not step.expr.subtract):
        return False
    made = set(writes_of(section))
    terms = [n.name for n in step.expr.terms]
    return any(t in made for t in terms) and any(t not in made for t in terms)


def _alone(part: list) -> bool:
    """A part that is one section or repeat: it shows its own title, without its parent's on top of it."""
    return len(part) == 1 and isinstance(part[0], (Section, Repeat))


def shapes_after(program: Program, before: list, names: list[str], depth: int | None) -> dict[str, tuple[tuple[str, ...], str]]:
    """The axes and dtype of each tensor in ``names`` after the statements ``before``."""
    kept = [s for s in program.statements if isinstance(s, KEPT)]
    inputs = [s for s in program.statements if isinstance(s, Input)]
    span = program.source.span(1, 1)
    prefix = kept + inputs + before + [Output(tuple(Name(n, span) for n in names), span)]
    d = build(replace(program, statements=tuple(prefix)), depth=depth)
    return {d.values[v].name: (d.values[v].axes, d.values[v].dtype) for v in d.outputs}


def free_reads(statements: list) -> list[str]:
    """The names ``statements`` read before making them themselves, in the order first read."""
    made: set[str] = set()
    free: list[str] = []

    def walk(body) -> None:
        for s in body:
            if isinstance(s, (Section, Repeat)):
                walk(s.body)
                continue
            free.extend(n for n in reads_of(s) if n not in made and n not in free)
            made.update(writes_of(s))

    walk(statements)
    return free


def reads_of(s) -> list[str]:
    """The names one plain statement reads."""
    if isinstance(s, Assign):
        e = s.expr
        product = [e.scale.axis] if isinstance(e, Scaled) and e.scale.axis is not None and e.scale.exponent == 1 else []  # Y * U: a tensor or an axis
        return [n.name for n in (e.args if isinstance(e, Call) else e.terms if isinstance(e, Add) else (e.arg,))] + product
    if isinstance(s, Save):
        return [s.name.name]
    if isinstance(s, Delete):
        return [n.name for n in s.names]
    return []


def read_later(later: list[list], final: set[str]) -> set[str]:
    """The names the parts ``later`` read before remaking them, or the figure outputs, if no later part remakes them."""
    wanted, remade = set(), set()
    for part in later:
        wanted.update(n for n in free_reads(part) if n not in remade)
        remade.update(n for s in part for n in writes_of(s))
    return wanted | (final - remade)


def writes_of(s) -> list[str]:
    if isinstance(s, Assign):
        return [n.name for n in s.targets]
    if isinstance(s, (Section, Repeat)):
        return [n for inner in s.body for n in writes_of(inner)]
    return []


def _ordered(names) -> list[str]:
    return list(dict.fromkeys(names))
