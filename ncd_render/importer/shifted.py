"""A softmax of scores less their maximum, ``softmax(x - x.max(dim, keepdim=True).values, dim)``: the shift that
keeps ``exp`` from overflowing, written out (gpt-oss's attention, over its scores and sinks), or less a number. No shift
along the softmax's own dim changes it, so it is ``softmax`` of the scores themselves, one box; the maximum and the
subtraction are not imported.
"""
from __future__ import annotations

import operator

import torch

from .capture import Capture
from .patterns import Replacement, _is, agrees


def recognise_shifted(cap: Capture) -> dict:
    """Softmax nodes of a shifted tensor, to import as the softmax of the tensor before its shift."""
    found = {}
    for node in cap.graph.nodes:
        if not ((_is(node, "softmax") or _is(node, "_softmax")) and len(node.args) >= 2 and isinstance(node.args[0], torch.fx.Node)):
            continue
        x = _unshifted(node.args[0], node.args[1])
        value, out = cap.values.get(x), cap.values.get(node)
        if x is not None and isinstance(value, torch.Tensor) and isinstance(out, torch.Tensor) \
                and agrees(torch.softmax(value.double(), node.args[1]), out.double()):
            found[node] = Replacement([x], lambda mapper, node, x=x: mapper.softmax(node, x))
    return found


def _unshifted(shifted, dim):
    """``x`` where ``shifted`` is ``x - max(x, dim, keepdim=True).values`` (or ``x - amax(x, dim, keepdim=True)``, or ``x`` less
    a number), else None."""
    if not (_is(shifted, "sub") and len(shifted.args) == 2 and shifted.kwargs.get("alpha", 1) == 1):
        return None
    x, top = shifted.args
    if not isinstance(x, torch.fx.Node):
        return None
    if isinstance(top, (int, float)) and not isinstance(top, bool):  # less a number (softmax(x - 1)): a shift along every dim
        return x
    if not isinstance(top, torch.fx.Node):
        return None
    if top.op == "call_function" and top.target is operator.getitem and top.args[1] == 0:  # max(...).values
        top = top.args[0]
        if not (_is(top, "max") and len(top.args) >= 3 and top.args[2] is True):
            return None
    elif not (_is(top, "amax") and len(top.args) >= 3 and top.args[2] is True):
        return None
    if top.args[0] is not x or not _same_dim(top.args[1], dim, x):
        return None
    return x


def _same_dim(reduced, dim, x) -> bool:
    """Whether ``reduced`` (an int, or a list of one) names the dim ``dim`` of the node ``x``."""
    reduced = reduced[0] if isinstance(reduced, (list, tuple)) and len(reduced) == 1 else reduced
    rank = len(x.meta["val"].shape) if "val" in x.meta else None
    if not isinstance(reduced, int) or not isinstance(dim, int) or rank is None:
        return False
    return reduced % rank == dim % rank
