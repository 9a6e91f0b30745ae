"""The IO cost of a diagram on one GPU: one roofline estimate per kernel.

Every box outside a fused section is a kernel that reads its inputs (and
weights) from HBM and writes its outputs there. A fused section is one kernel
planned by :mod:`ncd_render.cost.fused`. A kernel's time is
``max(FLOPs / peak, bytes / bandwidth) + launch overhead``, where matmul FLOPs
run at the tensor-core peak of the dtype and the rest at the CUDA-core peak.

>>> from ncd_render.parse import parse
>>> from ncd_render.ir import build
>>> from ncd_render.cost.hardware import load_profile
>>> d = build(parse('''axis y = 4096
... axis x = 4096
... axis k = 64
... input Q[y k], K[x k], V[x k]
... S = einsum(Q, K: y k, x k -> y x) * k^-1/2
... P = softmax(S: x)
... O = einsum(P, V: y x, x k -> y k)
... output O'''))
>>> report = analyse(d, load_profile("a100-80gb"), "bf16")
>>> [(k.name, k.bound) for k in report.kernels]  # PyTorch's softmax: bound by issuing its instructions
[('einsum3', 'memory'), ('scale4 (S)', 'memory'), ('softmax5 (P)', 'compute'), ('einsum6 (O)', 'memory')]
>>> report.hbm_bytes / 2 == 6 * 4096 ** 2 + 4 * 4096 * 64  # values: S, S/√k and P go to HBM and back
True
"""
from __future__ import annotations

import math
from dataclasses import field, replace
from types import MappingProxyType
from typing import Mapping

from .. import ops
from ..errors import NcdError
from ..ir import Diagram, Op
from ..opaque import refuse
from ..records import record
from .boxes import Work, elements, repeats, within_scale, work
from .efficiency import (L2, broadcast_reads, compute_time, gemm_shape, matmul_efficiency, memory_time, routed_axes,
                         sfu_ops, vector_time)
from .framework_kernels import issue_time, row_rereads
from .fused import Plan, plan, section
from .hardware import Profile, dtype_bytes
from .kernel_tiles import fused_time



@record
class Kernel:
    """One row of the report: a box, or a fused section with its boxes in ``parts``.

    ``bound`` is 'compute' or 'memory' for a kernel, 'free' for a box that runs
    no kernel (a view), 'on chip' for a box inside a fused kernel. A kernel in a
    ``repeat N`` block runs ``times`` = N times; its figures are the total of all runs.
    """

    name: str
    kind: str
    ops: tuple[int, ...]
    matmul_flops: int
    vector_flops: int
    hbm_bytes: float
    compute_time: float
    memory_time: float
    launch_time: float
    bound: str
    plan: Plan | None = None
    parts: tuple["Kernel", ...] = ()
    times: int = 1
    host_time: float = 0.0   # framework calls' host time (efficiency model): hides a shorter kernel
    overlap: bool = True     # loads overlap compute (False: a fused kernel that cannot double-buffer)
    detail: Mapping = field(default_factory=dict)  # the efficiency model's figures: tiles, waves, pipes, L2, levels

    @property
    def flops(self) -> int:
        return self.matmul_flops + self.vector_flops

    @property
    def time(self) -> float:
        """Seconds: the roofline bound (or the sum, without overlap) plus the launch overhead,
        at least the host time of its framework calls."""
        device = max(self.compute_time, self.memory_time) if self.overlap else self.compute_time + self.memory_time
        return max(device + self.launch_time, self.host_time)

    @property
    def intensity(self) -> float:
        """FLOPs per HBM byte (inf for a box that moves nothing)."""
        return self.flops / self.hbm_bytes if self.hbm_bytes else float("inf")


@record
class Report:
    """The kernels of a diagram, in composition order, on one profile and dtype."""

    profile: Profile
    dtype: str
    sizes: Mapping[str, int]
    kernels: tuple[Kernel, ...]

    @property
    def flops(self) -> int:
        return sum(k.flops for k in self.kernels)

    @property
    def hbm_bytes(self) -> float:
        return sum(k.hbm_bytes for k in self.kernels)

    @property
    def time(self) -> float:
        return sum(k.time for k in self.kernels)


