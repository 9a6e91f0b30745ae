"""Times of single-box kernels on a profile with a ``[chip]`` table: each kernel class
at the rate it sustains, not at the peak.

* matmuls (einsum, linear) run on tensor cores at ``peak x derate``, times the share
  of the CTA tiles that holds real work (tile quantisation) and of the last wave of
  CTAs that is busy (wave quantisation), for the best of CUTLASS's tile shapes;
* special functions (the ``exp`` of softmax, sigmoid, SiLU, tanh, GELU) run on the
  special-function units, 16 results per clock per SM, and the rest of the
  non-matmul work on the FP32 lanes, one operation per lane per clock; the two pipes
  run side by side, bounded by the warp schedulers' issue slots (:func:`vector_time`);
* HBM runs at ``hbm`` x its peak; what the previous kernels wrote and still fits
  in L2 is read back at L2 bandwidth;
* every kernel pays a fixed GPU time, and every framework call a host time that
  hides it when the kernel is short (eager PyTorch runs ahead of the GPU).

>>> from ncd_render.cost.hardware import load_profile
>>> hw = load_profile("a100-80gb")
>>> eff, tile, waves, split = matmul_efficiency(hw.chip, (1, 4096, 4096, 4096), hw.matmul_rate("bf16"), 2)
>>> round(eff, 3), tile, waves, split  # 512 CTAs of 128x256 on 108 SMs: 5 waves, the last 74% full
(0.948, (128, 256), 5, 1)
>>> round(hw.matmul_rate("bf16") * eff / 1e12)  # public figures for this GEMM: 250-290 TFLOP/s
251
"""
from __future__ import annotations

import math

from .. import ops
from ..ir import Diagram, Op
from .boxes import elements
from .chip import Chip

# CTA tiles of CUTLASS's Ampere/Hopper tensor-core GEMMs (CUTLASS docs, efficient_gemm.md and the
# profiler's default kernels): the library picks the one that wastes least.
GEMM_TILES = ((128, 256), (256, 128), (128, 128), (128, 64), (64, 128), (64, 64))
# Where a GEMM's output tiles are fewer than the SMs (a matrix-vector product, a linear of a few rows), cuBLAS and
# CUTLASS split K over several CTAs and add their partial tiles (CUTLASS docs, efficient_gemm.md, "Parallelized
# Reductions: Split K"; cuBLAS chooses split-K kernels for such shapes): each slice keeps at least this much of K,
# four of the 64-deep k-tiles a CTA's pipeline streams.
SPLIT_K_SLICE = 256


def gemm_shape(diagram: Diagram, op: Op) -> tuple[int, int, int, int] | None:
    """(batch, M, N, K) of a box that runs as a GEMM (its registry entry's ``gemm``: a two-operand
    einsum, a linear map); None for other boxes."""
    rule = ops.of(op).gemm
    return rule(diagram, op) if rule else None


def matmul_efficiency(chip: Chip, shape: tuple[int, int, int, int], rate: float, itemsize: float) -> tuple[float, tuple[int, int], int, int]:
    """The fraction of the derated tensor ``rate`` a GEMM of ``shape`` sustains, its CTA tile, its waves and
    how many slices of K it is split into (:data:`SPLIT_K_SLICE`).

    Each CTA reads its rows of A and columns of B through L2, so small tiles are
    bound by L2 bandwidth: MNK·itemsize·(1/(tm·cluster) + 1/tn) bytes at ``l2_bandwidth``,
    where a cluster of CTAs along M reads the shared B tile once (TMA multicast); a split
    GEMM also writes and reads back its partial tiles, in fp32.

    >>> from ncd_render.cost.hardware import load_profile
    >>> chip = load_profile("a100-80gb").chip
    >>> eff, tile, waves, split = matmul_efficiency(chip, (1, 1, 128, 16384), 250e12, 2)  # a matrix-vector product
    >>> tile, split  # one output tile: K split 64 ways, so 64 CTAs, not 1, stream the weights
    ((64, 128), 64)
    """
    batch, m, n, k = shape
    best = None
    for tm, tn in GEMM_TILES:
        tiles = batch * math.ceil(m / tm) * math.ceil(n / tn)
        split = 1
        while split * 2 * tiles <= chip.sms and k / (split * 2) >= SPLIT_K_SLICE:
            split *= 2
        ctas = tiles * split
        waves = math.ceil(ctas / chip.sms)
        eff = (batch * m * n) / (tiles * tm * tn) * ctas / (waves * chip.sms)
        l2_bytes = batch * m * n * k * itemsize * (1 / min(tm * chip.gemm_cluster, m) + 1 / min(tn, n))
        l2_bytes += 2 * 4 * batch * m * n * split if split > 1 else 0.0  # the partial tiles, out and back in
        l2_time = l2_bytes / chip.l2_bandwidth
        eff = min(eff, 2 * batch * m * n * k / rate / l2_time) if l2_time else eff
        if best is None or eff > best[0] + 1e-12:
            best = (eff, (tm, tn), waves, split)
    return best


