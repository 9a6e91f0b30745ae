"""Learned positions added to token embeddings: ``x + table[ids]`` where the ids come from no input
(a model's positions, ``arange(n)`` or a buffer's first n; BERT's token types, all 0, and RoBERTa's, a buffer of
zeros gathered at its positions). Positions in a row
are one ``bias(X: y m)`` box, those rows of the table its weight (GPT-2's ``wpe``, BERT's position
embeddings, OPT's from row 2); one id for every position is ``bias(X: m)``, that row of the table
(BERT's token type 0).
"""
from __future__ import annotations

from dataclasses import replace

import torch

from .capture import Capture
from .graph import Param
from .patterns import Replacement, _is
from .recomputed import _fed
from .seen import Seen, box_path, through_views


def recognise_positions(cap: Capture) -> dict:
    """The additions to import as one bias box each (what computed their ids is not imported)."""
    inputs, found = _fed(cap, by=("placeholder",)), {}  # ids from buffers count as from no input
    for node in cap.graph.nodes:
        if not (_is(node, "add") and len(node.args) == 2 and all(isinstance(a, torch.fx.Node) for a in node.args)):
            continue
        for x, other in (node.args, node.args[::-1]):
            looked_up = _lookup(through_views(other))
            read = _rows_read(cap, inputs, *looked_up, cap.values.get(x)) if x in inputs and looked_up else None
            if read is not None:
                found[node] = Replacement([x, looked_up[0]], _added(x, looked_up[0], *read))
                break
    return found


def _lookup(node) -> tuple | None:
    """(table, ids) of a node that reads rows of a table: ``embedding(table, ids)``, or ``table[ids]`` (Whisper's
    decoder positions); else None."""
    if _is(node, "embedding") and len(node.args) >= 2:
        return tuple(node.args[:2])
    if _is(node, "index") and len(node.args) == 2 and isinstance(node.args[1], (list, tuple)) and len(node.args[1]) == 1 \
            and isinstance(node.args[1][0], torch.fx.Node):
        return node.args[0], node.args[1][0]
    return None


def _rows_read(cap: Capture, inputs: set, table, ids, x) -> tuple[str, int | tuple[int, int]] | None:
    """("first", n) when ``table[ids]`` reads rows 0..n-1 of a learned table for the last two dims of ``x`` (positions,
    depth), ("first", (start, stop)) when it reads rows start..stop-1, ("one", r) when it reads row r for every
    position; None otherwise, or when the ids come from an input."""
    rows, read = cap.values.get(table), cap.values.get(ids)
    if ids in inputs and not _picked_from_one_value(cap, inputs, ids) or not all(isinstance(t, torch.Tensor) for t in (rows, read, x)) or rows.dim() != 2 or read.dim() == 0:
        return None
    n = read.shape[-1]
    if x.dim() < 2 or tuple(x.shape[-2:]) != (n, rows.shape[1]) or n < 2:
        return None
    read = read.reshape(-1, n)
    start = int(read.flatten()[0])
    if bool((read == torch.arange(n) + start).all()) and start + n <= rows.shape[0]:
        return "first", n if start == 0 else (start, start + n)  # (OPT's positions start at row 2)
    if bool((read == start).all()):
        return "one", start
    return None


def _picked_from_one_value(cap: Capture, inputs: set, ids) -> bool:
    """Whether ``ids`` are picked by ``gather`` from a tensor that no input makes and that holds one value everywhere,
    so that they are that value wherever they are picked (RoBERTa's token types: its buffer of zeros, gathered at
    the positions)."""
    ids = through_views(ids)
    if not _is(ids, "gather") or not isinstance(ids.args[0], torch.fx.Node):
        return False
    source = through_views(ids.args[0])
    held = cap.values.get(source)
    return source not in inputs and isinstance(held, torch.Tensor) and held.numel() > 0 and bool((held == held.flatten()[0]).all())


def _added(x, table, how: str, n):
    def emit(mapper, node):
        seen, weights = mapper.get(x), mapper.get(table)
        positions, depth = seen.dims[-2:]
        mapper.atoms.unify(weights.dims[1], depth)
        if how == "first":
            param, acted = replace(weights.param, dims=[positions, weights.dims[1]], rows=n), [positions, depth]
        else:
            param = Param(weights.param.name, weights.dims, {mapper.atoms.find(weights.dims[0]): n})
            acted = [depth]
        out = mapper.emit("bias", [mapper.data(seen)], mapper.prog.values[seen.dsl].atoms, node, axes={"on": acted},
                          params={"weight": param}, label=box_path(param))
        return Seen(seen.dims, out)
    return emit
