"""A tensor made empty and filled slice by slice, ``out = x.new_empty(...)``, then
``out[..., :a].copy_(p)``, ``out[..., a:].copy_(q)`` (DeepSeek-V3's keys: the heads' own part
and the rotary part shared by every head): the pieces joined along that dim, as ``torch.cat``
would, one ``concat``. The graph keeps the copies as mutations that nothing reads, so the empty
tensor alone looked like the keys (an opaque box). Used only when the slices cover the dim
once each, in order, every piece is computed before the tensor is made, nothing else reads
the tensor before the last copy, and joining the pieces gives its recorded value.
"""
from __future__ import annotations

import torch

from .capture import Capture
from .patterns import Replacement, _is

MADE_EMPTY = ("new_empty", "empty", "new_zeros", "zeros", "empty_like", "zeros_like")


def recognise_filled(cap: Capture) -> dict:
    """Empty tensors filled by copies into slices of one dim, to import as the pieces joined."""
    found = {}
    order = {node: i for i, node in enumerate(cap.graph.nodes)}
    for node in cap.graph.nodes:
        if not any(_is(node, name) for name in MADE_EMPTY) or not isinstance(cap.values.get(node), torch.Tensor):
            continue
        pieces = _pieces(node, order, cap.values[node].dim())
        if pieces is None:
            continue
        dim, parts = pieces
        values = [cap.values.get(p) for p in parts]
        if all(isinstance(v, torch.Tensor) for v in values) and torch.equal(torch.cat(values, dim), cap.values[node]):
            found[node] = Replacement(parts, lambda mapper, node, parts=parts, dim=dim: mapper.joined(node, parts, dim))
    return found


def _pieces(empty, order: dict, rank: int) -> tuple[int, list] | None:
    """(the dim, the pieces copied into it in order along it) where every slice of ``empty`` is copied into once, the
    slices cover one dim whole and in turn, each piece is made before ``empty`` and every other reader of ``empty`` comes
    after the last copy; else None."""
    slices, readers = [], []
    for user in empty.users:
        if _is(user, "slice") and user.args[0] is empty:
            copies = list(user.users)
            if len(copies) != 1 or not _is(copies[0], "copy") or copies[0].args[0] is not user or len(copies[0].args) < 2:
                return None
            source = copies[0].args[1]
            if not isinstance(source, torch.fx.Node) or order[source] > order[empty]:
                return None
            dim, start, end = (list(user.args[1:]) + [0, None, None])[:3] if len(user.args) > 1 else (0, None, None)
            slices.append((dim % rank, start or 0, end, source, copies[0]))
        else:
            readers.append(user)
    if len(slices) < 2 or len({d for d, *_ in slices}) != 1:
        return None
    slices.sort(key=lambda s: s[1])
    size = empty.meta["val"].shape[slices[0][0]] if "val" in empty.meta else None
    if size is None or slices[0][1] != 0 or any(a[2] != b[1] for a, b in zip(slices, slices[1:])) or min(slices[-1][2], size) != size:
        return None
    last = max(order[c] for *_, c in slices)
    if any(order[r] < last for r in readers):
        return None
    return slices[0][0], [s[3] for s in slices]
