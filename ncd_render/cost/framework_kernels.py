"""PyTorch's own kernels for boxes outside a fused section: which kernel runs a box, how often it
reads its input, and how long its instructions take to issue.

A box's registry entry names its ``framework_kernel``. The softmax's is one of several kernels by
the row's length (aten/src/ATen/native/cuda/SoftMax.cu).
Which ones a release has is the profile's ``efficiency.softmax_kernel`` (:data:`.chip.SOFTMAX_KERNELS`):

* ``three-pass``, PyTorch up to 2.3: a warp per row (``softmax_warp_forward``) up to 1024 values and
  4 KB, else ``cunn_SoftMaxForward``, which reads the row three times;
* ``row-on-chip``, PyTorch 2.4 to 2.10: as before, but a row that fits the 48 KB a CTA gets without
  opt-in is kept in shared memory (``cunn_SoftMaxForwardSmem``, one read);
* ``registers``, PyTorch 2.11 as measured on an H200: a warp per row up to 2048 values and 8 KB; then,
  while the row needs fewer than 10 values per thread of a 1024-thread CTA, the row in registers
  (``cunn_SoftMaxForwardReg<k>``, k values per thread, loaded one by one); then shared memory, then three reads;
* ``one-pass``: a kernel that keeps any row on chip at the bandwidth's pace (QuACK's cluster reduction).

Bytes do not bound these kernels on a GPU whose HBM outruns its instruction issue: Nsight Compute on
an H200 counts 1.2 to 2.5 warp instructions per value for the softmax (a full-precision ``exp`` and
division per value, twice in some kernels), 1.2 for the layer norm and 0.8-0.9 for GELU, with the
schedulers 50-75% busy, so a 1024-wide fp16 softmax takes 1.7x its bytes' time, a 4096-wide one 3.4x
and a layer norm 1.8x. :func:`issue_time` charges that.

>>> row_kernel(1024, 2, "three-pass"), row_kernel(2048, 2, "three-pass"), row_kernel(2048, 2, "row-on-chip")
('warp', 'three-pass', 'shared')
>>> row_kernel(2048, 2, "registers"), row_kernel(8192, 2, "registers"), row_kernel(16384, 2, "registers")
('warp', 'registers', 'shared')
"""
from __future__ import annotations

import math

from .. import ops
from ..ir import Diagram, Op
from .chip import Chip
from .efficiency import WARP_SCHEDULERS

THREADS_PER_SM = 2048  # resident threads per SM, cc 8.0 and 9.0 (CUDA C++ Programming Guide, technical specifications)
ROW_SMEM = 48 * 1024   # shared memory a CTA gets without opt-in (sharedMemPerBlock), all cunn_SoftMaxForwardSmem asks for
THREE_PASS_READS = 3  # cunn_SoftMaxForward reads its row for the max, for the sum of exps and for the write
REGISTER_VALUES = 10   # cunn_SoftMaxForwardReg runs while ceil(row / 1024) is below this (SoftMax.cu, potential_reg_cnt < 10)
# Registers per thread of cunn_SoftMaxForwardReg<k> in the H200 runs' launch records: 28, 30, 30, 29 for k = 3-6 (two
# 1024-thread CTAs fit an SM's 64K registers), 37 and 40 for k = 8 and 9 (one); k = 7 was not run and counts with 8.
FULL_OCCUPANCY_VALUES = 6

# Warp instructions per value and the share of issue slots kept busy, for PyTorch 2.11's kernels built for sm_90:
# Nsight Compute on an H200, one call each over 2^25 values (bench/gpu_counters.py softmax, counters in
# bench/data/h200-softmax-counters-2026-12-04.csv: "Executed Instructions" / values, "Issue Slots Busy"). Occupancy,
# set by registers per thread, sets the busy share. fp32 rows issue the same within 5% (4096 wide: 2.359, 0.725).
# Older releases' kernels are charged the same counts: their code is the same, their compiler older.
ISSUE = {
    ("warp", 1): (1.230, 0.744),        # softmax_warp_forward up to 1024 values: 48 registers, 62.5% occupancy
    ("warp", 2): (1.209, 0.503),        # 1025-2048 values: 80 registers, 37.5%
    ("registers", 1): (2.484, 0.750),   # cunn_SoftMaxForwardReg<k>, k <= 6 (4096 values: 30 registers, 100%)
    ("registers", 2): (2.418, 0.615),   # k = 7..9 (8192 values, k = 8: 37 registers, 50%)
    ("shared", 1): (1.426, 0.727),      # cunn_SoftMaxForwardSmem (16384 values)
    ("three-pass", 1): (1.353, 0.701),  # cunn_SoftMaxForward (32768 values)
}
# The same for single kernels, one call each over 2^25 16-bit values on the H200 (bench/gpu_counters.py, counters in
# bench/data/h200-counters-2026-12-04.csv; the busy share is issued instructions over the kernel's cycles). Taken for
# every dtype. PyTorch's RMSNorm (the layer norm kernel without the mean: 0.489 per value, 39% busy, 58% of the DRAM
# bandwidth) and SiLU (0.758, 71%, 68%) are held by memory and its latency, not by issue: they have no entry.
SINGLE = {
    "gelu": (0.926, 0.695),             # vectorized_elementwise_kernel<8> with GeluCUDAKernelImpl, erf form
    "gelu-tanh": (0.813, 0.670),        # the same, tanh form
    "layer-norm": (1.205, 0.709),       # vectorized_layer_norm_kernel (4096 values a row)
}


