"""What running a diagram will take, estimated before anything is built; torch-free.

``ncd check`` (and :func:`~.compile.compile_diagram`) refuse, before building a
single module, a diagram that would run more than ``MAX_RUNS`` boxes (each
repetition of a ``repeat`` block counts) or, for a check, need more than
``MAX_BYTES`` of memory or ``MAX_FLOPS`` of arithmetic (docs/pytorch.md, "Limits").

>>> from ncd_render.parse import parse
>>> from ncd_render.ir import build
>>> d = build(parse("axis m = 4\\ninput X[m]\\nrepeat 1000000000\\n  X = linear(X: m -> m) as L\\nend\\noutput X\\n", "r.ncd"))
>>> require_runs(d)
Traceback (most recent call last):
...
ncd_render.errors.NcdError: r.ncd:3:1: repeat 1000000000 runs its boxes 1,000,000,000 times: 1,000,000,000 box runs, more than the 10,000 that ncd check, ncd compile and compile_diagram build
    3 | repeat 1000000000
      | ^^^^^^^^^^^^^^^^^
hint: every repetition gets modules of its own; check a copy with a smaller count (repeat 2 checks the same wiring)
"""
from __future__ import annotations

import math

from .. import ops
from ..cost.boxes import repeats, work
from ..errors import NcdError
from ..ir import Diagram
from ..records import record
from .patterns import Patterns

MAX_RUNS = 10_000            # boxes run, each repetition counted
MAX_BYTES = 8 * 2 ** 30      # memory a check may need (estimated)
MAX_FLOPS = 10 ** 12         # arithmetic a check may do (estimated, all dtypes, diagram and reference)
LONG_FLOPS = 10 ** 11         # above this (some seconds) a check says what it is doing as it goes


@record
class Estimate:
    runs: int         # boxes run, each repetition counted
    parameters: int   # learned values, each repetition's counted
    activations: int  # values the diagram computes for one batch (each kept once)
    flops: int        # one forward pass of the diagram, over the whole batch
    bytes: int        # memory of a check: diagram and reference, float64
    total_flops: int  # a whole check: diagram and reference in every dtype

    def __str__(self) -> str:
        return f"about {_amount(self.total_flops, 'FLOP')} and {_amount(self.bytes, 'B')}"


def _amount(n: float, unit: str) -> str:
    for scale, prefix in ((1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if n >= scale:
            return f"{n / scale:.3g} {prefix}{unit}"
    return f"{n:.0f} {unit}"


def require_runs(diagram: Diagram) -> int:
    """The number of box runs, or a NcdError at the repeat block that makes too many."""
    runs = sum(repeats(diagram, op.section) for op in diagram.ops if not ops.of(op).free)
    if runs > MAX_RUNS:
        counted = [s for s in diagram.sections.values() if s.kind == "repeat"]
        worst = max(counted, key=lambda s: repeats(diagram, s.id), default=None)
        where = f"repeat {worst.times} runs its boxes {repeats(diagram, worst.id):,} times: " if worst else ""
        raise NcdError(f"{where}{runs:,} box runs, more than the {MAX_RUNS:,} that ncd check, ncd compile and compile_diagram build",
                       worst.span if worst else None,
                       "every repetition gets modules of its own; check a copy with a smaller count (repeat 2 checks the same wiring)")
    return runs


def estimate(diagram: Diagram, batch: int, dtypes=("float64", "float32")) -> Estimate:
    """The work and memory of checking ``diagram`` (components expanded, every size known)."""
    runs = require_runs(diagram)
    patterns = Patterns(diagram)
    size = lambda axes: math.prod(patterns.size(a) for a in axes)  # noqa: E731
    parameters = sum(size(axes) * repeats(diagram, op.section) for op in diagram.ops for axes in patterns.parameters(op).values())
    activations = batch * (sum(size(v.axes) for v in diagram.values.values()) + sum(_padded(diagram, op, patterns) for op in diagram.ops))
    flops = batch * sum(work(diagram, op).flops * repeats(diagram, op.section) for op in diagram.ops if not ops.of(op).free)
    memory = 8 * 2 * (parameters + activations)  # float64, in the diagram and in the reference
    return Estimate(runs, parameters, activations, flops, memory, 2 * len(dtypes) * flops)


def _padded(diagram: Diagram, op, patterns: Patterns) -> int:
    """The values of the zero-padded buffer a convolution's unfold (its input, padded) or fold (its output, padded)
    makes for one batch element, 0 for any other op: padding=134217728 on a 2 x 2 input needed 8.7 GB unestimated."""
    if op.kind not in ("unfold", "fold") or not any(op.params["padding"]):
        return 0
    value, spatial = (op.inputs[0], op.params["spatial_in"]) if op.kind == "unfold" else (op.outputs[0], op.params["spatial_out"])
    pads = dict(zip(spatial, op.params["padding"]))
    return math.prod(patterns.size(a) + 2 * pads.get(a, 0) for a in diagram.values[value].axes)


def require(diagram: Diagram, batch: int, dtypes, sizes_hint: str) -> Estimate:
    """The estimate, or a NcdError when a check would need more than MAX_BYTES or MAX_FLOPS."""
    e = estimate(diagram, batch, dtypes)
    if e.bytes > MAX_BYTES or e.total_flops > MAX_FLOPS:
        what = "memory" if e.bytes > MAX_BYTES else "arithmetic"
        raise NcdError(f"checking {diagram.source.source.path} at these sizes would take {e}, more {what} than ncd check "
                       f"allows (at most {_amount(MAX_BYTES, 'B')} and {_amount(MAX_FLOPS, 'FLOP')})", hint=sizes_hint)
    return e
