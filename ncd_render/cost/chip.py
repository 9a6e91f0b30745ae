"""The figures of a GPU beyond the roofline: the ``[chip]`` and ``[efficiency]``
tables of a hardware profile, which the efficiency model (:mod:`.efficiency`,
:mod:`.kernel_tiles`) needs. Every bundled value cites its source in the TOML file.

A profile without these tables keeps the plain roofline of docs/cost.md.
``efficiency.fused_kernel`` (optional, default ``flash-v2``) names the algorithm a fused
attention kernel runs (:data:`FUSED_KERNELS`), ``efficiency.softmax_kernel`` (optional, default
``registers``) which kernels run an unfused softmax (:data:`SOFTMAX_KERNELS`).
Two optional fractions (default 1) say what some kernels reach: ``chip.mma_sync_share``, the share of
the tensor peak the warp-level ``mma.sync`` instruction sustains (the FlashAttention-1/2 kernels issue
it; cuBLAS and CUTLASS GEMMs on Hopper issue ``wgmma``), and ``efficiency.broadcast_hbm``, the share of
a streaming kernel's bandwidth that a framework's element-by-element loop reaches: a broadcasting
element-wise kernel (:func:`.efficiency.broadcast_reads`), a copy of a permuted view.

>>> chip = parse_chip({"sms": 108, "clock_ghz": 1.41, "l2_mib": 40, "registers_kib": 256, "max_ctas_per_sm": 32,
...                    "fp32_lanes": 64, "sfu_lanes": 16, "l2_bandwidth_gbs": 4950, "shared_bandwidth_bytes_per_clock": 128,
...                    "gemm_cluster": 1},
...                   {"hbm": 0.85, "l2_usable": 0.5, "kernel_overhead_us": 3.0, "framework_overhead_us": 10.0,
...                    "warps_per_cta": 4, "async_copy": True}, "a100.toml")
>>> round(chip.sfu_rate / 1e12, 2), round(chip.fp32_rate / 1e12, 2)  # results per second, all SMs, boost clock
(2.44, 9.75)
"""
from __future__ import annotations

import math
from dataclasses import replace

from ..errors import NcdError, did_you_mean
from ..records import record

CHIP_FIELDS = {"sms": int, "clock_ghz": float, "l2_mib": float, "registers_kib": int, "max_ctas_per_sm": int,
               "fp32_lanes": int, "sfu_lanes": int, "l2_bandwidth_gbs": float, "shared_bandwidth_bytes_per_clock": float, "gemm_cluster": int}
EFFICIENCY_FIELDS = {"hbm": float, "l2_usable": float, "kernel_overhead_us": float, "framework_overhead_us": float,
                     "warps_per_cta": int, "async_copy": bool}
FRACTIONS = {"hbm", "l2_usable"}
# Ranges that hold every GPU made, many times over (a value past them overflowed or divided by zero): (low, high], or
# [low, high] for whole numbers
RANGES = {"sms": (1, 1 << 20), "clock_ghz": (0.001, 1000.0), "l2_mib": (0.0, 1 << 20), "registers_kib": (1, 1 << 20),
          "max_ctas_per_sm": (1, 1 << 16), "fp32_lanes": (1, 1 << 16), "sfu_lanes": (1, 1 << 16), "l2_bandwidth_gbs": (0.001, 1e8),
          "shared_bandwidth_bytes_per_clock": (0.001, 1 << 20), "gemm_cluster": (1, 1 << 10), "hbm": (0.01, 1.0),
          "l2_usable": (0.01, 1.0), "kernel_overhead_us": (0.0, 1e6), "framework_overhead_us": (0.0, 1e6), "warps_per_cta": (1, 1 << 10)}
