"""The cost report as plain data for the browser view, and the notes it gives.

Every figure is read from :func:`ncd_render.cost.analyse`'s report, never computed
again here; each number comes with the text ``ncd cost`` prints for it (``si``).

>>> from ncd_render.api import load_text
>>> from ncd_render.cost import analyse, load_profile
>>> fig = load_text("axis y = 4096\\naxis m = 4096\\ninput X[y m]\\nH = relu(X)\\nG = exp(H)\\noutput G\\n")
>>> data = report_data(fig.diagram, analyse(fig.diagram, load_profile("a100-80gb"), "bf16"))
>>> [(k["name"], k["bound"], k["text"]["hbm_bytes"]) for k in data["kernels"]]
[('elementwise1 (H)', 'memory', '67.1 MB'), ('elementwise2 (G)', 'memory', '67.1 MB')]
>>> [n["kind"] for n in notes(fig.diagram, analyse(fig.diagram, load_profile("a100-80gb"), "bf16"))]
['dominant', 'chain']
"""
from __future__ import annotations

from ..cost import Kernel, Report, dtype_bytes
from ..cost.boxes import elements
from ..cost.table import si
from ..ir import Diagram

MOVES_NOTHING = ("copy", "delete")


def kernel_data(kernel: Kernel) -> dict:
    """One kernel (or a part of a fused one): its figures, and the text ``ncd cost`` shows for each."""
    data = {"name": kernel.name, "kind": kernel.kind, "ops": list(kernel.ops), "times": kernel.times,
            "flops": kernel.flops, "matmul_flops": kernel.matmul_flops, "vector_flops": kernel.vector_flops,
            "hbm_bytes": kernel.hbm_bytes, "compute_time": kernel.compute_time, "memory_time": kernel.memory_time,
            "launch_time": kernel.launch_time, "time": kernel.time, "bound": kernel.bound,
            "intensity": kernel.intensity if kernel.hbm_bytes else None,
            "text": {"flops": si(kernel.flops, "F"), "hbm_bytes": si(kernel.hbm_bytes, "B"), "time": si(kernel.time, "s"),
                     "intensity": f"{kernel.intensity:.3g}" if kernel.hbm_bytes else "-"},
            "parts": [kernel_data(p) for p in kernel.parts]}
    if kernel.plan is not None:
        p = kernel.plan
        data["plan"] = {"groups": p.groups, "shared_bytes": p.shared_bytes, "read_once": p.read_once, "resent": p.resent,
                        "written": p.written, "roles": {a: [role, n] for a, (role, n) in p.roles.items()},
                        "text": {"shared_bytes": f"{p.shared_bytes / 1024:.1f} KiB", "read_once": si(p.read_once, "B"),
                                 "resent": si(p.resent, "B"), "written": si(p.written, "B")}}
    return data


def report_data(diagram: Diagram, report: Report) -> dict:
    """The whole report: profile, peaks, kernels in composition order, totals."""
    hw, dtype = report.profile, report.dtype
    launched = sum(k.times for k in report.kernels if k.launch_time > 0)
    return {"profile": {"key": hw.key, "name": hw.name, "hbm_bandwidth": hw.hbm_bandwidth, "matmul_rate": hw.matmul_rate(dtype),
                        "vector_rate": hw.vector_rate(), "shared_memory_bytes": hw.shared_memory_bytes,
                        "launch_overhead": hw.launch_overhead},
            "dtype": dtype, "sizes": dict(report.sizes),
            "kernels": [kernel_data(k) for k in report.kernels],
            "total": {"flops": report.flops, "hbm_bytes": report.hbm_bytes, "time": report.time, "kernels": launched,
                      "text": {"flops": si(report.flops, "F"), "hbm_bytes": si(report.hbm_bytes, "B"), "time": si(report.time, "s")}}}


def notes(diagram: Diagram, report: Report) -> list[dict]:
    """The advice the report gives: the kernel that dominates the time, and chains of
    memory-bound kernels that hand a tensor straight to the next (worth fusing: the
    tensor between them would stay on chip instead of going to HBM and back)."""
    out = []
    if len(report.kernels) > 1 and report.time > 0:
        top = max(report.kernels, key=lambda k: k.time)
        out.append({"kind": "dominant", "ops": list(top.ops),
                    "text": f"{top.name} takes {si(top.time, 's')} of {si(report.time, 's')} "
                            f"({100 * top.time / report.time:.0f}%), {top.bound}-bound"})
    ops = {op.id: op for op in diagram.ops}
    for chain, through in _memory_chains(diagram, ops, report):
        lines = sorted({ops[o].span.line for k in chain for o in k.ops if ops[o].span})
        where = ("lines " if len(lines) > 1 else "line ") + line_ranges(lines) if lines else "the diagram"
        saved = 2 * sum(through)
        out.append({"kind": "chain", "ops": [o for k in chain for o in k.ops],
                    "text": f"{len(chain)} memory-bound kernels in a row ({where}: {' → '.join(k.name for k in chain)}) "
                            f"take {si(sum(k.time for k in chain), 's')}; fused, the {si(saved, 'B')} they pass "
                            f"through HBM would stay on chip"})
    return out


def line_ranges(lines: list[int]) -> str:
    """Sorted line numbers, runs written as ranges.

    >>> line_ranges([7, 8, 9, 13]), line_ranges([4])
    ('7-9, 13', '4')
    """
    runs: list[list[int]] = []
    for n in lines:
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    return ", ".join(f"{a}-{b}" if b > a else str(a) for a, b in runs)


def _memory_chains(diagram: Diagram, ops: dict, report: Report):
    """Runs of consecutive memory-bound kernels (not repeated), each reading what the one
    before wrote; with each chain, the bytes of the tensors handed along it."""
    itemsize = dtype_bytes(report.dtype)
    chain: list[Kernel] = []
    through: list[float] = []
    for kernel in list(report.kernels) + [None]:
        joins = kernel is not None and kernel.bound == "memory" and kernel.times == 1
        handed = _handed(diagram, ops, chain[-1], kernel) if chain and joins else set()
        if handed:
            chain.append(kernel)
            through.append(sum(elements(diagram, diagram.values[v].axes) * (4 if diagram.values[v].dtype == "int" else itemsize)
                               for v in handed))
            continue
        if len(chain) > 1:
            yield chain, through
        chain, through = ([kernel] if joins else []), []


def _handed(diagram: Diagram, ops: dict, before: Kernel, after: Kernel) -> set[int]:
    """The values ``before`` writes that ``after`` reads, directly or through copies."""
    handed = set()
    read = {v for o in after.ops for v in ops[o].inputs}
    for made in (v for o in before.ops for v in ops[o].outputs):
        reached, frontier = {made}, [made]
        while frontier:
            consumer = diagram.consumer(frontier.pop())
            if consumer is not None and consumer.kind in MOVES_NOTHING:
                frontier.extend(consumer.outputs)
                reached.update(consumer.outputs)
        if reached & read:
            handed.add(made)
    return handed
