"""Predicted (``ncd cost``) against measured times on an NVIDIA GPU: one prepared run.

Times, with CUDA events (median of repeated calls after a warm-up), the kernels the
cost model is judged on, and prints each beside the model's prediction for the same
diagram on the profile of this GPU:

* bf16 matmuls of several shapes (square, tall-skinny, small);
* memory-bound kernels: a ReLU, a row softmax;
* forward attention at fp16, batch 16, 8 heads, d = 64, N = 128 ... 16k: unfused
  (QK^T, softmax, PV in eager PyTorch, the scale folded into K) and fused
  (PyTorch SDPA's FlashAttention backend), each with and without a causal mask.

It finishes in well under 5 minutes on an A100 or H100 (``--quick``: under a
minute). ``--json FILE`` also writes every point with the GPU's name, the date and
the software versions, for committing under bench/data/. ``--dry-run`` prints the
predictions alone (no GPU needed): it checks the script before a GPU session.

    python bench/gpu_kernels.py                       # profile from the GPU's name
    python bench/gpu_kernels.py --hw h100-sxm --json bench/data/measured-h100.json
    python bench/gpu_kernels.py --dry-run --hw a100-40gb
"""
from __future__ import annotations

import argparse
import datetime
import json
import math
import platform
import statistics
import time
from pathlib import Path

from ncd_render.api import load_text
from ncd_render.cost import analyse, load_profile

MATMULS = [(4096, 4096, 4096), (8192, 8192, 8192), (16384, 1024, 4096), (1024, 1024, 1024), (65536, 128, 4096)]
ATTENTION_N = [128, 256, 512, 1024, 2048, 4096, 8192, 16384]
UNFUSED_MAX_N = 8192  # 16 x 8 x N^2 fp16 scores: 16k would need 34 GB for S and P
PROFILES = {"A100-SXM4-40GB": "a100-40gb", "A100-SXM4-80GB": "a100-80gb", "A100 80GB": "a100-80gb", "H100": "h100-sxm", "H200": "h200-sxm"}


def matmul_source(m: int, n: int, k: int) -> str:
    return f"axis a = {m}\naxis c = {n}\naxis b = {k}\ninput A[a b], B[b c]\nC = einsum(A, B: a b, b c -> a c)\noutput C\n"


def elementwise_source(rows: int, cols: int, box: str) -> str:
    return f"axis y = {rows}\naxis x = {cols}\ninput S[y x]\nP = {box}\noutput P\n"


def attention_source(n: int, fused: bool, causal: bool, b: int = 16, h: int = 8, d: int = 64) -> str:
    mask = "S = mask(S: y x) with causal\n" if causal else ""
    body = (f"S = einsum(Q, K: b h y k, b h x k -> b h y x)\n{mask}P = softmax(S: x)\n"
            "O = einsum(P, V: b h y x, b h x k -> b h y k)\n")
    if fused:
        body = f'section "attention" fused\n{body}end\n'
    return (f"axis b = {b}\naxis h = {h}\naxis y = {n}\naxis x = {n}\naxis k = {d}\n"
            f"input Q[b h y k], K[b h x k], V[b h x k]\n{body}output O\n")


def predict(source: str, profile, dtype: str) -> float:
    return analyse(load_text(source).diagram, profile, dtype).time


def cases(quick: bool):
    """(name, ncd source, dtype, builder) for every point; the builder makes tensors and returns the call to time."""
    import torch
    import torch.nn.functional as F
    from torch.nn.attention import SDPBackend, sdpa_kernel

    rand = lambda *shape, dtype: torch.randn(*shape, device="cuda", dtype=dtype)  # noqa: E731
    for m, n, k in MATMULS[:2] if quick else MATMULS:
        def build(m=m, n=n, k=k):
            A, B = rand(m, k, dtype=torch.bfloat16), rand(k, n, dtype=torch.bfloat16)
            return lambda: A @ B
        yield f"matmul {m}x{n}x{k}", matmul_source(m, n, k), "bf16", build
    for box, fn in (("relu(S)", torch.relu), ("softmax(S: x)", lambda s: torch.softmax(s, dim=-1))):
        def build(fn=fn):
            S = rand(16384, 8192, dtype=torch.float16)
            return lambda: fn(S)
        yield f"{box.split('(')[0]} 16384x8192", elementwise_source(16384, 8192, box), "fp16", build
    for n in ATTENTION_N[::2] if quick else ATTENTION_N:
        for causal in (False, True):
            def qkv(n=n):
                return [rand(16, 8, n, 64, dtype=torch.float16) for _ in range(3)]

            if n <= UNFUSED_MAX_N:
                def unfused(n=n, causal=causal):
                    Q, K, V = qkv()
                    K = K * 64 ** -0.5  # the scale folded into K, as in the published benchmark
                    mask = torch.ones(n, n, dtype=torch.bool, device="cuda").tril() if causal else None

                    def call():
                        S = Q @ K.transpose(-1, -2)
                        if mask is not None:
                            S = S.masked_fill(~mask, float("-inf"))
                        return torch.softmax(S, dim=-1) @ V
                    return call
                yield f"attention N={n}{' causal' if causal else ''} unfused", attention_source(n, False, causal), "fp16", unfused

            def fused(causal=causal):
                Q, K, V = qkv()

                def call():
                    with sdpa_kernel(SDPBackend.FLASH_ATTENTION):
                        return F.scaled_dot_product_attention(Q, K, V, is_causal=causal)
                return call
            yield f"attention N={n}{' causal' if causal else ''} fused", attention_source(n, True, causal), "fp16", fused


