"""Renamed branches, for drawing only (as :mod:`.compact` and :mod:`.scalars` are): a tensor copied,
one copy renamed and the renamed tensor copied again is drawn as one copy whose branches are
each renamed, so that they leave in the order their readers are written.

Self-attention names its keys' positions anew, ``Xk = rename(X: y -> x)``: Q reads X, K and V
read Xk. Built as written, X's copy sends Xk off as one branch, which is copied again, so every
reader of Xk stands beside every other, below (or above) all of X's own: differential attention,
written Q1, K1, Q2, K2, stacked Q1, Q2, K1, K2, and each pair's wires crossed the other pair's to
meet (21 crossings). One copy of X with a rename on each of Xk's branches stacks them as
written (12). Running, checking and costing read the diagram as built.

>>> from ncd_render.api import load_text
>>> d = load_text("axis y = 4 width\\naxis x = 4 width\\naxis m = 2\\ninput X[y m]\\nXk = rename(X: y -> x)\\n"
...               "Q = relu(X)\\nK = relu(Xk)\\nV = exp(Xk)\\nS = einsum(Q, K: y m, x m -> y x)\\n"
...               "O = einsum(S, V: y x, x m -> y m)\\noutput O\\n").diagram
>>> [op.kind for op in d.ops if op.kind in ("copy", "rename")]
['copy', 'rename', 'copy']
>>> [op.kind for op in spread_renames(d).ops if op.kind in ("copy", "rename")]
['copy', 'rename', 'rename']
"""
from __future__ import annotations

from dataclasses import replace

from ..diagram import Diagram, Op


def spread_renames(diagram: Diagram) -> Diagram:
    """``diagram`` with each copied tensor that is a renamed copy of another drawn as the other's branches, each
    renamed on its own."""
    spread = {}  # rename op id -> (it, the copy before it, the copy after it)
    for op in diagram.ops:
        if op.kind == "rename":
            before, after = diagram.producer(op.inputs[0]), diagram.consumer(op.outputs[0])
            if (before.kind == "copy" and after is not None and after.kind == "copy" and after.section == op.section
                    and all(diagram.consumer(v) is not None for v in after.outputs)):
                spread[op.id] = (op, before, after)
    afters = {after.id for _, _, after in spread.values()}
    spread = {k: found for k, found in spread.items() if found[1].id not in afters}  # (a renamed rename: once)
    if not spread:
        return diagram
    values = dict(diagram.values)
    next_op, next_value = max(op.id for op in diagram.ops) + 1, max(values) + 1
    added: dict[int, list[Op]] = {}  # a reader's op id -> the renames just before it
    branches: dict[int, list[int]] = {}  # a first copy's id -> the outputs it gains
    gone: set[int] = set()
    for rename, before, after in spread.values():
        source = values.pop(rename.inputs[0])
        del values[rename.outputs[0]]
        gone |= {rename.id, after.id}
        for out in after.outputs:
            fresh = values[next_value] = replace(source, id=next_value)
            added.setdefault(diagram.consumer(out).id, []).append(replace(rename, id=next_op, inputs=(fresh.id,), outputs=(out,)))
            branches.setdefault(before.id, []).append(fresh.id)
            next_op, next_value = next_op + 1, next_value + 1
    ops = []
    for op in diagram.ops:
        if op.id in gone:
            continue
        ops.extend(added.get(op.id, ()))
        if op.id in branches:
            kept = tuple(v for v in op.outputs if getattr(diagram.consumer(v), "id", None) not in spread)
            op = replace(op, outputs=kept + tuple(branches[op.id]))
        ops.append(op)
    return replace(diagram, ops=ops, values=values)
