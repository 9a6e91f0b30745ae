"""A sparse mixture of experts recognised as a whole: a router (a linear map to expert
scores, softmax, top k) and experts stored as stacked tensors (``gate_up_proj``
``[e, 2f, m]``, ``down_proj`` ``[e, m, f]``, as transformers' Mixtral, Qwen-MoE and
kin hold them). Torch captures the routing as gathers over data-dependent indices; the
diagram draws it as the paper does, every expert a map broadcast over an expert axis and
the top-k weights (zero elsewhere) mixing them, which computes the same. It is used only
when that dense form, run on the block's recorded input, gives its recorded output, or that of a
node inside it (the routed experts' mix, before a shared expert's output is added: Qwen-MoE's).
"""
from __future__ import annotations

from functools import partial

import torch
from torch import nn

from ..pytorch.functional import topk_gate
from .capture import Capture
from .graph import Param
from .patterns import Replacement, agrees


def recognise_experts(cap: Capture) -> dict:
    found = {}
    for path, block in cap.original.named_modules():
        experts = getattr(block, "experts", None)
        if not isinstance(experts, nn.Module):
            continue
        # the router is the block's gate (Mixtral's, Qwen-MoE's) or its router (Granite-MoE's; gpt-oss's, with biases)
        routers = {name: r for name in ("gate", "router") if isinstance(r := getattr(block, name, None), nn.Module)}
        name = next((n for n, r in routers.items() if _parts(r, experts)), None)
        forms = [(normalize,) for normalize in (True, False)]  # what recomputing tries: normalised or not, ...
        if name is not None:  # ... scored by a softmax or a sigmoid, with a bias that only chooses or not (MiniMax-M2's)
            select = _selection_bias(block, routers[name], f"{path}." if path else "", name)
            dense = partial(_dense, select=select and select[1])
            emitter = partial(_emitter, select=select)
            forms = [(normalize, sigmoid) for normalize in (True, False) for sigmoid in (False, True)]
        elif "router" in routers and _clamped_parts(routers["router"], experts):
            name, dense, emitter = "router", _dense_clamped, _clamped_emitter
        elif "router" in routers and _input_gated_parts(routers["router"], experts):
            name, dense, emitter = "router", _dense_input_gated, _input_gated_emitter
        else:
            continue
        router = routers[name]
        nodes = [n for n in cap.graph.nodes if n.op == "call_function" and _under(n, path) and n in cap.values]
        inside = set(nodes)
        ins = {a for n in nodes for a in n.all_input_nodes if a not in inside and a.op != "get_attr"}
        if len(ins) != 1:
            continue
        (x,) = ins
        # the block's result, or, where it adds a shared expert (Qwen-MoE's), the routed experts' mix before that
        dense = {how: form for how in forms  # (once a block)
                 if (form := dense(cap.values[x], router, experts, *how)) is not None}
        for out in nodes:
            how = _matches(cap.values[x], cap.values[out], dense)
            if how is not None:
                found[out] = Replacement([x], emitter(x, path, name, router, experts, *how))
                break
    return found


def _weight(router) -> tuple[str, torch.Tensor | None]:
    """(its name under the router, the tensor) of the router's map to the experts: its own ``weight``, or its ``wg``'s
    (HunYuan's gate holds an nn.Linear)."""
    own = getattr(router, "weight", None)
    if isinstance(own, torch.Tensor):
        return "weight", own
    inner = getattr(router, "wg", None)
    return "wg.weight", getattr(inner, "weight", None) if isinstance(inner, nn.Linear) and inner.bias is None else None


