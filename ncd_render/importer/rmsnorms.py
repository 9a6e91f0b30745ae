"""An RMSNorm written out where it is used, in any module (``x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)``,
Llama's spelling, or ``x / x.pow(2).mean(-1, keepdim=True).add(eps).sqrt()``), times a learned scale of the last dim or
not, is one ``rmsnorm(X: m) with eps=...``, not a square, a mean, an offset, a root and a quotient. It is found by its
shape in the graph (the mean of the square of the tensor it then divides) and taken only where recomputing it gives the
recorded result. RMSNorm modules are :mod:`.patterns`' (a cast to float32 inside, a scale by 1 + its weight).
"""
from __future__ import annotations

import torch

from .capture import Capture
from .patterns import Replacement, _is, _submodule, agrees
from .seen import Seen


def recognise_rmsnorms(cap: Capture) -> dict:
    """RMSNorms written out over the last dim, each to import as one ``rmsnorm``."""
    found = {}
    for node in cap.graph.nodes:
        x = _squared(node.args[0]) if _is(node, "mean") and len(node.args) == 3 and node.args[2] is True else None
        value = cap.values.get(x)
        if x is None or not isinstance(value, torch.Tensor) or not value.is_floating_point() or list(node.args[1]) not in ([-1], [value.dim() - 1]):
            continue
        for root, eps in _roots(node):
            for normed in root.users:
                if not _divides(normed, x, root):
                    continue
                last, weight = _scaled(cap, normed, value.shape[-1])
                if _agrees(cap, x, weight, eps, last):
                    label = _label(cap, weight)
                    found[last] = Replacement([x] + ([weight] if weight is not None else []), lambda mapper, node, x=x,
                                              w=weight, eps=eps, label=label: _rmsnorm(mapper, node, x, w, eps, label))
    return found


def _squared(node):
    """The tensor ``node`` squares (``x.pow(2)``, ``x ** 2``, ``torch.square(x)``, ``x * x``), or None."""
    if _is(node, "pow") and node.args[1] == 2 or _is(node, "square"):
        return node.args[0] if isinstance(node.args[0], torch.fx.Node) else None
    return node.args[0] if _is(node, "mul") and node.args[0] is node.args[1] else None


def _roots(mean) -> list:
    """(the node that takes the root of ``mean`` plus eps, eps) for each way the code goes on: ``sqrt`` or ``rsqrt``,
    after adding a number, or not (eps 0)."""
    offsets = [(mean, 0.0)] + [(user, float(user.args[1])) for user in mean.users if _is(user, "add") and user.args[0] is mean
                                and isinstance(user.args[1], (int, float)) and not isinstance(user.args[1], bool)]
    return [(root, eps) for total, eps in offsets for root in total.users if _is(root, "rsqrt") or _is(root, "sqrt")]


def _divides(normed, x, root) -> bool:
    """Whether ``normed`` is ``x`` over ``root``: ``x * rsqrt(...)`` either way round, or ``x / sqrt(...)``."""
    if _is(root, "rsqrt"):
        return _is(normed, "mul") and set(normed.args) == {x, root}
    return _is(normed, "div") and tuple(normed.args) == (x, root)


def _scaled(cap: Capture, normed, size: int):
    """(the last node, the learned scale): ``normed`` times a parameter of the last dim's size, or ``normed`` and None."""
    for user in normed.users:
        if _is(user, "mul") and len(user.args) == 2 and normed in user.args:
            other = user.args[1] if user.args[0] is normed else user.args[0]
            if isinstance(other, torch.fx.Node) and other.op == "get_attr" and tuple(cap.values[other].shape) == (size,):
                return user, other
    return normed, None


def _agrees(cap: Capture, x, weight, eps: float, last) -> bool:
    value, out = cap.values[x].double(), cap.values.get(last)
    if not isinstance(out, torch.Tensor) or out.shape != value.shape:
        return False
    normed = value * torch.rsqrt(value.pow(2).mean(-1, keepdim=True) + eps)
    return agrees(normed * (cap.values[weight].double() if weight is not None else 1), out.double())


def _label(cap: Capture, weight) -> str | None:
    """The box's name: the module that holds the learned scale where it holds nothing else (a norm module, its scale
    called ``g``: ``N_{norm}``, not ``N_{g}``), else the scale's own (None: as a map's box is named)."""
    owner = str(weight.target).rpartition(".")[0] if weight is not None else ""
    module = _submodule(cap.original, owner) if owner else None
    return owner if module is not None and sum(1 for _ in module.parameters()) == 1 else None


def _rmsnorm(mapper, node, x, weight, eps: float, label: str | None) -> Seen:
    seen = mapper.get(x)
    params = {}
    if weight is not None:
        scale = mapper.get(weight)
        mapper.atoms.unify(scale.dims[0], seen.dims[-1])
        params = {"weight": scale.param}
    normed = mapper._norm(node, "rmsnorm", seen, [seen.dims[-1]], params, eps)
    if label is not None:
        mapper.producer[normed.dsl].label = label
    return normed
