"""Computations recognised by recomputing them: the region of the graph between one tensor and a
last node, fed by nothing else but constants (and, for a gate, its selection bias), becomes one box
when the box's function, run on that tensor's recorded value, gives the recorded result. So
``ncd compile``'s rotary and top-k gate helpers (:func:`~ncd_render.pytorch.functional.rotary`,
:func:`~ncd_render.pytorch.functional.topk_gate`) come back as ``rope`` and ``topk``, and the
tanh GELU written out (transformers' ``gelu_new``, GPT-2's) as ``gelu ... with approximate=tanh``, and the
erf GELU written out (ESM's) as ``gelu``.
Transformers' rotary positions (``x * cos + rotate_half(x) * sin``, the tables made from the
module's ``inv_freq`` buffer, so not constants; or x's pairs times the tables as complex numbers,
``view_as_real(view_as_complex(x) * freqs_cis).flatten(-2)``) are found by their shape and checked the same way.
"""
from __future__ import annotations

import itertools

import torch

from ..pytorch.functional import positions, rotary, topk_gate
from .capture import Capture
from .patterns import Replacement, _is, agrees

REACH = 60  # nodes looked back from a helper's last one for the tensor it starts from


def recognise_recomputed(cap: Capture) -> dict:
    """Nodes to import as one box each."""
    fed, tables = _fed(cap), None
    inv_freq = [b for name, b in cap.original.named_buffers() if name.endswith("inv_freq")]
    scalings = _scalings(cap.original) if inv_freq else []
    found, turned = {}, {}  # turned: a rotary's last node -> (its x, position dim, base, interleaved, scaling)
    for node in cap.graph.nodes:
        if inv_freq and _is(node, "add"):
            found.update(_rotate_half(cap, node, inv_freq, turned, scalings))
        if _is(node, "cat") and turned:
            found.update(_partial_rope(cap, node, turned))
        if (_is(node, "cat") or any(_is(a, "stack") for a in node.all_input_nodes)) and node not in found:
            found.update(_rope(cap, fed, node))
            if node not in found and _is(node, "cat") and inv_freq:  # with tables made from the module's inv_freq buffer
                tables = tables if tables is not None else _fed_by_learning(cap)
                found.update(_rope(cap, tables, node, inv_freq, scalings))
        elif inv_freq and _is(node, "flatten") and any(_is(a, "view_as_real") for a in node.all_input_nodes):
            # x's pairs as complex numbers times the tables as complex numbers, back to pairs (DeepSeek-V2's, Llama 4's)
            tables = tables if tables is not None else _fed_by_learning(cap)
            found.update(_rope(cap, tables, node, inv_freq, scalings))
        elif _is(node, "add") and any(_is(b, "stack") for a in node.all_input_nodes for b in _ancestors([a], 3)):
            # x * cos + rotated(x) * sin with the tables read from a buffer (GPT-J's): the buffer is a constant here
            tables = tables if tables is not None else _fed_by_learning(cap)
            found.update(_rope(cap, tables, node))
        if _is(node, "scatter"):
            found.update(_gate(cap, fed, node))
        if _is(node, "cumsum"):
            found.update(_positions(cap, fed, node))
        if _is(node, "tanh") or _is(node, "erf"):
            found.update(_gelu_written(cap, fed, node, "tanh" if _is(node, "tanh") else "none"))
    return found


def _fed(cap: Capture, by=("placeholder", "get_attr"), also: frozenset = frozenset()) -> set:
    """The nodes that depend on the module's inputs or parameters (the rest are constants: positions, tables);
    ``by=("placeholder",)``: on its inputs alone (a buffer's positions are constants too); and on the nodes ``also``."""
    fed = set()
    for node in cap.graph.nodes:
        if node.op in by or node in also or any(a in fed for a in node.all_input_nodes):
            fed.add(node)
    return fed


def _fed_by_learning(cap: Capture) -> set:
    """The nodes that depend on the module's inputs or learned parameters: its buffers (a table of sines) and the
    constants of its code are constants here."""
    def learned(target) -> bool:
        try:
            cap.original.get_parameter(target)
        except AttributeError:
            return False
        return True
    return _fed(cap, by=("placeholder",), also=frozenset(n for n in cap.graph.nodes if n.op == "get_attr" and learned(n.target)))


