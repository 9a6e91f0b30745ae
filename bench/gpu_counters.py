"""Hardware counters of PyTorch's softmax kernels, one call per row length: run it under Nsight Compute.

    ncu --clock-control none --csv --kernel-name regex:"[Ss]oft[Mm]ax" \\
        --metrics sm__inst_executed.sum,smsp__issue_active.avg.pct_of_peak_sustained_active,\\
    sm__warps_active.avg.pct_of_peak_sustained_active,dram__bytes.sum,gpu__time_duration.sum \\
        python3 bench/gpu_softmax_counters.py > softmax-counters.csv

The instructions each kernel executes per element, the share of issue slots it keeps busy and the
occupancy it reaches say what bounds it where the bytes do not (``docs/cost.md``, "Checking the model
on a GPU"). Each input holds 2^25 values, several times the L2, so the counters are the steady state's.
"""
import torch

for width, dtype in [(w, torch.float16) for w in (1024, 2048, 4096, 8192, 16384, 32768)] + [(4096, torch.float32)]:
    S = torch.randn(2 ** 25 // width, width, device="cuda", dtype=dtype)
    torch.softmax(S, dim=-1)
    torch.cuda.synchronize()
    print(f"softmax {S.shape[0]}x{width} {dtype}", flush=True)
