"""What each box of a diagram does: its FLOPs, the arrays it reads and writes,
and how it uses each axis (the input of both the unfused and the fused model).

Each op kind declares its counting rule in its module of :mod:`ncd_render.ops`
(docs/cost.md has the reasons): einsum and linear 2 FLOPs per multiply-add ("matmul"
FLOPs, tensor cores); element-wise work on CUDA cores ("vector" FLOPs); views,
inputs, outputs, copies and stores move nothing. A kind without a rule is an error.

>>> from ncd_render.parse import parse
>>> from ncd_render.ir import build
>>> d = build(parse("axis a = 2\\naxis b = 3\\naxis c = 4\\ninput A[a b], B[b c]\\nC = einsum(A, B: a b, b c -> a c)\\noutput C\\n"))
>>> w = work(d, d.ops[2])
>>> w.matmul_flops, [r.axes for r in w.reads], dict(w.usage)
(48, [('a', 'b'), ('b', 'c')], {'a': 'map', 'b': 'sum', 'c': 'map'})
"""
from __future__ import annotations

import math
from dataclasses import replace

from .. import ops
from ..errors import NcdError
from ..ir import Diagram, Op
from ..ops.einsum import pairwise_flops
from ..ops.rearrange import is_view
from ..ops.topk import topk_flops
from ..ops.work import MAP, SCALED, SOFTMAX, SUM, WHOLE, Array, Work

ITEMSIZE = {"int": 4, "bool": 1}  # bytes an element of data that is not real, whatever the run's dtype (ids as int32)

__all__ = ["MAP", "SCALED", "SOFTMAX", "SUM", "WHOLE", "Array", "Work", "elements", "is_view", "pairwise_flops", "repeats", "topk_flops", "work"]


def elements(diagram: Diagram, axes) -> int:
    """Number of values of a tensor with these axes; NcdError when a size is unknown."""
    for a in axes:
        if diagram.axes[a].size is None:
            raise NcdError(f"axis '{a}' has no size; the cost model needs one", diagram.axes[a].span,
                           f"declare it with 'axis {a} = 4096' or pass --sizes {a}=4096")
    return math.prod(diagram.axes[a].size for a in axes)


def work(diagram: Diagram, op: Op) -> Work:
    """The :class:`Work` of one box, by the cost rule its kind declares in :mod:`ncd_render.ops`."""
    return ops.of(op).need("cost")(op, _Context(diagram, op))


class _Context:
    """What a cost rule reads: the box's arrays, sizes, and the work of boxes inside a collapsed component."""

    def __init__(self, diagram: Diagram, op: Op):
        values = diagram.values
        self.d = diagram
        self.ins = tuple(Array(v, values[v].axes, ITEMSIZE.get(values[v].dtype)) for v in op.inputs)
        self.outs = tuple(Array(v, values[v].axes, ITEMSIZE.get(values[v].dtype)) for v in op.outputs)
        self.mapped = {a: MAP for x in self.ins + self.outs for a in x.axes}

    def size(self, axes) -> int:
        return elements(self.d, axes)

    @property
    def n(self) -> int:
        """Elements of the (first) output."""
        return self.size(self.outs[0].axes)

    def work(self, op: Op) -> Work:
        return work(self.d, op)

    def repeats(self, section: int | None) -> int:
        return repeats(self.d, section)

    @staticmethod
    def repeated(w: Work, n: int) -> Work:
        return _repeated(w, n)


MAX_VALUES = 2 ** 256  # values a tensor may hold, over all its runs, for the cost model: past any machine, far from a float's 2^1024


def within_scale(diagram: Diagram) -> None:
    """NcdError at the first statement whose tensor, over every run of the repeats around it, holds more than
    :data:`MAX_VALUES` values: 27 axes of 2^40 (each within the language's limits) overflowed the float times
    and bytes with a traceback."""
    for op in diagram.ops:
        for v in op.outputs:
            axes = diagram.values[v].axes
            if all(diagram.axes[a].size is not None for a in axes):
                n = elements(diagram, axes) * repeats(diagram, op.section)
                if n > MAX_VALUES:
                    raise NcdError(f"'{diagram.values[v].name or op.name}' would hold about 2^{n.bit_length() - 1} values over its runs, "
                                   f"more than the 2^256 the cost model works with", op.span,
                                   "give its axes (or the repeats around it) sizes a machine could hold, e.g. with --sizes")


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