def _starts(cap: Capture, fed: set, end, allowed=lambda node: False):
    """The tensors the region ending at ``end`` may start from, nearest first: each a fed node that every
    fed input of the region comes through (``allowed`` nodes, a gate's bias, may feed it too), with the region."""
    order, seen, frontier = [], {end}, [end]
    while frontier and len(order) < REACH:
        node = frontier.pop(0)
        for a in node.all_input_nodes:
            if a not in seen:
                seen.add(a)
                order.append(a)
                frontier.append(a)
    for x in order:
        if x not in fed or allowed(x) or x.op == "get_attr" or not isinstance(cap.values.get(x), torch.Tensor):
            continue
        region, stack = set(), [end]
        while stack:  # what lies between x and end
            node = stack.pop()
            if node in region or node is x:
                continue
            region.add(node)
            stack.extend(a for a in node.all_input_nodes if a in fed and not allowed(a))
        if not any(n.op in ("placeholder", "get_attr") for n in region):  # x is end's ancestor: it reaches end
            yield x, region


def _close(compute, b) -> bool:
    """Whether ``compute()`` gives ``b`` (a candidate that does not fit the shapes gives nothing)."""
    try:
        a = compute()
    except (RuntimeError, IndexError, ValueError):
        return False
    return isinstance(b, torch.Tensor) and a.shape == b.shape and agrees(a, b.double())


def _rope(cap: Capture, fed: set, end, inv_freqs=(), scalings=()) -> dict:
    """``rotary(x, -2, -1, base, interleaved)``: pair i of x's last dim turned by its position along the one before;
    or its pairs interleaved, turned, and laid out as halves, the first elements of the pairs, then the second ones
    (DeepSeek-V3's: ``cat(x[..., ::2] cos - x[..., 1::2] sin, x[..., 1::2] cos + x[..., ::2] sin)``). The base is
    one a ``pow`` of the region raises, else read from one of ``inv_freqs`` (the module's buffers), else 10000; or
    the frequencies were stretched as one of ``scalings`` says (gpt-oss's yarn, on tables of half the depth)."""
    for x, region in _starts(cap, fed, end):
        value = cap.values[x]
        if value.dim() < 2 or value.is_complex() or value.shape[-1] % 2 or value.shape[-1] < 2:
            continue
        constants = {a for n in region for a in n.all_input_nodes if a not in fed}
        bases = {float(n.args[0]) for n in _ancestors(constants) if _is(n, "pow") and isinstance(n.args[0], (int, float))}
        bases = sorted(bases or set(_bases(inv_freqs, value.shape[-1])) or {10000.0})
        positions = [d for d in range(-2, -value.dim() - 1, -1) if value.shape[d] > 1]  # (GPT-J's heads come after its positions)
        for (base, scaling), (interleaved, halves), position in itertools.product(
                [(b, {}) for b in bases] + list(scalings), ((False, False), (True, False), (True, True)), positions):
            if _close(lambda: _halves(rotary(value.double(), position, -1, base, interleaved, **scaling), halves), cap.values.get(end)):
                # tables read from a float32 buffer (GPT-J's sines) hold float32's rounding whatever the data
                float32 = any(n.op == "get_attr" and getattr(cap.values.get(n), "dtype", None) == torch.float32 for n in _ancestors(constants))
                return {end: Replacement([x], _emit_rope(x, position, base, interleaved, float32, halves, scaling=scaling))}
    return {}


def _bases(inv_freqs, depth: int) -> list[float]:
    """The rotary bases of those of ``inv_freqs`` (a rotary module's buffers) made for a depth of ``depth``: inv_freq[i]
    is base^(-2i/depth); a whole number where it is one to 1 part in 1000."""
    bases = []
    for inv_freq in inv_freqs:
        if inv_freq.numel() * 2 == depth and depth >= 4:
            base = float(inv_freq[1].double() ** (-depth / 2))
            rounded = round(base)
            bases.append(float(rounded) if abs(rounded - base) <= 1e-3 * base else base)
    return list(dict.fromkeys(bases))