# The algorithms of a fused (online-softmax) attention kernel: FlashAttention-2's (queries split across
# CTAs, keys streamed, docs/cost.md "Times"), or FlashAttention-1's (one CTA per batch and head, key
# blocks outer, O, l, m round-tripped through HBM: :mod:`.flash_v1`).
FUSED_KERNELS = ("flash-v2", "flash-v1")
# Which kernels run an unfused softmax (:mod:`.framework_kernels`): PyTorch 2.4-2.10's, a row kept in shared memory when it
# fits the 48 KB a CTA gets without opt-in, three reads beyond; PyTorch's up to 2.3, rows over 1024 values read three
# times; PyTorch 2.11's, rows up to 9216 values in registers; or a kernel that keeps any row on chip (QuACK's).
SOFTMAX_KERNELS = ("registers", "row-on-chip", "three-pass", "one-pass")  # the first is the default
OPTIONAL_FIELDS = {"fused_kernel": FUSED_KERNELS, "softmax_kernel": SOFTMAX_KERNELS}
OPTIONAL_SHARES = {("chip", "mma_sync_share"): 1.0, ("efficiency", "broadcast_hbm"): 1.0}  # fractions in (0, 1], default 1
# The tensor-core instruction each fused attention algorithm issues: FlashAttention-1 and -2 are Ampere kernels (mma.sync)
TENSOR_INSTRUCTION = {"flash-v2": "mma.sync", "flash-v1": "mma.sync"}


@record
class Chip:
    """Per-SM resources and the sustained fractions of the peaks. Rates in results/s, sizes in bytes, times in s."""

    sms: int
    clock: float                 # Hz, boost
    l2_bytes: float
    registers_bytes: int         # per SM
    max_ctas_per_sm: int
    fp32_lanes: int              # FP32 results per clock per SM (an FMA is one result, two datasheet FLOPs)
    sfu_lanes: int               # special-function results (exp2, rcp, rsqrt, ...) per clock per SM
    l2_bandwidth: float
    shared_bandwidth: float      # all SMs
    gemm_cluster: int            # CTAs of a GEMM cluster sharing one operand's L2 reads (TMA multicast; 1 before Hopper)
    hbm_efficiency: float        # achievable fraction of the HBM bandwidth in a streaming kernel
    l2_usable: float             # fraction of L2 a working set can count on
    kernel_overhead: float       # fixed GPU time per kernel: launch, ramp-up and tail
    framework_overhead: float    # host time per framework call (eager PyTorch): the floor of a small kernel
    warps_per_cta: int           # of a fused (FlashAttention-2, CUTLASS-style) kernel
    async_copy: bool             # loads can run ahead of compute (cp.async on Ampere, TMA on Hopper)
    fused_kernel: str = "flash-v2"  # the algorithm of a fused attention kernel (FUSED_KERNELS)
    softmax_kernel: str = "registers"  # which kernels run an unfused softmax (SOFTMAX_KERNELS)
    mma_sync_share: float = 1.0  # share of the tensor peak mma.sync sustains (1 on Ampere, about 2/3 on Hopper)
    broadcast_hbm: float = 1.0   # share of streaming bandwidth PyTorch's element-by-element loop reaches (broadcasts, strided copies)

    def tensor_share(self, kernel: str) -> float:
        """The share of the tensor peak a fused ``kernel`` (:data:`FUSED_KERNELS`) sustains: its instruction's."""
        return self.mma_sync_share if TENSOR_INSTRUCTION[kernel] == "mma.sync" else 1.0

    @property
    def fp32_rate(self) -> float:
        return self.sms * self.fp32_lanes * self.clock

    @property
    def sfu_rate(self) -> float:
        return self.sms * self.sfu_lanes * self.clock


