"""Tensor functions for the boxes that take more than one torch call.

:mod:`.compile` calls them, and ``ncd compile`` copies the ones a diagram
uses into the file it writes (so that file needs only torch and einops):
keep each function self-contained, using only ``torch`` and ``itertools``.
Leading dimensions are batch dimensions throughout.

>>> x = torch.arange(5.0)
>>> unfold(x, 1, kernel=3)
tensor([[0., 1., 2.],
        [1., 2., 3.],
        [2., 3., 4.]])
>>> fold(torch.ones(3, 3), (5,), kernel=3)  # how many blocks cover each place
tensor([1., 2., 3., 2., 1.])
"""
from __future__ import annotations

import itertools

import torch


def unfold(x, n, kernel, stride=1, dilation=1, padding=0):
    """The convolution tensor: blocks of the last ``n`` dims, [..., s_1..s_n] -> [..., o_1..o_n, k_1..k_n],
    zero-padded by ``padding`` on each side; o = (s + 2 padding - dilation (kernel - 1) - 1) // stride + 1.
    Each setting: one number for every dim, or one each."""
    kernel, stride, dilation, padding = (tuple(v) if isinstance(v, (tuple, list)) else (v,) * n
                                         for v in (kernel, stride, dilation, padding))  # each dim's
    x = torch.nn.functional.pad(x, tuple(p for pad in reversed(padding) for p in (pad, pad)))
    for k, s, d in zip(kernel, stride, dilation):  # each unfold turns dim -n into block positions and appends the block's own dim
        x = x.unfold(-n, d * (k - 1) + 1, s)[..., ::d]
    return x


def fold(x, sizes, kernel, stride=1, dilation=1, padding=0):
    """The transpose of :func:`unfold` (a transposed convolution's data movement):
    [..., o_1..o_n, k_1..k_n] -> [..., s_1..s_n] with s = ``sizes``, every block element
    added into the place it was taken from."""
    n = len(sizes)
    kernel, stride, dilation, padding = (tuple(v) if isinstance(v, (tuple, list)) else (v,) * n
                                         for v in (kernel, stride, dilation, padding))  # each dim's
    blocks = x.shape[x.dim() - 2 * n:x.dim() - n]
    out = x.new_zeros(*x.shape[:x.dim() - 2 * n], *(s + 2 * p for s, p in zip(sizes, padding)))
    for offsets in itertools.product(*(range(k) for k in kernel)):
        places = tuple(slice(k * d, k * d + s * (b - 1) + 1, s) for k, b, s, d in zip(offsets, blocks, stride, dilation))
        out[(..., *places)] += x[(..., *offsets)]
    return out[(..., *(slice(p, p + s) for s, p in zip(sizes, padding)))]


def concat(tensors, dim):
    """torch.cat along a negative ``dim``, broadcasting the other dims (inputs' batch dims may differ)."""
    rank = max(t.dim() for t in tensors)
    tensors = [t.reshape((1,) * (rank - t.dim()) + t.shape) for t in tensors]
    shape = list(torch.broadcast_shapes(*(t.shape[:dim] + (1,) + t.shape[dim:][1:] for t in tensors)))
    return torch.cat([t.expand(shape[:dim] + [t.shape[dim]] + shape[dim:][1:]) for t in tensors], dim)


def linear_upsample(x, dim, factor, corners=False):
    """``x`` stretched ``factor`` times along ``dim`` by linear interpolation between neighbours, the half-pixel
    way (``align_corners=False``, the edges held), or, ``corners``, with the first and last samples kept where they
    were (``align_corners=True``): along two dims in turn, ``F.interpolate``'s bilinear."""
    moved = x.movedim(dim, -1)
    flat = moved.reshape(-1, 1, moved.shape[-1])
    out = torch.nn.functional.interpolate(flat, scale_factor=factor, mode="linear", align_corners=corners)
    return out.reshape(*moved.shape[:-1], out.shape[-1]).movedim(-1, dim)


def pad_along(x, dim, before, after, mode):
    """``x`` padded ``before`` and ``after`` along ``dim`` by ``F.pad``'s ``mode`` (reflect, replicate, circular), which
    pads a tensor's last dims only, of a batch of channels: the dim moved last, the others flattened into the batch."""
    moved = x.movedim(dim, -1)
    flat = moved.reshape(-1, 1, moved.shape[-1])
    out = torch.nn.functional.pad(flat, (before, after), mode=mode)
    return out.reshape(*moved.shape[:-1], out.shape[-1]).movedim(-1, dim)


def causal_mask(scores, query, key, window=None):
    """-inf wherever the index along dim ``key`` is greater than the index along dim ``query``, and, with a
    ``window``, where it is ``window`` or more below it (a sliding window: Mistral's, Gemma's local layers)."""
    offset = torch.arange(scores.shape[key], device=scores.device) - torch.arange(scores.shape[query], device=scores.device)[:, None]
    hidden = (offset > 0) | (offset <= -window) if window is not None else offset > 0
    return scores.movedim((query, key), (-2, -1)).masked_fill(hidden, float("-inf")).movedim((-2, -1), (query, key))


