"""Cost badges for the renderer (``ncd render --annotate-cost``): a few short
lines per kernel, on the box that finishes it.

>>> from ncd_render.parse import parse
>>> from ncd_render.ir import build
>>> from ncd_render.cost.model import analyse
>>> from ncd_render.cost.hardware import load_profile
>>> d = build(parse("axis y = 4096\\naxis m = 4096\\ninput X[y m]\\nH = relu(X)\\noutput H\\n"))
>>> badges(d, analyse(d, load_profile("a100-80gb"), "bf16"))
{1: Badge(lines=('67 MB', '17 MF', '42 µs'), bound='memory', ops=(1,), section=None)}
"""
from __future__ import annotations


from ..errors import NcdError
from ..ir import Diagram
from ..records import record
from .model import Report, box_name, fused_section
from .table import si


@record
class Badge:
    """HBM bytes, FLOPs and time of one kernel; ``bound`` is 'memory' or 'compute';
    ``ops`` the boxes the kernel runs; ``section`` the fused section when the kernel is one
    (its badge is drawn once, for the section)."""

    lines: tuple[str, ...]
    bound: str
    ops: tuple[int, ...]
    section: int | None = None

    @property
    def fused(self) -> bool:
        return self.section is not None


def badges(diagram: Diagram, report: Report) -> dict[int, Badge]:
    """Op id -> badge for every kernel of ``report``, which must be made from ``diagram``.

    Boxes that run no kernel (views) get no badge; a fused section's badge is
    keyed by its last box. The figures of a kernel in a ``repeat N`` block are
    the total of its N runs, as in the table.
    """
    out = {}
    for k in report.kernels:
        for part in k.parts or (k,):
            i = part.ops[0]
            if i >= len(diagram.ops) or box_name(diagram, diagram.ops[i]) != part.name:
                raise NcdError("the cost report was made for another diagram", hint="analyse the diagram that is drawn (same --depth and --sizes)")
        if k.bound in ("memory", "compute"):
            section = fused_section(diagram, diagram.ops[k.ops[0]]) if k.plan is not None else None
            out[k.ops[-1]] = Badge((si(k.hbm_bytes, "B", 2), si(k.flops, "F", 2), si(k.time, "s", 2)), k.bound, k.ops, section)
    return out
