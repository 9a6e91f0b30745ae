"""The time of a fused kernel as real kernels run it (FlashAttention-2, CUTLASS; an attention
kernel as FlashAttention-1 when the profile's ``fused_kernel`` says so, :mod:`.flash_v1`):
tiles of 64 or 128 along the two largest tiled axes and chunks of 64 or 128 along
the streamed one, not the Napkin plan's byte-minimising tiles.

For each such choice: the streamed inputs' tiles sit in shared memory (twice,
double-buffered, when the chip copies asynchronously), the kernel's accumulators
and its largest intermediate tile in registers (fp32, over ``warps_per_cta``
warps); what is left decides how many CTAs share an SM. Within a CTA the matmuls and
the softmax run one after another (their warps wait at the same barriers), and CTAs
sharing an SM do not overlap them either: FlashAttention-3 (paper, section 3.1) needs
explicit ping-pong scheduling to overlap softmax with the GEMMs, which FlashAttention-1/2
and Ampere kernels lack. Inside the softmax the special functions and the FP32 work
are independent instructions on separate pipes, which overlap up to the issue slots
(:func:`.efficiency.vector_time`). An attention kernel's matmuls run at the share of the tensor
peak its instruction sustains (``chip.tensor_share``: FlashAttention-2 issues Ampere's ``mma.sync``,
about 2/3 of the peak on Hopper); other fused sections run as CUTLASS, at the full derated peak.
Loads overlap compute when double-buffered (``cp.async`` on Ampere and Hopper alike: FlashAttention-2
needs no TMA for that). CTAs run in waves of
``SMs x CTAs per SM``, and a causal mask over the tiled and streamed axes skips the
blocks above the diagonal; its CTAs then differ in work, and the busiest SM may hold more
than a wave's share (:func:`_busiest`). Before any math a CTA waits for its first tiles, one of
every input (the queries' tile and the first key and value chunks); a wave's CTAs start
together, so each wave first moves its CTAs' first tiles across HBM. Re-sent inputs are read
from L2 when the slices the CTAs in flight share fit in it. The fastest choice is the kernel's time.

>>> from ncd_render.api import load_text
>>> from ncd_render.cost import analyse, load_profile
>>> fig = load_text('''axis h = 128
... axis y = 4096
... axis x = 4096
... axis k = 64
... input Q[h y k], K[h x k], V[h x k]
... section "attention" fused
...   S = einsum(Q, K: h y k, h x k -> h y x)
...   P = softmax(S: x)
...   O = einsum(P, V: h y x, h x k -> h y k)
... end
... output O''')
>>> k = analyse(fig.diagram, load_profile("a100-40gb"), "fp16").kernels[0]
>>> k.detail["tile"], k.detail["ctas_per_sm"], k.overlap
({'y': 128, 'x': 128}, 2, True)
"""
from __future__ import annotations

import heapq
import itertools
import math

from .. import ops
from ..ir import Diagram
from . import flash_v1
from .efficiency import compute_time, memory_time, sfu_ops, vector_time

REAL_TILES = (64, 128)  # the tile and chunk sizes real kernels use (FlashAttention-2 and CUTLASS, 64-128 each way)
BASE_REGISTERS = 32     # per thread: addresses, indices, loop counters (estimate)
MAX_REGISTERS = 255     # per thread (CUDA C++ Programming Guide, cc 8.x and 9.0)


def fused_time(diagram: Diagram, sec, members, profile, dtype: str, itemsize: float) -> dict:
    """The fastest real-tile schedule of the fused section ``sec`` (a :func:`.fused.section`) and its times."""
    chip = profile.chip
    kernels = [(op, w) for op, w in members if w.kernels]
    sfu = sum(sfu_ops(diagram, op) for op, _ in kernels)
    causal = [ops.of(op).causal(op) for op, _ in kernels if ops.of(op).causal]
    best = None
    for stream in [None] + [a for a in sorted(sec.usage) if sec.streamable(a)]:
        if chip.fused_kernel == "flash-v1" and flash_v1.applies(sec, stream):
            return flash_v1.schedule(diagram, sec, stream, _main(sec), profile, dtype, sfu, causal)
        rescaled = sec.rescaled(stream)
        share = chip.tensor_share(chip.fused_kernel) if rescaled else 1.0  # attention runs the profile's kernel; the rest CUTLASS's
        for tile in _choices(sec, stream):
            found = _schedule(sec, tile, stream, rescaled, chip, profile, dtype, sfu, causal, share)
            if found and (best is None or found["time"] < best["time"]):
                best = found
    return best