def sfu_ops(diagram: Diagram, op: Op) -> int:
    """Special-function results a box needs (exp and friends: its registry entry's ``special`` per
    output element; softmax one exp, sigmoid and SiLU an exp and a reciprocal, tanh and GELU two)."""
    per = ops.of(op).special
    return per * math.prod(diagram.axes[a].size for a in diagram.values[op.outputs[0]].axes) if per else 0


def broadcast_reads(diagram: Diagram, op: Op, w, chip: Chip, itemsize: float, shared: float) -> tuple[float, bool, bool]:
    """A broadcasting element-wise box: the bytes its smaller operand is read again, whether from L2, and whether
    the kernel broadcasts at all (then its own streams run at ``chip.broadcast_hbm`` of the streaming bandwidth, and the
    re-reads beside them: they add time only when the whole traffic outruns the streaming rates).

    The kernel walks its output in order, so an operand lacking some of the output's axes is read once per
    index of those axes: in all, as often as the output is bigger. An operand that fits in one SM's L1
    (``shared`` bytes) stays there; a larger one is read again from L2 when one slice of the kernel's traffic
    (its share of every operand and of the output) fits in usable L2, else from HBM. PyTorch's loop is
    vectorised only when every operand is contiguous (aten/src/ATen/native/cuda/CUDALoops.cuh,
    ``gpu_kernel_impl``); an expanded operand takes the element-by-element loop with an offset calculator.

    >>> from ncd_render.api import load_text
    >>> from ncd_render.cost.hardware import load_profile
    >>> d = load_text("axis b = 64\\naxis y = 8192\\naxis x = 8192\\ninput S[b y x], M[y x]\\nT = S * M\\noutput T").diagram
    >>> op = next(op for op in d.ops if op.kind == "mul")
    >>> from ncd_render.cost.boxes import work
    >>> extra, from_l2, broadcasts = broadcast_reads(d, op, work(d, op), load_profile("h100-sxm").chip, 2, 228 * 1024)
    >>> extra == 63 * 2 * 8192 ** 2, from_l2, broadcasts  # the 134 MB mask, 63 more times, from HBM
    (True, False, True)
    """
    if not ops.of(op).broadcasts or not w.writes:
        return 0.0, False, False
    size = lambda x: elements(diagram, x.axes) * x.times  # noqa: E731
    out = size(w.writes[0])
    small = [x for x in w.reads if size(x) < out]
    if not small:
        return 0.0, False, False
    extra = sum((out / size(x) - 1) * size(x) * itemsize for x in small if size(x) * itemsize > shared)
    slice_bytes = max(size(x) for x in small) / out * itemsize * sum(size(x) for x in w.reads + w.writes)
    return extra, slice_bytes <= chip.l2_bytes * chip.l2_usable, True


def routed_axes(diagram: Diagram, after: Op) -> dict[str, tuple[int, int]]:
    """Axes a gate before the box ``after`` (a box whose entry ``routes``, e.g. ``topk``) chooses along:
    axis -> (k, its size). A routed kernel runs k of them per item; the router itself, before the gate, is dense."""
    return {axis: (k, diagram.axes[axis].size) for at, axis, k in _gates(diagram.ops) if at < after.id}


