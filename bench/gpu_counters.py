"""Hardware counters of PyTorch's row and element-wise kernels, one call each: run it under Nsight Compute.

    ncu --clock-control none --csv --section SpeedOfLight --section Occupancy --section InstructionStats \\
        --section LaunchStats --section WarpStateStats python3 bench/gpu_counters.py > counters.csv
    ncu ... python3 bench/gpu_counters.py softmax      # the softmax kernels alone

The instructions each kernel executes per value, the share of issue slots it keeps busy and the
occupancy it reaches say what bounds it where the bytes do not (``docs/cost.md``, "Softmax
kernels"). Each input holds 2^25 values, several times the L2, so the counters are the steady state's.
"""
import sys

import torch
import torch.nn.functional as F

VALUES = 2 ** 25
SOFTMAX = [(w, torch.float16) for w in (1024, 2048, 4096, 8192, 16384, 32768)] + [(4096, torch.float32)]
OTHERS = {  # name -> (row, dtype, call)
    "gelu": (8192, torch.float16, lambda s, w, b: F.gelu(s)),
    "gelu tanh": (8192, torch.float16, lambda s, w, b: F.gelu(s, approximate="tanh")),
    "silu": (8192, torch.bfloat16, lambda s, w, b: F.silu(s)),
    "layernorm": (4096, torch.bfloat16, lambda s, w, b: F.layer_norm(s, (s.shape[1],), w, b)),
    "rmsnorm": (4096, torch.bfloat16, lambda s, w, b: F.rms_norm(s, (s.shape[1],), w)),
    "rmsnorm 8192": (8192, torch.bfloat16, lambda s, w, b: F.rms_norm(s, (s.shape[1],), w)),
    "layernorm fp32": (4096, torch.float32, lambda s, w, b: F.layer_norm(s, (s.shape[1],), w, b)),
    "gelu fp32": (8192, torch.float32, lambda s, w, b: F.gelu(s)),
}

which = sys.argv[1:] or ["softmax", *OTHERS]
if "softmax" in which:
    for width, dtype in SOFTMAX:
        S = torch.randn(VALUES // width, width, device="cuda", dtype=dtype)
        torch.softmax(S, dim=-1)
        torch.cuda.synchronize()
        print(f"softmax {S.shape[0]}x{width} {dtype}", flush=True)
for name in (n for n in OTHERS if n in which):
    row, dtype, call = OTHERS[name]
    S = torch.randn(VALUES // row, row, device="cuda", dtype=dtype)
    weight, bias = torch.ones(row, device="cuda", dtype=dtype), torch.zeros(row, device="cuda", dtype=dtype)
    call(S, weight, bias)
    torch.cuda.synchronize()
    print(f"{name} {S.shape[0]}x{row} {dtype}", flush=True)
