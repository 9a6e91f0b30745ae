"""A fused attention kernel as FlashAttention-1 runs it (``efficiency.fused_kernel = "flash-v1"``):
the kernel the FlashAttention paper (Dao et al. 2022, arXiv 2205.14135) benchmarked.

Its algorithm (paper, section 3.1, Algorithm 1) and its CUDA kernel (flash-attention
repository, csrc/flash_attn/src/fmha_fprop_kernel_1xN.h and the launch code beside it,
2022) differ from FlashAttention-2's in the ways FlashAttention-2's paper lists
(arXiv 2307.08691, section 3):

* **the loops are swapped**: the outer loop runs over blocks of ``KEY_BLOCK`` keys, the
  inner one over steps of ``STEP_ROWS`` queries; so at every outer step each query block
  is read again, and its output O (kept in fp32, ``o_tmp``) and softmax statistics
  (one fp32 per row, ``softmax_lse``) are read from HBM, rescaled and written back;
* **one CTA per batch and head** (``grid(b, h)``): the queries are not split across
  CTAs, so B·H CTAs share the SMs, and an SM given two of them runs both;
* **more non-matmul work**: each outer step sums the warps' partial O tiles and divides O
  by the running sum, where FlashAttention-2 divides once at the end;
* **the warps split the keys** (the "1xN" layout, 4 warps): each warp holds a quarter
  of the key block and computes a partial S and a partial O for the whole query step, so
  every step the softmax's max and sum and the four partial O tiles (fp32) are exchanged
  through shared memory, and every warp reads the whole query tile.

Everything else is the efficiency model's: the matmuls at the derated tensor peak (times the share
``mma.sync``, the instruction the kernel issues, sustains: all of it on Ampere), ``exp``
on the special-function units, the rest on the FP32 lanes, shared memory at its bandwidth;
within an SM the matmuls, the softmax and the exchange run one after another (the
softmax's special functions and FP32 work overlap, up to the issue slots). Within an outer step the next query
tile is loaded during the current step's compute, so that HBM traffic overlaps it; but each outer step starts by
loading its key block's K and V (and the first query tile) and waits for them (``device_1xN_``: the loads, then
``__syncthreads``, before the first step; nothing fetched them ahead): the CTAs start together and run alike, so
every outer step waits while all the CTAs in flight load their blocks at the achievable HBM rate (a lower bound:
the load's latency is not counted). A causal mask skips the query steps above the diagonal of each key block. The key block is 256 keys
when each key row has at most 64 values, else 128 (or the whole axis when shorter), as
the kernel's launch code chooses for head dimensions 64 and 128.

>>> from ncd_render.api import load_text
>>> from ncd_render.cost import analyse, load_profile
>>> from ncd_render.cost.chip import with_fused_kernel
>>> from dataclasses import replace
>>> fig = load_text('''axis b = 16
... axis h = 8
... axis y = 4096
... axis x = 4096
... axis k = 64
... input Q[b h y k], K[b h x k], V[b h x k]
... section "attention" fused
...   S = einsum(Q, K: b h y k, b h x k -> b h y x)
...   P = softmax(S: x)
...   O = einsum(P, V: b h y x, b h x k -> b h y k)
... end
... output O''')
>>> hw = load_profile("a100-40gb")
>>> v1 = replace(hw, chip=with_fused_kernel(hw.chip, "flash-v1"))
>>> k = analyse(fig.diagram, v1, "fp16").kernels[0]
>>> k.detail["ctas"], k.detail["ctas_on_busiest_sm"], k.detail["tile"]  # 128 CTAs on 108 SMs
(128, 2, {'y': 16, 'x': 256})
>>> round(k.detail["dram_bytes"] / 1e9, 1)  # Q 16 times, O and its statistics 15 round trips in fp32
5.4
"""
from __future__ import annotations

import math

from ..ops.work import SOFTMAX
from .boxes import elements
from .efficiency import compute_time, memory_time, vector_time

STEP_ROWS = 16        # queries per inner step (Cta_tile_p::M = STEP in FMHA_kernel_traits<S, D, 16, 1, 4>)
WARPS = 4             # warps per CTA, all along the key block (WARPS_M = 1, WARPS_N = 4)
ACCUMULATOR_BYTES = 4  # o_tmp, the partial O tiles and softmax_lse are fp32
BASE_REGISTERS = 32    # per thread: addresses, indices, loop counters (estimate, as kernel_tiles)


def key_block(depth: int, keys: int) -> int:
    """Keys per outer step: 256 for key rows of at most 64 values, else 128; at most the keys there are
    (the launch code: FMHA_kernel_traits<256, 64, ...> for d <= 64 and seqlen_k >= 256, <128, ...> otherwise)."""
    return min(keys, 256 if depth <= 64 and keys >= 256 else 128)


def applies(sec, stream: str | None) -> bool:
    """FlashAttention-1 is an attention kernel: a SoftMax streamed over ``stream`` with the online correction."""
    return stream is not None and sec.rescaled(stream) > 0