def _parts(router, experts) -> bool:
    w = _weight(router)[1]
    up, down = getattr(experts, "gate_up_proj", None), getattr(experts, "down_proj", None)
    return (isinstance(w, torch.Tensor) and isinstance(up, torch.Tensor) and isinstance(down, torch.Tensor)
            and w.dim() == 2 and up.dim() == 3 and down.dim() == 3 and isinstance(getattr(router, "top_k", None), int)
            and up.shape[0] == down.shape[0] == w.shape[0] and up.shape[2] == down.shape[1] == w.shape[1]
            and up.shape[1] == 2 * down.shape[2] and not getattr(experts, "is_transposed", False)
            and not getattr(experts, "has_bias", False) and "silu" in type(getattr(experts, "act_fn", None)).__name__.lower())


def _under(node, path: str) -> bool:
    if not path:  # the block is the module imported
        return True
    stack = node.meta.get("nn_module_stack") or {}
    return any(p == path or p.startswith(path + ".") for p, _ in stack.values())


def _selection_bias(block, router, prefix: str, name: str) -> tuple[str, torch.Tensor] | None:
    """(its parameter's name, the tensor) of a bias over the experts that only chooses them (``e_score_correction_bias``:
    the block's, as MiniMax-M2 keeps it; its router's, DeepSeek-V3's; or its router's ``moe_statics``', [1, e], ERNIE
    4.5's), or None."""
    statics, count = getattr(router, "moe_statics", None), _weight(router)[1].shape[0]
    for owner, path in ((block, prefix), (router, f"{prefix}{name}."), (statics, f"{prefix}{name}.moe_statics.")):
        bias = getattr(owner, "e_score_correction_bias", None)
        if isinstance(bias, torch.Tensor) and bias.numel() == count and bias.shape[-1] == count:
            return f"{path}e_score_correction_bias", bias
    return None


def _routing(router) -> dict:
    """How ``router`` keeps its top k beyond k itself: in groups, the best ``topk_groups`` of them competing, the kept
    weights scaled (DeepSeek-V3's ``num_group``, ``topk_group`` and ``routed_scaling_factor``), as ``topk`` names them."""
    groups, best, scale = (getattr(router, n, None) for n in ("num_group", "topk_group", "routed_scaling_factor"))
    found = {}
    if isinstance(groups, int) and isinstance(best, int) and groups > 1:
        found.update(groups=groups, topk_groups=best)
    if isinstance(scale, (int, float)) and not isinstance(scale, bool) and scale > 0 and scale != 1:
        found["scale"] = float(scale)
    return found


def _dense(x, router, experts, normalize: bool, sigmoid: bool, select=None):
    """The block as the diagram computes it, in float64: the experts scored by a softmax, or a ``sigmoid``, chosen by the
    scores plus a bias ``select`` where there is one (their weights the scores alone), kept as the router keeps them
    (:func:`_routing`)."""
    x = x.double()
    w, up, down = (t.detach().double() for t in (_weight(router)[1], experts.gate_up_proj, experts.down_proj))
    f = down.shape[2]
    probs = torch.sigmoid(x @ w.T) if sigmoid else torch.softmax(x @ w.T, -1)
    gates = topk_gate(probs, -1, router.top_k, normalize=normalize, bias=None if select is None else select.detach().double().flatten(),
                      **_routing(router))
    h = torch.nn.functional.silu(torch.einsum("...m,efm->...ef", x, up[:, :f])) * torch.einsum("...m,efm->...ef", x, up[:, f:])
    return torch.einsum("...ef,emf,...e->...m", h, down, gates)


def _matches(x, out, dense: dict) -> bool | None:
    """Whether ``out`` is the dense form of ``x`` (``dense``: normalised or not -> that form), normalised or not; its
    tokens may be flattened into one dim (Qwen-MoE's)."""
    if not isinstance(out, torch.Tensor) or out.numel() != x.numel() or out.shape[-1:] != x.shape[-1:] or not out.is_floating_point():
        return None
    for normalize, form in dense.items():
        if agrees(form.reshape(out.shape), out.double()):
            return normalize
    return None