def row_block(row: int, itemsize: float, kernel: str = "three-pass") -> int:
    """Threads of PyTorch's CTA for one long row (aten/src/ATen/native/cuda/SoftMax.cu). Up to 2.3
    (``SoftMax_getBlockSize``): each thread loads 16 B (ILP values), the block takes half of row / ILP threads,
    rounded up to a power of two, at least a warp; from 2.4 (``SoftMaxForward_getBlockSize``): the row's length in
    threads, rounded up to whole warps. At most 1024 either way.

    >>> row_block(2048, 2), row_block(8192, 2), row_block(65536, 2), row_block(2048, 4), row_block(2048, 2, "row-on-chip")
    (128, 512, 512, 256, 1024)
    """
    if kernel != "three-pass":
        return min(1024, -(-row // 32) * 32)
    ilp = max(1, int(16 // itemsize))
    half = min(row // ilp, 1024) // (2 if ilp > 1 else 1)
    return max(32, 1 << max(0, half - 1).bit_length())


def row_kernel(row: int, itemsize: float, dispatch: str) -> str:
    """The kernel PyTorch runs for rows of ``row`` values of ``itemsize`` bytes under ``dispatch``
    (a :data:`.chip.SOFTMAX_KERNELS` name): ``warp``, ``registers``, ``shared``, ``three-pass`` or ``one-pass``."""
    if dispatch == "one-pass":
        return "one-pass"
    most, most_bytes = (2048, 8192) if dispatch == "registers" else (1024, 4096)
    if row <= most and row * itemsize <= most_bytes:
        return "warp"
    if dispatch == "registers" and -(-row // 1024) < REGISTER_VALUES:
        return "registers"
    block, vector = row_block(row, itemsize, dispatch), max(1, int(16 // itemsize))
    if dispatch != "three-pass" and row < (ROW_SMEM - block // 32 * 4) / itemsize and row % vector == 0:
        return "shared"  # the row stays in shared memory (fp32 statistics: one value per warp beside it)
    return "three-pass"


def _named(op: Op) -> str | None:
    """The name of the framework kernel that runs ``op`` (its registry entry's ``framework_kernel``), or None."""
    rule = ops.of(op).framework_kernel
    return rule(op) if rule else None


def _row(diagram: Diagram, op: Op) -> int:
    return math.prod(diagram.axes[a].size for a in op.acts[0])


def row_rereads(diagram: Diagram, op: Op, chip: Chip, itemsize: float) -> tuple[int, bool]:
    """Extra reads of a softmax's input (two, where :func:`row_kernel` is ``three-pass``), and whether they come
    from L2: one CTA runs each row (:func:`row_block` threads), as many per SM as resident threads and CTAs allow; a
    re-read hits L2 when the rows in flight fit in its usable part."""
    if _named(op) != "softmax":
        return 0, False
    row = _row(diagram, op)
    if row_kernel(row, itemsize, chip.softmax_kernel) != "three-pass":
        return 0, False
    block = row_block(row, itemsize, chip.softmax_kernel)
    per_sm = max(1, min(chip.max_ctas_per_sm, THREADS_PER_SM // block))
    return THREE_PASS_READS - 1, chip.sms * per_sm * row * itemsize <= chip.l2_bytes * chip.l2_usable


def issue_time(diagram: Diagram, op: Op, chip: Chip, itemsize: float, values: float) -> tuple[float, str | None]:
    """Seconds the framework kernel's instructions take to issue over ``values`` input values (:data:`ISSUE`,
    :data:`SINGLE`), and its name; (0, None) for a box whose kernel has no counts, or for ``one-pass``.

    >>> from ncd_render.api import load_text
    >>> from ncd_render.cost.chip import with_kernels
    >>> from ncd_render.cost.hardware import load_profile
    >>> d = load_text("axis y = 32768\\naxis x = 4096\\ninput S[y x]\\nP = softmax(S: x)\\noutput P").diagram
    >>> op = next(op for op in d.ops if op.kind == "softmax")
    >>> seconds, kernel = issue_time(d, op, with_kernels(load_profile("h200-sxm").chip, softmax="registers"), 2, 2 ** 27)
    >>> kernel, round(seconds * 1e6)  # measured on an H200 at 1.96 GHz: 423-431 µs (bytes alone: 132 µs)
    ('registers', 460)
    """
    name = _named(op)
    if name in SINGLE:
        per_value, busy = SINGLE[name]
    elif name == "softmax":
        row = _row(diagram, op)
        name = row_kernel(row, itemsize, chip.softmax_kernel)
        if name == "one-pass":
            return 0.0, None
        variant = 2 if (name == "warp" and row > 1024) or (name == "registers" and -(-row // 1024) > FULL_OCCUPANCY_VALUES) else 1
        per_value, busy = ISSUE[name, variant]
    else:
        return 0.0, None
    return values * per_value / (WARP_SCHEDULERS * chip.sms * chip.clock * busy), name