def schedule(diagram, sec, stream: str, rows: list[str], profile, dtype: str, sfu: float, causal=()) -> dict:
    """The time of ``sec`` run as FlashAttention-1 runs it: ``rows`` are the query axes a CTA walks
    in steps, ``stream`` the keys, every other tiled axis (batch, heads) one index per CTA.
    ``causal`` holds the (query, key) axes of causal masks in the section."""
    chip = profile.chip
    grid = [a for a in sec.tiles if a not in rows]
    ctas = math.prod(sec.size[a] for a in grid)
    streamed = [k for k in sec.external if stream in sec.arrays[k].axes]
    depth = max(elements(diagram, [a for a in sec.arrays[k].axes if a not in grid and a != stream]) for k in streamed)
    block = key_block(depth, sec.size[stream])
    outer = -(-sec.size[stream] // block)
    tile = {a: sec.size[a] for a in sec.usage}
    tile.update({a: 1 for a in grid})
    tile.update({a: min(STEP_ROWS, sec.size[a]) for a in rows})
    tile[stream] = block
    # a causal mask: at key block j the kernel starts at query j·B_c (fmha_fprop_kernel_1xN.h, `begin`), so a row
    # block i is visited i + 1 times: (T + 1) / 2 on average, and that share of the steps and re-reads runs
    kept = (outer + 1) / (2 * outer) if any(y in rows and x == stream and sec.size[y] == sec.size[x] for y, x, *_ in causal) else 1.0
    visits = kept * outer  # outer steps each query row takes part in, on average
    steps = math.prod(-(-sec.size[a] // tile[a]) for a in rows) * visits  # inner steps per CTA
    plan = sec.cost({**tile, **{a: sec.size[a] for a in rows}}, sec.tiles, stream, sec.rescaled(stream))

    step_extent = lambda k: math.prod(sec.extent(k, a, tile) for a in sec.arrays[k].axes)  # noqa: E731
    queries = [k for k in sec.external if k not in streamed]
    accumulators = [k for k in sec.outputs if stream not in sec.arrays[k].axes]
    statistics = sum(elements(diagram, [a for a in diagram.values[op.outputs[0]].axes if a != stream])
                     for op, w in sec.kernels if w.usage.get(stream) == SOFTMAX)
    acc_values = sum(elements(diagram, sec.arrays[k].axes) for k in accumulators)
    dram = (sum(sec.full[k] for k in streamed) + visits * sum(sec.full[k] for k in queries) + sum(sec.full[k] for k in sec.outputs)
            + ACCUMULATOR_BYTES * (2 * (visits - 1) * acc_values + (2 * visits - 1) * statistics))

    query_tile = sum(sec.nbytes(k) * step_extent(k) for k in queries)  # bytes of the queries' step tiles
    acc_tile = sum(step_extent(k) for k in accumulators)  # values of the accumulators' step tiles
    # shared memory per step: every warp reads the query tile; the warps' partial accumulators are stored and summed
    shared = steps * WARPS * (query_tile + 2 * ACCUMULATOR_BYTES * acc_tile)
    per_cta = lambda x: x / ctas * chip.sms  # noqa: E731  (compute_time divides by the whole chip's rates)
    # beyond the online correction (one multiply per accumulator value per extra block), every visit sums the
    # warps' partial accumulators (WARPS - 1 additions) and divides them by the running sum l; FlashAttention-2
    # keeps each row in one warp and divides once at the end (its paper, sections 3.1.1 and 3.3)
    divides = acc_values * visits * WARPS
    tensor, special, fp32 = compute_time(profile, dtype, per_cta(plan.matmul_flops * kept), per_cta(plan.vector_flops * kept + divides),
                                         per_cta(sfu * kept), chip.tensor_share("flash-v1"))
    exchange = shared / (chip.shared_bandwidth / chip.sms * profile.derate)
    threads = 32 * WARPS
    # shared memory: the query tile twice (double-buffered), one buffer that holds K, then V, then the partial O tiles
    smem = 2 * query_tile + max([sec.nbytes(k) * step_extent(k) for k in streamed] + [WARPS * ACCUMULATOR_BYTES * acc_tile])
    held = sum(sec.nbytes(k) * step_extent(k) for k in streamed) / 4  # the key block's K and V stay in registers
    registers = BASE_REGISTERS + math.ceil((held + STEP_ROWS * block + WARPS * acc_tile) / threads)
    resident = max(1, min(chip.max_ctas_per_sm, chip.registers_bytes // (threads * min(registers, 255) * 4),
                          int(profile.shared_memory_bytes // smem)))
    busiest = -(-ctas // chip.sms)  # CTAs on the busiest SM; their phases share its pipes, one after another
    # each outer step waits for its key block: every CTA in flight loads K and V (and a query tile) at once
    in_flight = min(ctas, chip.sms * resident)
    block_bytes = sum(sec.nbytes(k) * step_extent(k) for k in streamed) + query_tile
    wait = outer * memory_time(chip, profile.hbm_bandwidth, in_flight * block_bytes, 0.0)
    compute = busiest * (tensor + vector_time(profile, special, fp32) + exchange) + wait
    memory = memory_time(chip, profile.hbm_bandwidth, dram, 0.0)
    return {"time": max(compute, memory), "compute_time": compute, "memory_time": memory, "overlap": True,
            "fused_kernel": "flash-v1", "tile": {**{a: tile[a] for a in rows}, stream: block},
            "ctas": ctas, "ctas_per_sm": min(resident, busiest), "ctas_on_busiest_sm": busiest, "waves": -(-busiest // resident),
            "groups": ctas, "outer_steps": outer, "registers_per_thread": registers, "shared_bytes": smem,
            "pipes": {"tensor": busiest * tensor, "special": busiest * special, "fp32": busiest * fp32, "shared": busiest * exchange},
            "block_wait": wait,
            "dram_bytes": dram, "l2_bytes": 0.0, "shared_reads": shared, "causal_kept": kept, "plan": plan}
