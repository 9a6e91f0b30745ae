"""Predicted (``ncd cost``) against published GPU measurements, with the error of every point.

Reads bench/data/published.toml (each table cites its source) and prints, for
forward attention on an A100 (FlashAttention paper, Table 18, held out: no constant
is set from it): the measured and predicted times of unfused and fused attention and
of the speed-up of fusing, their ratios, and a summary (median and worst
measured/predicted, points within 25%, overall and for N >= 1k), for three models:

* ``roofline``: the plain roofline (the profile without its [chip] and [efficiency] tables);
* ``modern kernels``: the efficiency model with the profile's own kernels (FlashAttention-2,
  a softmax that reads a row once) on the plain diagram: the model before issue 15's v3;
* ``kernels measured``: the kernels the table measured: FlashAttention-1
  (``fused_kernel = "flash-v1"``), the three-pass softmax of PyTorch up to 2.3, and the benchmark's
  reference attention as it ran (its scale and layout copies, :data:`AS_RUN`).

Then forward attention on an H100 (FlashAttention-3 paper, Figure 5: PyTorch's standard
attention as the benchmark ran it, :data:`STANDARD_2023`, and FlashAttention-2, head dimensions
64 and 128, with and without a causal mask) with FlashAttention-2 and the softmax PyTorch ran when the
figure was made (:data:`AS_RUN_2024`; the one-read softmax of later releases as a summary); the matmul and
memory-bound points against their cited measurements; and spherical attention beside
SoftMax attention.

    PYTHONPATH=. python3 bench/validate_cost.py [--model "kernels measured"]
"""
from __future__ import annotations

import argparse
import dataclasses
import math
import statistics
import tomllib
from pathlib import Path

from ncd_render.api import load_text
from ncd_render.cost import analyse, load_profile
from ncd_render.cost.chip import with_kernels

DATA = Path(__file__).resolve().parent / "data" / "published.toml"
HEAD = """axis b = {b}
axis h = {h}
axis y = {n}
axis x = {n}
axis k = {d}
"""
UNFUSED = HEAD + """input Q[b h y k], K[b h x k], V[b h x k]
S = einsum(Q, K: b h y k, b h x k -> b h y x)
P = softmax(S: x)
O = einsum(P, V: b h y x, b h x k -> b h y k)
output O
"""  # the scale is folded into K, as the benchmark's PyTorch attention does
FUSED = UNFUSED.replace("S = einsum", 'section "attention" fused\nS = einsum').replace("output O", "end\noutput O")
SPHERICAL = FUSED.replace("P = softmax(S: x)", "P = rmsnorm(S: x) with eps=1e-12 * x^-1/2")  # gallery/spherical_attention.ncd
# The benchmark's "PyTorch Standard Attention" as it ran (flash-attention repository, benchmarks/benchmark_flash_attention.py,
# attention_ref, commit 9dbc491a of 2022-05-26): q, k, v are strided slices of one qkv[b s 3 h d] tensor;
# k / sqrt(d) is a kernel; torch.einsum copies each operand to (b h) s d before its bmm (the merge of b and h
# is not a view); dropout at p = 0 returns its input; no mask in this table. Three batched kernels and four copies.
AS_RUN = HEAD + """input Q[b y h k], K[b x h k], V[b x h k]
Ks = K * k^-1/2
Qc = rearrange(Q: b y h k -> (b h) y k)
Kc = rearrange(Ks: b x h k -> (b h) x k)
S = einsum(Qc, Kc: (b h) y k, (b h) x k -> (b h) y x)
P = softmax(S: x)
Vc = rearrange(V: b x h k -> (b h) x k)
O = einsum(P, Vc: (b h) y x, (b h) x k -> (b h) y k)
output O
"""
# The FlashAttention-2 benchmark's "standard attention" (flash-attention repository, benchmarks/benchmark_flash_attention.py,
# attention_pytorch, commit b4b6e903 of 2023-08-25), which FlashAttention-3's Figure 5 measured: einops copies q to
# (b h) t d and k to (b h) d s (slices of qkv[b s 3 h d]: not views); one baddbmm with the scale as alpha; with a causal
# mask, scores + causal_mask: a broadcasting add of the fp16 mask[t s] (triu of -10000, made as torch.full, torch.triu and
# .to(fp16), three kernels over s x s in fp32, left out: under 3% of the measured time) to every (b h) slice; PyTorch 2's
# softmax; einsum copies v to (b h) s d for its bmm, whose output is a view.
STANDARD_2023 = HEAD + """input Q[b y h k], K[b x h k], V[b x h k]{mask_input}
Qc = rearrange(Q: b y h k -> (b h) y k)
Kc = rearrange(K: b x h k -> (b h) k x)
S = einsum(Qc, Kc: (b h) y k, (b h) k x -> (b h) y x)
{mask}P = softmax(S: x)
Vc = rearrange(V: b x h k -> (b h) x k)
O = einsum(P, Vc: (b h) y x, (b h) x k -> (b h) y k)
output O
"""
CAUSAL = "S = mask(S: y x) with causal\n"  # inside a fused kernel: the pattern comes from the indices
# The standard attention's mask: scores + mask[y x], broadcast over (b h). The DSL's + needs equal axes, so it is written
# as the broadcasting product, which reads and writes the same arrays and counts the same one FLOP per element.
MASK_ADD = {"mask_input": ", M[y x]", "mask": "S = S * M\n"}
NO_MASK = {"mask_input": "", "mask": ""}
MATMUL = "axis a = {m}\naxis b = {k}\naxis c = {n}\ninput A[a b], B[b c]\nC = einsum(A, B: a b, b c -> a c)\noutput C\n"
READ = "axis a = 1048576\naxis b = 1024\ninput X[a b]\nY = sum(X: b)\noutput Y\n"  # 2 GiB read, 2 MiB written
SOFTMAX = "axis a = {rows}\naxis b = {columns}\ninput X[a b]\nY = softmax(X: b)\noutput Y\n"
# The softmax PyTorch ran for FlashAttention-3's Figure 5 (paper of 2024-07-11): every release before 2.4 (2024-07-24) runs
# rows over 1024 values with cunn_SoftMaxForward, three reads (aten/src/ATen/native/cuda/SoftMax.cu); the one-read
# cunn_SoftMaxForwardSmem came with pytorch/pytorch pull request 122970 (opened 2024-03-29, after the 2.3 branch).
AS_RUN_2024 = "three-pass"
MODELS = {  # name -> (profile change, unfused source): the model before this change, and with the kernels the table measured
    "roofline": (lambda hw: dataclasses.replace(hw, chip=None), UNFUSED),
    "modern kernels": (lambda hw: hw, UNFUSED),
    "kernels measured": (lambda hw: dataclasses.replace(hw, chip=with_kernels(hw.chip, "flash-v1", "three-pass")), AS_RUN),
}


