"""A tensor divided by its L2 norm along one dim (``F.normalize(x, dim=-1)``, ``x / x.norm(dim=-1, keepdim=True)``:
CLIP's embeddings, cosine attention's queries and keys) is one ``rmsnorm`` scaled by the size's inverse square root,
``rmsnorm(X: m) * m^-1/2``, as the gallery's spherical attention writes it: x / sqrt(mean(x^2)) / sqrt(n) = x / |x|.
The norm's own nodes (``linalg_vector_norm``, ``clamp_min``, ``expand``) are not imported. Only where recomputing it
from the divided tensor gives the recorded result.
"""
from __future__ import annotations

import torch

from .capture import Capture
from .patterns import Replacement, _is, agrees
from .seen import Seen

EPS = 1e-12  # F.normalize's: the rmsnorm's eps, over the size, adds what its clamp would keep away from zero
# (the rmsnorm is written by :meth:`.products.ProductOps._normalized`, with this eps)


def recognise_normalized(cap: Capture) -> dict:
    """Quotients of a tensor by its L2 norm along one dim, to import as a scaled ``rmsnorm``."""
    found = {}
    for node in cap.graph.nodes:
        if not (_is(node, "div") and len(node.args) == 2 and all(isinstance(a, torch.fx.Node) for a in node.args)):
            continue
        x = node.args[0]
        value, norm, out = (cap.values.get(a) for a in (x, node.args[1], node))
        if not all(isinstance(t, torch.Tensor) and t.is_floating_point() for t in (value, norm, out)) or out.shape != value.shape \
                or norm.dim() != value.dim():
            continue
        dims = [d for d in range(value.dim()) if value.shape[d] > 1 and norm.shape[d] in (1, value.shape[d])]  # (expanded)
        dim = next((d for d in dims if agrees(value.double() / value.double().norm(dim=d, keepdim=True).clamp_min(EPS),
                                              out.double())), None)
        if dim is not None:
            found[node] = Replacement([x], lambda mapper, node, x=x, dim=dim: _normalized(mapper, node, x, dim))
    return found


def _normalized(mapper, node, x, dim: int) -> Seen:
    seen = mapper.get(x)
    return Seen(seen.dims, mapper._normalized(node, seen, dim))
