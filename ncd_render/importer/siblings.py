"""Statements of one kind that read one tensor, written together: a model's projections of one input.

A trace lists statements in the order the module ran them: Llama's MLP runs its gate
projection, then the SiLU of it, then its up projection, all of one ``N``. A person writes
SwiGLU with the two projections side by side, and the layout can then set them in one
column (:mod:`ncd_render.layout.order`). So a statement that reads a tensor an earlier
statement of its section and of its kind reads, and needs nothing made in between, is
written right after it (after the others moved there before it). One kind only: a
shortcut's ★ is not moved up beside the main path's first map, away from its own. The
program is in SSA form, so moving a statement up past statements it does not read changes
nothing it computes.

>>> from types import SimpleNamespace as S
>>> gate, up = S(fn="linear", args=[0], out=1, module="mlp"), S(fn="linear", args=[0], out=3, module="mlp")
>>> act = S(fn="silu", args=[1], out=2, module="mlp")
>>> [s.out for s in siblings_together([gate, act, up], lambda s: s.module)]
[1, 3, 2]
"""
from __future__ import annotations

from collections import defaultdict


def siblings_together(stmts: list, section_of) -> list:
    """``stmts`` with each statement that reads what an earlier one of its section and kind reads moved up to just
    after it (after the siblings moved there before it), when everything it reads is made by then and only
    statements of that section stand between them. ``section_of(stmt)``: the innermost section or component a
    statement is drawn in (the writer's: the innermost submodule with submodules that ran it)."""
    sections = [section_of(s) for s in stmts]
    run_end, end = [0] * len(stmts), len(stmts)  # where the run of statements of one section that holds each ends
    for i in range(len(stmts) - 1, -1, -1):
        if i + 1 < len(stmts) and sections[i + 1] != sections[i]:
            end = i + 1
        run_end[i] = end
    readers = defaultdict(list)  # value -> the statements that read it, in order
    for j, stmt in enumerate(stmts):
        for a in dict.fromkeys(stmt.args):
            readers[a].append(j)
    made = {stmt.out for stmt in stmts}
    out, done = [], set()  # done: values made by the statements written so far
    moved = set()
    for i, stmt in enumerate(stmts):
        if i in moved:
            continue
        out.append(stmt)
        done.add(stmt.out)
        later = sorted({j for a in stmt.args for j in readers[a] if i < j < run_end[i]})
        for j in later:
            if j not in moved and stmts[j].fn == stmt.fn and all(a in done or a not in made for a in stmts[j].args):
                out.append(stmts[j])
                done.add(stmts[j].out)
                moved.add(j)
    return out