def attention_times(hw: str, n: int, model: str = "kernels measured", b: int = 16, h: int = 8, d: int = 64, dtype: str = "fp16"):
    """Predicted seconds of unfused and fused forward attention with ``model`` (a key of MODELS)."""
    change, unfused = MODELS[model]
    profile = change(load_profile(hw))
    return tuple(analyse(load_text(src.format(b=b, h=h, n=n, d=d)).diagram, profile, dtype).time for src in (unfused, FUSED))


def summary(ratios: list[float]) -> str:
    if not ratios:
        return "no points"
    worst = max(ratios, key=lambda r: max(r, 1 / r))
    within = sum(0.75 <= r <= 1.25 for r in ratios)
    return f"median {statistics.median(ratios):.2f}, worst {worst:.2f}, within 25%: {within} of {len(ratios)}"


def attention_table(table: dict, model: str) -> None:
    """Every point of the held-out attention table with ``model``, and the summaries."""
    print(f"\nmodel: {model}")
    print(f"{'N':>6} {'unfused ms':>11} {'pred':>8} {'ratio':>6} {'fused ms':>9} {'pred':>8} {'ratio':>6} {'speed-up':>9} {'pred':>6} {'ratio':>6}")
    rows = {"unfused": [], "fused": [], "speed-up": []}
    big = {"unfused": [], "fused": [], "speed-up": []}
    for i, n in enumerate(table["n"]):
        unfused, fused = attention_times(table["hw"], n, model)
        fm = table["fused_ms"][i]
        um = table["unfused_ms"][i] if i < len(table["unfused_ms"]) else None
        line = f"{n:>6} "
        line += f"{um:>11.2f} {unfused * 1e3:>8.3f} {um / (unfused * 1e3):>6.2f} " if um else f"{'-':>11} {unfused * 1e3:>8.3f} {'-':>6} "
        line += f"{fm:>9.2f} {fused * 1e3:>8.3f} {fm / (fused * 1e3):>6.2f} "
        points = [("fused", fm / (fused * 1e3))]
        if um:
            speed, predicted = um / fm, unfused / fused
            line += f"{speed:>9.2f} {predicted:>6.2f} {speed / predicted:>6.2f}"
            points += [("unfused", um / (unfused * 1e3)), ("speed-up", speed / predicted)]
        print(line)
        for kind, r in points:
            rows[kind].append(r)
            if n >= 1024:
                big[kind].append(r)
    for kind in rows:
        print(f"{kind:>9} (measured/predicted): all N {summary(rows[kind])}; N >= 1k {summary(big[kind])}")


