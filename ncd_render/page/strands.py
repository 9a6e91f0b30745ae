"""A section's statements as strands, each drawn as a part of its own.

Laid out whole, a section keeps every tensor on one height from where it is made to
where it is last read: DeepSeek's normed input runs past the router on its way to the
routed experts and past both on its way to the shared expert, and each of its five
copies keeps its room across every row. The paper draws such branches apart instead,
each named where it starts. Here a section's plain statements are put in depth-first
order (each statement followed by what reads it, before its siblings), may be cut where a
branch ends or joins another (:func:`breaks`), and the cuts kept are those whose parts,
each one strand (:func:`connected`), take least room on the page: each part laid out, its
width and height with the gaps around it, plus PIECE for every part (else every branch of
one box would stand alone). The first part keeps the section's title; the rest are drawn
in it, untitled. :mod:`.compose` draws a figure so only when nothing else fits.

>>> from ncd_render.parse import parse
>>> text = ('axis m = 4\\ninput X[m]\\nY = relu(X)\\nA = relu(Y)\\nB = relu(Y)\\nA = tanh(A)\\n'
...         'B = tanh(B)\\nZ = A + B\\noutput Z\\n')
>>> steps = parse(text).statements[2:-1]
>>> order = strand_order(steps)
>>> [" ".join(n.name for n in steps[k].targets) for k in order]
['Y', 'A', 'A', 'B', 'B', 'Z']
>>> breaks([steps[k] for k in order])  # after Y (read twice), before B (reads nothing A made), before Z (joins A)
[1, 3, 5]
"""
from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace

from ..errors import NcdError
from ..ir import Diagram
from ..parse import Assign, Delete, Program, Repeat, Save, Section
from .chunks import Chunk, built, built_part, reads_of, split_parts, writes_of
from .continued import SHORT
from .likeness import likeness

PLAIN = (Assign, Delete, Save)  # the statements a strand holds
PIECE = 5000.0  # one more part, in square points: about the room of a part holding one box
# more places to cut than this and a run is not cut into strands: each run between two cuts is laid out
# to weigh it (a 100-box chain of residual blocks, 40 cuts, took 30 s and 300 boxes over 5 minutes);
# DeepSeek-V3's sections have 4 to 10, and a long chain is what rows already cut well
MOST_CUTS = 16


def stranded(diagram: Diagram, depth: int | None, room: Callable[[Diagram], float], titled: bool = False,
             cut: dict | None = None) -> list[Chunk]:
    """The parts of ``diagram`` (:func:`.chunks.chunks` with sections split), their plain statements
    cut into strands where the parts take least ``room``; [] when no part splits. A part written as
    an earlier one was, but for its names and labels (a model's layers, written out one by one), is
    cut where that one was: in the same places, and weighed once. ``titled``: a section's strands after
    its first are titled as it goes on ("Attention (cont.)"), cut where the untitled ones are; ``cut``: where
    each part was cut, kept from one call to the next (the strands weighed untitled, once)."""
    program = diagram.source
    parts = split_parts([s for s in program.statements if isinstance(s, PLAIN + (Section, Repeat))], deep=True)
    out, split, cut = [], False, {} if cut is None else cut
    for k, part in enumerate(parts):
        before, later = [s for p in out for s in p], [s for p in parts[k + 1:] for s in p]
        steps = _steps(part)
        if steps is None:
            out.append(part)
            continue
        try:
            key = likeness(program, before, steps, later, depth)
        except NcdError:  # a part that cannot stand alone (it reads nothing made before it and holds the output): no strands
            return []
        if key not in cut:
            cut[key] = _cuts(program, before, part, steps, later, depth, room)
        if len(cut[key]) == 1:  # not cut: the part as written (its statements in the file's order, not the strands')
            out.append(part)
            continue
        pieces = [_wrapped(part, steps[i:j], i == 0, titled) for i, j in cut[key]]
        split = True
        out += pieces
    return built(program, out, depth) if split else []


def _steps(part: list) -> list | None:
    """The plain statements of ``part`` (a run of them, or a section of them) in :func:`strand_order`; None
    when it holds something else or fewer than two."""
    steps = list(part[0].body) if _section(part) else part
    if len(steps) < 2 or not all(isinstance(s, PLAIN) for s in steps):
        return None
    return [steps[k] for k in strand_order(steps)]


def _section(part: list) -> bool:
    return len(part) == 1 and isinstance(part[0], Section)


def _wrapped(part: list, run: list, first: bool, titled: bool = False) -> list:
    """The statements ``run`` of ``part``, in a copy of its section if it is one (untitled but for the ``first``, or
    ``titled`` as it goes on)."""
    if not _section(part):
        return run
    section = part[0]
    return [replace(section, body=tuple(run), title=section.title if first else section.title + SHORT if titled and section.title else "")]


