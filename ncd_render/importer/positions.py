"""Learned positions added to token embeddings: ``x + table[positions]`` where the positions are
``arange(n)`` from no input (GPT-2's ``wpe``, BERT's position embeddings), and ``x + table`` for a
learned table over x's own axes (ViT's position embeddings). Either is one ``bias(X: y m)`` box,
the table's first n rows its weight.
"""
from __future__ import annotations

from dataclasses import replace

import torch

from .capture import Capture
from .patterns import Replacement, _is
from .recomputed import _fed
from .seen import Seen, box_path

CASTS = ("to", "_to_copy", "type_as", "view", "reshape", "unsqueeze", "expand", "clone", "contiguous", "alias")


def recognise_positions(cap: Capture) -> dict:
    """Nodes to import as one box each (with the boxes before them)."""
    fed, found = _fed(cap), {}
    for node in cap.graph.nodes:
        if not (_is(node, "add") and len(node.args) == 2 and all(isinstance(a, torch.fx.Node) for a in node.args)):
            continue
        for x, other in (node.args, node.args[::-1]):
            looked_up = _through_casts(other)
            if x in fed and _is(looked_up, "embedding") and _first_positions(cap, fed, looked_up, cap.values.get(x)):
                found[node] = Replacement([x, looked_up.args[0]], _added(x, looked_up.args[0], cap.values[looked_up.args[1]].shape[-1]))
                break
    return found


def _through_casts(node):
    """The node a chain of dtype casts and views (GPT-2 casts its position embeddings to the tokens' dtype) starts from."""
    while any(_is(node, name) for name in CASTS) and node.args and isinstance(node.args[0], torch.fx.Node):
        node = node.args[0]
    return node


def _first_positions(cap: Capture, fed: set, lookup, x) -> bool:
    """Whether ``lookup`` reads rows 0..n-1 of a learned table, the positions from no input, for the last two dims of ``x``."""
    table, ids = lookup.args[:2]
    rows, positions = cap.values.get(table), cap.values.get(ids)
    if ids in fed or not isinstance(rows, torch.Tensor) or not isinstance(positions, torch.Tensor) or not isinstance(x, torch.Tensor):
        return False
    n = positions.shape[-1] if positions.dim() else 0
    return (n > 1 and rows.dim() == 2 and x.dim() >= 2 and tuple(x.shape[-2:]) == (n, rows.shape[1])
            and bool((positions.reshape(-1, n) == torch.arange(n)).all()))


def _added(x, table, n: int):
    def emit(mapper, node):
        seen, weights = mapper.get(x), mapper.get(table)
        positions, depth = seen.dims[-2:]
        mapper.atoms.unify(weights.dims[1], depth)
        param = replace(weights.param, dims=[positions, weights.dims[1]], rows=n)
        out = mapper.emit("bias", [mapper.data(seen)], mapper.prog.values[seen.dsl].atoms, node, axes={"on": [positions, depth]},
                          params={"weight": param}, label=box_path(param))
        return Seen(seen.dims, out)
    return emit
