"""Causal masks that a model builds from positions alone (transformers' ``create_causal_mask``: aranges,
comparisons, ``where``), recognised by their recorded value: a tensor fed by no input or parameter that
is 0 on and below the diagonal of the scores' last two dims (queries, keys) and at most half the
dtype's lowest above it (``finfo.min`` or -inf), added to the scores, or given to
``scaled_dot_product_attention`` as its mask (True on and below the diagonal, or that additive form),
or a boolean one, True above the diagonal, by which ``masked_fill`` sets the scores to the lowest (MPT's),
or True on and below it, by which ``where`` keeps them (GPT-Neo's, sliced from a buffer).
Either becomes one ``mask(S: y x) with causal`` box; a mask of zeros alone (an encoder's, no position
padding), attention's mask that is True everywhere, a mask of ones multiplied in, or flags that hide nothing
given to ``masked_fill`` (DeBERTa's), is no box at all. What built the mask is not imported.
"""
from __future__ import annotations

import torch

from .capture import Capture
from .patterns import Replacement, _is
from .recomputed import _fed, _fed_by_learning


def recognise_masks(cap: Capture) -> dict:
    """The additions and attentions to import with one mask box, or none (what built the mask is not imported)."""
    # a causal pattern in a buffer is the model's structure (GPT-Neo's), constant; zeros in a buffer are only its state
    # now (BART's final_logits_bias): those are no mask unless nothing but the code made them
    fed, stored, found = _fed_by_learning(cap), _fed(cap), {}
    for node in cap.graph.nodes:
        if _is(node, "add") and len(node.args) == 2 and all(isinstance(a, torch.fx.Node) for a in node.args):
            scores, mask = node.args
            window = _causal(cap.values.get(mask), cap.values.get(scores)) if mask not in fed and scores in fed else False
            if window is not False:
                found[node] = Replacement([scores], lambda mapper, node, window=window: masked(mapper, node, window))
            elif mask not in stored and scores in fed and _nothing(cap.values.get(mask), cap.values.get(scores)):
                found[node] = Replacement([scores], lambda mapper, node: mapper.get(node.args[0]))
            else:
                found.update(_kept_or_pushed_down(cap, fed, node))
        elif _is(node, "mul") and len(node.args) == 2 and all(isinstance(a, torch.fx.Node) for a in node.args):
            # a mask of ones multiplied in (DeBERTa's embeddings times its attention mask, none given): nothing
            for at in (0, 1):
                data, mask = node.args[at], node.args[1 - at]
                if data in fed and mask not in stored and _all(cap.values.get(mask), 1, cap.values.get(data)):
                    found[node] = Replacement([data], lambda mapper, node, at=at: mapper.get(node.args[at]))
                    break
        elif (_is(node, "masked_fill") or _is(node, "where")) and len(node.args) == 3:
            # masked_fill(scores, hidden, lowest) (MPT's), or where(seen, scores, lowest) (GPT-Neo's, from a buffer)
            at = 0 if _is(node, "masked_fill") else 1
            scores, flags, fill = node.args[at], node.args[1 - at], node.args[2]
            value, recorded = cap.values.get(flags), cap.values.get(scores)
            low = cap.values.get(fill) if isinstance(fill, torch.fx.Node) else fill
            window = _causal(value if at else ~value, recorded) if flags not in fed and scores in fed \
                and isinstance(value, torch.Tensor) and value.dtype == torch.bool and _lowest(low, recorded) else False
            if window is not False:
                found[node] = Replacement([scores], lambda mapper, node, window=window, at=at: masked(mapper, node, window, at))
            elif at == 0 and scores in fed and flags not in stored and _all(value, False, recorded):
                # nothing hidden (DeBERTa's scores, its mask of ones turned to flags of none): the scores as they are
                found[node] = Replacement([scores], lambda mapper, node: mapper.get(node.args[0]))
        elif _is(node, "scaled_dot_product_attention"):
            mask = node.args[3] if len(node.args) > 3 else node.kwargs.get("attn_mask")
            window = _causal(cap.values.get(mask), cap.values.get(node.args[0]), rows=True) \
                if isinstance(mask, torch.fx.Node) and mask not in fed else False
            if window is not False:
                found[node] = Replacement(list(node.args[:3]), lambda mapper, node, window=window: mapper.attention(node, True, window))
            elif isinstance(mask, torch.fx.Node) and mask not in fed \
                    and _open(cap.values.get(mask), cap.values.get(node.args[0])):
                found[node] = Replacement(list(node.args[:3]), lambda mapper, node: mapper.attention(node, False))
    return found