def _cuts(program: Program, before: list, part: list, steps: list, later: list, depth: int | None, room) -> list[tuple[int, int]]:
    """Where ``part`` (its ``steps``) is cut into the strands that take least room: each strand's first step
    and the step after its last; one strand when it does not split."""
    whole = [(0, len(steps))]
    cuts = [0] + breaks(steps) + [len(steps)]
    if len(cuts) > MOST_CUTS:  # every run between two cuts is laid out: quadratic in the cuts
        return whole

    def wrapped(i: int, j: int) -> list:
        return _wrapped(part, steps[cuts[i]:cuts[j]], i == 0)

    best = {0: (0.0, None)}  # cut -> (least room up to it, the cut before)
    for j in range(1, len(cuts)):
        for i in range(j):
            if i not in best or not connected(steps[cuts[i]:cuts[j]]):
                continue
            chunk = built_part(program, before + steps[:cuts[i]], wrapped(i, j), steps[cuts[j]:] + later, depth)
            total = None if chunk is None else best[i][0] + room(chunk.diagram) + PIECE
            if total is not None and (j not in best or total < best[j][0]):
                best[j] = (total, i)
    if len(cuts) - 1 not in best:
        return whole
    pieces, j = [], len(cuts) - 1
    while j:
        i = best[j][1]
        pieces.append((cuts[i], cuts[j]))
        j = i
    return pieces[::-1]


def strand_order(steps: list) -> list[int]:
    """The statements' indices depth-first: each followed by the statements that read it (as
    written), each once all it reads is made and nothing it overwrites is still to be read."""
    after: list[set[int]] = []  # what each statement must follow
    made, read = {}, {}  # name -> the statement that made it last; -> the statements that read that
    for k, s in enumerate(steps):
        needs = {made[n] for n in reads_of(s) if n in made}
        for n in writes_of(s):  # overwriting: after the last maker and its readers
            needs |= read.get(n, set()) | ({made[n]} if n in made else set())
        after.append(needs)
        for n in reads_of(s):
            read.setdefault(n, set()).add(k)
        for n in writes_of(s):
            made[n], read[n] = k, set()
    followers = [[j for j in range(len(steps)) if k in after[j]] for k in range(len(steps))]
    order, done = [], set()
    for root in range(len(steps)):
        stack = [root] if root not in done and after[root] <= done else []
        while stack:
            k = stack.pop()
            if k in done or not after[k] <= done:
                continue
            order.append(k)
            done.add(k)
            stack += [j for j in reversed(followers[k]) if j not in done]
    return order


def breaks(steps: list) -> list[int]:
    """Where a strand may end, before step k: step k reads nothing step k - 1 made, or step k - 1's
    tensor is read by more than one later step, or step k joins a tensor made before step k - 1."""
    reads, writes = [set(reads_of(s)) for s in steps], [set(writes_of(s)) for s in steps]
    readers_of, writers_of = defaultdict(list), defaultdict(list)  # name -> the steps that read it, that make it, in order
    for k in range(len(steps)):
        for n in reads[k]:
            readers_of[n].append(k)
        for n in writes[k]:
            writers_of[n].append(k)
    out, earlier = [], set()  # what the steps before k - 1 made
    for k in range(1, len(steps)):
        earlier |= writes[k - 2] if k > 1 else set()
        made = writes[k - 1]
        follows, joins = bool(made & reads[k]), bool((earlier - made) & reads[k])
        # the steps from k on that read one of them before it is made again (a step that remakes it reads the old one:
        # it counts), two at most from each name: whether more than one step reads them (a chain of 5,000 steps went
        # through all the steps after each: quadratic, 11 s)
        readers = set()
        for n in made:
            again = writers_of[n][bisect_left(writers_of[n], k):][:1]
            last = again[0] if again else len(steps)
            first = bisect_left(readers_of[n], k)
            readers.update(r for r in readers_of[n][first:first + 2] if r <= last)
        if not follows or len(readers) > 1 or joins:
            out.append(k)
    return out


def connected(steps: list) -> bool:
    """Whether the steps are one strand: each after the first reads what one before it made, or is read by one after it."""
    group = list(range(len(steps)))

    def root(k: int) -> int:
        while group[k] != k:
            k = group[k]
        return k

    made = {}
    for k, s in enumerate(steps):
        for n in reads_of(s):
            if n in made:
                group[root(k)] = root(made[n])
        for n in writes_of(s):
            made[n] = k
    return len({root(k) for k in range(len(steps))}) == 1
