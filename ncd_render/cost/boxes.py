"""What each box of a diagram does: its FLOPs, the arrays it reads and writes,
and how it uses each axis (the input of both the unfused and the fused model).

Counting rules (docs/cost.md has the reasons):

* einsum and linear: 2 FLOPs per multiply-add ("matmul" FLOPs, tensor cores);
  an einsum of three or more tensors is contracted pairwise, left to right;
* ``linear ... with per=e`` has a weight per index of ``e``: 2 FLOPs per
  multiply-add of every expert;
* element-wise work runs on CUDA cores ("vector" FLOPs): ``ELEMENTWISE_FLOPS``
  per element, scaling, products and masks 1, an n-term addition n - 1, SoftMax
  ``SOFTMAX_FLOPS``, norms ``NORM_FLOPS`` (plus one per learned scale and one
  per learned shift), RoPE ``ROPE_FLOPS``, top-k :func:`topk_flops`;
  reductions (max, mean, sum) 1 per element read, fold 1 per block element;
* data movement without FLOPs: unfold writes its blocks (materialised, as
  ``torch.nn.functional.unfold``; in a fused section it reads windows of its
  input instead, see :mod:`.fused`), concat copies, embedding gathers one table
  row per id;
* inputs, outputs, copies, deletes, saves, loads, ``identity``, renames,
  indexing and rearranges that are views run no kernel and move nothing; a
  rearrange that cannot be a view (it merges axes out of order) is a kernel
  that reads and writes the tensor once;
* any other box is one kernel with 1 FLOP per output element.

>>> from ncd_render.parse import parse
>>> from ncd_render.ir import build
>>> d = build(parse("axis a = 2\\naxis b = 3\\naxis c = 4\\ninput A[a b], B[b c]\\nC = einsum(A, B: a b, b c -> a c)\\noutput C\\n"))
>>> w = work(d, d.ops[2])
>>> w.matmul_flops, [r.axes for r in w.reads], dict(w.usage)
(48, [('a', 'b'), ('b', 'c')], {'a': 'map', 'b': 'sum', 'c': 'map'})
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Mapping

from ..errors import NcdError
from ..ir import Diagram, Op

# How an operation uses an axis; this decides how a fused kernel may split it.
MAP = "map"          # independent along it: the axis can be tiled (group partition)
SUM = "sum"          # summed over: the axis can be streamed
SOFTMAX = "softmax"  # normalised over: streamable when a sum over it follows (online softmax)
WHOLE = "whole"      # needs every index at once: never split
SCALED = "scaled"    # divided by a sum over it (an L2 norm): streamable when a sum follows, with no per-chunk correction

ELEMENTWISE_FLOPS = MappingProxyType({
    "relu": 1, "exp": 1, "dropout": 2,      # dropout: compare with a random number, scale
    "sigmoid": 3,                           # exp, add, divide
    "silu": 4,                              # sigmoid, multiply
    "tanh": 5,                              # two exps, add, subtract, divide
    "gelu": 8,                              # tanh form: cube, 2 multiply-adds, tanh, add, 2 multiplies
    "identity": 0,
})
SOFTMAX_FLOPS = 5  # max, subtract, exp, sum, divide
NORM_FLOPS = MappingProxyType({"layernorm": 5, "batchnorm": 5, "rmsnorm": 3})  # statistics and normalising
ROPE_FLOPS = 3  # x·cos + rotate(x)·sin: two multiplies and an add per element
VIEWS = {"copy", "rename", "index"}  # the output is the input's memory (index: a strided slice of it)


@dataclass(frozen=True)
class Array:
    """An array a box reads or writes: a value of the diagram (``key`` its id)
    or a weight of a learned box (``key`` a tuple naming it)."""

    key: int | tuple
    axes: tuple[str, ...]
    integer: bool = False
    times: int = 1  # moved this many times: a box of a repeat block inside a collapsed component


@dataclass(frozen=True)
class Work:
    """One box's work. ``kernels`` is 0 for boxes that move nothing (their
    outputs are the same memory as their input), 1 for a box, and the number of
    boxes inside a collapsed component."""

    matmul_flops: int
    vector_flops: int
    reads: tuple[Array, ...]
    writes: tuple[Array, ...]
    usage: Mapping[str, str]
    kernels: int
    windows: Mapping[str, tuple[str, int, int]] = field(default_factory=dict)  # unfold: input axis -> (block axis, stride, reach)

    @property
    def flops(self) -> int:
        return self.matmul_flops + self.vector_flops


def elements(diagram: Diagram, axes) -> int:
    """Number of values of a tensor with these axes; NcdError when a size is unknown."""
    for a in axes:
        if diagram.axes[a].size is None:
            raise NcdError(f"axis '{a}' has no size; the cost model needs one", diagram.axes[a].span,
                           f"declare it with 'axis {a} = 4096' or pass --sizes {a}=4096")
    return math.prod(diagram.axes[a].size for a in axes)


def is_view(diagram: Diagram, op: Op) -> bool:
    """True when a rearrange's output can share its input's memory: each output
    axis is one input axis, or merges input axes that are adjacent and in order."""
    flat = [p for a in diagram.values[op.inputs[0]].axes for p in diagram.axes[a].parts]
    for a in diagram.values[op.outputs[0]].axes:
        parts = list(diagram.axes[a].parts)
        start = flat.index(parts[0])
        if flat[start:start + len(parts)] != parts:
            return False
    return True


def work(diagram: Diagram, op: Op) -> Work:
    """The :class:`Work` of one box."""
    values = diagram.values
    ins = tuple(Array(v, values[v].axes, values[v].dtype == "int") for v in op.inputs)
    outs = tuple(Array(v, values[v].axes, values[v].dtype == "int") for v in op.outputs)
    size = lambda axes: elements(diagram, axes)  # noqa: E731
    mapped = {a: MAP for x in ins + outs for a in x.axes}
    if op.kind == "delete" or not ins:  # deletes, inputs (and loads of stored tensors) move nothing
        return Work(0, 0, (), outs, {}, 0)
    if not outs or op.kind in VIEWS or (op.kind == "elementwise" and op.params["fn"] == "identity"):
        return Work(0, 0, ins, outs, mapped, 0)  # outputs, saves, copies, identity, views: the memory stays the input's
    if op.kind == "rearrange":
        moved = set(ins[0].axes) ^ set(outs[0].axes)
        usage = {a: WHOLE if a in moved else MAP for a in mapped}
        return Work(0, 0, ins, outs, usage, 0 if is_view(diagram, op) else 1)
    if op.kind == "einsum":
        contracted = op.params["contracted"]
        usage = {a: SUM if a in contracted else MAP for a in mapped}
        if len(ins) == 1:  # a sum: one addition per element read
            return Work(0, size(ins[0].axes), ins, outs, usage, 1)
        return Work(_pairwise_flops(size, [x.axes for x in ins], outs[0].axes), 0, ins, outs, usage, 1)
    if op.kind == "linear":
        in_axes, out_axes = op.params["in_axes"], op.params["out_axes"]
        per = op.params.get("per", ())  # axes with a weight of their own
        weights = (Array((op.name, "weight"), per + in_axes + out_axes),)
        if op.params["bias"]:
            weights += (Array((op.name, "bias"), per + out_axes),)
        # an axis read and written (m -> m) is two axes of the weight under one name: never split
        usage = {**mapped, **{a: WHOLE if a in out_axes else SUM for a in in_axes}}
        bias = size(outs[0].axes) if op.params["bias"] else 0
        return Work(2 * size(op.broadcast + per + in_axes + out_axes), bias, ins + weights, outs, usage, 1)
    if op.kind == "call":  # a collapsed component: its boxes' work, a repeated block's as often as it runs
        body = [_repeated(work(diagram, inner), repeats(diagram, inner.section)) for inner in op.params["body"]]
        usage = {a: WHOLE for w in body for x in w.reads + w.writes for a in x.axes}
        return Work(sum(w.matmul_flops for w in body), sum(w.vector_flops for w in body),
                    tuple(x for w in body for x in w.reads), tuple(x for w in body for x in w.writes), usage,
                    sum(w.kernels for w in body))
    n = size(outs[0].axes)
    if op.kind == "softmax":
        return Work(0, SOFTMAX_FLOPS * n, ins, outs, {**mapped, **{a: SOFTMAX for a in op.acts[0]}}, 1)
    if op.kind == "norm":
        fn, acted = op.params["fn"], op.acts[0]
        weights = ()
        if op.params["affine"]:  # batch norm learns one scale per channel, the others one per normalised element
            learned = op.broadcast if fn == "batchnorm" else acted
            weights = tuple(Array((op.name, p), learned) for p in (("scale",) if fn == "rmsnorm" else ("scale", "shift")))
        flops = (NORM_FLOPS[fn] + len(weights)) * n
        # rmsnorm without a learned scale is x / sqrt(mean x² + eps): a sum of squares, then one scale per row
        along = SCALED if fn == "rmsnorm" and not weights and len(acted) == 1 else WHOLE
        return Work(0, flops, ins + weights, outs, {**mapped, **{a: along for a in acted}}, 1)
    if op.kind == "elementwise":
        return Work(0, ELEMENTWISE_FLOPS[op.params["fn"]] * n, ins, outs, mapped, 1)
    if op.kind in ("scale", "add", "mul", "mask"):  # mask: one select per element; the causal pattern is computed, not read
        return Work(0, (len(ins) - 1 if op.kind == "add" else 1) * n, ins, outs, mapped, 1)
    if op.kind in ("unfold", "fold", "reduce", "concat", "embedding", "rope", "topk"):
        return _vocabulary(diagram, op, ins, outs, mapped, size)
    # a box without a rule of its own: one kernel, 1 FLOP per output element, every axis kept whole
    return Work(0, n, ins, outs, {a: WHOLE for a in mapped}, 1)


def topk_flops(params: Mapping) -> int:
    """FLOPs per element of a top-k gate: k comparisons (the running top k), plus 1 each
    for a selection bias, normalising the kept weights and a scale other than 1,
    and 2 for grouped routing (each group's score).

    >>> topk_flops({"k": 2, "normalize": True, "groups": 1, "scale": 1.0, "select_bias": False})
    3
    """
    return (params["k"] + params["select_bias"] + params["normalize"] + (params["scale"] != 1)
            + 2 * (params["groups"] > 1))


def _vocabulary(diagram: Diagram, op: Op, ins, outs, mapped, size) -> Work:
    """Convolution tensors, reductions, concatenation, embeddings, RoPE and top-k."""
    p, n = op.params, size(outs[0].axes)
    if op.kind == "unfold":  # reads the input once, writes kernel-times more: the blocks
        reach = p["dilation"] * (p["kernel"] - 1) + 1
        windows = {a: (b, p["stride"], reach) for a, b in zip(p["spatial_in"], p["spatial_out"])}
        return Work(0, 0, ins, outs, mapped, 1, MappingProxyType(windows))
    if op.kind == "fold":  # adds every block element into its place; overlapping blocks need all of them
        return Work(0, size(ins[0].axes), ins, outs, {a: WHOLE for a in mapped}, 1)
    if op.kind == "reduce":  # max, mean or sum: one operation per element read
        return Work(0, size(ins[0].axes), ins, outs, {**mapped, **{a: SUM for a in p["axes"]}}, 1)
    if op.kind == "concat":  # a copy of every input into place
        return Work(0, 0, ins, outs, {**mapped, **{a: WHOLE for a in p["axes"] + (p["into"],)}}, 1)
    if op.kind == "embedding":  # a gather: one table row per id, not the whole table
        return Work(0, 0, ins + (Array((op.name, "rows"), outs[0].axes),), outs, mapped, 1)
    if op.kind == "rope":  # cos and sin of each position's angles, half the depth each
        position, depth = p["axes"]
        return Work(0, ROPE_FLOPS * n, ins + (Array((op.name, "cos_sin"), (position, depth)),), outs, {**mapped, depth: WHOLE}, 1)
    bias = (Array((op.name, "bias"), p["axes"]),) if p["select_bias"] else ()  # topk
    return Work(0, topk_flops(p) * n, ins + bias, outs, {**mapped, **{a: WHOLE for a in p["axes"]}}, 1)


def repeats(diagram: Diagram, section: int | None) -> int:
    """How many times a box in ``section`` runs: the product of the ``repeat`` counts around it
    (up to a collapsed component, whose section is gone from the diagram)."""
    n = 1
    while section in diagram.sections:
        n *= diagram.sections[section].times
        section = diagram.sections[section].parent
    return n


def _repeated(w: Work, n: int) -> Work:
    """The work of a box run ``n`` times: every read and write happens each time (counted, not
    listed n times: n may be a billion)."""
    reads, writes = (tuple(replace(x, times=x.times * n) for x in arrays) for arrays in (w.reads, w.writes))
    return Work(w.matmul_flops * n, w.vector_flops * n, reads, writes, w.usage, w.kernels * n, w.windows)


def _pairwise_flops(size, groups: list[tuple[str, ...]], out: tuple[str, ...]) -> int:
    """2 FLOPs per multiply-add, contracting left to right (as torch.einsum does)."""
    flops, acc = 0, groups[0]
    for i, g in enumerate(groups[1:], 1):
        axes = tuple(dict.fromkeys(acc + g))
        flops += 2 * size(axes)
        later = set(out).union(*groups[i + 1:])
        acc = tuple(a for a in axes if a in later)
    return flops
