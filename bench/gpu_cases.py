"""What bench/gpu_kernels.py measures: every point as a name, its diagram (ncd source), its dtype and a
builder that makes the tensors on the GPU and returns the call to time; and the model's prediction
for a diagram. Building a point needs torch with CUDA; naming it and predicting it do not.

>>> from ncd_render.cost import load_profile
>>> round(predict(matmul_source(4096, 4096, 4096), load_profile("a100-80gb"), "bf16") * 1e6)  # µs
550
"""
from __future__ import annotations

from ncd_render.api import load_text
from ncd_render.cost import analyse

MATMULS = [(4096, 4096, 4096), (8192, 8192, 8192), (16384, 1024, 4096), (1024, 1024, 1024), (65536, 128, 4096)]
ATTENTION_N = [128, 256, 512, 1024, 2048, 4096, 8192, 16384]
UNFUSED_MAX_N = 8192  # 16 x 8 x N^2 fp16 scores: 16k would need 34 GB for S and P
SOFTMAX_WIDTHS = [(w, "fp16") for w in (1024, 2048, 4096, 8192, 16384, 32768)] + [(4096, "fp32"), (8192, "fp32")]
# Row lengths and dtypes the model's softmax counts were not measured at: each side of the dispatch's thresholds
SOFTMAX_NEW_WIDTHS = [(w, "fp16") for w in (1536, 3072, 5120, 6144, 9216, 12288, 24576)] + [(4096, "bf16"), (1024, "fp32"), (2048, "fp32")]
ATTENTION_D128_N = [1024, 2048, 4096]  # head dimension 128: other GEMM shapes, the same softmax rows
KEYS = [128, 256, 512, 1024, 2048, 4096]  # fused attention over 4096 queries: per-CTA costs are what is left at few keys
# The other memory-bound kernels of a transformer, PyTorch's own: (box, rows, row, dtype)
OTHER_KERNELS = [("gelu(S)", 16384, 8192, "fp16"), ("gelu(S) with approximate=tanh", 16384, 8192, "fp16"),
                 ("silu(S)", 16384, 8192, "bf16"), ("layernorm(S: x) with affine", 32768, 4096, "bf16"),
                 ("layernorm(S: x) with affine", 16384, 8192, "bf16"), ("rmsnorm(S: x) with affine", 32768, 4096, "bf16"),
                 ("rmsnorm(S: x) with affine", 16384, 8192, "bf16")]


def matmul_source(m: int, n: int, k: int) -> str:
    return f"axis a = {m}\naxis c = {n}\naxis b = {k}\ninput A[a b], B[b c]\nC = einsum(A, B: a b, b c -> a c)\noutput C\n"


def elementwise_source(rows: int, cols: int, box: str) -> str:
    return f"axis y = {rows}\naxis x = {cols}\ninput S[y x]\nP = {box}\noutput P\n"


def attention_source(n: int, fused: bool, causal: bool, b: int = 16, h: int = 8, d: int = 64, keys: int | None = None) -> str:
    mask = "S = mask(S: y x) with causal\n" if causal else ""
    body = (f"S = einsum(Q, K: b h y k, b h x k -> b h y x)\n{mask}P = softmax(S: x)\n"
            "O = einsum(P, V: b h y x, b h x k -> b h y k)\n")
    if fused:
        body = f'section "attention" fused\n{body}end\n'
    return (f"axis b = {b}\naxis h = {h}\naxis y = {n}\naxis x = {keys or n}\naxis k = {d}\n"
            f"input Q[b h y k], K[b h x k], V[b h x k]\n{body}output O\n")


