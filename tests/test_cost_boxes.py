"""The per-box rules of the cost model, hardware profiles, size overrides, and the 'fused' syntax."""
from dataclasses import replace
from importlib import resources
from pathlib import Path

import pytest

from ncd_render.cost import DTYPE_BYTES, analyse, badges, load_profile
from ncd_render.cost.table import si
from ncd_render.cost.boxes import work
from ncd_render.errors import NcdError
from ncd_render import ops
from ncd_render.ir import build
from ncd_render.parse import parse, parse_file

GALLERY = Path(__file__).resolve().parents[1] / "gallery"
A100 = load_profile("a100-80gb")


def diagram(body: str, axes: str = "axis y = 64\naxis m = 32\naxis k = 16\n", **sizes):
    return build(parse(axes + body), sizes=sizes or None)


def rows(d, dtype="bf16", hw=A100):
    return {k.name: k for k in analyse(d, hw, dtype).kernels}


def test_linear_counts_two_flops_per_multiply_add_and_reads_its_weights():
    d = diagram("input X[y m]\nH = linear(X: m -> k) with bias as L_1\noutput H\n")
    k = rows(d)["L_1"]
    assert (k.matmul_flops, k.vector_flops) == (2 * 64 * 32 * 16, 64 * 16)  # bias: one add per output
    assert k.hbm_bytes == 2 * (64 * 32 + 32 * 16 + 16 + 64 * 16)  # X, weight, bias read; H written


def test_einsum_of_three_tensors_contracts_left_to_right():
    d = diagram("input A[y m], B[m k], C[k]\nD = einsum(A, B, C: y m, m k, k -> y)\noutput D\n")
    assert work(d, d.ops[3]).matmul_flops == 2 * 64 * 32 * 16 + 2 * 64 * 16


def test_elementwise_softmax_norm_scale_and_add_count_per_element():
    d = diagram("input X[y m], Z[y m]\nA = gelu(X)\nB = softmax(A: m)\nC = layernorm(B: m) with affine\n"
                "E = rmsnorm(C: m)\nF = E * 0.5\nG = F + Z\noutput G\n")
    n = 64 * 32
    flops = {k.kind: k.vector_flops for k in analyse(d, A100).kernels}
    # docs/cost.md: GELU 8 per element, SoftMax 5, LayerNorm 5 (+1 scale, +1 shift), RMSNorm 3
    assert flops == {"gelu": 8 * n, "softmax": 5 * n, "layernorm": (5 + 2) * n, "rmsnorm": 3 * n, "scale": n, "add": n}


def test_every_registered_kind_has_a_cost_rule():
    assert [k for k, kind in ops.kinds().items() if kind.cost is None and kind.runs] == []  # opaque boxes are refused


def test_views_copies_inputs_outputs_and_deletes_move_nothing():
    d = build(parse("axis r = 4\naxis c = 8\naxis h = 2\ninput X[r c h]\n"
                    "T = rearrange(X: r c h -> c r h)\nF = rearrange(X: r c h -> (r c) h)\nI = identity(X)\n"
                    "M = rearrange(X: r c h -> (c r) h)\ndelete T, F, I\noutput M\n"))
    ks = analyse(d, A100).kernels
    assert [(k.kind, k.bound) for k in ks] == [("rearrange", "free"), ("rearrange", "free"), ("identity", "free"), ("rearrange", "memory")]
    assert [k.hbm_bytes for k in ks] == [0, 0, 0, 2 * 2 * 64]  # only the out-of-order merge copies: read + write


def test_bytes_follow_the_dtype_and_int4_is_half_a_byte():
    d = diagram("input X[y m]\nH = relu(X)\noutput H\n")
    by_dtype = {t: rows(d, t)["elementwise1 (H)"].hbm_bytes for t in DTYPE_BYTES}
    assert by_dtype == {t: 2 * 64 * 32 * b for t, b in DTYPE_BYTES.items()}
    assert by_dtype["int4"] == 64 * 32


def test_time_is_the_roofline_bound_plus_launch_overhead_without_a_chip_table():
    d = diagram("input X[y m]\nH = relu(X)\nW = linear(H: m -> k)\noutput W\n", y=1 << 16, m=1 << 12, k=1 << 12)
    A100 = replace(load_profile("a100-80gb"), chip=None)  # the plain roofline
    relu, lin = analyse(d, A100).kernels
    assert relu.bound == "memory" and relu.time == pytest.approx(relu.hbm_bytes / A100.hbm_bandwidth + A100.launch_overhead)
    assert lin.bound == "compute" and lin.time == pytest.approx(lin.flops / A100.matmul_rate("bf16") + A100.launch_overhead)
    assert lin.intensity > A100.matmul_rate("bf16") / A100.hbm_bandwidth > relu.intensity


def test_an_axis_without_size_is_an_error_that_names_it():
    d = build(parse("axis n\ninput X[n]\nY = relu(X)\noutput Y\n"))
    with pytest.raises(NcdError, match="axis 'n' has no size") as error:
        analyse(d, A100)
    assert "--sizes n=" in error.value.hint
    assert rows(build(parse("axis n\ninput X[n]\nY = relu(X)\noutput Y\n"), sizes={"n": 10}))["elementwise1 (Y)"].hbm_bytes == 40


