"""The cost model on inputs that used to break it: a value read twice inside a fused
section (it recursed forever), a view read by a fused kernel, and fused sections with many
axes, whose tile search was exponential (8 axes: 47 s; 10: over two minutes). The search
tries every choice when there are few (the gallery, a matmul, attention) and climbs
otherwise; the climb finds the same tiles where both can run."""
import re
import time
from dataclasses import replace
from pathlib import Path

import pytest

from ncd_render.cost import analyse, fused, load_profile
from ncd_render.cost.table import si
from ncd_render.ir import build
from ncd_render.parse import parse, parse_file

GALLERY = Path(__file__).resolve().parents[1] / "gallery"
A100 = load_profile("a100-80gb")


def cost(text: str, **sizes):
    return analyse(build(parse(text), sizes=sizes), A100, "bf16")


def test_the_same_einsum_twice_in_a_fused_section():
    report = cost('axis y = 128\naxis x = 256\naxis k = 64\ninput Q[y k], K[x k], V[x k]\nsection "core" fused\n'
                  "  S = einsum(Q, K: y k, x k -> y x)\n  P = softmax(S: x)\n"
                  "  O = einsum(P, V: y x, x k -> y k)\n  O2 = einsum(P, V: y x, x k -> y k)\nend\noutput O, O2\n")
    (kernel,) = report.kernels
    assert kernel.plan.written == 2 * 2 * 128 * 64  # both outputs leave the kernel
    assert kernel.plan.roles["x"][0] == "stream"  # the softmax still streams: both sums follow it


def test_a_fused_section_reading_a_view():
    report = cost('axis r = 28\naxis c = 28\naxis m = 512\ninput X[r c]\nF = rearrange(X: r c -> (r c))\n'
                  'section "f" fused\n  H = linear(F: (r c) -> m) as L\n  H = relu(H)\nend\noutput H\n')
    (kernel,) = [k for k in report.kernels if k.plan is not None]
    assert kernel.plan.read_once == 2 * (28 * 28 + 28 * 28 * 512)  # X through its view, and the weight


def wide(n: int, size: int = 8) -> str:
    axes = " ".join(f"a{i}" for i in range(n))
    return ("".join(f"axis a{i} = {size}\n" for i in range(n)) + f"axis k = 16\ninput X[{axes} k], W[k]\n"
            f'section "wide" fused\n  Y = einsum(X, W: {axes} k, k -> {axes})\n  Z = relu(Y)\nend\noutput Z\n')


@pytest.mark.parametrize("n", [10, 20, 40])
def test_the_tile_search_is_bounded_in_the_number_of_axes(n):
    began = time.perf_counter()
    (kernel,) = cost(wide(n)).kernels
    assert time.perf_counter() - began < 10
    assert kernel.plan.shared_bytes <= A100.shared_memory_bytes
    tiled = [a for a, (role, _) in kernel.plan.roles.items() if role == "group"]
    assert len(tiled) == n  # every a_i is independent: all are group axes


def plans(program, sizes, kib, exhaustive_limit, monkeypatch):
    monkeypatch.setattr(fused, "EXHAUSTIVE", exhaustive_limit)
    report = analyse(build(program, sizes=sizes), replace(A100, shared_memory_bytes=kib * 1024), "bf16")
    return [k.plan for k in report.kernels if k.plan is not None]


CASES = [("flash_attention", dict(y=n, x=n, k=d, v=d), kib) for n in (512, 4096, 16384) for d in (32, 64, 128) for kib in (16, 64, 164)]
CASES += [("matmul", dict(a=a, b=b, c=c), kib) for a, b, c in [(1024, 1024, 1024), (4096, 512, 2048), (2048, 8192, 1024)]
          for kib in (16, 64, 256)]
MATMUL = parse('axis a = 8\naxis b = 8\naxis c = 8\ninput A[a b], B[b c]\nsection "matmul" fused\n'
               '  C = einsum(A, B: a b, b c -> a c)\nend\noutput C\n')


@pytest.mark.parametrize("name, sizes, kib", CASES)
def test_the_climb_finds_the_tiles_of_the_full_search(name, sizes, kib, monkeypatch):
    program = MATMUL if name == "matmul" else parse_file(GALLERY / f"{name}.ncd")
    every = plans(program, sizes, kib, 10 ** 12, monkeypatch)
    climbed = plans(program, sizes, kib, 0, monkeypatch)
    assert [dict(p.roles) for p in climbed] == [dict(p.roles) for p in every]
    assert [p.hbm_bytes for p in climbed] == [p.hbm_bytes for p in every]


def test_huge_figures_are_written_in_scientific_notation():
    assert si(4.4e37, "F") == "4.4e+37 F" and si(3.14e6, "B") == "3.14 MB"


def test_a_billion_repetitions_inside_a_collapsed_component_are_counted_not_listed():
    """Found by the fuzzer: each read was listed once per repetition (24 GB for repeat 10^9)."""
    text = ("axis y = 64\naxis m = 128\nblock Layer(X[y m])\n  repeat 1000000000\n    H = linear(X: m -> m) as L\n"
            "    X = X + H\n  end\n  return X\nend\ninput X[y m]\nY = Layer(X)\noutput Y\n")
    began = time.perf_counter()
    collapsed = analyse(build(parse(text), depth=0), A100, "bf16")
    assert time.perf_counter() - began < 5
    expanded = analyse(build(parse(text)), A100, "bf16")
    assert collapsed.hbm_bytes == expanded.hbm_bytes and collapsed.flops == expanded.flops


def test_a_tensor_past_any_machine_is_an_error_at_its_statement_not_a_traceback():
    """27 axes of 2^40, or 27 repeats of 2^40 around one box, each within the language's limits: the cost model's
    float times and bytes overflowed ('int too large to convert to float'), in ncd cost, html, serve and render."""
    from ncd_render.errors import NcdError

    names = [f"a{i}" for i in range(27)]
    wide = "".join(f"axis {a} = 1099511627776\n" for a in names) + f"input X[{' '.join(names)}]\nH = relu(X)\noutput H\n"
    deep = ("axis m = 4\ninput X[m]\n" + "".join(f"{'  ' * k}repeat 1099511627776\n" for k in range(27))
            + "  " * 27 + "X = linear(X: m -> m) as L\n" + "".join(f"{'  ' * k}end\n" for k in reversed(range(27))) + "output X\n")
    for text, line, what in ((wide, 28, "'X' would hold about 2^1080 values"), (deep, 30, "would hold about 2^1082 values")):
        with pytest.raises(NcdError, match=re.escape(what)) as info:
            analyse(build(parse(text, "big.ncd")), load_profile("a100-80gb"))
        assert info.value.span.line == line and "more than the 2^256 the cost model works with" in info.value.message