def measure(fn, budget_s: float = 1.0) -> float:
    """Median seconds of ``fn()``: CUDA events around each call, after a warm-up, at most ``budget_s`` of calls."""
    import torch

    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    times, began = [], time.perf_counter()
    while len(times) < 100 and (len(times) < 5 or time.perf_counter() - began < budget_s):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end) / 1e3)
    return statistics.median(times)


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--hw", default=None, help="profile (default: from the GPU's name)")
    args.add_argument("--quick", action="store_true", help="fewer points: under a minute")
    args.add_argument("--json", default=None, help="also write every point to this file")
    args.add_argument("--dry-run", action="store_true", help="predictions only, no GPU")
    opts = args.parse_args()
    if opts.dry_run:
        profile = load_profile(opts.hw or "a100-80gb")
        for n in ATTENTION_N:
            for causal in (False, True):
                times = [predict(attention_source(n, f, causal), profile, "fp16") * 1e3 for f in (False, True)]
                print(f"attention N={n:<6}{' causal' if causal else '       '} unfused {times[0]:9.3f} ms  fused {times[1]:9.3f} ms")
        for m, n, k in MATMULS:
            t = predict(matmul_source(m, n, k), profile, "bf16")
            print(f"matmul {m}x{n}x{k}: {t * 1e6:9.1f} µs, {2 * m * n * k / t / 1e12:6.1f} TFLOP/s")
        return
    import torch

    if not torch.cuda.is_available():
        raise SystemExit("this benchmark needs an NVIDIA GPU with CUDA (or --dry-run)")
    gpu = torch.cuda.get_device_name()
    key = opts.hw or next((v for k, v in PROFILES.items() if k in gpu), None)
    if key is None:
        raise SystemExit(f"no bundled profile for '{gpu}': pass --hw with a profile (a .toml path works)")
    profile = load_profile(key)
    began = time.perf_counter()
    print(f"{gpu} against the {key} profile; torch {torch.__version__}, CUDA {torch.version.cuda}")
    print(f"{'kernel':<34} {'predicted µs':>13} {'measured µs':>12} {'measured/predicted':>19}")
    points = []
    for name, source, dtype, build in cases(opts.quick):
        predicted = predict(source, profile, dtype)
        try:
            measured = measure(build())
        except torch.cuda.OutOfMemoryError:
            print(f"{name:<34} {predicted * 1e6:>13.1f} {'out of memory':>12}")
            torch.cuda.empty_cache()
            continue
        finally:
            torch.cuda.empty_cache()
        ratio = measured / predicted
        points.append({"kernel": name, "dtype": dtype, "predicted_s": predicted, "measured_s": measured, "ratio": ratio})
        print(f"{name:<34} {predicted * 1e6:>13.1f} {measured * 1e6:>12.1f} {ratio:>19.2f}")
    within = sum(0.75 <= p["ratio"] <= 1.25 for p in points)
    logs = [abs(math.log(p["ratio"])) for p in points]
    print(f"{within} of {len(points)} points within 25%; median |log ratio| {statistics.median(logs):.3f}; "
          f"{time.perf_counter() - began:.0f} s")
    if opts.json:
        Path(opts.json).write_text(json.dumps({
            "gpu": gpu, "profile": key, "date": datetime.date.today().isoformat(), "torch": torch.__version__,
            "cuda": torch.version.cuda, "python": platform.python_version(), "points": points}, indent=2) + "\n")
        print(f"wrote {opts.json}")


if __name__ == "__main__":
    main()
