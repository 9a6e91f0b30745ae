"""A roofline chart of a cost report: one point per kernel, at its arithmetic
intensity and attained FLOP/s, under the roofs of the profile. A point is the work the kernel runs: a routed
expert's share of its dense FLOPs, a causal kernel's blocks that are not skipped, over the HBM bytes it moves
(a fused kernel's as it is timed), so that no point stands above its roof.

Drawn with matplotlib's Agg canvas (no pyplot, no global backend) and written
with fixed metadata, so the same report always gives the same bytes.

>>> import tempfile, pathlib
>>> from ncd_render.parse import parse
>>> from ncd_render.ir import build
>>> from ncd_render.cost.model import analyse
>>> from ncd_render.cost.hardware import load_profile
>>> d = build(parse("axis y = 4096\\naxis m = 4096\\ninput X[y m]\\nH = linear(X: m -> m)\\noutput H\\n"))
>>> path = pathlib.Path(tempfile.mkdtemp()) / "roofline.png"
>>> plot_roofline(analyse(d, load_profile("a100-80gb"), "bf16"), path)
>>> path.read_bytes()[:4]
b'\\x89PNG'
"""
from __future__ import annotations

import io
import math
from pathlib import Path

from ..errors import NcdError
from ..output import check_writable, write_atomic
from ..style import Colors
from .model import Report

BOUND_COLORS = {"memory": Colors.memory_bound, "compute": Colors.compute_bound}  # as the badges of the default theme
FORMATS = {".png": {"Software": None}, ".svg": {"Date": None}, ".pdf": {"CreationDate": None, "Producer": None}}


def check_plot_path(path: str | Path) -> Path:
    """Fail before any work when the chart cannot be written to ``path``."""
    path = check_writable(path)
    if path.suffix.lower() not in FORMATS:
        raise NcdError(f"cannot draw a roofline chart as '{path.suffix or path.name}'", hint="name a .png, .svg or .pdf file")
    return path


def plot_roofline(report: Report, path: str | Path) -> None:
    """Draw the roofline chart of ``report`` into ``path`` (.png, .svg or .pdf).

    Kernels without FLOPs or without HBM traffic have no place on the chart and are left out.
    """
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    path = check_plot_path(path)
    hw, dtype = report.profile, report.dtype
    points = [(k, *_executed(k)) for k in report.kernels if k.flops and k.hbm_bytes]
    intensities = [x for _, x, _ in points] or [1.0]
    ridge = hw.matmul_rate(dtype) / hw.hbm_bandwidth
    lo, hi = min(intensities + [ridge]) / 4, max(intensities + [ridge]) * 4
    with matplotlib.rc_context({"svg.hashsalt": "ncd-render", "svg.fonttype": "path", "font.size": 8}):
        figure = Figure(figsize=(6.4, 4.4), dpi=150)
        FigureCanvasAgg(figure)
        ax = figure.add_subplot()
        xs = [lo * (hi / lo) ** (i / 200) for i in range(201)]
        for rate, style, label in ((hw.matmul_rate(dtype), "-", f"matmul peak ({dtype})"), (hw.vector_rate(), "--", "other FLOPs peak")):
            ax.plot(xs, [min(rate, hw.hbm_bandwidth * x) for x in xs], style, color="0.35", linewidth=1, label=label)
        for k, x, y in points:
            ax.plot([x], [y], "s" if k.plan else "o", color=BOUND_COLORS[k.bound])
        stacked = 0  # labels under the flat roof go to the left of their points, one line below another
        for x, y, labels in _clusters([(x, y, k.name) for k, x, y in points]):
            under = x > ridge
            stacked += under
            ax.annotate(", ".join(labels), (x, y), textcoords="offset points", xytext=(-4, -10 * stacked) if under else (4, 3),
                        ha="right" if under else "left", fontsize=7, parse_math=False)  # (names are the file's text, not TeX)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("arithmetic intensity (FLOP per HBM byte)")
        ax.set_ylabel("attained FLOP/s (launch overhead included)")
        ax.set_title(f"{hw.name}, {dtype}: blue memory-bound, red compute-bound, squares fused", parse_math=False)
        ax.grid(True, which="major", linewidth=0.3)
        ax.legend(loc="lower right")
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format=path.suffix.lower()[1:], metadata=FORMATS[path.suffix.lower()])
    write_atomic(path, buffer.getvalue())


def _executed(kernel) -> tuple[float, float]:
    """(FLOP per HBM byte, FLOP/s) of the work ``kernel`` runs: its dense FLOPs times its routed share and the causal
    blocks it keeps, over the bytes it moves from HBM as timed (else the table's), and over its time."""
    detail = kernel.detail or {}
    flops = kernel.flops * detail.get("routed_share", 1.0) * detail.get("causal_kept", 1.0)
    moved = detail.get("dram_bytes", kernel.hbm_bytes) or kernel.hbm_bytes
    return flops / moved, flops / kernel.time


def _clusters(points: list[tuple[float, float, str]], decades: float = 0.2) -> list[tuple[float, float, list[str]]]:
    """Points closer than ``decades`` on both log axes share one label, at the first of them.

    >>> _clusters([(1.0, 1e12, "a"), (1.2, 1.1e12, "b"), (100.0, 1e12, "c")])
    [(1.0, 1000000000000.0, ['a', 'b']), (100.0, 1000000000000.0, ['c'])]
    """
    out: list[tuple[float, float, list[str]]] = []
    for x, y, name in points:
        for cx, cy, names in out:
            if abs(math.log10(x / cx)) < decades and abs(math.log10(y / cy)) < decades:
                names.append(name)
                break
        else:
            out.append((x, y, [name]))
    return out
