"""Swish written out, ``x * sigmoid(x)`` or ``x * sigmoid(beta * x)``: CLIP's "quick_gelu"
(``x * torch.sigmoid(1.702 * x)``) and gpt-oss's experts' GLU are one element-wise box,
``silu(X)`` or ``silu(X) with beta=1.702``, not a scale, a sigmoid and a product of the tensor
with itself (a branch rejoining it). Only where re-computing it gives the recorded result.
"""
from __future__ import annotations

import torch

from .capture import Capture
from .patterns import Replacement, _is, agrees
from .seen import Seen


def recognise_swish(cap: Capture) -> dict:
    """Products of a tensor and a sigmoid of it (scaled or not), to import as one ``silu``."""
    found = {}
    for node in cap.graph.nodes:
        if not (_is(node, "mul") and len(node.args) == 2 and all(isinstance(a, torch.fx.Node) for a in node.args)):
            continue
        for x, gate in (node.args, node.args[::-1]):
            beta = _sigmoid_scale(gate, x)
            value, out = cap.values.get(x), cap.values.get(node)
            if beta is not None and isinstance(value, torch.Tensor) and isinstance(out, torch.Tensor) and value.shape == out.shape \
                    and agrees(value.double() * torch.sigmoid(beta * value.double()), out.double()):
                found[node] = Replacement([x], lambda mapper, node, x=x, beta=beta: _swish(mapper, node, x, beta))
                break
    return found


def _sigmoid_scale(gate, x) -> float | None:
    """``beta`` where ``gate`` is ``sigmoid(x)`` (1.0) or ``sigmoid(x * beta)`` for a number ``beta``, else None."""
    if not (_is(gate, "sigmoid") and isinstance(gate.args[0], torch.fx.Node)):
        return None
    inner = gate.args[0]
    if inner is x:
        return 1.0
    if _is(inner, "mul") and len(inner.args) == 2:
        for a, b in (inner.args, inner.args[::-1]):
            if a is x and isinstance(b, (int, float)) and not isinstance(b, bool) and b > 0:
                return float(b)
    return None


def _swish(mapper, node, x, beta: float) -> Seen:
    seen = mapper.get(x)
    data = mapper.data(seen)
    return Seen(seen.dims, mapper.emit("silu", [data], mapper.prog.values[seen.dsl].atoms, node,
                                       options={"beta": beta} if beta != 1 else {}))
