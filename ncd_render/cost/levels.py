"""The Napkin model beyond HBM: what every kernel moves between the levels of the
memory hierarchy, and what each level costs; and how quantisation scales it.

Levels, top down: HBM -> L2 (what L2 does not already hold), L2 -> shared memory
(every load of a kernel passes L2; a GEMM's CTA tiles read A and B again for every
tile of the other operand), shared memory -> registers (a fused kernel's warps each
read the streamed tiles). Each level's time is its bytes over its bandwidth; the
slowest level bounds the kernel.

Quantisation stores ``q`` bytes per value: a level then holds ``M/q`` values, tiles
shrink, and re-sends grow. The Napkin plan's HBM transfers scale as ``q^(1+β)``
(β = 1/2 for a matmul, 1 for attention): :func:`quantisation_exponent` measures it
on the diagram.

>>> from ncd_render.api import load_text
>>> from ncd_render.cost import analyse, load_profile
>>> d = load_text('''axis a = 8192
... axis b = 8192
... axis c = 8192
... input A[a b], B[b c]
... section "matmul" fused
...   C = einsum(A, B: a b, b c -> a c)
... end
... output C''').diagram
>>> round(quantisation_exponent(d, load_profile("a100-80gb")), 1)  # 1 + β with β = 1/2
1.5
>>> [lv["level"] for lv in levels(analyse(d, load_profile("a100-80gb"), "bf16").kernels[0], load_profile("a100-80gb"))]
['HBM -> L2', 'L2 -> shared', 'shared -> registers']
"""
from __future__ import annotations

import math
from dataclasses import replace

from ..ir import Diagram
from .model import analyse

QUANTISED = (4, 2, 1, 0.5)  # bytes per value: fp32, bf16, fp8, int4


def levels(kernel, profile) -> list[dict]:
    """Bytes and seconds per level of one kernel (an efficiency-model report's row)."""
    chip, d = profile.chip, kernel.detail
    if chip is None:
        return [{"level": "HBM", "bytes": kernel.hbm_bytes, "time": kernel.hbm_bytes / profile.hbm_bandwidth}]
    dram = d.get("dram_bytes", kernel.hbm_bytes)
    through_l2 = kernel.hbm_bytes
    shared = d.get("shared_reads", 0.0)
    if "gemm_tile" in d and kernel.matmul_flops:  # each CTA tile reads its slab of A and B through L2
        tm, tn = d["gemm_tile"]
        through_l2 = max(through_l2, kernel.matmul_flops / 2 * d.get("itemsize", 2) * (1 / tm + 1 / tn))
    rows = [("HBM -> L2", dram, profile.hbm_bandwidth * chip.hbm_efficiency),
            ("L2 -> shared", through_l2, chip.l2_bandwidth)]
    if kernel.plan is not None:
        rows.append(("shared -> registers", shared, chip.shared_bandwidth))
    return [{"level": name, "bytes": b, "time": b / bw} for name, b, bw in rows]


def quantisation_exponent(diagram: Diagram, profile) -> float:
    """The log-log slope of the fused sections' Napkin HBM transfers against bytes per value,
    over fp32, bf16, fp8 and int4 with the profile's shared memory: the paper's 1 + β."""
    points = []
    for q in QUANTISED:
        dtype = {4: "fp32", 2: "bf16", 1: "fp8", 0.5: "int4"}[q]
        peaks = {**profile.matmul_peaks, dtype: profile.matmul_peaks.get(dtype, 1.0)}  # bytes do not depend on the peak
        report = analyse(diagram, replace(profile, chip=None, matmul_peaks=peaks), dtype)
        points.append((math.log(q), math.log(sum(k.plan.resent + k.plan.read_once + k.plan.written for k in report.kernels if k.plan))))
    n = len(points)
    mx, my = sum(x for x, _ in points) / n, sum(y for _, y in points) / n
    return sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x, _ in points)