def _choices(sec, stream):
    """Real tiles: 64 or 128 (or the whole axis when smaller) along the two largest tiled axes and
    the streamed axis; the other tiled axes one index per CTA (batch, heads)."""
    main = _main(sec)
    split = main + ([stream] if stream else [])
    options = [sorted({min(t, sec.size[a]) for t in REAL_TILES}) for a in split]
    for sizes in itertools.product(*options):
        tile = {a: sec.size[a] for a in sec.usage}
        tile.update({a: 1 for a in sec.tiles})
        tile.update(dict(zip(split, sizes)))
        yield tile


def _schedule(sec, tile, stream, rescaled, chip, profile, dtype, sfu, causal, share=1.0) -> dict | None:
    extent = lambda k: math.prod(sec.extent(k, a, tile) for a in sec.arrays[k].axes)  # noqa: E731
    stages = 2 if chip.async_copy else 1
    streamed = [k for k in sec.external if stream in sec.arrays[k].axes]
    shared = sum(sec.nbytes(k) * extent(k) for k in sec.external)
    produced = [k for k in sec.resident if k not in sec.external]
    held = [extent(k) for k in produced]
    accumulators = sum(extent(k) for k in produced if stream and stream not in sec.arrays[k].axes)
    threads = 32 * chip.warps_per_cta
    registers = BASE_REGISTERS + math.ceil(4 * (accumulators + max(held, default=0)) / 4 / threads)
    if registers > MAX_REGISTERS:
        return None
    limit = profile.shared_memory_bytes
    double = shared + (stages - 1) * sum(sec.nbytes(k) * extent(k) for k in streamed)
    overlap = stages > 1 and double <= limit
    need = double if overlap else shared
    if need > limit:
        return None
    ctas = min(chip.max_ctas_per_sm, int(limit // max(need, 1)), chip.registers_bytes // (threads * registers * 4))
    if ctas < 1:
        return None
    plan = sec.cost(tile, sec.tiles, stream, rescaled)
    kept = _causal_fraction(causal, tile, stream, sec)
    groups, slots = plan.groups, chip.sms * ctas
    waves = math.ceil(groups / slots)
    tensor, special, fp32 = compute_time(profile, dtype, plan.matmul_flops * kept / groups * chip.sms,
                                         plan.vector_flops * kept / groups * chip.sms, sfu * kept / groups * chip.sms, share)
    per_cta = tensor + vector_time(profile, special, fp32)
    per_wave = ctas * per_cta  # GEMMs and softmax serialise, across co-resident CTAs too (FlashAttention-3 paper, 3.1)
    resent_l2 = _resent_from_l2(sec, tile, plan, groups, slots, chip)
    dram = plan.read_once + plan.written + (plan.resent * kept if not resent_l2 else 0)
    l2 = plan.resent * kept if resent_l2 else 0.0
    memory = memory_time(chip, profile.hbm_bandwidth, dram, l2)
    once = sum(sec.full[k] for k in sec.external if k not in streamed)
    shared_reads = once + chip.warps_per_cta * (plan.read_once + plan.resent - once) * kept  # every warp reads the streamed tiles
    # each CTA waits for its first tiles (one of every input: the queries' and the first key and value chunks) before
    # any math; the CTAs of a wave start together, so a wave's first tiles cross HBM before its math begins
    first = min(groups, slots) * shared / (profile.hbm_bandwidth * chip.hbm_efficiency)
    compute = waves * (per_wave + first)
    if kept < 1.0:  # CTAs of unequal work: the busiest SM may hold more than a wave's share (:func:`_busiest`)
        compute = max(compute, _busiest(causal, tile, stream, sec, groups, chip.sms) * per_cta / kept)
    time = max(compute, memory) if overlap else compute + memory
    return {"time": time, "compute_time": compute, "memory_time": memory, "overlap": overlap,
            "tile": _named(tile, sec, stream),
            "ctas_per_sm": ctas, "waves": waves, "groups": groups, "shared_bytes": need, "registers_per_thread": registers,
            "first_tiles": waves * first,
            "pipes": {"tensor": tensor * waves * ctas, "special": special * waves * ctas, "fp32": fp32 * waves * ctas},
            "dram_bytes": dram, "l2_bytes": l2, "shared_reads": shared_reads, "causal_kept": kept, "tensor_share": share, "plan": plan}


def _named(tile, sec, stream) -> dict:
    """The tile sizes worth naming: the two main tiled axes and the streamed one."""
    main = _main(sec)
    return {a: tile[a] for a in main + ([stream] if stream else []) if sec.size[a] > 1 and (a == stream or tile[a] > 1)}


def _main(sec) -> list[str]:
    """The tiled axes real kernels tile: the two largest that some input lacks (a GEMM's M and N, the
    queries of attention); batch and head axes, which every input has, get one index per CTA."""
    lacked = [a for a in sec.tiles if any(a not in sec.arrays[k].axes for k in sec.external)]
    # an axis shorter than a tile that a broadcast operand lacks (the heads a padding mask has no axis for, the queries
    # of a group that share keys) gets one index per CTA as the heads do, where a longer axis can be tiled instead
    long = [a for a in lacked if sec.size[a] >= REAL_TILES[0]]
    return sorted(long or lacked, key=lambda a: -sec.size[a])[:2]


def _causal_axes(causal, tile, stream, sec) -> tuple[str, str, int | None] | None:
    """The (query, key) axes of a causal mask over a tiled axis and the streamed one, of equal size, and its sliding
    window (None: every key before the query); None if none."""
    return next(((y, x, (*rest, None)[0]) for y, x, *rest in causal if x == stream and y in tile and sec.size[y] == sec.size[x]),
                None)


def _kept_chunks(i: int, tile, y: str, x: str, window: int | None, chunks: int) -> int:
    """How many key chunks query tile ``i`` runs: those holding a key on or before one of its queries, and, with a
    sliding ``window``, within it of one of them (keys at most window - 1 before the query).

    >>> _kept_chunks(3, {"y": 64, "x": 64}, "y", "x", None, 64), _kept_chunks(40, {"y": 64, "x": 64}, "y", "x", 128, 64)
    (4, 3)
    """
    last = min(chunks, -(-(i + 1) * tile[y] // tile[x]))
    first = 0 if window is None else max(0, (i * tile[y] - window + 1) // tile[x])
    return last - first


def _causal_fraction(causal, tile, stream, sec) -> float:
    """Share of (tile x chunk) blocks a causal mask leaves: those on or below the diagonal (with a sliding window,
    those within it too)."""
    axes = _causal_axes(causal, tile, stream, sec)
    if axes is None:
        return 1.0
    y, x, window = axes
    if window is not None:  # a sliding window: the chunks each query tile runs, counted
        rows, chunks = -(-sec.size[y] // tile[y]), -(-sec.size[x] // tile[x])
        return sum(_kept_chunks(i, tile, y, x, window, chunks) for i in range(rows)) / (rows * chunks)
    blocks = sec.size[x] / max(tile[x], tile[y])
    return min(1.0, (blocks + 1) / (2 * blocks))


SIMULATED_CTAS = 32  # per SM: the launch order's last CTAs that are handed out one by one (:func:`_busiest`)


def _busiest(causal, tile, stream, sec, groups: int, sms: int) -> float:
    """The busiest SM's work, in full CTAs, when a causal kernel's CTAs go one by one, in launch order, to the SM
    whose work ends first (an SM runs its CTAs' work one after another): query tile ``i`` keeps about ``i + 1`` key
    chunks, and the query tiles of each head come in a row (FlashAttention-2's grid: query tiles, batch, heads), so
    the last tiles of the last heads leave the SMs unevenly busy. Until the last ``SIMULATED_CTAS`` per SM the
    SMs are taken as evenly busy (greedy hand-out keeps them within one CTA of each other). 0 without a causal mask
    on the streamed axis.

    >>> from types import SimpleNamespace
    >>> sec = SimpleNamespace(size={"y": 1024, "x": 1024})
    >>> _busiest([("y", "x")], {"y": 128, "x": 128}, "x", sec, 8, 132)  # one head: its last tile does all 8 chunks
    1.0
    >>> round(_busiest([("y", "x")], {"y": 128, "x": 128}, "x", sec, 1024, 132) / (128 * 36 / 8 / 132), 2)  # 128 heads
    1.15
    """
    axes = _causal_axes(causal, tile, stream, sec)
    if axes is None:
        return 0.0
    y, x, window = axes
    rows, chunks = -(-sec.size[y] // tile[y]), -(-sec.size[x] // tile[x])
    work = [_kept_chunks(i, tile, y, x, window, chunks) / chunks for i in range(rows)]
    heads = groups // rows
    last = min(heads, -(-SIMULATED_CTAS * sms // rows))
    ends = [(heads - last) * sum(work) / sms] * sms
    for _ in range(last):
        for w in work:
            heapq.heappush(ends, heapq.heappop(ends) + w)
    return max(ends)


def _resent_from_l2(sec, tile, plan, groups, slots, chip) -> bool:
    """True when the slices of re-sent inputs that the CTAs in flight read fit in usable L2."""
    working = 0.0
    for k in sec.external:
        axes = sec.arrays[k].axes
        slices = math.prod(-(-sec.size[a] // tile[a]) for a in sec.tiles if a in axes)
        sharing = groups / slices
        if sharing <= 1:
            continue
        working += min(slices, math.ceil(slots / sharing)) * sec.full[k] / slices
    return working <= chip.l2_bytes * chip.l2_usable