def positions(ids, dim, padding):
    """Each id's position along dim ``dim``, counted from ``padding + 1`` over the ids that are not ``padding``;
    ``padding`` where the id is (fairseq's ``make_positions``: RoBERTa's, XLM-R's position ids)."""
    kept = ids.ne(padding).long()
    return kept.cumsum(dim) * kept + padding


def sinusoid(ids, size, base=10000.0, padding=None, dtype=None):
    """The sinusoidal table's rows at integer positions ``ids`` (tensor2tensor's, fairseq's: M2M100's, NLLB's):
    [..., size], the sines of p w_i then their cosines, w_i = base^(-i / (size/2 - 1)), a zero column last for an
    odd size; the row of position ``padding`` all zeros. In float64, then ``dtype`` (else torch's default)."""
    half = size // 2
    rate = torch.exp(torch.arange(half, dtype=torch.float64, device=ids.device) * -(torch.tensor(base, dtype=torch.float64).log()
                                                                                     / max(half - 1, 1)))
    angle = ids.to(torch.float64)[..., None] * rate
    rows = torch.cat([angle.sin(), angle.cos()] + ([torch.zeros_like(angle[..., :1])] if size % 2 else []), dim=-1)
    if padding is not None:
        rows = rows.masked_fill((ids == padding)[..., None], 0.0)
    return rows.to(dtype or torch.get_default_dtype())


def alibi(scores, query, key, head):
    """ALiBi (Press et al., 2022): slope m_h times (j - i) added to the score of query i and key j in head h
    (dims ``query``, ``key``, ``head``). For H heads the slopes are 2^(-8h/H), h = 1..H, when H is a power of
    two; else those of the power of two below, then every other one of twice it (BLOOM's rule)."""
    heads = scores.shape[head]
    below = 1 << (heads.bit_length() - 1)  # the power of two at or below
    slopes = [2.0 ** (-8.0 * h / below) for h in range(1, below + 1)]
    slopes += [2.0 ** (-4.0 * h / below) for h in range(1, 2 * (heads - below), 2)]
    x = scores.movedim((query, key, head), (-3, -2, -1))
    i = torch.arange(x.shape[-3], dtype=x.dtype, device=x.device)
    j = torch.arange(x.shape[-2], dtype=x.dtype, device=x.device)
    bias = (j - i[:, None])[..., None] * torch.tensor(slopes, dtype=x.dtype, device=x.device)
    return (x + bias).movedim((-3, -2, -1), (query, key, head))


def relative_buckets(queries, keys, buckets, distance=128, bidirectional=False, device=None):
    """T5's relative position buckets, [queries, keys]: the bucket of key j's offset j - i from query i.
    Offsets under half the buckets (a quarter, and the other half for later keys, when ``bidirectional``)
    have one each; longer ones share buckets that grow logarithmically up to ``distance``, and beyond it the
    last. Without ``bidirectional`` a later key falls in bucket 0 (a decoder's, masked anyway)."""
    offset = torch.arange(keys, device=device)[None, :] - torch.arange(queries, device=device)[:, None]
    ids = torch.zeros_like(offset)
    if bidirectional:
        buckets //= 2
        ids = ids + (offset > 0).long() * buckets
        offset = offset.abs()
    else:
        offset = -offset.clamp(max=0)
    exact = buckets // 2
    scale = torch.tensor(distance / exact, dtype=torch.float64).log().item()
    far = exact + (torch.log(offset.float() / exact) / scale * (buckets - exact)).long()
    return ids + torch.where(offset < exact, offset, far.clamp(max=buckets - 1))