def _halves(x, halves: bool):
    """``x``'s last dim laid out as the first elements of its pairs, then the second ones, where ``halves``."""
    return x.unflatten(-1, (x.shape[-1] // 2, 2)).transpose(-1, -2).flatten(-2) if halves else x


def _rotate_half(cap: Capture, node, inv_freqs, turned: dict, scalings=()) -> dict:
    """``x * cos + cat(-x[..., k/2:], x[..., :k/2]) * sin`` (or its pairs interleaved, ``stack(-x[..., 1::2],
    x[..., ::2]).flatten(-2)``) with the tables of positions 0, 1, ... along the one dim the tables vary over:
    ``rotary(x, that dim, -1, base, interleaved)``, the base read from one of ``inv_freqs`` (Gemma 3 has one for its
    global layers and one for its local ones); or, where its frequencies were stretched for a longer context, with
    one of ``scalings`` (:func:`_scalings`)."""
    first, second = node.args[:2]
    if not (isinstance(first, torch.fx.Node) and isinstance(second, torch.fx.Node) and _is(first, "mul") and _is(second, "mul")):
        return {}
    x, rotated = _uncast(first.args[0]), _uncast(second.args[0])  # (ERNIE 4.5 turns q.float() and rotate_half(q).float())
    if not (isinstance(rotated, torch.fx.Node) and isinstance(x, torch.fx.Node)):
        return {}
    if _is(rotated, "cat"):
        interleaved = False
    elif any(_is(rotated, name) for name in ("view", "reshape", "flatten", "_unsafe_view")) and \
            isinstance(rotated.args[0], torch.fx.Node) and _is(rotated.args[0], "stack"):
        interleaved = True  # stack(-x[..., 1::2], x[..., ::2]).flatten(-2): pairs side by side (Cohere's)
    else:
        return {}
    value, out, table = cap.values.get(x), cap.values.get(node), cap.values.get(first.args[1])
    if not all(isinstance(t, torch.Tensor) for t in (value, out, table)) or value.shape != out.shape or value.dim() < 2:
        return {}
    depth = value.shape[-1]
    if depth % 2 or depth < 2:
        return {}
    shape = (1,) * (value.dim() - table.dim()) + tuple(table.shape)
    along = [i for i in range(value.dim() - 1) if shape[i] > 1]
    if len(along) != 1:
        return {}
    position = along[0]
    tried = [(b, {}) for b in _bases(inv_freqs, depth)] + list(scalings)
    for base, scaling in tried + [(b, {**s, "reversed": True}) for b, s in tried]:  # (or turned the other way: NanoChat's)
        if _close(lambda: rotary(value.double(), position, -1, base, interleaved, **scaling), out):
            turned[node] = (x, position, base, interleaved, scaling)  # (the module's tables are float32)
            return {node: Replacement([x], _emit_rope(x, position, base, interleaved, float32=True, scaling=scaling))}
    return {}


def _uncast(node):
    """``node`` before the casts to another float type around it (``x.float()``)."""
    while isinstance(node, torch.fx.Node) and (_is(node, "to") or _is(node, "_to_copy")) and isinstance(node.args[0], torch.fx.Node):
        node = node.args[0]
    return node


def _scalings(module) -> list[tuple[float, dict]]:
    """(base, rope's scaling options) that a transformers rotary module of ``module`` says it runs (its ``rope_type`` and
    its config's ``rope_parameters``): a hint only, kept where recomputing the rotary with it gives what the module gave.
    Llama 3.1's ``llama3``, ``linear``, and ``yarn`` at its default ramp and attention factor (Qwen 2.5's long context);
    and each rotary module's base with no scaling."""
    found = []
    for sub in module.modules():
        config, kinds = getattr(sub, "config", None), getattr(sub, "rope_type", None)
        parameters = getattr(config, "rope_parameters", None) or getattr(config, "rope_scaling", None)
        theta = parameters.get("rope_theta") if isinstance(parameters, dict) else None
        theta = theta if theta is not None else getattr(config, "rope_theta", None)
        if kinds is not None and isinstance(theta, (int, float)):  # its base as given: the only one to read where a head
            found.append((float(theta), {}))  # turns one pair, whose one frequency is 1 whatever the base (tiny GPT-NeoX's)
        if isinstance(kinds, dict):  # a kind per kind of layer, each with its own parameters (Gemma 3's global and local layers)
            pairs = [(kind, parameters.get(layer) if isinstance(parameters, dict) else None) for layer, kind in kinds.items()]
        else:
            pairs = [(kinds, parameters)]
        for kind, given in pairs:
            found += _scaling_of(config, kind, given)
    return [f for i, f in enumerate(found) if f not in found[:i]]


def _scaling_of(config, kind, given) -> list[tuple[float, dict]]:
    """(base, rope's scaling options) for one rotary of ``kind`` with the ``given`` parameters, or none."""
    found = []
    if kind in ("linear", "llama3", "yarn") and isinstance(given, dict) and "factor" in given:
        base = float(given.get("rope_theta", getattr(config, "rope_theta", 10000.0)))
        factor = float(given["factor"])
        if kind == "linear":
            found.append((base, {"scaling": "linear", "factor": factor}))
        elif kind == "llama3" and all(k in given for k in ("low_freq_factor", "high_freq_factor", "original_max_position_embeddings")):
            found.append((base, {"scaling": "llama3", "factor": factor, "low": float(given["low_freq_factor"]),
                                 "high": float(given["high_freq_factor"]), "context": int(given["original_max_position_embeddings"])}))
        elif kind == "yarn":
            context = given.get("original_max_position_embeddings")
            factors = [factor]
            if context:  # transformers took the factor from the context lengths (DeepSeek-V3's note in its code), where none is given
                factors.append(getattr(config, "max_position_embeddings", context) / context)
            unrounded = {"unrounded": True} if given.get("truncate", True) is False else {}  # gpt-oss's ramp
            found += [(base, {"scaling": "yarn", "factor": float(f), "context": int(context or config.max_position_embeddings), **unrounded})
                      for f in dict.fromkeys(factors)]
    return [f for f in found if f[1]["factor"] >= 1]  # (a factor under 1 shrinks no context: the language refuses it)


def _partial_rope(cap: Capture, node, turned: dict) -> dict:
    """``cat(rotary of x[..., :r], x[..., r:])`` along the last dim, the rotary one that :func:`_rotate_half` found:
    ``rope ... with rotary=r`` over all of x's depth (GPT-NeoX's, Pythia's and StableLM's partial rotary)."""
    parts = node.args[0] if node.args else None
    if not (isinstance(parts, (list, tuple)) and len(parts) == 2 and parts[0] in turned and isinstance(parts[1], torch.fx.Node)):
        return {}
    (sliced, position, base, interleaved, scaling), passed = turned[parts[0]], parts[1]
    if not (_is(sliced, "slice") and _is(passed, "slice") and sliced.args[0] is passed.args[0]):
        return {}
    x = sliced.args[0]
    value, out, part = cap.values.get(x), cap.values.get(node), cap.values.get(sliced)
    if not all(isinstance(t, torch.Tensor) for t in (value, out, part)) or value.shape != out.shape or part.shape[-1] >= value.shape[-1]:
        return {}
    r = part.shape[-1]
    if not _close(lambda: rotary(value.double(), position, -1, base, interleaved, r, **scaling), out):
        return {}
    return {node: Replacement([x], _emit_rope(x, position, base, interleaved, float32=True, turned=r, scaling=scaling))}


def _emit_rope(x, position, base, interleaved, float32=False, halves=False, turned=None, scaling=None):
    def emit(mapper, node):
        seen = mapper.get(x)
        if float32:
            mapper.float32 = True
        mapper.atoms.atom(seen.dims[position]).width = True
        atoms = mapper.prog.values[mapper.data(seen)].atoms
        options = {"base": base, **({"interleaved": True} if interleaved else {}), **({"rotary": turned} if turned else {}),
                   **(scaling or {})}
        on = [seen.dims[position], seen.dims[-1]]
        out = mapper.emit("rope", [seen.dsl], atoms, node, axes={"on": on}, options=options)
        if not halves:
            return type(seen)(seen.dims, out)
        pairs, pair = mapper.atoms.split(seen.dims[-1], [mapper.atoms.size(seen.dims[-1]) // 2, 2])  # laid out again, a view:
        return type(seen)(seen.dims[:-1] + [mapper.atoms.merge([pair, pairs])], out)  # the pairs' first elements, then second
    return emit


def _ancestors(nodes, depth: int | None = None) -> set:
    """``nodes`` and what they are computed from (``depth``: at most that many steps back)."""
    out, stack = set(), [(n, 0) for n in nodes]
    while stack:
        node, steps = stack.pop()
        if node not in out:
            out.add(node)
            if depth is None or steps < depth:
                stack.extend((a, steps + 1) for a in node.all_input_nodes)
    return out


def _gate(cap: Capture, fed: set, end) -> dict:
    """``topk_gate(scores, -1, k, groups, topk_groups, normalize, scale, bias)``: the k best scores kept, the rest zero."""
    def is_bias(node):
        return node.op == "get_attr"

    order = {n: i for i, n in enumerate(cap.graph.nodes)}
    for x, region in _starts(cap, fed, end, is_bias):
        found = _gate_from(cap, x, region, end, is_bias, order)
        if found:
            return found
    return {}


def _gate_from(cap: Capture, x, region, end, is_bias, order) -> dict:
    value, out = cap.values[x].double(), cap.values.get(end)
    biases = list(dict.fromkeys(a for n in region for a in n.all_input_nodes if is_bias(a)))
    tops = sorted((n for n in region if _is(n, "topk") and isinstance(n.args[1], int)), key=order.get)
    if len(biases) > 1 or len(tops) not in (1, 3) or value.dim() < 1:
        return {}
    if len(tops) == 1:
        k, groups, topk_groups = tops[0].args[1], 1, 1
    else:  # the groups' two best, the best groups, then the best k among them
        k, groups, topk_groups = tops[2].args[1], cap.values[tops[0].args[0]].shape[-2], tops[1].args[1]
    scales = {1.0} | {float(a) for n in region if _is(n, "mul") for a in n.args if isinstance(a, (int, float))}
    bias = cap.values[biases[0]].double() if biases else None
    for normalize, scale in itertools.product((True, False), sorted(scales)):
        if _close(lambda: topk_gate(value, -1, k, groups, topk_groups, normalize, scale, bias), out):
            options = {"k": k, "normalize": normalize, "groups": groups, "topk_groups": topk_groups, "scale": scale,
                       "select_bias": bool(biases)}
            return {end: Replacement([x, *biases], _emit_gate(x, biases, options))}
    return {}


def _emit_gate(x, biases, options):
    def emit(mapper, node):
        seen = mapper.get(x)
        params = {}
        if biases:
            param = mapper.get(biases[0])
            mapper.atoms.unify(param.dims[0], seen.dims[-1])
            params = {"bias": param.param}
        atoms = mapper.prog.values[mapper.data(seen)].atoms
        return type(seen)(seen.dims, mapper.emit("topk", [seen.dsl], atoms, node, axes={"on": [seen.dims[-1]]}, options=options,
                                                 params=params))
    return emit


def _gelu_written(cap: Capture, fed: set, inner, approximate: str) -> dict:
    """GELU written out: ``0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))`` (``inner`` the tanh, ``approximate``
    "tanh") or ``0.5 x (1 + erf(x / sqrt(2)))`` (the erf, "none": ESM's, BERT's original ``gelu``): the last product
    within a few steps of ``inner``."""
    ends, frontier = [], [inner]
    for _ in range(3):
        frontier = [u for n in frontier for u in n.users]
        ends += [n for n in frontier if _is(n, "mul")]
    for end in ends:
        for x, region in _starts(cap, fed, end):
            if inner in region and _close(lambda: torch.nn.functional.gelu(cap.values[x].double(), approximate=approximate),
                                          cap.values.get(end)):
                return {end: Replacement([x], _emit_gelu(x, approximate))}
    return {}


def _positions(cap: Capture, fed: set, cumsum) -> dict:
    """``positions(ids, dim, padding)``: a count of the ids that are not padding along the cumsum's dim, times
    whether each is, plus padding (RoBERTa's ``create_position_ids_from_input_ids``): the last sum within a few steps."""
    ends, frontier = [], [cumsum]
    for _ in range(5):
        frontier = [u for n in frontier for u in n.users]
        ends += [n for n in frontier if _is(n, "add")]
    for end in reversed(ends):  # the furthest first: the sum of the padding id comes last
        for x, region in _starts(cap, fed, end):
            ids, made = cap.values.get(x), cap.values.get(end)
            if cumsum not in region or not isinstance(made, torch.Tensor) or ids.is_floating_point():
                continue
            paddings = {n.args[1] for n in region if _is(n, "ne") and isinstance(n.args[1], int)}
            for padding in sorted(paddings):
                found = positions(ids, cumsum.args[1], padding)
                if found.shape == made.shape and bool((found == made).all()):
                    return {end: Replacement([x], _emit_positions(x, cumsum.args[1], padding))}
    return {}


def _emit_positions(x, dim: int, padding: int):
    def emit(mapper, node):
        seen = mapper.get(x)
        atoms = mapper.prog.values[mapper.data(seen)].atoms
        out = mapper.emit("positions", [seen.dsl], atoms, node, axes={"on": [seen.dims[dim]]}, options={"padding": padding})
        mapper.prog.values[out].dtype = "int"
        return type(seen)(seen.dims, out)
    return emit


def _emit_gelu(x, approximate: str):
    def emit(mapper, node):
        seen = mapper.get(x)
        atoms = mapper.prog.values[mapper.data(seen)].atoms
        return type(seen)(seen.dims, mapper.emit("gelu", [seen.dsl], atoms, node, options={"approximate": approximate}))
    return emit