def _kept_or_pushed_down(cap: Capture, fed: set, node) -> dict:
    """``scores * m + c``, ``m`` a causal pattern of ones and zeros and ``c`` zero where it keeps and far below any
    score where it does not (OpenAI GPT's ``w * b + -1e4 * (1 - b)``, ``b`` a buffer): the scores, masked. Below
    -1e4, exp underflows to zero in float32 and float64 alike, so the softmax after it is the masked one."""
    for product, added in (node.args, node.args[::-1]):
        if not (_is(product, "mul") and added not in fed and all(isinstance(a, torch.fx.Node) for a in product.args)):
            continue
        for scores, pattern in (product.args, product.args[::-1]):
            m, c, recorded = cap.values.get(pattern), cap.values.get(added), cap.values.get(scores)
            if scores not in fed or pattern in fed or not all(isinstance(t, torch.Tensor) for t in (m, c, recorded)) \
                    or not bool(((m == 0) | (m == 1)).all()):
                continue
            try:
                kept = torch.broadcast_to(m, recorded.shape) == 1
                far = torch.broadcast_to(c, recorded.shape)
            except RuntimeError:
                continue
            window = _causal(m == 1, recorded)
            if window is not False and bool((far[kept] == 0).all()) and bool((far[~kept] <= -1e4).all()):
                return {node: Replacement([scores], lambda mapper, node, s=scores, window=window: _mask_box(mapper, node, mapper.get(s), window))}
    return {}


def _open(mask, queries) -> bool:
    """Whether attention's ``mask`` hides nothing: all True, or all zeros added (an encoder's mask where no position
    is padding, which transformers builds from positions alone when no ``attention_mask`` is given: DINOv2's, ESM's).

    >>> _open(torch.ones(1, 1, 5, 1, dtype=torch.bool), torch.zeros(1, 4, 5, 8)), _open(torch.zeros(5, 5), torch.zeros(1, 5, 8))
    (True, True)
    >>> _open(torch.ones(5, 5, dtype=torch.bool).tril(), torch.zeros(1, 5, 8))
    False
    >>> _open(torch.ones(1, 1, dtype=torch.bool), torch.zeros(1, 1, 8))  # one position: a causal mask looks the same
    False
    """
    if not (isinstance(mask, torch.Tensor) and isinstance(queries, torch.Tensor)) or mask.dim() > queries.dim() \
            or queries.dim() < 2 or queries.shape[-2] < 2:
        return False
    return bool(mask.all()) if mask.dtype == torch.bool else mask.dtype.is_floating_point and not bool(mask.any())


def _causal(mask, scores, rows: bool = False) -> int | None | bool:
    """Whether ``mask`` (broadcast over ``scores``, whose last two dims are queries and keys; ``rows``: the
    queries' dims, for attention, whose keys are another tensor's) lets each query see itself and what
    comes before it only: None when it sees all of that, the window when only the keys less than it before
    (a sliding window), False when it is no such mask.

    >>> low = torch.finfo(torch.float32).min
    >>> additive = torch.zeros(3, 3).masked_fill(torch.ones(3, 3, dtype=torch.bool).triu(1), low)
    >>> _causal(additive, torch.zeros(2, 4, 3, 3)), _causal(additive.T, torch.zeros(2, 4, 3, 3))
    (None, False)
    >>> _causal(torch.ones(3, 3, dtype=torch.bool).tril(), torch.zeros(1, 3, 8), rows=True)  # attention's boolean mask
    >>> _causal(torch.ones(4, 4, dtype=torch.bool).tril() & torch.ones(4, 4, dtype=torch.bool).triu(-1), torch.zeros(1, 4, 8), rows=True)
    2
    """
    if not (isinstance(mask, torch.Tensor) and isinstance(scores, torch.Tensor)) or mask.dim() < 2:
        return False
    queries, keys = mask.shape[-2:]
    if queries < 2 or queries != keys or (not rows and tuple(scores.shape[-2:]) != (queries, keys)):
        return False
    flat = mask.reshape(-1, queries, keys).cpu()
    if mask.dtype == torch.bool:
        seen = flat
    elif mask.dtype.is_floating_point:
        low = torch.finfo(mask.dtype).min / 2
        if not bool(((flat == 0) | (flat <= low)).all()):
            return False
        seen = flat == 0
    else:
        return False
    offset = torch.arange(keys) - torch.arange(queries)[:, None]
    for window in [None] + list(range(queries - 1, 0, -1)):  # the whole past first, then windows ever narrower
        if bool((seen == ((offset <= 0) & (offset > -window if window else True))).all()):
            return window
    return False