def phase_sources(n: int, b: int = 16, h: int = 8, d: int = 64) -> dict[str, str]:
    """The unfused kernel's phases as diagrams of one box each."""
    axes = f"axis b = {b}\naxis h = {h}\naxis y = {n}\naxis x = {n}\naxis k = {d}\n"
    return {
        "QK^T": axes + "input Q[b h y k], K[b h x k]\nS = einsum(Q, K: b h y k, b h x k -> b h y x)\noutput S\n",
        "softmax": axes + "input S[b h y x]\nP = softmax(S: x)\noutput P\n",
        "PV": axes + "input P[b h y x], V[b h x k]\nO = einsum(P, V: b h y x, b h x k -> b h y k)\noutput O\n",
    }


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
    for width, dtype in [] if quick else SOFTMAX_WIDTHS + SOFTMAX_NEW_WIDTHS:
        def build(width=width, dtype=dtype):
            S = rand(2 ** 27 // width, width, dtype=getattr(torch, {"fp16": "float16", "bf16": "bfloat16", "fp32": "float32"}[dtype]))
            return lambda: torch.softmax(S, dim=-1)
        yield f"softmax {2 ** 27 // width}x{width} {dtype}", elementwise_source(2 ** 27 // width, width, "softmax(S: x)"), dtype, build
    def eager(n, causal, d):  # QK^T, the mask, softmax, PV in eager PyTorch, the scale folded into K (as published)
        Q, K, V = (rand(16, 8, n, d, dtype=torch.float16) for _ in range(3))
        K = K * d ** -0.5
        hidden = ~torch.ones(n, n, dtype=torch.bool, device="cuda").tril() if causal else None

        def call():
            S = Q @ K.transpose(-1, -2)
            if hidden is not None:
                S = S.masked_fill(hidden, float("-inf"))
            return torch.softmax(S, dim=-1) @ V
        return call

    def sdpa(n, causal, d, keys=None):  # PyTorch SDPA's FlashAttention backend
        Q = rand(16, 8, n, d, dtype=torch.float16)
        K, V = (rand(16, 8, keys or n, d, dtype=torch.float16) for _ in range(2))

        def call():
            with sdpa_kernel(SDPBackend.FLASH_ATTENTION):
                return F.scaled_dot_product_attention(Q, K, V, is_causal=causal)
        return call

    for n in ATTENTION_N[::2] if quick else ATTENTION_N:
        for causal in (False, True):
            tag = f"attention N={n}{' causal' if causal else ''}"
            if n <= UNFUSED_MAX_N:
                yield f"{tag} unfused", attention_source(n, False, causal), "fp16", lambda n=n, c=causal: eager(n, c, 64)
            yield f"{tag} fused", attention_source(n, True, causal), "fp16", lambda n=n, c=causal: sdpa(n, c, 64)
    for box, rows, row, dtype in [] if quick else OTHER_KERNELS:
        def build(box=box, rows=rows, row=row, dtype=dtype):
            S = rand(rows, row, dtype=torch.bfloat16 if dtype == "bf16" else torch.float16)
            weight, bias = torch.ones(row, device="cuda", dtype=S.dtype), torch.zeros(row, device="cuda", dtype=S.dtype)
            return {"gelu(S)": lambda: F.gelu(S), "gelu(S) with approximate=tanh": lambda: F.gelu(S, approximate="tanh"),
                    "silu(S)": lambda: F.silu(S), "layernorm(S: x) with affine": lambda: F.layer_norm(S, (row,), weight, bias),
                    "rmsnorm(S: x) with affine": lambda: F.rms_norm(S, (row,), weight)}[box]
        yield f"{box.split(' with')[0].split('(')[0]}{' tanh' if 'tanh' in box else ''} {rows}x{row} {dtype}", \
            elementwise_source(rows, row, box), dtype, build
    for n in [] if quick else ATTENTION_D128_N:
        for causal in (False, True):
            tag = f"attention N={n} d=128{' causal' if causal else ''}"
            yield f"{tag} unfused", attention_source(n, False, causal, d=128), "fp16", lambda n=n, c=causal: eager(n, c, 128)
            yield f"{tag} fused", attention_source(n, True, causal, d=128), "fp16", lambda n=n, c=causal: sdpa(n, c, 128)
    for d in [] if quick else (64, 128):
        for keys in KEYS:
            yield (f"fused attention 4096 queries x {keys} keys d={d}", attention_source(4096, True, False, d=d, keys=keys), "fp16",
                   lambda d=d, keys=keys: sdpa(4096, False, d, keys))
    if not quick:
        def masked(n=4096):
            S = rand(16, 8, n, n, dtype=torch.float16)
            hidden = ~torch.ones(n, n, dtype=torch.bool, device="cuda").tril()
            return lambda: S.masked_fill(hidden, float("-inf"))
        mask_source = "axis b = 16\naxis h = 8\naxis y = 4096\naxis x = 4096\ninput S[b h y x]\nT = mask(S: y x) with causal\noutput T\n"
        yield "causal mask 16x8x4096x4096", mask_source, "fp16", masked
    for n in (1024, 4096):
        calls = {"QK^T": lambda t: t[0] @ t[1].transpose(-1, -2), "softmax": lambda t: torch.softmax(t[2], dim=-1),
                 "PV": lambda t: t[2] @ t[1]}
        for phase, source in phase_sources(n).items():
            def build(n=n, call=calls[phase]):
                t = (rand(16, 8, n, 64, dtype=torch.float16), rand(16, 8, n, 64, dtype=torch.float16),
                     rand(16, 8, n, n, dtype=torch.float16))
                return lambda: call(t)
            yield f"attention N={n} phase {phase}", source, "fp16", build

