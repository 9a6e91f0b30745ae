"""The cost report as the browser view reads it, and the advice it gives.

The figures are those of ``ncd cost --format json`` (:func:`ncd_render.cost.report_json.report_dict`),
never computed again here; each comes with the text ``ncd cost`` prints for it (``si``).
The advice is the kernel that takes the most time, and ``ncd cost --suggest``'s plan.

>>> from ncd_render.api import load_text
>>> from ncd_render.cost import analyse, load_profile
>>> fig = load_text("axis y = 4096\\naxis m = 4096\\ninput X[y m]\\nH = relu(X)\\nG = exp(H)\\noutput G\\n")
>>> report = analyse(fig.diagram, load_profile("a100-80gb"), "bf16")
>>> data = report_data(fig.diagram, report, "demo.ncd")
>>> [(k["name"], k["bound"], k["text"]["hbm_bytes"]) for k in data["kernels"]]
[('elementwise1 (H)', 'memory', '67.1 MB'), ('elementwise2 (G)', 'memory', '67.1 MB')]
>>> [n["kind"] for n in notes(report)]
['dominant']
"""
from __future__ import annotations

from ..cost import Report, load_profile
from ..cost.command import suggestion_lines
from ..cost.report_json import report_dict
from ..cost.suggest import suggest
from ..cost.table import figures, intensity, si
from ..errors import NcdError
from ..ir import Diagram


def _with_text(kernel: dict) -> dict:
    """A kernel of the JSON report, with the text ``ncd cost`` shows for its figures (and its parts')."""
    kernel["text"] = {**figures(kernel["flops"], kernel["hbm_bytes"], kernel["time"]), "intensity": intensity(kernel["flops"], kernel["hbm_bytes"])}
    for level in kernel["levels"]:
        level["text"] = f"{si(level['bytes'], 'B')}, {si(level['time'], 's')}"
    if kernel["plan"] is not None:
        kernel["plan"]["text"] = {"shared_bytes": f"{kernel['plan']['shared_bytes'] / 1024:.1f} KiB"}
    for part in kernel["parts"]:
        _with_text(part)
    return kernel


def report_data(diagram: Diagram, report: Report, name: str) -> dict:
    """``ncd cost --format json``'s report of ``diagram``, with the text of each figure."""
    data = report_dict(report, diagram, name)
    for kernel in data["kernels"]:
        _with_text(kernel)
    total = data["total"]
    total["text"] = figures(total["flops"], total["hbm_bytes"], total["time"])
    return data


def notes(report: Report) -> list[dict]:
    """The quick advice, given with every view: the kernel that takes the most time."""
    if len(report.kernels) < 2 or report.time <= 0:
        return []
    top = max(report.kernels, key=lambda k: k.time)
    return [{"kind": "dominant", "ops": list(top.ops),
             "text": f"{top.name} takes {si(top.time, 's')} of {si(report.time, 's')} "
                     f"({100 * top.time / report.time:.0f}%), {top.bound}-bound"}]


def advice(text: str, name: str, hw: str, dtype: str, sizes: dict[str, int] | None) -> list[dict]:
    """``ncd cost --suggest``'s plan as notes: each run of lines worth fusing (the page selects the
    boxes on those lines), then the whole saving. It searches (seconds on a big diagram), so the
    page asks for it after showing the figure.

    >>> notes = advice(open("gallery/sdpa.ncd").read(), "sdpa.ncd", "a100-80gb", "bf16", {"y": 4096, "x": 4096})
    >>> [(n["kind"], n.get("lines")) for n in notes]  # FlashAttention: the attention core as one kernel
    [('fuse', [10, 12]), ('fuse-total', None)]
    """
    try:
        plan = suggest(text, name, load_profile(hw), dtype, sizes)
    except NcdError as error:
        return [{"kind": "error", "text": str(error)}]
    said = suggestion_lines(plan)
    runs = [{"kind": "fuse", "lines": [r.first, r.last], "text": line} for r, line in zip(plan.runs, said)]
    return runs + [{"kind": "fuse-total" if plan.runs else "fuse-none", "text": said[-1]}]
