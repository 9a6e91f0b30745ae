"""The kernel algorithms the cost model can run a diagram with (docs/cost.md, "Which kernels"):
FlashAttention-1 against FlashAttention-2 for a fused attention section, PyTorch's (up to 2.3)
three-pass softmax, and the kernel facts the op registry declares. The laws are derived
from diagrams and compared with hand counts of the published algorithms."""
from __future__ import annotations

import importlib.util
import math
import statistics
import tomllib
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from ncd_render import ops
from ncd_render.api import load_text
from ncd_render.cli import main
from ncd_render.cost import analyse, load_profile
from ncd_render.cost.chip import with_kernels
from ncd_render.cost.efficiency import gemm_shape
from ncd_render.errors import NcdError

ROOT = Path(__file__).resolve().parents[1]
PUBLISHED = tomllib.loads((ROOT / "bench" / "data" / "published.toml").read_text())
ATTENTION = """axis b = {b}
axis h = {h}
axis y = {n}
axis x = {n}
axis k = {d}
input Q[b h y k], K[b h x k], V[b h x k]
section "core" fused
S = einsum(Q, K: b h y k, b h x k -> b h y x)
P = softmax(S: x)
O = einsum(P, V: b h y x, b h x k -> b h y k)
end
output O
"""


def profile(kernel: str | None = None, softmax: str | None = None, hw: str = "a100-40gb"):
    base = load_profile(hw)
    return replace(base, chip=with_kernels(base.chip, kernel, softmax))


def fused(n: int, kernel: str, b: int = 16, h: int = 8, d: int = 64):
    (k,) = analyse(load_text(ATTENTION.format(b=b, h=h, n=n, d=d)).diagram, profile(kernel), "fp16").kernels
    return k


@pytest.mark.parametrize("n", [1024, 4096])
def test_flash_v1_moves_what_algorithm_1_moves(n):
    """FlashAttention paper, Algorithm 1, as its kernel runs it: key blocks of 256 outer; each outer step
    reads Q again and reads and writes O (fp32) and one statistic per row (fp32); K and V are read once."""
    b, h, d, block = 16, 8, 64, 256
    outer = n // block
    per_head = 2 * (2 * n * d) + outer * 2 * n * d + 2 * n * d + 4 * (2 * (outer - 1) * n * d + (2 * outer - 1) * n)
    k = fused(n, "flash-v1")
    assert k.detail["tile"] == {"y": 16, "x": block}
    assert k.detail["dram_bytes"] == b * h * per_head
    # FlashAttention-2 reads Q and writes O once: a fraction of FlashAttention-1's traffic
    assert fused(n, "flash-v2").detail["dram_bytes"] < k.detail["dram_bytes"] / 2


def test_a_causal_mask_makes_flash_v1_start_each_key_block_at_the_diagonal():
    """fmha_fprop_kernel_1xN.h: at key block j the query steps begin at row j·256, so row block i takes part
    in i + 1 key blocks: Q is read (T + 1) / 2 times on average, O round-trips T - 1 times, and each row's
    statistic is read and written T times in all; K and V are still read once."""
    n, d, block = 4096, 64, 256
    outer = n // block
    text = ATTENTION.format(b=1, h=1, n=n, d=d).replace("P = softmax", "S = mask(S: y x) with causal\nP = softmax")
    (k,) = analyse(load_text(text).diagram, profile("flash-v1"), "fp16").kernels
    visits = (outer + 1) / 2
    assert k.detail["dram_bytes"] == 2 * 2 * n * d + visits * 2 * n * d + 2 * n * d + 4 * (2 * (visits - 1) * n * d + (2 * visits - 1) * n)
    dense = fused(n, "flash-v1", b=1, h=1)
    assert k.detail["pipes"]["tensor"] == pytest.approx(dense.detail["pipes"]["tensor"] * visits / outer)


def test_flash_v1_runs_one_cta_per_batch_and_head_so_one_more_head_than_sms_doubles_its_time():
    """grid(b, h): 108 CTAs fill the A100's 108 SMs once; 109 put two on one SM, which runs both.
    FlashAttention-2 splits the queries across CTAs and barely notices."""
    v1 = [fused(4096, "flash-v1", b=1, h=h).time for h in (108, 109)]
    v2 = [fused(4096, "flash-v2", b=1, h=h).time for h in (108, 109)]
    assert v1[1] / v1[0] == pytest.approx(2, rel=0.02)
    assert v2[1] / v2[0] < 1.1