def _emitter(x, path: str, name: str, router, experts, normalize: bool, sigmoid: bool, select: tuple | None = None):
    """The Mixtral form's statements; ``name``: the block's attribute that holds the router; ``sigmoid``: a sigmoid scores
    the experts, else a softmax; ``select``: (the name, the tensor) of a bias that chooses them, or None."""
    prefix = f"{path}." if path else ""
    e, two_f, m = experts.gate_up_proj.shape

    def emit(mapper, node):
        seen = mapper.get(x)
        atoms = mapper.atoms
        data = mapper.data(seen)
        hidden = seen.dims[-1]
        w_e, gates = _gates(mapper, node, seen, e, m, f"{prefix}{name}.{_weight(router)[0]}", None, router.top_k, normalize, select,
                             _routing(router), sigmoid)
        up_e, up_rows, up_m = atoms.new(e, "experts"), atoms.new(two_f, "ffn"), atoms.new(m)
        half, f_atom = atoms.split(up_rows, [2, two_f // 2])
        atoms.unify(up_e, w_e)
        atoms.unify(up_m, hidden)
        stored = [up_e, up_rows, up_m]
        x_atoms, h_atoms = _hidden_atoms(mapper, seen, w_e, f_atom)
        maps = []
        for part in (0, 1):
            param = Param(f"{prefix}experts.gate_up_proj", stored, {atoms.find(half): part})
            maps.append(mapper.emit("linear", [data], h_atoms, node, axes={"in": [hidden], "out": [f_atom], "per": [w_e]},
                                    params={"weight": param}, options={"bias": False}, label=f"{prefix}experts.gate_up_proj.{part}"))
        act = mapper.emit("silu", [maps[0]], h_atoms, node)
        product = mapper.emit("mul", [act, maps[1]], h_atoms, node)
        d_e, d_m, d_f = atoms.new(e, "experts"), atoms.new(m), atoms.new(two_f // 2)
        atoms.unify(d_e, w_e)
        atoms.unify(d_f, f_atom)
        e_atoms = [d_m if atoms.find(a) == atoms.find(f_atom) else a for a in h_atoms]
        down = mapper.emit("linear", [product], e_atoms, node, axes={"in": [f_atom], "out": [d_m], "per": [w_e]},
                           params={"weight": Param(f"{prefix}experts.down_proj", [d_e, d_m, d_f])}, options={"bias": False},
                           label=f"{prefix}experts.down_proj")
        return _mixed(mapper, node, x, seen, down, d_m, gates, w_e, x_atoms)

    return emit


# gpt-oss's experts: a router with a bias whose top k logits are softmaxed (the normalised top k of their softmax), and
# experts stored transposed ([e, m, 2f], [e, f, m]) with biases, the gate and up rows interleaved, both clamped, the
# gate's GLU x sigmoid(alpha x) (silu with beta=alpha), times up + 1 (drawn as up x glu + glu)


def _clamped_parts(router, experts) -> bool:
    w, b = getattr(router, "weight", None), getattr(router, "bias", None)
    names = ("gate_up_proj", "gate_up_proj_bias", "down_proj", "down_proj_bias")
    up, up_b, down, down_b = (getattr(experts, n, None) for n in names)
    if not (all(isinstance(t, torch.Tensor) for t in (w, b, up, up_b, down, down_b)) and isinstance(getattr(router, "top_k", None), int)
            and getattr(experts, "is_transposed", False) and isinstance(getattr(experts, "alpha", None), float)
            and isinstance(getattr(experts, "limit", None), float) and w.dim() == 2 and up.dim() == 3 and down.dim() == 3):
        return False
    e, m = w.shape
    f = down.shape[1]
    return (tuple(b.shape) == (e,) and tuple(up.shape) == (e, m, 2 * f) and tuple(up_b.shape) == (e, 2 * f)
            and tuple(down.shape) == (e, f, m) and tuple(down_b.shape) == (e, m))


def _dense_clamped(x, router, experts, normalize: bool):
    """The block as the diagram computes it, in float64 (its top k softmaxed: normalised only)."""
    if not normalize:
        return None
    x = x.double()
    w, b, up, up_b, down, down_b = (t.detach().double() for t in (router.weight, router.bias, experts.gate_up_proj,
                                                                   experts.gate_up_proj_bias, experts.down_proj, experts.down_proj_bias))
    probs = torch.softmax(x @ w.T + b, -1)
    top, index = probs.topk(router.top_k, -1)
    gates = torch.zeros_like(probs).scatter(-1, index, top / top.sum(-1, keepdim=True))
    both = torch.einsum("...m,emr->...er", x, up) + up_b
    gate, up = both[..., ::2].clamp(max=experts.limit), both[..., 1::2].clamp(-experts.limit, experts.limit)
    glu = gate * torch.sigmoid(gate * experts.alpha)
    out = torch.einsum("...ef,efm->...em", up * glu + glu, down) + down_b
    return torch.einsum("...em,...e->...m", out, gates)


def _clamped_emitter(x, path: str, name: str, router, experts, normalize: bool):
    prefix = f"{path}." if path else ""
    e, m, two_f = experts.gate_up_proj.shape
    limit, alpha = experts.limit, experts.alpha

    def emit(mapper, node):
        seen = mapper.get(x)
        atoms, data, hidden = mapper.atoms, mapper.data(seen), seen.dims[-1]
        w_e, gates = _gates(mapper, node, seen, e, m, f"{prefix}{name}.weight", f"{prefix}{name}.bias", router.top_k, True)
        up_e, up_m, up_rows, ub_e, ub_rows = (atoms.new(n, "experts" if n == e else "") for n in (e, m, two_f, e, two_f))
        f_atom, two = atoms.split(up_rows, [two_f // 2, 2])  # the rows interleaved: gate, up, gate, up, ...
        fb, twob = atoms.split(ub_rows, [two_f // 2, 2])
        for a, b in ((up_e, w_e), (ub_e, w_e), (up_m, hidden), (fb, f_atom), (twob, two)):
            atoms.unify(a, b)
        x_atoms, h_atoms = _hidden_atoms(mapper, seen, w_e, f_atom)
        maps = [mapper.emit("linear", [data], h_atoms, node, axes={"in": [hidden], "out": [f_atom], "per": [w_e]},
                            params={"weight": Param(f"{prefix}experts.gate_up_proj", [up_e, up_m, up_rows], {atoms.find(two): part}),
                                    "bias": Param(f"{prefix}experts.gate_up_proj_bias", [ub_e, ub_rows], {atoms.find(two): part})},
                            options={"bias": True}, label=f"{prefix}experts.gate_up_proj.{part}") for part in (0, 1)]
        gated = mapper.emit("clamp", [maps[0]], h_atoms, node, options={"max": limit})
        up = mapper.emit("clamp", [maps[1]], h_atoms, node, options={"min": -limit, "max": limit})
        glu = mapper.emit("silu", [gated], h_atoms, node, options={"beta": alpha})  # gate sigmoid(alpha gate), one box
        hidden_f = mapper.emit("add", [mapper.emit("mul", [up, glu], h_atoms, node), glu], h_atoms, node)  # (up + 1) glu
        d_e, d_f, d_m, db_e, db_m = atoms.new(e, "experts"), atoms.new(two_f // 2), atoms.new(m), atoms.new(e, "experts"), atoms.new(m)
        for a, b in ((d_e, w_e), (d_f, f_atom), (db_e, w_e), (db_m, d_m)):
            atoms.unify(a, b)
        e_atoms = [d_m if atoms.find(a) == atoms.find(f_atom) else a for a in h_atoms]
        down = mapper.emit("linear", [hidden_f], e_atoms, node, axes={"in": [f_atom], "out": [d_m], "per": [w_e]},
                           params={"weight": Param(f"{prefix}experts.down_proj", [d_e, d_f, d_m]),
                                   "bias": Param(f"{prefix}experts.down_proj_bias", [db_e, db_m])},
                           options={"bias": True}, label=f"{prefix}experts.down_proj")
        return _mixed(mapper, node, x, seen, down, d_m, gates, w_e, x_atoms)

    return emit


# Llama 4's experts: a router (an nn.Linear) whose top k logits' sigmoids (the rest 0) scale each expert's input, not its
# output; experts stored [e, m, 2f] (gate, then up) and [e, f, m], run on every token by bmm; their outputs summed


def _input_gated_parts(router, experts) -> bool:
    w = getattr(router, "weight", None)
    up, down = getattr(experts, "gate_up_proj", None), getattr(experts, "down_proj", None)
    return (isinstance(w, torch.Tensor) and isinstance(up, torch.Tensor) and isinstance(down, torch.Tensor)
            and getattr(router, "bias", None) is None and isinstance(getattr(router, "top_k", None), int)
            and w.dim() == 2 and up.dim() == 3 and down.dim() == 3 and up.shape[0] == down.shape[0] == w.shape[0]
            and up.shape[1] == down.shape[2] == w.shape[1] and up.shape[2] == 2 * down.shape[1]
            and "silu" in type(getattr(experts, "act_fn", None)).__name__.lower())


def _dense_input_gated(x, router, experts, normalize: bool):
    """The routed experts as the diagram computes them, in float64 (never normalised)."""
    if normalize:
        return None
    x = x.double()
    w, up, down = (t.detach().double() for t in (router.weight, experts.gate_up_proj, experts.down_proj))
    f = down.shape[1]
    gates = topk_gate(torch.sigmoid(x @ w.T), -1, router.top_k)
    gated = torch.einsum("...m,...e->...em", x, gates)
    h = torch.nn.functional.silu(torch.einsum("...em,emf->...ef", gated, up[..., :f])) * torch.einsum("...em,emf->...ef", gated, up[..., f:])
    return torch.einsum("...ef,efm->...m", h, down)


def _input_gated_emitter(x, path: str, name: str, router, experts, normalize: bool):
    prefix = f"{path}." if path else ""
    e, m, two_f = experts.gate_up_proj.shape

    def emit(mapper, node):
        seen = mapper.get(x)
        atoms, data, hidden = mapper.atoms, mapper.data(seen), seen.dims[-1]
        w_e, gates = _gates(mapper, node, seen, e, m, f"{prefix}{name}.weight", None, router.top_k, False, sigmoid=True)  # (Llama 4's:
        # the sigmoid of the top logits, the rest 0, is the top k of the sigmoids)
        up_e, up_m, up_cols = atoms.new(e, "experts"), atoms.new(m), atoms.new(two_f, "ffn")
        two, f_atom = atoms.split(up_cols, [2, two_f // 2])  # gate, then up
        for a, b in ((up_e, w_e), (up_m, hidden)):
            atoms.unify(a, b)
        x_atoms, h_atoms = _hidden_atoms(mapper, seen, w_e, f_atom)
        gated = mapper.emit("einsum", [data, gates], x_atoms + mapper.leaves([w_e]), node, axes={"depth": []})  # x g_e, each e
        maps = [mapper.emit("linear", [gated], h_atoms, node, axes={"in": [hidden], "out": [f_atom], "per": [w_e]},
                            params={"weight": Param(f"{prefix}experts.gate_up_proj", [up_e, up_m, up_cols], {atoms.find(two): part})},
                            options={"bias": False}, label=f"{prefix}experts.gate_up_proj.{part}") for part in (0, 1)]
        product = mapper.emit("mul", [mapper.emit("silu", [maps[0]], h_atoms, node), maps[1]], h_atoms, node)
        d_e, d_f, d_m = atoms.new(e, "experts"), atoms.new(two_f // 2), atoms.new(m)
        for a, b in ((d_e, w_e), (d_f, f_atom), (d_m, hidden)):
            atoms.unify(a, b)
        e_atoms = [hidden if atoms.find(a) == atoms.find(f_atom) else a for a in h_atoms]
        down = mapper.emit("linear", [product], e_atoms, node, axes={"in": [f_atom], "out": [d_m], "per": [w_e]},
                           params={"weight": Param(f"{prefix}experts.down_proj", [d_e, d_f, d_m])}, options={"bias": False},
                           label=f"{prefix}experts.down_proj")
        summed = mapper.emit("sum", [down], x_atoms, node, axes={"on": [w_e]})
        shape = list(mapper.shape(node))
        return type(seen)(seen.dims if shape == list(mapper.shape(x)) else mapper.atoms.reshape(seen.dims, shape), summed)

    return emit


# what both forms of experts emit alike


def _gates(mapper, node, seen, e: int, m: int, weight: str, bias: str | None, k: int, normalize: bool, select: tuple | None = None,
           routing: dict | None = None, sigmoid: bool = False):
    """(the experts axis, the gates): the router's map from the depth of ``seen`` to a score per expert (its parameters
    named ``weight`` and ``bias``), a softmax over the experts (or a ``sigmoid`` of each score), and the top ``k`` of
    them kept (normalised); with a selection bias (``select``: its parameter's name and tensor), chosen by the scores
    plus it; ``routing``: the top k's groups and scale (:func:`_routing`)."""
    atoms, Seen = mapper.atoms, type(seen)
    mapper.float32 = True  # the router's softmax runs in float32
    w_e, w_m = atoms.new(e, "experts"), atoms.new(m)
    atoms.unify(w_m, seen.dims[-1])
    b_e = atoms.new(e, "experts") if bias is not None else None
    gate = mapper._linear(node, seen, Seen([w_e, w_m], param=Param(weight, [w_e, w_m])),
                          Seen([b_e], param=Param(bias, [b_e])) if bias is not None else None, w_m, w_e)
    atoms_of = mapper.prog.values[gate.dsl].atoms
    probs = mapper.emit("sigmoid", [gate.dsl], atoms_of, node) if sigmoid else \
        mapper.emit("softmax", [gate.dsl], atoms_of, node, axes={"on": [w_e]})
    options, params = {"k": k, "normalize": normalize}, {}
    if select is not None:
        s_e = atoms.new(e, "experts")
        atoms.unify(s_e, w_e)
        stored = [atoms.new(1, "unit")] * (select[1].dim() - 1) + [s_e]  # (ERNIE 4.5 keeps it [1, e])
        options["select_bias"], params["bias"] = True, Param(select[0], stored)
    return w_e, mapper.emit("topk", [probs], atoms_of, node, axes={"on": [w_e]}, params=params, options={**options, **(routing or {})})


def _hidden_atoms(mapper, seen, w_e: int, f_atom: int) -> tuple[list, list]:
    """(the atoms of ``seen``'s value, those of the experts' hidden values: its depth replaced by ``f_atom``, then the
    experts)."""
    atoms, depth = mapper.atoms, seen.dims[-1]
    x_atoms = mapper.dsl_leaves(seen)
    first = x_atoms.index(atoms.find(atoms.leaves(depth)[0]))
    gone = list(map(atoms.find, atoms.leaves(depth)))
    return x_atoms, x_atoms[:first] + [f_atom] + mapper.leaves([w_e]) + [a for a in x_atoms[first:] if a not in gone]


def _mixed(mapper, node, x, seen, down: int, out_m: int, gates: int, w_e: int, x_atoms: list):
    """The experts' outputs ``down`` (their depth ``out_m``, the input's) mixed by the gates, summed over the experts; as
    the block's result is laid out (its tokens flattened into one dim, as Qwen-MoE's are)."""
    mapper.atoms.unify(out_m, seen.dims[-1])
    mixed = mapper.emit("einsum", [down, gates], x_atoms, node, axes={"depth": [w_e]})
    shape = list(mapper.shape(node))
    return type(seen)(seen.dims if shape == list(mapper.shape(x)) else mapper.atoms.reshape(seen.dims, shape), mixed)