def _lowest(fill, scores) -> bool:
    """Whether ``fill`` (a number, or a tensor of one) is at most half the lowest number of the scores' dtype, or -inf."""
    if isinstance(fill, torch.Tensor) and fill.numel() == 1:
        fill = float(fill)
    return isinstance(fill, (int, float)) and isinstance(scores, torch.Tensor) and scores.is_floating_point() \
        and fill <= torch.finfo(scores.dtype).min / 2


def _nothing(mask, scores) -> bool:
    """Whether ``mask`` adds nothing to ``scores``: an encoder's attention mask where no position is padding
    (BERT's, without an ``attention_mask`` given), all zeros and no larger than them."""
    return (isinstance(mask, torch.Tensor) and isinstance(scores, torch.Tensor) and mask.dtype.is_floating_point
            and mask.dim() <= scores.dim() and mask.numel() <= scores.numel() and not bool(mask.any()))


def _all(mask, value, data) -> bool:
    """Whether ``mask`` is ``value`` everywhere (1, or False), a tensor that broadcasts over ``data`` without growing it.

    >>> _all(torch.ones(1, 1, 5), 1, torch.zeros(2, 5)), _all(torch.zeros(5, dtype=torch.bool), False, torch.zeros(5))
    (True, True)
    >>> _all(torch.ones(3, 5), 1, torch.zeros(5)), _all(torch.tensor([True, False]), False, torch.zeros(2))
    (False, False)
    """
    if not (isinstance(mask, torch.Tensor) and isinstance(data, torch.Tensor)) or mask.numel() > data.numel() \
            or mask.dim() > data.dim() and any(n != 1 for n in mask.shape[:mask.dim() - data.dim()]):
        return False
    try:
        torch.broadcast_shapes(mask.shape, data.shape)
    except RuntimeError:
        return False
    return bool((mask == value).all())


def masked(mapper, node, window: int | None = None, scores: int = 0):
    """``node``'s argument ``scores`` (its first), the scores, with the mask: ``mask(S: y x) with causal`` over their last
    two dims, ``window=`` its sliding window (also how :mod:`.helpers` imports ``ncd compile``'s ``masked_fill``)."""
    return _mask_box(mapper, node, mapper.get(node.args[scores]), window)


def _mask_box(mapper, node, seen, window: int | None):
    """``mask(S: y x) with causal`` (and ``window=``) over the last two dims of the scores ``seen``."""
    for d in seen.dims[-2:]:
        mapper.atoms.atom(d).width = True
    atoms = mapper.prog.values[mapper.data(seen)].atoms
    options = {"causal": True, **({"window": window} if window else {})}
    return type(seen)(seen.dims, mapper.emit("mask", [seen.dsl], atoms, node, axes={"on": seen.dims[-2:]}, options=options))


def window_warning(module, prog) -> str | None:
    """A warning when the model's attention has a sliding window (its config's ``sliding_window``, where it uses
    one) and the diagram has a causal mask without one: the mask was found at the example inputs' length, shorter
    than the window, so the diagram is the model only up to that many positions."""
    if not any(stmt.fn == "mask" and "window" not in stmt.options for stmt in prog.stmts):
        return None  # no causal mask, or every one has its window (the example is longer than it)
    for sub in module.modules():
        config = getattr(sub, "config", None)
        window = getattr(config, "sliding_window", None)
        if isinstance(window, int) and window > 0 and getattr(config, "use_sliding_window", True) is not False \
                and "sliding_attention" in (getattr(config, "layer_types", None) or ["sliding_attention"]):
            return (f"the model's attention looks back at most {window} positions (its config's sliding_window); the diagram's "
                    f"causal mask, found at the example inputs' length, has no window: it is the model up to {window} positions")
    return None