@pytest.mark.parametrize("n", [1024, 4096])
def test_each_flash_v1_key_block_waits_for_its_k_and_v(n):
    """fmha_fprop_kernel_1xN.h loads each key block's K and V, then __syncthreads(), before any math, with
    nothing fetched ahead: beyond its pipes, the busiest SM waits at every one of the N / 256 key blocks
    while all 128 CTAs load their 256 keys of K and V (fp16, 64 values each) at the achievable HBM rate."""
    b, h, d, block = 16, 8, 64, 256
    k = fused(n, "flash-v1")
    hw = profile("flash-v1")
    rate = hw.hbm_bandwidth * hw.chip.hbm_efficiency
    kv = b * h * 2 * block * d * 2  # every CTA's K and V block, in bytes
    wait = k.detail["block_wait"]
    assert (n // block) * kv / rate <= wait <= (n // block) * kv / rate * 1.05  # and a query tile each, no more
    pipes = k.detail["pipes"]  # the matmuls and the shared-memory exchange run one after another, and the wait too
    assert k.time >= pipes["tensor"] + pipes["shared"] + wait


@pytest.mark.parametrize("n", [2048, 8192, 32768])
def test_flash_v2_is_about_twice_as_fast_as_flash_v1(n):
    """FlashAttention-2 paper (arXiv 2307.08691), abstract and section 4: "around 2x speedup compared to FlashAttention"."""
    assert 1.5 <= fused(n, "flash-v1").time / fused(n, "flash-v2").time <= 3.0


def test_the_profile_keeps_flash_v2_unless_told_and_refuses_unknown_kernels(tmp_path):
    assert load_profile("h100-sxm").chip.fused_kernel == "flash-v2"
    assert load_profile("a100-40gb").chip.softmax_kernel == "registers"
    text = (ROOT / "ncd_render" / "cost" / "profiles" / "a100-40gb.toml").read_text()
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace('fused_kernel = "flash-v2"', 'fused_kernel = "flash-v9"'))
    with pytest.raises(NcdError, match="fused_kernel must be one of flash-v2, flash-v1"):
        load_profile(str(bad))
    older = tmp_path / "older.toml"  # a profile written before the choice existed: the fields are optional
    older.write_text("\n".join(line for line in text.splitlines() if not line.startswith(("fused_kernel", "softmax_kernel"))))
    assert load_profile(str(older)).chip == load_profile("a100-40gb").chip


def softmax_kernel(n: int, softmax: str):
    d = load_text(f"axis y = 4096\naxis x = {n}\ninput S[y x]\nP = softmax(S: x)\noutput P\n").diagram
    (k,) = analyse(d, profile(softmax=softmax), "fp16").kernels
    return k


@pytest.mark.parametrize("n, reads", [(512, 1), (1024, 1), (2048, 3), (8192, 3)])
def test_a_three_pass_softmax_reads_rows_over_1024_values_three_times(n, reads):
    """PyTorch SoftMax.cu (up to 2.3): the persistent warp softmax up to 1024 values, cunn_SoftMaxForward (max,
    sum of exp, write) beyond; the rows in flight fit in L2, so the re-reads come from there."""
    size = 2 * 4096 * n
    three = softmax_kernel(n, "three-pass")
    once = softmax_kernel(n, "row-on-chip")
    assert three.detail.get("row_reads", 1) == reads
    assert three.detail["l2_bytes"] == (reads - 1) * size
    assert three.detail["dram_bytes"] == once.detail["dram_bytes"] == 2 * size
    assert three.hbm_bytes == once.hbm_bytes  # the table's bytes stay the diagram's


