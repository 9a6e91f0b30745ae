"""Whole computations recognised by what they compute: an RMSNorm module (which torch
captures as pow, mean, rsqrt and products; named so, or any module that takes an rsqrt, as
T5's ``T5LayerNorm``; scaling by its weight, or by 1 + its weight as Gemma's does) becomes one ``rmsnorm`` box,
and a LayerNorm with a weight and no bias written out so (Cohere's) one ``layernorm ... with weight`` box, but only when
re-computing it from its recorded input gives its recorded output (:func:`agrees`, the
tolerance every recogniser uses). Rotary positions are :mod:`.recomputed`'s.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import torch

from .capture import Capture
from .seen import module_path, target_name

RTOL, ATOL = 1e-4, 1e-5  # how near a recognised computation, re-computed, must come to the recorded result


@dataclass
class Replacement:
    """A node computed by a recognised pattern from ``inputs`` (the rest of its subgraph is not imported)."""

    inputs: list
    emit: Callable


def recognise(cap: Capture) -> dict:
    """Nodes to import as one box each."""
    found = {}
    for path, nodes in _module_runs(cap):
        module = _submodule(cap.original, path)
        # by name (LlamaRMSNorm), or by what it computes with (T5LayerNorm is an RMSNorm too); the recomputation decides
        # (or a LayerNorm written out, DeBERTa's, with sqrt; nn.LayerNorm is one aten.layer_norm, which the mapper reads)
        if module is not None and (type(module).__name__.endswith("RMSNorm") or any(_is(n, "rsqrt") for n in nodes)
                                   or type(module).__name__.endswith("LayerNorm") and not isinstance(module, torch.nn.LayerNorm)
                                   or _own_layer_norm(module)):
            found.update(_norm(cap, path, nodes))
    return found


def _own_layer_norm(module) -> bool:
    """An nn.LayerNorm with a forward of its own (Nemotron's LayerNorm1P, ``F.layer_norm(x, ..., weight + 1, bias)``)."""
    return isinstance(module, torch.nn.LayerNorm) and type(module).forward is not torch.nn.LayerNorm.forward


def agrees(computed, recorded) -> bool:
    """Whether a re-computed result is the recorded one, within every recogniser's tolerance."""
    return torch.allclose(computed, recorded, rtol=RTOL, atol=ATOL)


def _is(node, name: str) -> bool:
    """Whether ``node`` calls the aten operation ``name`` by any of its names, in place or not, as the mapper reads it
    (:func:`.seen.target_name`: Megatron-BERT's ``embeddings += position_embeddings`` stays ``aten.add_`` in the
    exported graph)."""
    return node.op == "call_function" and hasattr(node.target, "overloadpacket") and target_name(node) == name


def _module_runs(cap: Capture) -> list:
    """(module path, the nodes it ran) for each call of each innermost submodule: a module called twice (NanoChat's
    one norm before its layers and after them) ran twice, each call under its own key (``norm``, ``norm@1``)."""
    runs = {}
    for node in cap.graph.nodes:
        stack = node.meta.get("nn_module_stack") if node.op == "call_function" else None
        if stack:
            runs.setdefault(list(stack)[-1], (_path(module_path(node)), []))[1].append(node)
    return list(runs.values())


def _path(path: str) -> str:
    """``L['self'].layers[0].norm`` or ``layers.0.norm`` as a submodule path."""
    import re
    path = re.sub(r"^L\['self'\]\.?", "", path)
    return re.sub(r"\[(\d+)\]", r".\1", path).strip(".")


def _norm(cap: Capture, path: str, nodes: list) -> dict:
    """An RMSNorm, or a LayerNorm with no bias or with one, written out in the module at ``path``: one box, where
    recomputing it agrees."""
    inside = set(nodes)
    last = nodes[-1]
    outer = [a for n in nodes for a in n.all_input_nodes if a not in inside and a.op != "get_attr"]
    weights = list(dict.fromkeys(a for n in nodes for a in n.all_input_nodes if a.op == "get_attr"))
    if len(set(outer)) != 1 or len(weights) > 2:
        return {}
    if len(weights) == 2:
        return _biased_layer_norm(cap, path, outer[0], weights, last)
    if not weights:
        return _plain_rms_norm(cap, path, outer[0], last)
    x, w = outer[0], weights[0]
    eps = _eps(_submodule(cap.original, path), 1e-6)
    value, weight, out = cap.values[x], cap.values[w], cap.values[last]
    if not isinstance(out, torch.Tensor) or weight.shape != value.shape[-1:]:
        return {}
    v32 = value.float()
    normed = v32 * torch.rsqrt(v32.pow(2).mean(-1, keepdim=True) + eps)
    # the weight as stored, or stored less 1 (Gemma's RMSNorm scales by 1 + weight, so a new one is the identity)
    shift = next((s for s in (0.0, 1.0) if agrees(((weight.float() + s) * normed).to(out.dtype), out)), None)
    centred = v32 - v32.mean(-1, keepdim=True)  # or a LayerNorm with a weight and no bias, written out (Cohere's)
    layer = shift is None and agrees((weight.float() * centred * torch.rsqrt(centred.pow(2).mean(-1, keepdim=True) + eps)).to(out.dtype), out)
    if shift is None and not layer:
        return {}

    def emit(mapper, node):
        seen, param = mapper.get(x), mapper.get(w)
        mapper.atoms.unify(param.dims[0], seen.dims[-1])
        mapper.float32 = True  # transformers' RMSNorms (and Cohere's LayerNorm) compute in float32 whatever they are given
        if layer:
            return mapper._norm(node, "layernorm", seen, [seen.dims[-1]], {"weight": param.param}, eps, weight=True)
        return mapper._norm(node, "rmsnorm", seen, [seen.dims[-1]], {"weight": replace(param.param, shift=shift)}, eps)

    return {last: Replacement([x, w], emit)}


def _plain_rms_norm(cap: Capture, path: str, x, last) -> dict:
    """An RMSNorm with no weight (NanoChat's, ``x * rsqrt(mean(x^2) + eps)``): ``rmsnorm`` alone, where recomputing it
    agrees."""
    eps = _eps(_submodule(cap.original, path))
    value, out = cap.values.get(x), cap.values.get(last)
    if eps is None or not isinstance(value, torch.Tensor) or not isinstance(out, torch.Tensor) or out.shape != value.shape:
        return {}
    v32 = value.float()
    if not agrees((v32 * torch.rsqrt(v32.pow(2).mean(-1, keepdim=True) + eps)).to(out.dtype), out):
        return {}

    def emit(mapper, node):
        seen = mapper.get(x)
        mapper.float32 = True
        return mapper._norm(node, "rmsnorm", seen, [seen.dims[-1]], {}, eps)

    return {last: Replacement([x], emit)}


def _biased_layer_norm(cap: Capture, path: str, x, weights: list, last) -> dict:
    """A LayerNorm with a weight and a bias written out (DeBERTa's ``weight * (x - mean) / sqrt(var + eps) + bias``):
    ``layernorm ... with affine``, where recomputing it agrees."""
    named = {str(w.target).rsplit(".", 1)[-1].rsplit("_", 1)[-1]: w for w in weights}
    if set(named) != {"weight", "bias"}:
        return {}
    w, b = named["weight"], named["bias"]
    module = _submodule(cap.original, path)
    eps = _eps(module)
    value, weight, bias, out = cap.values[x], cap.values[w], cap.values[b], cap.values[last]
    if eps is None or not isinstance(out, torch.Tensor) or weight.shape != value.shape[-1:] or bias.shape != weight.shape:
        return {}
    v32 = value.float()
    centred = v32 - v32.mean(-1, keepdim=True)
    normed = centred / torch.sqrt(centred.pow(2).mean(-1, keepdim=True) + eps)
    # the weight as stored, or stored less 1 (Nemotron's LayerNorm1P scales by 1 + weight)
    one = next((s for s in (0.0, 1.0) if agrees(((weight.float() + s) * normed + bias.float()).to(out.dtype), out)), None)
    if one is None:
        return {}

    def emit(mapper, node):
        seen, scale, shift = mapper.get(x), mapper.get(w), mapper.get(b)
        for p in (scale, shift):
            mapper.atoms.unify(p.dims[0], seen.dims[-1])
        mapper.float32 = True  # it computes in float32 whatever it is given (DeBERTa's casts up, then back)
        return mapper._norm(node, "layernorm", seen, [seen.dims[-1]], {"weight": replace(scale.param, shift=one), "bias": shift.param}, eps)

    return {last: Replacement([x, w, b], emit)}


def _eps(module, default: float | None = None) -> float | None:
    """A norm module's epsilon, as transformers' RMSNorms (``variance_epsilon``) and others (``eps``) keep it."""
    return next((float(v) for v in (getattr(module, k, None) for k in ("variance_epsilon", "eps")) if v is not None), default)


def _submodule(module, path: str):
    try:
        return module.get_submodule(path) if path else None
    except AttributeError:
        return None