NORMS = {"layer_norm": "layernorm", "rms_norm": "rmsnorm"}
UNARY = "axis a = {rows}\naxis b = {columns}\ninput X[a b]\nY = relu(X)\noutput Y\n"  # a unary element-wise kernel
ROW = "axis a = {rows}\naxis b = {columns}\ninput X[a b]\nY = {box}(X: b){args}\noutput Y\n"


def kernel_cases(data: dict) -> list[tuple]:
    """The matmul and memory-bound points: (profile, dtype, diagram, work, measured range, unit, scale, what, softmax
    kernel or None for the profile's own)."""
    mamf = data["mamf"]
    sm = data["softmax_h100"]
    liger = data["liger_a100"]
    ew = data["elementwise_a100"]
    shaped = lambda mnk: MATMUL.format(m=mnk[0], n=mnk[1], k=mnk[2])  # noqa: E731
    streamed = lambda p: 2 * p["rows"] * p["columns"] * {"fp32": 4, "bf16": 2}[p["dtype"]]  # noqa: E731  (one read, one write)
    rows = [("a100-80gb", p["dtype"], ROW.format(**p, box=NORMS.get(name, "softmax"), args=" with affine, eps=1e-6" if name in NORMS else ""),
             streamed(p), [streamed(p) / p["ms"] / 1e9], "TB/s", 1e12, f"{name} {p['dtype']} {p['rows']}x{p['columns']} (Liger data)", None)
            for name, p in ((k, liger[k]) for k in ("layer_norm", "rms_norm", "cross_entropy"))]
    return [
        ("a100-80gb", "bf16", shaped([4096] * 3), 2 * 4096 ** 3, data["matmul"]["a100_4096_bf16_tflops"], "TFLOP/s", 1e12, "GEMM 4096^3", None),
        ("h100-sxm", "bf16", shaped([8192] * 3), 2 * 8192 ** 3, data["matmul"]["h100_large_bf16_tflops"], "TFLOP/s", 1e12, "GEMM 8192^3", None),
        ("a100-80gb", "bf16", shaped(mamf["a100"]["shape"]), 2 * math.prod(mamf["a100"]["shape"]), [mamf["a100"]["tflops"]],
         "TFLOP/s", 1e12, "GEMM {}x{}x{} (MAMF)".format(*mamf["a100"]["shape"]), None),
        ("h100-sxm", "bf16", shaped(mamf["h100"]["shape"]), 2 * math.prod(mamf["h100"]["shape"]), [mamf["h100"]["tflops"]],
         "TFLOP/s", 1e12, "GEMM {}x{}x{} (MAMF)".format(*mamf["h100"]["shape"]), None),
        ("a100-80gb", "fp16", READ, 2 * 2 ** 30, data["memory"]["a100_80gb_read_tbs"], "TB/s", 1e12, "2 GiB read (sum over rows)", None),
        ("h100-sxm", "fp32", SOFTMAX.format(**sm), 2 * 4 * sm["rows"] * sm["columns"], [sm["tbs"]], "TB/s", 1e12,
         f"softmax fp32 {sm['rows']}x{sm['columns']} (QuACK)", "one-pass"),  # its cluster reduction keeps a 512 KB row on chip
        *rows,
        ("a100-80gb", "fp32", UNARY.format(**ew), 2 * 4 * ew["rows"] * ew["columns"],
         [ew["tbs"]], "TB/s", 1e12, f"element-wise fp32 {ew['rows']}x{ew['columns']} (MLX abs)", None),
    ]


def kernel_points(data: dict) -> list[float]:
    """The matmul and memory-bound points against their cited measurements (target: within 15%); their ratios."""
    print("\n" + "\n".join(data[key]["source"] for key in ("matmul", "mamf", "memory", "softmax_h100", "liger_a100", "elementwise_a100")))
    ratios = []
    for hw, dtype, src, work, measured, unit, scale, what, softmax in kernel_cases(data):
        profile = load_profile(hw)
        profile = dataclasses.replace(profile, chip=with_kernels(profile.chip, softmax=softmax))
        rate = work / analyse(load_text(src).diagram, profile, dtype).time / scale
        mid = sum(measured) / len(measured)
        ratios.append(mid / rate)
        print(f"{hw:>10} {what:<40} predicted {rate:.4g} {unit}, measured {[round(m, 3) for m in measured]} {unit}: "
              f"measured/predicted {mid / rate:.2f}{'' if abs(mid / rate - 1) <= 0.15 else ' (outside 15%)'}")
    return ratios


