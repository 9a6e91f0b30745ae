"""Parallel sections: sibling sections that read nothing the others make are drawn one above the other,
in shared columns, not one after another.

A file that tries five convolutions on one image (``gallery/convolution.ncd``) was drawn as a
staircase five panels long, each panel in columns of its own and the image's wires running under
all of them: 918 pt wide, its labels 3.2 pt on a page. The paper stacks such branches (an
Inception block's), and so does this layout now: :func:`stack` orders a run of parallel sections'
ops by depth, so that each one's first boxes come together and :class:`~.plan.Plan` puts them in
one column, and notes each section's run (``Diagram.stacks``) so that the plan may join ops of
different sections of a run in one column. For drawing only, as :mod:`.compact` is.

>>> from ncd_render.api import load_text
>>> text = ('axis m = 4\\ninput X[m]\\nsection "A"\\n  P = relu(X)\\n  Q = exp(P)\\nend\\n'
...         'section "B"\\n  R = tanh(X)\\nend\\noutput Q, R\\n')
>>> d = stack(load_text(text).diagram)
>>> [op.params.get("fn") for op in d.ops if op.kind == "elementwise"], sorted(set(d.stacks.values()))
(['relu', 'tanh', 'exp'], [0])
"""
from __future__ import annotations

from dataclasses import replace
from itertools import combinations

from ..ir import Diagram

PASSING = ("copy", "delete")  # ops that make no column of their own: a run may hold them between its sections


def stack(diagram: Diagram) -> Diagram:
    """``diagram`` with each run of parallel sibling sections interleaved by depth, and ``stacks`` (section ->
    its run's number) naming them; ``diagram`` itself where it has none."""
    runs = parallel_runs(diagram)
    if not runs:
        return diagram
    ops, stacks = list(diagram.ops), {}
    for number, (first, last, sections) in enumerate(runs):
        ops[first:last + 1] = _by_depth(diagram, ops[first:last + 1], sections)
        stacks.update((sid, number) for sid in sections)
    return replace(diagram, ops=ops, stacks=stacks)


def parallel_runs(d: Diagram) -> list[tuple[int, int, list[int]]]:
    """Each run of two or more sibling sections, one after another in the program with only copies and deletes
    between them, none reading what another makes: (its first op's place, its last op's place, the sections).
    A repeated block is never one of them (its brackets say it runs after what comes before)."""
    blocks = []  # (outermost section or None, first place, last place): the ops in turn, grouped
    for k, op in enumerate(d.ops):
        sid = _top_section(d, op.section)
        if blocks and blocks[-1][0] == sid:
            blocks[-1][2] = k
        else:
            blocks.append([sid, k, k])
    runs, b = [], 0
    while b < len(blocks):
        sections, made, k, last = [], set(), b, blocks[b][2]
        while k < len(blocks):
            between, step = [], k
            if blocks[k][0] is None and sections:  # copies and deletes between two sections of the run
                between, step = d.ops[blocks[k][1]:blocks[k][2] + 1], k + 1
                if step == len(blocks) or any(op.kind not in PASSING for op in between):
                    break
            sid, first, end = blocks[step]
            body = [*between, *d.ops[first:end + 1]]
            if sid is None or d.sections[sid].kind == "repeat" or sid in sections or any(v in made for op in body for v in op.inputs):
                break
            sections.append(sid)
            made.update(v for op in body for v in op.outputs)
            k, last = step + 1, end
        if len(sections) > 1:
            runs.append((blocks[b][1], last, sections))
            b = k
        else:
            b += 1
    return runs


def _top_section(d: Diagram, section: int | None) -> int | None:
    path = d.section_path(section)
    return path[0] if path else None


def _by_depth(d: Diagram, ops: list, sections: list[int]) -> list:
    """``ops`` (a run's) ordered by how deep each stands in its section (a copy or delete with what it reads), then by
    section, then as written: each section's first boxes come first, together."""
    made_at: dict[int, tuple[int, int]] = {}  # value -> the depth and the section's place of the op that made it
    place = {sid: k for k, sid in enumerate(sections)}
    keys = []
    for k, op in enumerate(ops):
        below = max((made_at.get(v, (-1, -1)) for v in op.inputs), default=(-1, -1))
        # (a copy or delete goes with what it reads: a copy between two sections of a section's result, for what reads
        # it after the run, sorted after the op that made it, not before, at its depth)
        key = below if op.kind in PASSING else (below[0] + 1, place.get(_top_section(d, op.section), -1))
        made_at.update((v, key) for v in op.outputs)
        keys.append((*key, k))
    return [ops[k] for *_, k in sorted(keys)]


def own_ops(d: Diagram, sid: int):
    """Whether a placed op stands in section ``sid``: every op of its columns, but where parallel sections share them."""
    if sid not in d.stacks:
        return lambda placed: True
    return lambda placed: sid in d.section_path(placed.op.section)


def one_above_another(spans: dict[int, dict[int, tuple[int, int]]]) -> list[tuple[int, int]] | None:
    """(upper, lower) for each two parallel sections that share a moment, from where their wires stand then (``spans``:
    section -> the id of an order of the live wires -> the first and last place of its wires there); None where two
    sections' wires interleave, and no panel can stand above the other.

    >>> one_above_another({0: {7: (0, 2)}, 1: {7: (3, 4)}, 2: {8: (0, 0)}}), one_above_another({0: {7: (0, 2)}, 1: {7: (1, 4)}})
    ([(0, 1)], None)
    """
    pairs = []
    for one, two in combinations(spans, 2):
        for order in spans[one].keys() & spans[two].keys():
            (lo1, hi1), (lo2, hi2) = spans[one][order], spans[two][order]
            if hi1 < lo2:
                pairs.append((one, two))
            elif hi2 < lo1:
                pairs.append((two, one))
            else:
                return None
    return pairs