def analyse(diagram: Diagram, profile: Profile, dtype: str = "bf16") -> Report:
    """Cost every kernel of ``diagram`` at ``dtype`` (bytes per value: :data:`~.hardware.DTYPE_BYTES`)."""
    refuse(diagram, "ncd cost")
    within_scale(diagram)
    itemsize = dtype_bytes(dtype)
    profile.matmul_rate(dtype)  # the profile must know the dtype's peak
    boxes = [(op, work(diagram, op)) for op in diagram.ops]
    fused_in = {op.id: fused_section(diagram, op) for op, _ in boxes}
    kernels, done = [], set()
    cache = L2(profile.chip.l2_bytes * profile.chip.l2_usable) if profile.chip else None
    alias = {}  # views and copies: their output is their input's memory
    for op, w in boxes:
        if not w.kernels and w.reads:
            alias.update({x.key: alias.get(w.reads[0].key, w.reads[0].key) for x in w.writes})
        sid = fused_in[op.id]
        if sid is None and not ops.of(op).free:
            kernel = _box(diagram, op, w, profile, dtype, itemsize)
            if cache and w.kernels:
                kernel = _timed_box(diagram, op, w, profile, dtype, itemsize, kernel, cache, alias)
            kernels.append(_repeat(kernel, repeats(diagram, op.section)))
        elif sid is not None and sid not in done:
            done.add(sid)
            members = [(o, x) for o, x in boxes if fused_in[o.id] == sid]
            if any(x.kernels for _, x in members):
                kernel = _fused(diagram, sid, boxes, members, profile, dtype, itemsize)
                if cache:
                    kernel = _timed_fused(diagram, boxes, members, profile, dtype, itemsize, kernel)
                    for x in members[-1][1].writes:
                        cache.wrote(alias.get(x.key, x.key), itemsize * elements(diagram, x.axes))
                kernels.append(_repeat(kernel, repeats(diagram, sid)))
    sizes = {a.name: a.size for a in diagram.axes.values() if not a.name.startswith("(")}
    return Report(profile, dtype, MappingProxyType(sizes), tuple(kernels))


def fused_section(diagram: Diagram, op: Op) -> int | None:
    """The outermost fused section around ``op``, if any."""
    return next((s for s in diagram.section_path(op.section) if diagram.sections[s].fused), None)


def _repeat(kernel: Kernel, n: int) -> Kernel:
    """``kernel`` run ``n`` times (a ``repeat n`` block): n times the FLOPs, bytes and time."""
    if n == 1:
        return kernel
    return replace(kernel, matmul_flops=kernel.matmul_flops * n, vector_flops=kernel.vector_flops * n, hbm_bytes=kernel.hbm_bytes * n,
                   compute_time=kernel.compute_time * n, memory_time=kernel.memory_time * n, launch_time=kernel.launch_time * n,
                   host_time=kernel.host_time * n, parts=tuple(_repeat(p, n) for p in kernel.parts), times=n)


def box_name(diagram: Diagram, op: Op) -> str:
    """The box's stable name, with the tensor it makes when that says more: 'softmax5 (P)'."""
    made = diagram.values[op.outputs[0]].name if op.outputs else ""
    return f"{op.name} ({made})" if made and made != op.name and not op.params.get("name") else op.name


def _kind(op: Op) -> str:
    """'einsum', 'softmax', ...; the function for element-wise boxes and norms ('relu', 'layernorm')."""
    return op.params.get("fn", op.kind)


def _times(profile: Profile, dtype: str, matmul: int, vector: int, nbytes: float) -> tuple[float, float]:
    compute = (matmul / profile.matmul_rate(dtype) if matmul else 0.0) + vector / profile.vector_rate()
    return compute, nbytes / profile.hbm_bandwidth