_GATES: dict[int, tuple] = {}  # id of a diagram's ops -> (those ops, kept so the id stays theirs; their gates)


def _gates(boxes: tuple) -> list[tuple[int, str, int]]:
    """(op id, axis, k) of every gate among ``boxes``, found once per diagram (each box asked again: 256 boxes,
    costed 400 times by --suggest, walked the 256 ops 100,000 times)."""
    found = _GATES.get(id(boxes))
    if found is None or found[0] is not boxes:
        if len(_GATES) >= 8:
            _GATES.clear()
        found = _GATES[id(boxes)] = (boxes, [(op.id, *ops.of(op).routes(op)) for op in boxes if ops.of(op).routes])
    return found[1]


def compute_time(profile, dtype: str, matmul: float, vector: float, sfu: float, matmul_eff: float = 1.0) -> tuple[float, float, float]:
    """Seconds on the tensor cores, the special-function units and the FP32 lanes (all derated)."""
    chip = profile.chip
    tensor = matmul / (profile.matmul_rate(dtype) * matmul_eff) if matmul else 0.0
    return tensor, sfu / (chip.sfu_rate * profile.derate), max(vector - sfu, 0) / (chip.fp32_rate * profile.derate)


WARP_SCHEDULERS = 4  # per SM, each issues one warp instruction per clock (CUDA C++ Programming Guide, "Compute Capability 8.x" and "9.0": four warp schedulers per SM)


def vector_time(profile, special: float, fp32: float) -> float:
    """Seconds of a kernel's non-matmul work when the special-function and FP32 pipes overlap.

    ``special`` and ``fp32`` are each pipe's busy time (:func:`compute_time`). The pipes are
    separate, so independent ``exp`` and FP32 instructions of the warps on a sub-partition run at
    once; but each is one warp instruction, and a sub-partition's scheduler issues one per clock:
    32 x ``WARP_SCHEDULERS`` thread results per clock per SM, SFU and FP32 alike. On an A100 (64
    FP32 lanes per SM) the slots never bind; on an H100 (128) every ``exp`` takes an FP32 slot.

    >>> from ncd_render.cost.hardware import load_profile
    >>> a100, h100 = load_profile("a100-80gb"), load_profile("h100-sxm")
    >>> vector_time(a100, 1.0, 2.0), vector_time(h100, 1.0, 2.0)  # H100: 16/128 of the slots are exps
    (2.0, 2.125)
    """
    if not special or not fp32:
        return special + fp32
    chip = profile.chip
    issue = 32 * WARP_SCHEDULERS * chip.sms * chip.clock * profile.derate
    results = special * chip.sfu_rate * profile.derate + fp32 * chip.fp32_rate * profile.derate
    return max(special, fp32, results / issue)


def memory_time(chip: Chip, hbm_bandwidth: float, dram_bytes: float, l2_bytes: float) -> float:
    """Seconds to move ``dram_bytes`` at the achievable HBM rate and ``l2_bytes`` at L2 bandwidth."""
    return dram_bytes / (hbm_bandwidth * chip.hbm_efficiency) + l2_bytes / chip.l2_bandwidth


class L2:
    """What the last kernels wrote, newest last, up to the usable L2 capacity (least recently written leaves first).

    >>> cache = L2(100)
    >>> cache.wrote("a", 60); cache.wrote("b", 30); cache.hit("a"), cache.hit("c")
    (60, 0)
    >>> cache.wrote("c", 50); cache.hit("a"), cache.hit("b")
    (0, 30)
    """

    def __init__(self, capacity: float):
        self.capacity, self.held = capacity, {}

    def hit(self, key) -> float:
        return self.held.get(key, 0)

    def wrote(self, key, nbytes: float) -> None:
        self.held.pop(key, None)
        if nbytes > self.capacity:
            self.held.clear()
            return
        self.held[key] = nbytes
        while sum(self.held.values()) > self.capacity:
            self.held.pop(next(iter(self.held)))