def parse_chip(chip: dict, efficiency: dict, where: str) -> Chip:
    """A :class:`Chip` from the two TOML tables; NcdError naming the file and field when one is wrong."""
    values = {}
    for table, fields, name in ((chip, CHIP_FIELDS, "chip"), (efficiency, EFFICIENCY_FIELDS, "efficiency")):
        if not isinstance(table, dict):
            raise NcdError(f"hardware profile field '{name}' must be a table", path=where)
        for key in table:
            if (name == "efficiency" and key in OPTIONAL_FIELDS) or (name, key) in OPTIONAL_SHARES:
                continue
            if key not in fields:
                raise NcdError(f"hardware profile has an unknown field '{name}.{key}'", path=where, hint=did_you_mean(key, fields))
        for key, kind in fields.items():
            if key not in table:
                raise NcdError(f"hardware profile lacks {name}.{key}", path=where, hint="copy a bundled profile (docs/cost.md) and edit it")
            value = table[key]
            if kind is bool:
                if not isinstance(value, bool):
                    raise NcdError(f"{name}.{key} must be true or false, not {value!r:.40}", path=where)
            elif isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                    or (kind is int and value != int(value)) or not _within(value, *RANGES[key], whole=kind is int):
                low, high = RANGES[key]
                what = "a fraction above 0.01 and at most 1" if key in FRACTIONS else f"a whole number from {low:,} to {high:,}" if kind is int \
                    else f"a number greater than {low:g} and at most {high:g}"
                raise NcdError(f"{name}.{key} must be {what}, not {value!r:.40}", path=where)
            values[key] = kind(value)
    for key, choices in OPTIONAL_FIELDS.items():
        values[key] = efficiency.get(key, choices[0])
        if values[key] not in choices:
            raise NcdError(f"efficiency.{key} must be one of {', '.join(choices)}, not {values[key]!r:.40}", path=where,
                           hint=did_you_mean(str(values[key]), choices))
    for (name, key), default in OPTIONAL_SHARES.items():
        value = (chip if name == "chip" else efficiency).get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.01 < value <= 1:  # (5e-324 made times infinite)
            raise NcdError(f"{name}.{key} must be a fraction above 0.01 and at most 1, not {value!r:.40}", path=where)
        values[key] = float(value)
    c = values
    return Chip(c["sms"], c["clock_ghz"] * 1e9, c["l2_mib"] * 2 ** 20, c["registers_kib"] * 1024, c["max_ctas_per_sm"],
                c["fp32_lanes"], c["sfu_lanes"], c["l2_bandwidth_gbs"] * 1e9,
                c["shared_bandwidth_bytes_per_clock"] * c["sms"] * c["clock_ghz"] * 1e9, c["gemm_cluster"],
                c["hbm"], c["l2_usable"], c["kernel_overhead_us"] * 1e-6, c["framework_overhead_us"] * 1e-6,
                c["warps_per_cta"], c["async_copy"], c["fused_kernel"], c["softmax_kernel"], c["mma_sync_share"], c["broadcast_hbm"])


def _within(value: float, low: float, high: float, whole: bool) -> bool:
    return (low <= value if whole else low < value) and value <= high


def with_kernels(chip: Chip, fused: str | None = None, softmax: str | None = None) -> Chip:
    """``chip`` running fused attention as ``fused`` and unfused softmax as ``softmax`` do (None: as it was).

    >>> with_kernels(Chip(*[1] * 16), softmax="three-pass").softmax_kernel
    'three-pass'
    """
    chip = with_fused_kernel(chip, fused) if fused else chip
    if softmax and softmax not in SOFTMAX_KERNELS:
        raise NcdError(f"unknown softmax kernel '{softmax}'", hint="softmax kernels: " + ", ".join(SOFTMAX_KERNELS))
    return replace(chip, softmax_kernel=softmax) if softmax else chip


def with_fused_kernel(chip: Chip, kernel: str) -> Chip:
    """``chip`` running fused attention as ``kernel`` does (one of :data:`FUSED_KERNELS`).

    >>> with_fused_kernel(Chip(*[1] * 16), "triton")
    Traceback (most recent call last):
    ...
    ncd_render.errors.NcdError: unknown fused kernel 'triton'
    hint: fused kernels: flash-v2, flash-v1
    """
    if kernel not in FUSED_KERNELS:
        raise NcdError(f"unknown fused kernel '{kernel}'", hint=did_you_mean(kernel, FUSED_KERNELS) or "fused kernels: " + ", ".join(FUSED_KERNELS))
    return replace(chip, fused_kernel=kernel)
