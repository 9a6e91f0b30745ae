"""Predicted (``ncd cost``) against measured times on an NVIDIA GPU.

Times four workloads with CUDA events and prints them beside the cost model's
prediction for the same diagram: a square matmul, a row softmax, attention as
four kernels (gallery/sdpa.ncd) and attention as one fused kernel
(gallery/flash_attention.ncd, measured with PyTorch's FlashAttention backend).
Needs torch with CUDA; the tests never run it.

    python bench/gpu_kernels.py --hw a100-80gb --dtype bf16 --n 4096 --d 64
"""
from __future__ import annotations

import argparse
from pathlib import Path

from ncd_render.cost import analyse, load_profile
from ncd_render.ir import build
from ncd_render.parse import parse, parse_file

GALLERY = Path(__file__).resolve().parents[1] / "gallery"
MATMUL = "axis a = 8\naxis b = 8\naxis c = 8\ninput A[a b], B[b c]\nC = einsum(A, B: a b, b c -> a c)\noutput C\n"
SOFTMAX = "axis y = 8\naxis x = 8\ninput S[y x]\nP = softmax(S: x)\noutput P\n"


def measure(fn, repeats: int = 50) -> float:
    """Median seconds of ``fn()`` on the current CUDA stream, after a warm-up."""
    import torch

    for _ in range(5):
        fn()
    times = []
    for _ in range(repeats):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end) / 1e3)
    return sorted(times)[len(times) // 2]


def main() -> None:
    import torch
    import torch.nn.functional as F
    from torch.nn.attention import SDPBackend, sdpa_kernel

    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--hw", default="a100-80gb")
    args.add_argument("--dtype", default="bf16", choices=["fp32", "tf32", "bf16", "fp16"])
    args.add_argument("--n", type=int, default=4096, help="matmul size, softmax rows and columns, sequence length")
    args.add_argument("--d", type=int, default=64, help="attention head depth")
    opts = args.parse_args()
    if not torch.cuda.is_available():
        raise SystemExit("this benchmark needs an NVIDIA GPU with CUDA")
    torch.backends.cuda.matmul.allow_tf32 = opts.dtype == "tf32"
    dtype = {"fp32": torch.float32, "tf32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[opts.dtype]
    profile = load_profile(opts.hw)
    n, d = opts.n, opts.d
    rand = lambda *shape: torch.randn(*shape, device="cuda", dtype=dtype)  # noqa: E731
    A, B, S = rand(n, n), rand(n, n), rand(n, n)
    Q, K, V = rand(n, d), rand(n, d), rand(n, d)

    def unfused():
        return (torch.softmax((Q @ K.T) * d ** -0.5, dim=-1)) @ V

    def fused():
        with sdpa_kernel(SDPBackend.FLASH_ATTENTION):
            return F.scaled_dot_product_attention(Q[None, None], K[None, None], V[None, None])

    attention = {"y": n, "x": n, "k": d, "v": d}
    cases = [
        ("matmul", parse(MATMUL), {"a": n, "b": n, "c": n}, lambda: A @ B),
        ("softmax", parse(SOFTMAX), {"y": n, "x": n}, lambda: torch.softmax(S, dim=-1)),
        ("attention, unfused", parse_file(GALLERY / "sdpa.ncd"), attention, unfused),
        ("attention, fused", parse_file(GALLERY / "flash_attention.ncd"), attention, fused),
    ]
    print(f"{torch.cuda.get_device_name()} against the {opts.hw} profile, {opts.dtype}, n={n} d={d}")
    print(f"{'workload':<20} {'predicted µs':>13} {'measured µs':>12} {'ratio':>6}")
    for name, program, sizes, fn in cases:
        predicted = analyse(build(program, sizes=sizes), profile, opts.dtype).time
        measured = measure(fn)
        print(f"{name:<20} {predicted * 1e6:>13.1f} {measured * 1e6:>12.1f} {measured / predicted:>6.2f}")


if __name__ == "__main__":
    main()
