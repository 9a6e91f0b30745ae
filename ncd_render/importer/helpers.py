"""The helper functions ``ncd compile`` writes, recognised in a captured module so that a compiled
diagram imports back as it was written: a causal mask (``masked_fill`` of key > query), ``unfold``
(padding and ``Tensor.unfold``), ``fold`` (blocks added into a zero tensor) and batch norm with batch
statistics, each used only when re-computing it from its recorded input gives its recorded output.
"""
from __future__ import annotations

import torch

from ..pytorch.functional import fold
from .capture import Capture
from .masks import masked
from .patterns import Replacement, _is, agrees
from .seen import linear_order


def recognise_helpers(cap: Capture) -> dict:
    """Nodes to import as one box each."""
    found = {}
    for node in cap.graph.nodes:
        if _is(node, "masked_fill"):
            found.update(_causal_mask(cap, node))
        if _is(node, "pad") or _is(node, "constant_pad_nd"):
            found.update(_unfold(cap, node))
        if _is(node, "new_zeros"):
            found.update(_fold(cap, node))
        if _is(node, "var"):
            found.update(_batch_norm(cap, node))
    return found


def _batch_norm(cap: Capture, var) -> dict:
    """``(x - x.mean(dims)) / (x.var(dims) + eps).sqrt() * weight + bias`` over every dim but the channels
    (dim 1), or over every dim, one weight and bias (CBAM's map of one channel): one ``batchnorm`` box with batch
    statistics, as nn.BatchNorm in training mode."""
    x, dims = var.args[0], var.args[1]
    mean_of = [u for u in x.users if _is(u, "mean")] if isinstance(x, torch.fx.Node) else []
    users = list(var.users)
    if not mean_of or len(users) != 1 or not _is(users[0], "add") or not isinstance(users[0].args[1], (int, float)):
        return {}
    eps, sqrt = float(users[0].args[1]), next(iter(users[0].users), None)
    div = next(iter(sqrt.users), None) if sqrt is not None and _is(sqrt, "sqrt") else None
    value = cap.values.get(x)
    if div is None or not _is(div, "div") or not isinstance(value, torch.Tensor) or value.dim() < 3:
        return {}
    over = sorted(d % value.dim() for d in dims)
    if over not in ([d for d in range(value.dim()) if d != 1], list(range(value.dim()))):  # (no channels: a map's one)
        return {}
    last, params = div, []
    for op in ("mul", "add"):  # the affine weight, then bias, each viewed as [channels, 1, ...]
        after = next(iter(last.users), None) if len(last.users) == 1 else None
        other = [a for a in (after.args if after is not None and _is(after, op) else ()) if a is not last]
        while other and isinstance(other[0], torch.fx.Node) and other[0].op == "call_function" and \
                (_is(other[0], "reshape") or _is(other[0], "view") or _is(other[0], "unsqueeze")):
            other = [other[0].args[0]]
        if len(other) != 1 or not isinstance(other[0], torch.fx.Node) or other[0].op != "get_attr":
            return {}
        last, params = after, params + [other[0]]
    v = value.double()
    shape = [1, -1] + [1] * (value.dim() - 2) if len(over) < value.dim() else [1] * value.dim()
    expected = (v - v.mean(dims, keepdim=True)) / (v.var(dims, keepdim=True, unbiased=False) + eps).sqrt()
    expected = expected * cap.values[params[0]].double().reshape(shape) + cap.values[params[1]].double().reshape(shape)
    if not agrees(expected, cap.values[last].double()):
        return {}

    def emit(mapper, node):
        return mapper._batch_norm(node, mapper.get(x), mapper.get(params[0]), mapper.get(params[1]), eps)

    return {last: Replacement([x, *params], emit)}


def _causal_mask(cap: Capture, node) -> dict:
    """``x.masked_fill(key > query, -inf)`` over x's last two dims (queries, keys), the mask made from
    positions (``arange(K) > arange(Q)[:, None]``, as ``ncd compile`` writes a causal mask): one ``mask`` box."""
    x, mask = node.args[:2]
    fill = node.args[2] if len(node.args) > 2 else None
    value, where, out = cap.values.get(x), cap.values.get(mask), cap.values.get(node)
    if not (isinstance(x, torch.fx.Node) and all(isinstance(t, torch.Tensor) for t in (value, where, out))):
        return {}
    if not isinstance(fill, (int, float)) or fill != float("-inf") or value.dim() < 2 or where.dtype != torch.bool:
        return {}
    queries, keys = value.shape[-2:]
    causal = torch.ones(queries, keys, dtype=torch.bool).triu(1)
    if tuple(where.shape) != (queries, keys) or not torch.equal(where.cpu(), causal) or queries < 2:
        return {}
    return {node: Replacement([x], masked)}