def rotary(x, position, depth, base=10000.0, interleaved=False, rotary=None, scaling=None, factor=1.0, low=1.0, high=4.0,
           context=None, unrounded=False, reversed=False):
    """Rotary position embedding: pair i of dim ``depth`` turns by p * base^(-2i/d) at index p of dim
    ``position``. Pairs are (i, i + d/2) (rotate-half, as transformers' Llama and Mixtral), or
    (2i, 2i + 1) when ``interleaved`` (RoFormer, DeepSeek-V3). With ``rotary``, only the first
    ``rotary`` elements of ``depth`` turn (d is ``rotary``) and the rest pass (GPT-NeoX, StableLM);
    ``reversed`` turns them the other way (NanoChat).

    ``scaling`` stretches the frequencies for longer contexts, as transformers' ``rope_type`` does:
    ``linear`` divides them all by ``factor``; ``llama3`` divides those whose wavelength exceeds
    ``context / low`` by ``factor``, keeps those under ``context / high`` and blends the ones between
    (Llama 3.1); ``yarn`` blends each frequency and its division by ``factor`` along a ramp over the pairs
    that turn between 32 and 1 times in ``context`` positions (its ends rounded out to whole pairs, or
    ``unrounded``, as gpt-oss's), and scales the result by 0.1 ln(factor) + 1."""
    x = x.movedim((position, depth), (-2, -1))
    passed = None
    if rotary is not None and rotary < x.shape[-1]:
        x, passed = x[..., :rotary], x[..., rotary:]
    d = x.shape[-1]
    inverse = base ** -(torch.arange(0, d, 2, dtype=x.dtype, device=x.device) / d)
    magnitude = 1.0
    if scaling == "linear":
        inverse = inverse / factor
    elif scaling == "llama3":
        wavelength = 2 * torch.pi / inverse
        smooth = (context / wavelength - low) / (high - low)
        blended = (1 - smooth) * inverse / factor + smooth * inverse
        inverse = torch.where(wavelength > context / low, inverse / factor, torch.where(wavelength < context / high, inverse, blended))
    elif scaling == "yarn":
        log = lambda v: float(torch.tensor(v, dtype=torch.float64).log())  # noqa: E731
        turned = lambda rotations: d * log(context / (rotations * 2 * torch.pi)) / (2 * log(base))  # noqa: E731
        first, last = (turned(32.0), turned(1.0)) if unrounded else (turned(32.0) // 1, -(-turned(1.0) // 1))
        first, last = max(first, 0), min(last, d - 1)
        ramp = ((torch.arange(d // 2, dtype=x.dtype, device=x.device) - first) / ((last - first) or 0.001)).clamp(0, 1)
        inverse = inverse / factor * ramp + inverse * (1 - ramp)
        magnitude = 0.1 * log(factor) + 1.0 if factor > 1 else 1.0
    angle = torch.arange(x.shape[-2], dtype=x.dtype, device=x.device)[:, None] * inverse  # [positions, d/2]
    cos, sin = angle.cos() * magnitude, angle.sin() * (-magnitude if reversed else magnitude)
    if interleaved:
        a, b = x[..., 0::2], x[..., 1::2]
        x = torch.stack((a * cos - b * sin, b * cos + a * sin), dim=-1).flatten(-2)
    else:
        a, b = x.chunk(2, dim=-1)
        x = torch.cat((a * cos - b * sin, b * cos + a * sin), dim=-1)
    if passed is not None:
        x = torch.cat((x, passed), dim=-1)
    return x.movedim((-2, -1), (position, depth))


def topk_gate(scores, dim, k, groups=1, topk_groups=1, normalize=False, scale=1.0, bias=None):
    """Keep the k largest scores along ``dim`` and zero the rest; ``normalize`` makes the kept
    ones sum to 1, then they are multiplied by ``scale``. ``bias`` (over ``dim``) is added for
    choosing only. With ``groups``, the dim is split into equal groups, each scored by the sum of
    its two best (biased) scores, and only the ``topk_groups`` best groups compete (DeepSeek-V3)."""
    scores = scores.movedim(dim, -1)
    choice = scores if bias is None else scores + bias
    if groups > 1:
        grouped = choice.unflatten(-1, (groups, -1))
        group_scores = grouped.topk(min(2, grouped.shape[-1]), dim=-1).values.sum(-1)
        best = torch.zeros_like(group_scores, dtype=torch.bool).scatter(-1, group_scores.topk(topk_groups, dim=-1).indices, True)
        choice = grouped.masked_fill(~best[..., None], float("-inf")).flatten(-2)
    chosen = choice.topk(k, dim=-1).indices
    weights = scores.gather(-1, chosen)
    if normalize:
        weights = weights / weights.sum(-1, keepdim=True)
    return torch.zeros_like(scores).scatter(-1, chosen, weights * scale).movedim(-1, dim)


def group_norm(x, n, groups, weight=None, bias=None, eps=1e-5):
    """GroupNorm (nn.GroupNorm) over x's last n dims, the first of them the channels, split into ``groups``:
    each group of channels is normalised over its channels and the other n - 1 dims, for every leading index."""
    return torch.nn.functional.group_norm(x.reshape(-1, *x.shape[x.dim() - n:]), groups, weight, bias, eps).reshape(x.shape)


def batch_norm(x, n, channels, weight=None, bias=None, eps=1e-5, mean=None, var=None):
    """Batch norm with batch statistics (nn.BatchNorm in training mode): x is [..., channels, n normalised
    dims]; each channel is normalised over the n dims and every leading batch dim. Given ``mean`` and
    ``var`` (over the channels), by those instead: nn.BatchNorm in eval mode, with its running statistics."""
    if mean is None:
        dims = (*range(x.dim() - n - channels), *range(-n, 0))
        mean, var = x.mean(dims, keepdim=True), x.var(dims, keepdim=True, unbiased=False)
    else:
        mean, var = mean.reshape(mean.shape + (1,) * n), var.reshape(var.shape + (1,) * n)
    x = (x - mean) / (var + eps).sqrt()
    if weight is not None:
        x = x * weight.reshape(weight.shape + (1,) * n) + bias.reshape(bias.shape + (1,) * n)
    return x