def _box(diagram: Diagram, op: Op, w: Work, profile: Profile, dtype: str, itemsize: float) -> Kernel:
    nbytes = sum((x.itemsize or itemsize) * elements(diagram, x.axes) * x.times for x in w.reads + w.writes) if w.kernels else 0
    compute, memory = _times(profile, dtype, w.matmul_flops, w.vector_flops, nbytes)
    bound = "free" if not w.kernels else "compute" if compute > memory else "memory"
    return Kernel(box_name(diagram, op), _kind(op), (op.id,), w.matmul_flops, w.vector_flops, nbytes, compute, memory,
                  w.kernels * profile.launch_overhead, bound)


def _fused(diagram: Diagram, sid: int, boxes, members, profile: Profile, dtype: str, itemsize: float) -> Kernel:
    section = diagram.sections[sid]
    inner = [s for op, _ in members for s in diagram.section_path(op.section) if diagram.sections[s].kind == "repeat" and s not in diagram.section_path(sid)]
    if inner:
        raise NcdError(f"fused section '{section.title}' holds a repeat block, which is not one kernel", diagram.sections[inner[0]].span,
                       "fuse the body of the repeat instead: put the fused section inside it")
    try:
        p = plan(diagram, boxes, {op.id for op, _ in members}, itemsize, profile.shared_memory_bytes)
    except NcdError as error:
        raise NcdError(f"fused section '{section.title}': {error.message}", section.span, error.hint) from None
    parts = []
    for op, w in members:
        if not ops.of(op).free:
            compute, _ = _times(profile, dtype, w.matmul_flops, w.vector_flops, 0)
            parts.append(Kernel(box_name(diagram, op), _kind(op), (op.id,), w.matmul_flops, w.vector_flops, 0, compute, 0.0, 0.0,
                                "on chip" if w.kernels else "free"))
    compute, memory = _times(profile, dtype, p.matmul_flops, p.vector_flops, p.hbm_bytes)
    return Kernel(section.title, "fused", tuple(k.ops[0] for k in parts), p.matmul_flops, p.vector_flops, p.hbm_bytes,
                  compute, memory, profile.launch_overhead, "compute" if compute > memory else "memory", p, tuple(parts))