def _unfold(cap: Capture, pad) -> dict:
    """Zero padding, then ``x.unfold(-n, reach, stride)[..., ::dilation]`` once per spatial dim (the last
    ``n``, as ``ncd compile``'s unfold helper does): one ``unfold`` box, [..., s_1..s_n] -> [..., o_1..o_n, k_1..k_n],
    each setting one number for every dim or one each (Inception's 1 x 7 kernel, padded 0 rows and 3 columns)."""
    x, widths = pad.args[0], list(pad.args[1])
    mode = pad.args[2] if len(pad.args) > 2 else pad.kwargs.get("mode", "constant")
    fill = pad.args[3] if len(pad.args) > 3 else pad.kwargs.get("value")
    if not isinstance(x, torch.fx.Node) or mode != "constant" or fill not in (None, 0, 0.0) or widths[0::2] != widths[1::2]:
        return {}  # (each dim padded alike on both sides)
    n, node, settings = len(widths) // 2, pad, []
    paddings = widths[0::2][::-1]  # (F.pad's widths run from the last dim back)
    for _ in range(n):
        users = list(node.users)
        if len(users) != 1 or not _is(users[0], "unfold") or users[0].args[1] != -n:
            return {}
        node, reach, stride = users[0], users[0].args[2], users[0].args[3]
        dilation = 1
        (after,) = node.users if len(node.users) == 1 else (None,)
        if after is not None and _is(after, "alias"):
            node = after
        elif after is not None and _is(after, "slice") and after.args[2:4] in ((0, 9223372036854775807), [0, 9223372036854775807]) \
                and after.args[1] in (-1, cap.values[node].dim() - 1):
            node, dilation = after, after.args[4] if len(after.args) > 4 else 1
        if (reach - 1) % dilation:
            return {}
        settings.append((stride, dilation, (reach - 1) // dilation + 1))
    if n < 1:
        return {}
    strides, dilations, kernels = (list(each) for each in zip(*settings))
    last = node

    def emit(mapper, node):
        seen = mapper.get(x)
        spatial = seen.dims[-n:]
        if n == 2:  # the blocks run over rows and columns; an image dimension it does not unfold holds channels
            for d in seen.dims[:-n]:
                if mapper.atoms.atom(d).role in ("rows", "cols"):
                    mapper.atoms.atom(d).role, mapper.atoms.atom(d).width = "channels", False
            for d, name in zip(spatial, ("rows", "cols")):
                mapper.atoms.atom(d).role = name
        out_shape = tuple(cap.values[last].shape)
        outs = []
        for d, size in zip(spatial, out_shape[-2 * n:-n]):
            mapper.atoms.atom(d).width = True
            outs.append(d if mapper.atoms.size(d) == size else mapper.atoms.new(size, mapper.atoms.atom(d).role, width=True))
        # a dim with a kernel of one, neither padded nor strided, is not unfolded: its blocks are its positions
        # (Inception's 1 x 7 kernel unfolds the columns only; its kernel dim of one is no axis)
        unfolded = [i for i in range(n) if (kernels[i], paddings[i], strides[i]) != (1, 0, 1)]
        blocks = [mapper.atoms.new(kernel, "kernel" if kernel > 1 else "unit") for kernel in kernels]
        dims = seen.dims[:-n] + outs + blocks
        if not unfolded:
            return type(seen)(dims, mapper.data(seen))
        options = {name: each[0] if len(set(each)) == 1 else tuple(each)  # one number for every dim, or one each
                   for name, each in (("stride", [strides[i] for i in unfolded]), ("padding", [paddings[i] for i in unfolded]),
                                      ("dilation", [dilations[i] for i in unfolded]))}
        ins, made = [spatial[i] for i in unfolded], [outs[i] for i in unfolded] + [blocks[i] for i in unfolded]
        out = mapper.emit("unfold", [mapper.data(seen)], linear_order(mapper.dsl_leaves(seen), mapper.leaves(ins), made, mapper.atoms), node,
                          axes={"in": ins, "out": made}, options=options)
        return type(seen)(dims, out)

    return {last: Replacement([x], emit)}


def _fold(cap: Capture, zeros) -> dict:
    """``x.new_zeros`` then every block element of ``x`` added into its place: one ``fold`` box, found by
    trying the settings that fit the shapes and keeping the one whose result is the recorded one."""
    x = zeros.args[0]
    value = cap.values.get(x)
    if not isinstance(x, torch.fx.Node) or not isinstance(value, torch.Tensor) or value.dim() < 2:
        return {}
    later, stack = [], list(zeros.users)
    while stack:  # what the zeros flow into, in graph order
        node = stack.pop()
        if node not in later:
            later.append(node)
            stack.extend(node.users)
    order = {node: i for i, node in enumerate(cap.graph.nodes)}
    for node in sorted(later, key=order.get, reverse=True):
        out = cap.values.get(node)
        if not isinstance(out, torch.Tensor) or out.dim() * 2 - value.dim() < 0:
            continue
        n = value.dim() - out.dim()
        kernel = value.shape[-1]
        if n < 1 or tuple(value.shape[:-2 * n]) != tuple(out.shape[:-n]) or set(value.shape[-n:]) != {kernel}:
            continue
        sizes, blocks = tuple(out.shape[-n:]), tuple(value.shape[-2 * n:-n])
        for stride, dilation, padding in ((s, d, p) for s in range(1, 5) for d in range(1, 4) for p in range(kernel + 1)):
            extra = [s - ((b - 1) * stride - 2 * padding + dilation * (kernel - 1) + 1) for s, b in zip(sizes, blocks)]
            if len(set(extra)) != 1 or not 0 <= extra[0] < stride:
                continue
            if agrees(fold(value.double(), sizes, kernel, stride, dilation, padding), out.double()):
                options = {"stride": stride, "padding": padding, "dilation": dilation, "output_padding": extra[0], "kernel": kernel}
                return {node: Replacement([x], _emit_fold(x, n, sizes, options))}
    return {}


def _emit_fold(x, n, sizes, options):
    def emit(mapper, node):
        seen = mapper.get(x)
        acted = seen.dims[-2 * n:]
        outs = [mapper.atoms.new(size, "rows" if i == 0 else "cols", width=True) for i, size in enumerate(sizes)]
        out = mapper.emit("fold", [mapper.data(seen)], linear_order(mapper.dsl_leaves(seen), acted, outs, mapper.atoms), node,
                          axes={"in": list(acted), "out": outs}, options=options)
        return type(seen)(seen.dims[:-2 * n] + outs, out)
    return emit
