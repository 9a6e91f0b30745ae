"""The cost report as text: a table of kernels, their total, and the plans of fused kernels.
A kernel in a ``repeat N`` block is marked ``×N``; its figures are the total of its N runs.

>>> si(3.14e6, "B"), si(1.2e9, "F"), si(4.5e-6, "s"), si(0, "B"), si(3.14e6, "B", digits=2), si(523e-6, "s", digits=2)
('3.14 MB', '1.2 GF', '4.5 µs', '0 B', '3.1 MB', '523 µs')
>>> si(4.4e37, "F")
'4.4e+37 F'
"""
from __future__ import annotations

from ..errors import plural
from .model import Kernel, Report

_UP = ["", "k", "M", "G", "T", "P", "E"]
_DOWN = ["", "m", "µ", "n", "p"]


def si(value: float, unit: str, digits: int = 3) -> str:
    """``value`` with an SI prefix and ``digits`` significant digits."""
    if value == 0:
        return f"0 {unit}"
    if abs(value) >= 1000 ** len(_UP):  # beyond the largest prefix: plain scientific notation
        return f"{value:.{digits}g} {unit}"
    steps = 0
    while abs(value) >= 1000 and steps < len(_UP) - 1:
        value, steps = value / 1000, steps + 1
    while abs(value) < 1 and -steps < len(_DOWN) - 1:
        value, steps = value * 1000, steps - 1
    prefix = _UP[steps] if steps >= 0 else _DOWN[-steps]
    text = f"{value:.{digits}g}"
    return f"{value:.0f} {prefix}{unit}" if "e" in text else f"{text} {prefix}{unit}"  # 520, not 5.2e+02


def figures(flops: float, hbm_bytes: float, time: float) -> dict[str, str]:
    """A kernel's (or the total's) figures as the report prints them, by their JSON keys (the browser view shows these)."""
    return {"flops": si(flops, "F"), "hbm_bytes": si(hbm_bytes, "B"), "time": si(time, "s")}


def intensity(flops: float, hbm_bytes: float) -> str:
    """FLOPs per HBM byte as the report prints it; "-" for a kernel that moves nothing."""
    return f"{flops / hbm_bytes:.3g}" if hbm_bytes else "-"


def _name(k: Kernel) -> str:
    return f"{k.name} ×{k.times}" if k.times > 1 else k.name


def _row(name: str, kind: str, flops: float, hbm_bytes: float, time: float, bound: str) -> tuple:
    shown = figures(flops, hbm_bytes, time)
    return (name, kind, shown["flops"], shown["hbm_bytes"], intensity(flops, hbm_bytes), shown["time"], bound)


def format_report(report: Report, title: str) -> str:
    """The whole report for ``title`` (usually the file name)."""
    hw, dtype = report.profile, report.dtype
    sizes = " ".join(f"{a}={n}" for a, n in report.sizes.items())
    lines = [f"{title} on {hw.name} ({hw.key}), {dtype}; sizes {sizes}",
             f"peaks: {si(hw.matmul_rate(dtype), 'FLOP/s')} matmul, {si(hw.vector_rate(), 'FLOP/s')} other "
             f"(derate {hw.derate:g}); HBM {si(hw.hbm_bandwidth, 'B/s')}; launch {si(hw.launch_overhead, 's')}", ""]
    if hw.chip is not None:
        c = hw.chip
        lines[2:2] = [f"efficiency model: HBM at {c.hbm_efficiency:g} of peak, L2 {si(c.l2_bytes * c.l2_usable, 'B')} usable at "
                      f"{si(c.l2_bandwidth, 'B/s')}; exp and friends {si(c.sfu_rate * hw.derate, 'op/s')}, other FP32 "
                      f"{si(c.fp32_rate * hw.derate, 'op/s')}; {si(c.kernel_overhead, 's')} per kernel, "
                      f"{si(c.framework_overhead, 's')} per framework call; softmax kernels '{c.softmax_kernel}'"]
    header = ("box", "kind", "FLOPs", "HBM bytes", "FLOP/B", "time", "bound")
    rows = []
    for k in report.kernels:
        rows.append(_row(_name(k), k.kind, k.flops, k.hbm_bytes, k.time, k.bound))
        rows += [("  " + p.name, p.kind, si(p.flops, "F"), "-", "-", "-", p.bound) for p in k.parts]
    launched = sum(k.times for k in report.kernels if k.launch_time > 0)
    total = _row("total", f"{launched} kernel{'s' * (launched != 1)}", report.flops, report.hbm_bytes, report.time, "")
    widths = [max(len(r[i]) for r in [header, total] + rows) for i in range(len(header))]

    def line(row):
        return "  ".join(c.ljust(w) if i < 2 or i == 6 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))).rstrip()

    rule = "  ".join("-" * w for w in widths)
    lines += [line(header), rule, *map(line, rows), rule, line(total)]
    for k in report.kernels:
        if k.plan is not None:
            lines += ["", *plan_lines(k, hw.shared_memory_bytes)]
    return "\n".join(lines) + "\n"


def plan_lines(k: Kernel, shared_memory: int) -> list[str]:
    """How a fused kernel is split, what it keeps in shared memory, and what it moves."""
    p = k.plan
    roles = ", ".join(f"{a}: {role} {n}" for a, (role, n) in p.roles.items())
    each = f" (each of its {k.times} runs)" if k.times > 1 else ""
    lines = [f"fused '{k.name}'{each}: {roles}; {plural(p.groups, 'group')}",
             f"  shared memory per group: {p.shared_bytes / 1024:.1f} of {shared_memory / 1024:g} KiB",
             f"  HBM -> shared: {si(p.read_once, 'B')} once + {si(p.resent, 'B')} resent; shared -> HBM: {si(p.written, 'B')}"]
    if p.correction_flops:
        lines.append(f"  online-softmax correction: {si(p.correction_flops, 'F')}")
    d = k.detail
    if "tile" in d:
        tile = " x ".join(f"{a} {n}" for a, n in d["tile"].items())
        pipes = ", ".join(f"{name} {si(t, 's')}" for name, t in d["pipes"].items())
        how = "as FlashAttention-1 runs it" if d.get("fused_kernel") == "flash-v1" else "as real kernels run it"
        lines += [f"  {how}: tiles {tile}; {d['ctas_per_sm']} CTAs per SM ({si(d['shared_bytes'], 'B')} shared, "
                  f"{d['registers_per_thread']} registers per thread); {plural(d['waves'], 'wave')} of {d['groups']} CTAs",
                  f"  compute {pipes} (GEMMs and the rest one after another, special functions beside FP32); loads {'overlap compute' if k.overlap else 'do not overlap compute'}; "
                  f"HBM {si(d['dram_bytes'], 'B')}, from L2 {si(d['l2_bytes'], 'B')}"
                  + (f"; a causal mask skips {1 - d['causal_kept']:.0%} of the blocks" if d["causal_kept"] < 1 else "")]
    return lines