def _timed_box(diagram: Diagram, op: Op, w: Work, profile: Profile, dtype: str, itemsize: float, kernel: Kernel,
               cache: L2, alias: dict) -> Kernel:
    """``kernel`` timed by the efficiency model: its class's rates, L2 hits, routing, fixed costs."""
    chip = profile.chip
    size = lambda x: (x.itemsize or itemsize) * elements(diagram, x.axes) * x.times  # noqa: E731
    values = [x for x in w.reads + w.writes if isinstance(x.key, int)]  # the weights are read whole
    routed = {a: kn for a, kn in routed_axes(diagram, op).items() if any(a in x.axes for x in values)}
    share = math.prod(k / n for k, n in routed.values())  # the items each expert really gets
    gathers = math.prod(k for a, (k, n) in routed.items() if any(a in x.axes for x in w.writes))  # each item, to k experts
    nbytes, hits = 0.0, 0.0
    for x in w.reads + w.writes:
        scale = 1.0 if not isinstance(x.key, int) else share if set(routed) & set(x.axes) else gathers if x in w.reads else 1.0
        nbytes += size(x) * scale
        hits += min(cache.hit(alias.get(x.key, x.key)), size(x)) * scale if x in w.reads else 0.0
    extra, from_l2 = row_rereads(diagram, op, chip, itemsize)  # a three-pass softmax reads its input again, and exps twice
    reread = extra * size(w.reads[0]) * share if extra else 0.0
    shape = gemm_shape(diagram, op) if w.matmul_flops else None
    eff, tile, waves, split = matmul_efficiency(chip, shape, profile.matmul_rate(dtype), itemsize) if shape else (1.0, None, 0, 1)
    sfu = sfu_ops(diagram, op) * share * (extra or 1)
    tensor, special, fp32 = compute_time(profile, dtype, w.matmul_flops * share, w.vector_flops * share, sfu, eff)
    spread, spread_l2, broadcasts = broadcast_reads(diagram, op, w, chip, itemsize, profile.shared_memory_bytes)
    spread *= share
    nbytes, hits = nbytes + reread, hits + (reread if from_l2 else 0.0)
    # a copy of a permuted view, and a causal mask outside a fused kernel (masked_fill with the pattern expanded over the
    # other axes, ncd_render.pytorch.functional.causal_mask): the same element-by-element loop
    loop = "strided_copy" if ops.of(op).strided_copy else "masked_fill" if ops.of(op).causal else None
    strided = loop is not None and not broadcasts
    bandwidth = profile.hbm_bandwidth * (chip.broadcast_hbm if broadcasts or strided else 1.0)  # the element-by-element loop
    memory = memory_time(chip, bandwidth, nbytes - hits, hits)
    # out of place, at::masked_fill copies the scores first (clone, then masked_fill_), at the streaming rate
    clone = size(w.reads[0]) + size(w.writes[0]) if ops.of(op).clones else 0.0
    memory, nbytes = memory + memory_time(chip, profile.hbm_bandwidth, clone, 0.0), nbytes + clone
    if spread:  # the loop's own streams set its pace; the broadcast operand's re-reads are requests beside them that
        # bind only when the whole traffic outruns the streaming rates (the loop leaves HBM bandwidth unused)
        nbytes, hits = nbytes + spread, hits + (spread if spread_l2 else 0.0)
        memory = max(memory, memory_time(chip, profile.hbm_bandwidth, nbytes - hits, hits))
    for x in w.writes:
        cache.wrote(alias.get(x.key, x.key), size(x) * share)
    detail = {"pipes": {"tensor": tensor, "special": special, "fp32": fp32}, "dram_bytes": nbytes - hits, "l2_bytes": hits,
              "matmul_efficiency": eff, "routed_share": share, "itemsize": itemsize}
    if tile:
        detail.update(gemm_tile=tile, waves=waves, split_k=split)
    if extra:
        detail.update(row_reads=1 + extra)
    if broadcasts:
        detail.update(broadcast_rereads=spread, broadcast_hbm=chip.broadcast_hbm)
    if strided:
        detail.update({loop: True, "broadcast_hbm": chip.broadcast_hbm})
    if clone:
        detail.update(clone_bytes=clone)
    compute = tensor + vector_time(profile, special, fp32)
    issue, kernel_name = issue_time(diagram, op, chip, itemsize, elements(diagram, w.reads[0].axes) * share if w.reads else 0)
    if kernel_name:  # a framework kernel whose instructions, not its arithmetic, may set the pace of its pipes
        detail.update(framework_kernel=kernel_name, issue_time=issue)
        compute = max(compute, issue)
    return replace(kernel, compute_time=compute, memory_time=memory, launch_time=w.kernels * chip.kernel_overhead,
                   host_time=w.kernels * chip.framework_overhead, bound="compute" if compute > memory else "memory",
                   detail=MappingProxyType(detail))


def _timed_fused(diagram: Diagram, boxes, members, profile: Profile, dtype: str, itemsize: float, kernel: Kernel) -> Kernel:
    """A fused ``kernel`` timed with the tiles real kernels use (:mod:`.kernel_tiles`)."""
    chip = profile.chip
    sec = section(diagram, boxes, {op.id for op, _ in members}, itemsize)
    found = fused_time(diagram, sec, members, profile, dtype, itemsize)
    if found is None:  # no real tile fits: the Napkin plan's times stand, without overlap
        return replace(kernel, overlap=False, launch_time=chip.kernel_overhead, host_time=chip.framework_overhead)
    detail = {k: v for k, v in found.items() if k not in ("time", "compute_time", "memory_time", "plan", "overlap")}
    return replace(kernel, compute_time=found["compute_time"], memory_time=found["memory_time"], overlap=found["overlap"],
                   launch_time=chip.kernel_overhead, host_time=chip.framework_overhead,
                   bound="compute" if found["compute_time"] > found["memory_time"] else "memory", detail=MappingProxyType(detail))