def h100_attention(table: dict, softmax: str = AS_RUN_2024, show: bool = True) -> dict[str, list[float]]:
    """FlashAttention-3's Figure 5 (H100): standard attention and FlashAttention-2 at every point, with the
    profile's FlashAttention-2 and the softmax kernel ``softmax`` (default: the one PyTorch ran when the figure
    was made, :data:`AS_RUN_2024`); measured/predicted per point (printed when ``show``)."""
    hw = load_profile(table["hw"])
    profile = dataclasses.replace(hw, chip=with_kernels(hw.chip, softmax=softmax))
    say = print if show else (lambda *_: None)
    say(f"\n{table['source']}\n{table['setup']}; profile {table['hw']}, FlashAttention-2, softmax {softmax}")
    big = {"unfused": [], "fused": [], "speed-up": []}
    for d in (64, 128):
        for causal in (False, True):
            key = f"d{d}{'_causal' if causal else ''}"
            say(f"head dim {d}{', causal' if causal else ''}")
            say(f"{'N':>6} {'standard ms':>12} {'pred':>8} {'ratio':>6} {'FA-2 ms':>8} {'pred':>8} {'ratio':>6} {'speed-up':>9} {'pred':>6} {'ratio':>6}")
            for i, n in enumerate(table["n"]):
                b, h = table["tokens"] // n, table["hidden"] // d
                flops = 4 * b * n * n * h * d / (2 if causal else 1)
                sizes = dict(b=b, h=h, n=n, d=d)
                mask = CAUSAL if causal else ""
                fused_src = FUSED.replace("P = softmax", mask + "P = softmax") if causal else FUSED
                fused = analyse(load_text(fused_src.format(**sizes)).diagram, profile, "fp16").time * 1e3
                fm = flops / table[key + "_flash2"][i] / 1e9
                line = f"{n:>6} "
                ratios = {"fused": fm / fused}
                if i < len(table[key + "_standard"]):
                    standard = STANDARD_2023.format(**(MASK_ADD if causal else NO_MASK), **sizes)
                    unfused = analyse(load_text(standard).diagram, profile, "fp16").time * 1e3
                    um = flops / table[key + "_standard"][i] / 1e9
                    ratios.update({"unfused": um / unfused, "speed-up": (um / fm) / (unfused / fused)})
                    line += f"{um:>12.3f} {unfused:>8.3f} {um / unfused:>6.2f} "
                else:
                    line += f"{'OOM':>12} {'':>8} {'':>6} "
                line += f"{fm:>8.3f} {fused:>8.3f} {fm / fused:>6.2f}"
                if "speed-up" in ratios:
                    line += f" {um / fm:>9.2f} {unfused / fused:>6.2f} {ratios['speed-up']:>6.2f}"
                say(line)
                for kind, r in ratios.items():
                    if n >= 1024:
                        big[kind].append(r)
    for kind, rs in big.items():
        print(f"{kind:>9} (measured/predicted), N >= 1k, all four settings, softmax {softmax}: {summary(rs)}")
    return big


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--model", choices=[*MODELS, "all"], default="all", help="which model to compare (default: all three)")
    opts = args.parse_args()
    data = tomllib.loads(DATA.read_text())
    table = data["fa1_forward_a100"]
    print(f"{table['source']}\n{table['setup']}; profile {table['hw']}")
    for model in MODELS if opts.model == "all" else [opts.model]:
        attention_table(table, model)
    h100_attention(data["fa2_forward_h100"])
    h100_attention(data["fa2_forward_h100"], "row-on-chip", show=False)  # the one-read softmax of PyTorch 2.4-2.10
    kernel_points(data)
    sign = data["flashsign_a100"]
    print(f"\n{sign['source']}\n{sign['setup']}; modern kernels, the softmax of PyTorch 2.4-2.10 (the paper predates 2.11)")
    for n in (1024, 4096, 16384):
        profile = load_profile(table["hw"])
        profile = dataclasses.replace(profile, chip=with_kernels(profile.chip, softmax="row-on-chip"))
        unfused, fused, spherical = (analyse(load_text(src.format(b=16, h=8, n=n, d=64)).diagram, profile, "fp16").time
                                     for src in (UNFUSED, FUSED, SPHERICAL))
        print(f"N={n}: spherical {spherical * 1e3:.3f} ms, {unfused / spherical:.2f}x unfused PyTorch attention "
              f"(published {sign['speedup_over_pytorch']}x), {fused / spherical:.2f}x fused SoftMax attention (published: comparable)")


if __name__ == "__main__":
    main()
