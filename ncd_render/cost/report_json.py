"""The cost report as JSON (``ncd cost --format json``), for tools and the browser view.

Keys are only ever added, never renamed or removed: ``file``, ``profile``, ``dtype``,
``sizes``, ``kernels`` (each with ``name``, ``kind``, ``lines``, ``ops``, ``times``,
``flops``, ``matmul_flops``, ``vector_flops``, ``hbm_bytes``, ``intensity``,
``compute_time``, ``memory_time``, ``launch_time``, ``host_time``, ``overlap``,
``time``, ``bound``, ``parts``, ``plan``, ``efficiency``, ``levels``), ``total``, and
``suggestions`` when asked for. Times in seconds, sizes in bytes, rates per second.

>>> from ncd_render.api import load_text
>>> from ncd_render.cost import analyse, load_profile
>>> fig = load_text("axis y = 4096\\naxis m = 4096\\ninput X[y m]\\nH = relu(X)\\noutput H\\n")
>>> data = report_dict(analyse(fig.diagram, load_profile("a100-80gb"), "bf16"), fig.diagram, "relu.ncd")
>>> data["kernels"][0]["name"], data["kernels"][0]["lines"], data["total"]["kernels"]
('elementwise1 (H)', [4, 4], 1)
"""
from __future__ import annotations

import json
import math

from ..ir import Diagram
from .levels import levels
from .model import Kernel, Report


def report_dict(report: Report, diagram: Diagram, title: str) -> dict:
    """Every figure of the text table (and more) as plain JSON types."""
    hw = report.profile
    profile = {"key": hw.key, "name": hw.name, "hbm_bandwidth": hw.hbm_bandwidth, "shared_memory_bytes": hw.shared_memory_bytes,
               "matmul_rate": hw.matmul_rate(report.dtype), "vector_rate": hw.vector_rate(), "derate": hw.derate,
               "launch_overhead": hw.launch_overhead, "efficiency_model": hw.chip is not None}
    if hw.chip is not None:
        c = hw.chip
        profile.update(sms=c.sms, l2_bytes=c.l2_bytes, sfu_rate=c.sfu_rate * hw.derate, fp32_rate=c.fp32_rate * hw.derate,
                       hbm_efficiency=c.hbm_efficiency, kernel_overhead=c.kernel_overhead, framework_overhead=c.framework_overhead,
                       fused_kernel=c.fused_kernel, softmax_kernel=c.softmax_kernel)
    launched = sum(k.times for k in report.kernels if k.launch_time > 0)
    return {"file": title, "profile": profile, "dtype": report.dtype, "sizes": dict(report.sizes),
            "kernels": [_kernel(k, diagram, hw) for k in report.kernels],
            "total": {"flops": report.flops, "hbm_bytes": report.hbm_bytes, "time": report.time, "kernels": launched}}


def dumps(data: dict) -> str:
    """Deterministic JSON text (no NaN or infinity: JSON has none)."""
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def lines(diagram: Diagram, ops) -> list[int] | None:
    """First and last source line of the boxes ``ops``."""
    spans = [diagram.ops[i].span for i in ops if diagram.ops[i].span is not None]
    return [min(s.line for s in spans), max(s.end_line for s in spans)] if spans else None


def _kernel(k: Kernel, diagram: Diagram, hw) -> dict:
    out = {"name": k.name, "kind": k.kind, "lines": lines(diagram, k.ops), "ops": list(k.ops), "times": k.times,
           "flops": k.flops, "matmul_flops": k.matmul_flops, "vector_flops": k.vector_flops, "hbm_bytes": k.hbm_bytes,
           "intensity": None if math.isinf(k.intensity) else k.intensity, "compute_time": k.compute_time,
           "memory_time": k.memory_time, "launch_time": k.launch_time, "host_time": k.host_time, "overlap": k.overlap,
           "time": k.time, "bound": k.bound, "parts": [_kernel(p, diagram, hw) for p in k.parts], "plan": None,
           "efficiency": _plain(k.detail), "levels": levels(k, hw) if k.launch_time or k.plan else []}
    if k.plan is not None:
        p = k.plan
        out["plan"] = {"roles": {a: {"role": r, "size": n} for a, (r, n) in p.roles.items()}, "groups": p.groups,
                       "shared_bytes": p.shared_bytes, "read_once": p.read_once, "resent": p.resent, "written": p.written,
                       "correction_flops": p.correction_flops}
    return out


def _plain(value):
    """Mappings, tuples and numbers of a kernel's detail as JSON types."""
    if isinstance(value, dict) or hasattr(value, "items"):
        return {str(a): _plain(b) for a, b in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
