"""Whole computations recognised by what they compute: an RMSNorm module (which torch
captures as pow, mean, rsqrt and products) becomes one ``rmsnorm`` box, and rotary
positions (``x * cos + rotate_half(x) * sin``) one ``rope`` box, but only when
re-computing them from their recorded input gives their recorded output.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from .capture import Capture
from .seen import module_path

RTOL, ATOL = 1e-4, 1e-5  # how near a recognised computation, re-computed, must come to the recorded result


@dataclass
class Replacement:
    """A node computed by a recognised pattern from ``inputs`` (the rest of its subgraph is not imported)."""

    inputs: list
    emit: Callable


def recognise(cap: Capture) -> dict:
    """Nodes to import as one box each."""
    found = {}
    for path, nodes in _module_runs(cap).items():
        module = _submodule(cap.original, path)
        if module is not None and type(module).__name__.endswith("RMSNorm"):
            found.update(_rmsnorm(cap, path, nodes))
    inv_freq = [b for name, b in cap.original.named_buffers() if name.endswith("inv_freq")]
    for node in cap.graph.nodes:
        if inv_freq and _is(node, "add"):
            found.update(_rope(cap, node, inv_freq[0]))
    return found


def agrees(computed, recorded) -> bool:
    """Whether a re-computed result is the recorded one, within every recogniser's tolerance."""
    return torch.allclose(computed, recorded, rtol=RTOL, atol=ATOL)


def _is(node, name: str) -> bool:
    packet = getattr(node.target, "overloadpacket", None)
    return node.op == "call_function" and getattr(packet, "__name__", "") == name


def _rope(cap: Capture, node, inv_freq) -> dict:
    """``x * cos + cat(-x[..., k/2:], x[..., :k/2]) * sin`` with the tables of positions 0, 1, ... (rotate-half rope)."""
    first, second = node.args[:2]
    if not (isinstance(first, torch.fx.Node) and isinstance(second, torch.fx.Node) and _is(first, "mul") and _is(second, "mul")):
        return {}
    x = first.args[0]
    cat = second.args[0]
    if not (isinstance(cat, torch.fx.Node) and _is(cat, "cat") and isinstance(x, torch.fx.Node)):
        return {}
    value, out, table = cap.values.get(x), cap.values.get(node), cap.values.get(first.args[1])
    if not all(isinstance(t, torch.Tensor) for t in (value, out, table)) or value.shape != out.shape or value.dim() < 2:
        return {}
    depth = value.shape[-1]
    if depth % 2 or inv_freq.numel() * 2 != depth or depth < 4:
        return {}
    shape = (1,) * (value.dim() - table.dim()) + tuple(table.shape)
    along = [i for i in range(value.dim() - 1) if shape[i] > 1]
    if len(along) != 1:
        return {}
    position = along[0]
    base = float(inv_freq[1].double() ** (-depth / 2))
    rounded = round(base)
    base = float(rounded) if abs(rounded - base) <= 1e-3 * base else base
    angles = torch.arange(value.shape[position], dtype=torch.float64)[:, None] * base ** (-torch.arange(0, depth, 2, dtype=torch.float64) / depth)
    cos, sin = torch.cat([angles.cos()] * 2, -1), torch.cat([angles.sin()] * 2, -1)
    view = [1] * value.dim()
    view[position], view[-1] = value.shape[position], depth
    v = value.double()
    rotated = torch.cat([-v[..., depth // 2:], v[..., : depth // 2]], -1)
    expected = v * cos.view(view) + rotated * sin.view(view)
    if not agrees(expected, out.double()):
        return {}

    def emit(mapper, node):
        seen = mapper.get(x)
        mapper.float32 = True  # the module's tables are float32
        atoms = mapper.prog.values[mapper.data(seen)].atoms
        on = [seen.dims[position], seen.dims[-1]]
        mapper.atoms.atom(seen.dims[position]).width = True
        return type(seen)(seen.dims, mapper.emit("rope", [seen.dsl], atoms, node, axes={"on": on}, options={"base": base}))

    return {node: Replacement([x], emit)}


def _module_runs(cap: Capture) -> dict:
    """The nodes each innermost submodule ran, by module path (only the last run of each)."""
    runs = {}
    for node in cap.graph.nodes:
        if node.op == "call_function" and node.meta.get("nn_module_stack"):
            runs.setdefault(_path(module_path(node)), []).append(node)
    return runs


def _path(path: str) -> str:
    """``L['self'].layers[0].norm`` or ``layers.0.norm`` as a submodule path."""
    import re
    path = re.sub(r"^L\['self'\]\.?", "", path)
    return re.sub(r"\[(\d+)\]", r".\1", path).strip(".")


def _rmsnorm(cap: Capture, path: str, nodes: list) -> dict:
    inside = set(nodes)
    last = nodes[-1]
    outer = [a for n in nodes for a in n.all_input_nodes if a not in inside and a.op != "get_attr"]
    weights = [a for n in nodes for a in n.all_input_nodes if a.op == "get_attr"]
    if len(set(outer)) != 1 or len(set(weights)) != 1:
        return {}
    x, w = outer[0], weights[0]
    eps = next((float(v) for v in (getattr(_submodule(cap.original, path), k, None) for k in ("variance_epsilon", "eps")) if v is not None), 1e-6)
    value, weight, out = cap.values[x], cap.values[w], cap.values[last]
    if not isinstance(out, torch.Tensor) or weight.shape != value.shape[-1:]:
        return {}
    v32 = value.float()
    expected = (weight.float() * (v32 * torch.rsqrt(v32.pow(2).mean(-1, keepdim=True) + eps))).to(out.dtype)
    if not agrees(expected, out):
        return {}

    def emit(mapper, node):
        seen, param = mapper.get(x), mapper.get(w)
        mapper.atoms.unify(param.dims[0], seen.dims[-1])
        mapper.float32 = True  # transformers' RMSNorms compute in float32 whatever they are given
        return mapper._norm(node, "rmsnorm", seen, [seen.dims[-1]], {"weight": param.param}, eps)

    return {last: Replacement([x, w], emit)}


def _submodule(module, path: str):
    try:
        return module.get_submodule(path) if path else None
    except AttributeError:
        return None
