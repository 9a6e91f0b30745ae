"""What a box does for the cost model: FLOPs, the arrays it reads and writes, and how it uses
each axis. The cost rules of :mod:`ncd_render.ops` return these; :mod:`ncd_render.cost` reads them."""
from __future__ import annotations

from dataclasses import field
from typing import Mapping

from ..records import record

# How an operation uses an axis; this decides how a fused kernel may split it.
MAP = "map"          # independent along it: the axis can be tiled (group partition)
SUM = "sum"          # summed over: the axis can be streamed
SOFTMAX = "softmax"  # normalised over: streamable when a sum over it follows (online softmax)
WHOLE = "whole"      # needs every index at once: never split
SCALED = "scaled"    # divided by a sum over it (an L2 norm): streamable when a sum follows, with no per-chunk correction


@record
class Array:
    """An array a box reads or writes: a value of the diagram (``key`` its id)
    or a weight of a learned box (``key`` a tuple naming it)."""

    key: int | tuple
    axes: tuple[str, ...]
    itemsize: int | None = None  # bytes an element, whatever the run's dtype: 4 for integer ids (int32), 1 for flags
    times: int = 1  # moved this many times: a box of a repeat block inside a collapsed component


@record
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