@pytest.mark.parametrize("n", [32768, 65536])
def test_a_three_pass_softmax_re_reads_from_hbm_when_its_rows_outgrow_l2(n):
    """Rows of 32k and 64k fp16 values: SoftMax_getBlockSize gives 512-thread CTAs (16 B a thread, half the row's
    vectors, at most 1024), four per SM: 432 rows of 64 or 128 KB in flight, more than the A100's usable 20 MB of L2.
    (1024-thread CTAs, two per SM, would keep 32k-value rows in L2.)"""
    k = softmax_kernel(n, "three-pass")
    assert k.detail["l2_bytes"] == 0 and k.detail["dram_bytes"] == 3 * 2 * 4096 * n + 2 * 4096 * n


def _validation():
    spec = importlib.util.spec_from_file_location("validate_cost", ROOT / "bench" / "validate_cost.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Regression floors: points within 25% of measured for N >= 1k, per kind. The held-out table (FlashAttention paper,
# Table 18) has 4 unfused, 7 fused and 4 speed-up points there; FlashAttention-3's Figure 5 (H100) 16, 20 and 16.
# A change that loses a point must say why (docs/cost.md, Validation); one that gains points raises the floor.
HELD_OUT_FLOOR = {"unfused": 3, "fused": 6, "speed-up": 4}
H100_FLOOR = {"unfused": 16, "fused": 20, "speed-up": 16}


def within(ratios) -> int:
    return sum(0.75 <= r <= 1.25 for r in ratios)


def test_with_the_kernels_the_table_measured_the_held_out_attention_table_keeps_its_points():
    """FlashAttention paper, Table 18 (held out: no constant is set from it). Modelling the kernels it
    measured (FlashAttention-1, PyTorch 1.x's three-pass softmax, the reference's copies) from their published
    algorithms keeps at least HELD_OUT_FLOOR points of each kind within 25% for N >= 1k, and is closer
    than the same model with today's kernels. (The misses are at N = 1k, docs/cost.md.)"""
    validate, table = _validation(), PUBLISHED["fa1_forward_a100"]
    ratios = {}
    for model in ("modern kernels", "kernels measured"):
        out = ratios[model] = {"unfused": [], "fused": [], "speed-up": []}
        for i, n in enumerate(table["n"]):
            if n < 1024:
                continue
            unfused, fused_ = validate.attention_times(table["hw"], n, model)
            out["fused"].append(table["fused_ms"][i] / (fused_ * 1e3))
            if i < len(table["unfused_ms"]):
                out["unfused"].append(table["unfused_ms"][i] / (unfused * 1e3))
                out["speed-up"].append(table["unfused_ms"][i] / table["fused_ms"][i] / (unfused / fused_))
    measured = ratios["kernels measured"]
    assert {kind: len(rs) for kind, rs in measured.items()} == {"unfused": 4, "fused": 7, "speed-up": 4}
    for kind, floor in HELD_OUT_FLOOR.items():
        assert within(measured[kind]) >= floor, (kind, measured[kind])
        assert 0.75 <= statistics.median(measured[kind]) <= 1.25
        error = lambda rs: statistics.median(abs(math.log(r)) for r in rs)  # noqa: E731
        assert error(measured[kind]) < error(ratios["modern kernels"][kind])


def test_the_cli_costs_with_the_chosen_fused_kernel():
    path = ROOT / "gallery" / "flash_attention.ncd"
    args = ["cost", str(path), "--hw", "a100-40gb", "--sizes", "y=4096,x=4096", "--format", "json"]
    v2 = CliRunner().invoke(main, args)
    v1 = CliRunner().invoke(main, args + ["--fused-kernel", "flash-v1"])
    assert v1.exit_code == 0 and v2.exit_code == 0, v1.output
    assert '"fused_kernel": "flash-v1"' in v1.output and '"fused_kernel": "flash-v1"' not in v2.output
    bad = CliRunner().invoke(main, args + ["--fused-kernel", "flash-v9"])
    assert bad.exit_code == 2


def test_the_registry_says_which_boxes_are_gemms_and_their_shape_counts_their_flops():
    """Every einsum of two operands and every linear map of the gallery is a GEMM whose 2·batch·M·N·K is
    the box's matmul FLOPs; no other box is one (but collapsed components and three-operand einsums, which hold several)."""
    from ncd_render.cost.boxes import work

    seen = 0
    for path in sorted((ROOT / "gallery").glob("*.ncd")):
        d = load_text(path.read_text()).diagram
        for op in d.ops:
            shape = gemm_shape(d, op) if not ops.of(op).free else None
            w = work(d, op)
            if shape is None:
                assert w.matmul_flops == 0 or op.kind in ("einsum", "call"), (path.name, op.name)  # 3 operands; a component
                continue
            seen += 1
            assert 2 * math.prod(shape) == w.matmul_flops, (path.name, op.name)
    assert seen > 10


def test_the_registry_declares_the_special_functions_and_what_commutes_with_rescaling():
    assert ops.get("softmax").special == 1 and ops.get("sigmoid").special == 2 and ops.get("relu").special == 0
    assert ops.get("relu").rescalable and ops.get("scale").rescalable and not ops.get("silu").rescalable
    assert ops.get("topk").routes is not None and ops.get("mask").causal is not None


def test_every_published_matmul_and_memory_bound_point_is_within_15_percent():
    """Issue 15's target for kernels, against measurements no constant was set from (bench/data/published.toml):
    GEMMs of four shapes on the A100 and H100, a streaming read on the A100, a softmax on the H100, and on the A100
    two Triton norms, PyTorch's cross-entropy, whose log-softmax reads its 512 KB rows three times, and MLX's abs."""
    validate = _validation()
    cases = validate.kernel_cases(PUBLISHED)
    assert {hw for hw, *_ in cases} == {"a100-80gb", "h100-sxm"} and len(cases) >= 10
    for ratio, (hw, *_, what, _) in zip(validate.kernel_points(PUBLISHED), cases):
        assert 0.85 <= ratio <= 1.15, (hw, what, ratio)


@pytest.mark.parametrize("n, dtype, reads", [(1024, "fp16", 1), (16384, "fp16", 1), (24576, "fp16", 3), (16384, "fp32", 3),
                                             (12288, "fp32", 3), (12256, "fp32", 3), (12248, "fp32", 1), (2050, "fp16", 3)])
def test_pytorch_from_2_4_keeps_a_row_on_chip_only_when_it_fits_48_kb(n, dtype, reads):
    """SoftMax.cu from 2.4: cunn_SoftMaxForwardSmem holds the row in the 48 KB a CTA gets without opt-in, beside one
    fp32 value per warp of its 1024 threads, and needs a whole number of 16-B vectors; other long rows take
    cunn_SoftMaxForward's three reads. A kernel that keeps any row on chip ('one-pass') reads each once."""
    d = load_text(f"axis y = 4096\naxis x = {n}\ninput S[y x]\nP = softmax(S: x)\noutput P\n").diagram
    (k,) = analyse(d, profile(softmax="row-on-chip"), dtype).kernels
    (one,) = analyse(d, profile(softmax="one-pass"), dtype).kernels
    assert k.detail.get("row_reads", 1) == reads and one.detail.get("row_reads", 1) == 1


def test_the_h100_attention_figure_keeps_its_points_within_25_percent():
    """FlashAttention-3's Figure 5 (H100, standard attention and FlashAttention-2, d = 64 and 128, causal or not;
    no constant set from it), with the softmax PyTorch released before the figure ran (three reads of rows over 1024
    values): at least H100_FLOOR points of each kind within 25% for N >= 1k, medians too. (With instruction issue
    charged, the one-read softmax of later releases fits these points as well: the figure cannot tell them apart.)"""
    validate = _validation()
    ratios = validate.h100_attention(PUBLISHED["fa2_forward_h100"], show=False)
    assert validate.AS_RUN_2024 == "three-pass"
    assert {kind: len(rs) for kind, rs in ratios.items()} == {"unfused": 16, "fused": 20, "speed-up": 16}
    for kind, floor in H100_FLOOR.items():
        assert within(ratios[kind]) >= floor, (kind, ratios[kind])
        assert 0.75 <= statistics.median(ratios[kind]) <= 1.25


def test_flash_attention_2_runs_at_the_mma_sync_ceiling_on_hopper_and_cutlass_sections_at_the_wgmma_peak():
    """FlashAttention-2 issues Ampere's mma.sync, which reaches about 2/3 of Hopper's tensor peak (FlashAttention-3
    blog, note 1); on the A100 it is the native instruction. A fused section without an online softmax runs as
    CUTLASS does, with wgmma on Hopper: its matmul keeps the full derated peak."""
    h100 = load_profile("h100-sxm")
    wgmma = replace(h100, chip=replace(h100.chip, mma_sync_share=1.0))
    text = ATTENTION.format(b=4, h=16, n=4096, d=128)
    k, full = (analyse(load_text(text).diagram, p, "fp16").kernels[0] for p in (h100, wgmma))
    assert h100.chip.mma_sync_share == pytest.approx(2 / 3, abs=0.01) and k.detail["tensor_share"] == h100.chip.mma_sync_share
    assert k.detail["pipes"]["tensor"] == pytest.approx(full.detail["pipes"]["tensor"] / h100.chip.mma_sync_share)
    assert load_profile("a100-40gb").chip.mma_sync_share == 1.0
    v1, v1_full = (analyse(load_text(text).diagram, replace(p, chip=with_kernels(p.chip, "flash-v1")), "fp16").kernels[0]
                   for p in (h100, wgmma))  # FlashAttention-1 too is an mma.sync kernel
    assert v1.detail["pipes"]["tensor"] == pytest.approx(v1_full.detail["pipes"]["tensor"] / h100.chip.mma_sync_share)
    matmul = ("axis a = 4096\naxis b = 4096\naxis c = 4096\ninput A[a b], B[b c]\n"
              'section "mm" fused\nC = einsum(A, B: a b, b c -> a c)\nend\noutput C\n')
    mm, mm_full = (analyse(load_text(matmul).diagram, p, "fp16").kernels[0] for p in (h100, wgmma))
    assert mm.detail["tensor_share"] == 1.0 and mm.time == mm_full.time


MASKED = "axis b = {b}\naxis y = {n}\naxis x = {n}\ninput S[b y x], M[{m}]\nT = S * M\noutput T\n"


def masked(n: int, hw: str = "h100-sxm", b: int = 64, m: str = "y x"):
    (k,) = [k for k in analyse(load_text(MASKED.format(b=b, n=n, m=m)).diagram, load_profile(hw), "fp16").kernels if k.hbm_bytes]
    return k


def test_a_broadcast_mask_is_read_once_per_slice_from_hbm_when_a_slice_outgrows_l2():
    """The standard attention's scores + mask[t s] (flash-attention benchmarks, attention_pytorch): the kernel walks
    the scores slice by slice, reading the whole mask for each. At N = 8k one slice moves 3 x 134 MB, more than the
    H100's usable 25 MB of L2: the mask comes from HBM every time. At N = 1k (6 MB a slice) the re-reads hit L2."""
    n, b = 8192, 64
    big = masked(n)
    assert big.detail["dram_bytes"] == 2 * (2 * b * n * n + b * n * n)  # scores read and written, the mask b times
    assert big.hbm_bytes == 2 * (2 * b * n * n + n * n)  # the table's bytes stay the diagram's: the mask once
    small = masked(1024)
    assert small.detail["l2_bytes"] == 2 * (b - 1) * 1024 ** 2
    gate = masked(8192, m="x")  # a vector that fits in one SM's L1 is not read again
    assert gate.detail["broadcast_rereads"] == 0


def test_a_broadcasting_element_wise_kernel_runs_at_the_measured_broadcast_bandwidth():
    """PyTorch vectorises an element-wise loop only when every operand is contiguous; an expanded operand takes the
    element-by-element loop, measured at 0.45-0.46 of the same-shape kernel's bandwidth on an H200 (the profile's
    efficiency.broadcast_hbm). The same product of two full tensors streams."""
    h100 = load_profile("h100-sxm")
    big = masked(8192)
    same = masked(8192, m="b y x")
    assert "broadcast_hbm" not in same.detail
    rate = lambda k: (k.detail["dram_bytes"] - k.detail.get("broadcast_rereads", 0)) / k.memory_time  # noqa: E731
    assert rate(big) == pytest.approx(rate(same) * h100.chip.broadcast_hbm)
    assert h100.chip.broadcast_hbm == pytest.approx(0.45)


def test_a_broadcast_operands_rereads_run_beside_the_loop_until_they_outrun_the_bandwidth():
    """The loop's own streams (each operand once, the output) set its pace; the mask's re-reads are requests beside
    them. On an H100 (loop at 0.45) a mask re-read from HBM for every slice adds no time: the N = 4k and 8k causal
    points of the FlashAttention-3 figure's standard attention grow with the scores, with no step where the mask
    outgrows L2. On an A100 (loop at 0.72) the same re-reads need more than the loop leaves, and HBM sets the pace."""
    n, b = 8192, 64
    for hw in ("h100-sxm", "a100-80gb"):
        profile = load_profile(hw)
        k = masked(n, hw)
        streams = 2 * (2 * b * n * n + n * n)  # the scores read and written, the mask once
        assert k.detail["broadcast_rereads"] == 2 * (b - 1) * n * n and k.detail["dram_bytes"] == streams + k.detail["broadcast_rereads"]
        achievable = profile.hbm_bandwidth * profile.chip.hbm_efficiency
        loop, whole = streams / (achievable * profile.chip.broadcast_hbm), k.detail["dram_bytes"] / achievable
        assert k.memory_time == pytest.approx(max(loop, whole))
        assert (loop > whole) == (hw == "h100-sxm")


@pytest.mark.parametrize("pattern, copies", [("b y h k -> (b h) y k", True), ("b y h k -> b y (h k)", False)])
def test_a_rearrange_that_copies_runs_the_element_by_element_loop(pattern, copies):
    """A rearrange that is not a view is PyTorch's copy of a permuted tensor (contiguous()), the same
    non-vectorised loop as a broadcasting kernel (CUDALoops.cuh: only contiguous operands vectorise), so it runs at
    efficiency.broadcast_hbm of the streaming bandwidth; a reshape is a view and costs nothing."""
    text = f"axis b = 16\naxis y = 4096\naxis h = 16\naxis k = 128\ninput Q[b y h k]\nC = rearrange(Q: {pattern})\noutput C\n"
    kernels = {hw: analyse(load_text(text).diagram, load_profile(hw), "fp16").kernels for hw in ("h100-sxm", "a100-80gb")}
    if not copies:
        assert all(k.bound == "free" and k.time == 0 for ks in kernels.values() for k in ks)
        return
    (h100,), (a100,) = kernels["h100-sxm"], kernels["a100-80gb"]
    hw = {name: load_profile(name) for name in kernels}
    rate = lambda k, name: k.detail["dram_bytes"] / k.memory_time / (hw[name].hbm_bandwidth * hw[name].chip.hbm_efficiency)  # noqa: E731
    assert h100.detail["strided_copy"] and rate(h100, "h100-sxm") == pytest.approx(hw["h100-sxm"].chip.broadcast_hbm) == pytest.approx(0.45)
    assert rate(a100, "a100-80gb") == pytest.approx(hw["a100-80gb"].chip.broadcast_hbm) and h100.detail["dram_bytes"] == 2 * 2 * 16 * 4096 * 16 * 128


def test_the_instruction_and_broadcast_shares_are_optional_fractions(tmp_path):
    text = (ROOT / "ncd_render" / "cost" / "profiles" / "h100-sxm.toml").read_text()
    mine = tmp_path / "gpu.toml"
    mine.write_text(text.replace("broadcast_hbm = 0.45", "broadcast_hbm = 1.2"))
    with pytest.raises(NcdError, match="efficiency.broadcast_hbm must be a fraction"):
        load_profile(str(mine))
    mine.write_text("\n".join(line for line in text.splitlines() if not line.startswith(("broadcast_hbm", "mma_sync_share"))))
    chip = load_profile(str(mine)).chip
    assert chip.mma_sync_share == chip.broadcast_hbm == 1.0


@pytest.mark.parametrize("hw", ["a100-40gb", "a100-80gb"])
def test_the_a100_copy_of_a_strided_view_runs_at_the_measured_share(hw):
    """The A100 profiles' efficiency.broadcast_hbm is PyTorch's contiguous() of a strided slice against a vectorised
    kernel of the same copy, both timed on one A100 (bench/data/published.toml, contiguous_a100: FlagGems pull
    request 511): a copy of those bytes is predicted that much slower than streaming them, for each shape within 3%."""
    table, profile = PUBLISHED["contiguous_a100"], load_profile(hw)
    for shape, torch_ms, triton_ms in zip(table["shapes"], table["torch_ms"], table["triton_ms"]):
        axes = "".join(f"axis {a} = {n}\n" for a, n in zip("abc", shape))
        names = " ".join("abc"[: len(shape)])
        text = axes + f"input X[{names}]\nC = rearrange(X: {names} -> {'(b a)' if len(shape) == 2 else '(b a) c'})\noutput C\n"
        (k,) = analyse(load_text(text).diagram, profile, "fp16").kernels
        streaming = k.detail["dram_bytes"] / (profile.hbm_bandwidth * profile.chip.hbm_efficiency)
        assert k.detail["strided_copy"] and streaming / k.memory_time == pytest.approx(triton_ms / torch_ms, abs=0.03), shape


@pytest.mark.parametrize("inputs, scores, mask", [
    # a key-padding mask has no heads axis: the heads were tiled 32 at a time, no real tile fitted, and the section
    # fell back to the untiled estimate (9.37 ms against 6.36 with an h axis on the mask)
    ("Q[y k h], K[x k h], V[x k h], M[x] bool", "y k h, x k h -> y x h", "S = mask(S, M)\n"),
    # grouped-query attention: K and V lack the group axis g (4): the groups were tiled, 2.34 ms against 869 µs
    ("Q[y k g n], K[x k n], V[x k n]", "y k g n, x k n -> y x g n", ""),
])
def test_an_axis_shorter_than_a_tile_that_a_broadcast_operand_lacks_is_not_tiled(inputs, scores, mask):
    head = "axis y = 4096 width\naxis x = y width\naxis k = 128\naxis h = 32\naxis n = 8\naxis g = 4\n"
    out = scores.split("-> ")[1].replace("x", "k")
    text = (f"{head}input {inputs}\nsection \"core\" fused\n  S = einsum(Q, K: {scores}) * k^-1/2\n  {mask}  P = softmax(S: x)\n"
            f"  O = einsum(P, V: {scores.split('->')[1].strip()}, {inputs.split('V[')[1].split(']')[0]} -> {out})\nend\noutput O\n")
    (kernel,) = analyse(load_text(text).diagram, load_profile("a100-80gb"), "bf16").kernels
    assert set(kernel.detail["tile"]) == {"y", "x"} and kernel.detail["tile"]["y"] in (64, 128), kernel.detail["tile"]


def test_a_sliding_window_in_a_fused_section_skips_the_blocks_outside_it():
    """FlashAttention-2's local attention runs, for each query tile, only the key chunks within the window of one of its
    queries: at N = 4096 and a window of 512, about an eighth of the blocks. The window was ignored, and the section
    cost as much as plain causal attention (3.4 ms against about 1 ms)."""
    def fused(mask: str):
        text = ("axis b = 4\naxis h = 32\naxis y = 4096 width\naxis x = y width\naxis k = 128\ninput Q[y k h b], K[x k h b], "
                f"V[x k h b]\nsection \"core\" fused\n  S = einsum(Q, K: y k h b, x k h b -> y x h b) * k^-1/2\n  S = {mask}\n"
                "  P = softmax(S: x)\n  O = einsum(P, V: y x h b, x k h b -> y k h b)\nend\noutput O\n")
        (kernel,) = analyse(load_text(text).diagram, load_profile("a100-80gb"), "bf16").kernels
        return kernel
    causal, window = fused("mask(S: y x) with causal"), fused("mask(S: y x) with causal, window=512")
    tile = window.detail["tile"]
    rows, chunks = 4096 // tile["y"], 4096 // tile["x"]
    kept = sum(min(chunks, (i + 1) * tile["y"] // tile["x"]) - max(0, (i * tile["y"] - 511) // tile["x"]) for i in range(rows))
    assert window.detail["causal_kept"] == pytest.approx(kept / (rows * chunks)) and window.detail["causal_kept"] < 0.2
    assert window.time < causal.time / 2