def test_sizes_override_declared_sizes_and_derived_axes_follow():
    d = build(parse_file(GALLERY / "mha.ncd"), sizes={"m": 1024, "h": 16})
    assert (d.axes["m"].size, d.axes["k"].size) == (1024, 64)
    with pytest.raises(NcdError, match="unknown axis 'hh'") as error:
        build(parse_file(GALLERY / "mha.ncd"), sizes={"hh": 3})
    assert error.value.hint == "did you mean 'h'?"
    with pytest.raises(NcdError, match="it is derived"):
        build(parse("axis m = 8\naxis k = m / 2\ninput X[k]\noutput X\n"), sizes={"k": 3})


def test_fused_marks_a_section_and_stays_a_usable_name():
    d = build(parse('axis fused = 4\ninput X[fused]\nsection "A" fused\n  Y = relu(X)\nend\nsection "B"\n  Z = relu(Y)\nend\noutput Z\n'))
    assert [(s.title, s.fused) for s in d.sections.values()] == [("A", True), ("B", False)]
    with pytest.raises(NcdError, match="unexpected 'fast'"):
        parse('section "A" fast\nend\n')


def test_profiles_hold_the_hardware_figures():
    a40, a80, h100 = (load_profile(n) for n in ("a100-40gb", "a100-80gb", "h100-sxm"))
    assert (a40.hbm_bandwidth, a80.hbm_bandwidth, h100.hbm_bandwidth) == (1555e9, 2039e9, 3350e9)
    assert (a80.shared_memory_bytes, h100.shared_memory_bytes) == (164 * 1024, 228 * 1024)
    assert all(set(p.matmul_peaks) == set(DTYPE_BYTES) for p in (a40, a80, h100))
    assert a80.matmul_peaks["bf16"] == 312e12 and h100.matmul_peaks["fp8"] == 1979e12


def test_a_user_profile_file_is_read_and_checked(tmp_path):
    text = (resources.files("ncd_render.cost") / "profiles" / "a100-80gb.toml").read_text()
    mine = tmp_path / "slow.toml"
    mine.write_text(text.replace("hbm_bandwidth_gbs = 2039", "hbm_bandwidth_gbs = 1000"))
    assert load_profile(str(mine)).hbm_bandwidth == 1e12
    mine.write_text(text.replace("derate", "derated"))
    with pytest.raises(NcdError, match="lacks derate"):
        load_profile(str(mine))
    mine.write_text(text.replace("int4 = 1248\n", ""))
    relu = diagram("input X[y m]\nH = relu(X)\noutput H\n")
    with pytest.raises(NcdError, match="gives no matmul peak for int4"):
        analyse(relu, load_profile(str(mine)), "int4")
    assert analyse(relu, load_profile(str(mine)), "int8").hbm_bytes == 2 * 64 * 32
    mine.write_text(text.replace("bf16 = 312", "bf17 = 312"))
    with pytest.raises(NcdError, match="unknown dtype 'bf17'"):
        load_profile(str(mine))
    with pytest.raises(NcdError, match="unknown hardware profile 'h100'") as error:
        load_profile("h100")
    assert "h100-sxm" in error.value.hint


def test_badges_sit_on_the_box_that_finishes_each_kernel():
    d = build(parse_file(GALLERY / "flash_attention.ncd"), sizes={"y": 4096, "x": 4096})
    report = analyse(d, A100)
    marks = badges(d, report)
    (op, badge), = marks.items()
    assert d.values[d.ops[op].outputs[0]].name == "O" and badge.fused and badge.bound == "compute"
    assert badge.lines == ("9.4 MB", "4.5 GF", si(report.kernels[0].time, "s", 2))
    other = build(parse_file(GALLERY / "mlp.ncd"))
    with pytest.raises(NcdError, match="another diagram"):
        badges(other, report)


def test_a_fused_section_that_cannot_fit_in_shared_memory_says_why():
    d = build(parse('axis y = 64\naxis m = 4096\ninput X[y m]\nsection "norm" fused\n  Y = layernorm(X: m)\nend\noutput Y\n'))
    with pytest.raises(NcdError, match="fused section 'norm': the fused kernel needs at least 16 KiB of shared memory per group, "
                       "more than the 8 KiB there is") as error:
        analyse(d, replace(A100, shared_memory_bytes=8 * 1024))
    assert "cannot tile m" in error.value.hint
    huge = build(parse('axis y = 64\naxis m = 1099511627776\ninput X[y m]\nsection "norm" fused\n  Y = layernorm(X: m)\nend\noutput Y\n'))
    with pytest.raises(NcdError, match="needs at least 4 TiB of shared memory") as error:  # (was '4294967296.0 KiB')
        analyse(huge, A100)


def test_a_box_of_an_unknown_kind_is_an_error_not_a_default():
    d = diagram("input X[y m]\nH = relu(X)\noutput H\n")
    with pytest.raises(NcdError, match="no op kind 'mystery' is registered"):
        work(d, replace(d.ops[1], kind="mystery", params={}))


def test_a_linear_map_from_an_axis_to_itself_has_a_square_weight_kept_whole():
    d = diagram('input X[y m]\nsection "L" fused\n  H = linear(X: m -> m) as L_1\nend\noutput H\n', y=256, m=64)
    (kernel,) = analyse(d, A100).kernels
    assert kernel.matmul_flops == 2 * 256 * 64 * 64
    assert kernel.plan.roles["m"] == ("whole", 64) and kernel.plan.read_once == 2 * (256 * 64 + 64 * 64)
