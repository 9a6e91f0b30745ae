"""Known IO results, derived from diagrams: the cost model is run on .ncd files
over sweeps of sizes (the --sizes overrides) and of shared memory, and the
traffic it reports must follow the published laws.

* standard attention (gallery/sdpa.ncd): Θ(N·d + N²) HBM accesses;
* FlashAttention (gallery/flash_attention.ncd): Θ(N²·d²/M) (FlashAttention, Theorem 2);
* a tiled matmul: 2·a·b·c/√M + a·c (Napkin; Hong–Kung), within the factor 1.5
  that power-of-two tiles can lose.
"""
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from ncd_render.cost import analyse, load_profile
from ncd_render.ir import build
from ncd_render.parse import parse, parse_file

GALLERY = Path(__file__).resolve().parents[1] / "gallery"
A100 = load_profile("a100-80gb")
BF16 = 2  # bytes per value
SDPA = parse_file(GALLERY / "sdpa.ncd")
FLASH = parse_file(GALLERY / "flash_attention.ncd")
MATMUL = parse('axis a = 8\naxis b = 8\naxis c = 8\ninput A[a b], B[b c]\nsection "matmul" fused\n'
               '  C = einsum(A, B: a b, b c -> a c)\nend\noutput C\n')


def cost(program, shared_kib=164, **sizes):
    return analyse(build(program, sizes=sizes), replace(A100, shared_memory_bytes=shared_kib * 1024), "bf16")


def attention(program, n, d, shared_kib=164):
    return cost(program, shared_kib, y=n, x=n, k=d, v=d)


def slope(xs, ys) -> float:
    """The exponent p of y ∝ x^p, fitted on a log-log scale."""
    return float(np.polyfit(np.log(xs), np.log(ys), 1)[0])


def test_standard_attention_traffic_is_exactly_alpha_nd_plus_beta_n_squared():
    points = [(n, d) for n in (512, 1024, 2048, 4096, 8192) for d in (32, 64, 128)]
    values = np.array([attention(SDPA, n, d).hbm_bytes / BF16 for n, d in points])
    basis = np.array([[n * d, n * n] for n, d in points], dtype=float)
    (alpha, beta), *_ = np.linalg.lstsq(basis, values, rcond=None)
    assert alpha > 0 and beta > 0
    assert np.max(np.abs(basis @ [alpha, beta] - values) / values) < 1e-9
    assert slope([4096, 8192, 16384], [attention(SDPA, n, 64).hbm_bytes for n in (4096, 8192, 16384)]) == pytest.approx(2, abs=0.05)
    assert slope([256, 1024, 4096], [attention(SDPA, 16, d).hbm_bytes for d in (256, 1024, 4096)]) == pytest.approx(1, abs=0.05)  # d >> N


def resent(program, **kw):
    """Traffic beyond reading every input and writing every output once: the part the tiling controls."""
    (kernel,) = attention(program, **kw).kernels
    return kernel.plan.resent


@pytest.mark.parametrize("axis, sweep, expected", [
    ("n", (2048, 4096, 8192, 16384), 2),
    ("d", (32, 64, 128), 2),
    ("shared_kib", (32, 64, 128, 256), -1),
])
def test_flash_attention_traffic_grows_as_n2_d2_over_m(axis, sweep, expected):
    base = {"n": 8192, "d": 64, "shared_kib": 64}
    measured = slope(sweep, [resent(FLASH, **{**base, axis: value}) for value in sweep])
    assert measured == pytest.approx(expected, abs=0.05)


def test_flash_attention_has_the_napkin_form_and_streams_the_keys():
    (kernel,) = attention(FLASH, 8192, 64, shared_kib=64).kernels
    p = kernel.plan
    assert {a: role for a, (role, _) in p.roles.items()} == {"y": "group", "x": "stream", "k": "whole", "v": "whole"}
    q_rows, d, m = p.roles["y"][1], 64, 64 * 1024 / BF16
    assert p.hbm_bytes / BF16 == 2 * 8192 * d + 2 * 8192 * d * 8192 / q_rows  # H = 2qd + 2xdq/g_q
    assert q_rows == m / (4 * d)  # FlashAttention's B_r = M / 4d
    assert p.shared_bytes <= 64 * 1024 and p.correction_flops > 0


def test_the_flash_attention_gap_widens_with_sequence_length():
    gaps = []
    for n in (1024, 4096, 16384):
        std, fused = attention(SDPA, n, 64), attention(FLASH, n, 64)
        assert std.flops == fused.flops - fused.kernels[0].plan.correction_flops  # same work, less traffic
        gaps.append(std.hbm_bytes / fused.hbm_bytes)
        assert std.time > fused.time
    assert gaps[0] > 3 and gaps[0] < gaps[1] < gaps[2]


@pytest.mark.parametrize("a, b, c", [(1024, 1024, 1024), (4096, 512, 2048), (2048, 8192, 1024)])
@pytest.mark.parametrize("shared_kib", [16, 64, 256])
def test_tiled_matmul_traffic_is_within_1_5_of_hong_kung(a, b, c, shared_kib):
    (kernel,) = cost(MATMUL, shared_kib, a=a, b=b, c=c).kernels
    m = shared_kib * 1024 / BF16
    ratio = kernel.hbm_bytes / BF16 / (2 * a * b * c / math.sqrt(m) + a * c)
    assert 1 <= ratio <= 1.5


def test_tiled_matmul_traffic_falls_as_one_over_root_m():
    sweep = (16, 64, 256, 1024)
    tiled = [cost(MATMUL, kib, a=8192, b=8192, c=8192).kernels[0].plan.resent for kib in sweep]
    assert slope(sweep, tiled) == pytest.approx(-0.5, abs=0.02)
