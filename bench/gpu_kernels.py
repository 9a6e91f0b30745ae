"""Predicted (``ncd cost``) against measured times on an NVIDIA GPU: one prepared run.

Times, with CUDA events (median of repeated calls after a warm-up), the kernels the
cost model is judged on, and prints each beside the model's prediction for the same
diagram on the profile of this GPU:

* bf16 matmuls of several shapes (square, tall-skinny, small);
* memory-bound kernels: a ReLU, a row softmax;
* forward attention at fp16, batch 16, 8 heads, d = 64, N = 128 ... 16k: unfused
  (QK^T, softmax, PV in eager PyTorch, the scale folded into K) and fused
  (PyTorch SDPA's FlashAttention backend), each with and without a causal mask;
* the unfused kernel's three phases alone at N = 1k and 4k, so that errors of the
  phases cannot cancel unseen.

Before them it measures the profile's constants one by one (printed beside the
profile's values, not compared with a target): the copy bandwidth of HBM, the GPU
time of a tiny kernel, the host time of an eager call and the ``exp2`` rate of the
special-function units (a Triton kernel, where Triton is installed).

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

try:  # Triton measures the special-function rate; the run does without it
    import triton
    import triton.language as tl

    @triton.jit
    def exp2_chain(x_ptr, steps: tl.constexpr, block: tl.constexpr):
        # ``steps`` dependent exp2 per value: many warps keep the special-function units busy
        offsets = tl.program_id(0) * block + tl.arange(0, block)
        v = tl.load(x_ptr + offsets)
        for _ in range(steps):
            v = tl.exp2(-v)  # stays in (0, 1]: no overflow, no denormals
        tl.store(x_ptr + offsets, v)
except Exception:  # not installed, or a Triton that cannot compile this: the other points still run
    triton = None

MATMULS = [(4096, 4096, 4096), (8192, 8192, 8192), (16384, 1024, 4096), (1024, 1024, 1024), (65536, 128, 4096)]
ATTENTION_N = [128, 256, 512, 1024, 2048, 4096, 8192, 16384]
UNFUSED_MAX_N = 8192  # 16 x 8 x N^2 fp16 scores: 16k would need 34 GB for S and P
SOFTMAX_WIDTHS = [(w, "fp16") for w in (1024, 2048, 4096, 8192, 16384, 32768)] + [(4096, "fp32"), (8192, "fp32")]
# Row lengths and dtypes the model's softmax counts were not measured at: each side of the dispatch's thresholds
SOFTMAX_NEW_WIDTHS = [(w, "fp16") for w in (1536, 3072, 5120, 6144, 9216, 12288, 24576)] + [(4096, "bf16"), (1024, "fp32"), (2048, "fp32")]
ATTENTION_D128_N = [1024, 2048, 4096]  # head dimension 128: other GEMM shapes, the same softmax rows
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
    for n in [] if quick else ATTENTION_D128_N:
        for causal in (False, True):
            def unfused128(n=n, causal=causal):
                Q, K, V = (rand(16, 8, n, 128, dtype=torch.float16) for _ in range(3))
                K = K * 128 ** -0.5
                hidden = ~torch.ones(n, n, dtype=torch.bool, device="cuda").tril() if causal else None

                def call():
                    S = Q @ K.transpose(-1, -2)
                    if hidden is not None:
                        S = S.masked_fill(hidden, float("-inf"))
                    return torch.softmax(S, dim=-1) @ V
                return call

            def fused128(n=n, causal=causal):
                Q, K, V = (rand(16, 8, n, 128, dtype=torch.float16) for _ in range(3))

                def call():
                    with sdpa_kernel(SDPBackend.FLASH_ATTENTION):
                        return F.scaled_dot_product_attention(Q, K, V, is_causal=causal)
                return call
            tag = f"attention N={n} d=128{' causal' if causal else ''}"
            yield f"{tag} unfused", attention_source(n, False, causal, d=128), "fp16", unfused128
            yield f"{tag} fused", attention_source(n, True, causal, d=128), "fp16", fused128
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


def measure(fn, budget_s: float = 0.5) -> tuple[float, float]:
    """Median seconds of ``fn()`` twice, at most ``budget_s`` each, after a warm-up: *isolated*, CUDA events around
    one call after the GPU went idle (so the host's launch of it is inside), and *in a stream*, events around calls
    issued back to back (eager PyTorch running ahead of the GPU, as the model assumes), per call."""
    import torch

    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    event = lambda: torch.cuda.Event(enable_timing=True)  # noqa: E731
    isolated, began = [], time.perf_counter()
    while len(isolated) < 100 and (len(isolated) < 5 or time.perf_counter() - began < budget_s):
        start, end = event(), event()
        start.record()
        fn()
        end.record()
        torch.cuda.synchronize()
        isolated.append(start.elapsed_time(end) / 1e3)
    calls = max(1, min(200, math.ceil(2e-3 / statistics.median(isolated))))  # batches of about 2 ms of work
    stream, began = [], time.perf_counter()
    while len(stream) < 50 and (len(stream) < 5 or time.perf_counter() - began < budget_s):
        start, end = event(), event()
        start.record()
        for _ in range(calls):
            fn()
        end.record()
        torch.cuda.synchronize()
        stream.append(start.elapsed_time(end) / 1e3 / calls)
    return statistics.median(isolated), statistics.median(stream)


def launches(fn) -> list[dict]:
    """The kernels one call of ``fn`` launches, with the launch configuration the CUDA profiler records
    (name, grid, block, registers per thread, shared memory, CTAs per SM, estimated occupancy, duration)."""
    import tempfile

    import torch
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        fn()
        torch.cuda.synchronize()
    with tempfile.NamedTemporaryFile(suffix=".json") as trace:
        prof.export_chrome_trace(trace.name)
        events = json.loads(Path(trace.name).read_text())["traceEvents"]
    keep = ("grid", "block", "registers per thread", "shared memory", "blocks per SM", "warps per SM",
            "est. achieved occupancy %")
    return [{"name": e["name"][:160], "us": e.get("dur"), **{k: e["args"][k] for k in keep if k in e.get("args", {})}}
            for e in events if e.get("cat") == "kernel"]


class Clocks:
    """The SM clock (MHz) and board power (W) every 20 ms, through NVML, tagged with the point being measured."""

    def __init__(self):
        import threading

        import pynvml

        pynvml.nvmlInit()
        self.nvml, self.handle, self.tag, self.samples = pynvml, pynvml.nvmlDeviceGetHandleByIndex(0), None, []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop.wait(0.02):
            if self.tag is not None:
                clock = self.nvml.nvmlDeviceGetClockInfo(self.handle, self.nvml.NVML_CLOCK_SM)
                power = self.nvml.nvmlDeviceGetPowerUsage(self.handle) / 1e3
                self.samples.append((self.tag, clock, power))

    def of(self, tag: str) -> dict:
        mine = [(c, w) for t, c, w in self.samples if t == tag]
        if not mine:
            return {}
        return {"sm_mhz_min": min(c for c, _ in mine), "sm_mhz_median": statistics.median(c for c, _ in mine),
                "watts_max": max(w for _, w in mine)}


def constants(profile) -> dict[str, dict[str, float]]:
    """Measure the profile's constants one by one: {name: {"measured": ..., "profile": ..., "unit": ...}}."""
    import torch

    chip, found = profile.chip, {}

    def record(name, unit, stated, how):
        try:
            found[name] = {"measured": how(), "profile": stated, "unit": unit}
        except Exception as error:  # one failed micro-benchmark must not lose the run
            found[name] = {"error": f"{type(error).__name__}: {error}", "profile": stated, "unit": unit}
        got = found[name].get("measured")
        print(f"  {name:<26} measured {f'{got:.4g}' if got is not None else found[name]['error']:<10} "
              f"profile {stated:.4g} {unit}")

    def copy_bandwidth():
        x = torch.empty(2 ** 31, dtype=torch.uint8, device="cuda")
        y = torch.empty_like(x)
        return 2 * x.numel() / measure(lambda: y.copy_(x))[1] / 1e9

    def tiny_kernel():
        x = torch.zeros(1, device="cuda")
        return measure(lambda: x.add_(1))[0] * 1e6

    def host_call():
        x = torch.zeros(1, device="cuda")
        for _ in range(100):
            x.add_(1)
        torch.cuda.synchronize()
        began = time.perf_counter()
        for _ in range(2000):
            x.add_(1)
        spent = time.perf_counter() - began
        torch.cuda.synchronize()
        return spent / 2000 * 1e6

    def exp2_rate():
        if triton is None:
            raise RuntimeError("Triton is not installed")
        block, steps = 1024, 2048
        x = torch.rand(2 ** 22, device="cuda")
        seconds = measure(lambda: exp2_chain[(x.numel() // block,)](x, steps, block))[1]
        return x.numel() * steps / seconds / 1e12

    print("the profile's constants, measured:")
    record("HBM copy (read + write)", "GB/s", profile.hbm_bandwidth * chip.hbm_efficiency / 1e9, copy_bandwidth)
    record("tiny kernel, GPU time", "µs", chip.kernel_overhead * 1e6, tiny_kernel)
    record("eager call, host time", "µs", chip.framework_overhead * 1e6, host_call)
    record("exp2 (special functions)", "T/s", chip.sfu_lanes * chip.sms * chip.clock / 1e12, exp2_rate)
    return found


def replay(path: Path, hw: str | None) -> None:
    """Print the model's predictions today beside the times measured in ``path`` (a ``--json`` file)."""
    run = json.loads(path.read_text())
    profile = load_profile(hw or run["profile"])
    sources = {name: (source, dtype) for name, source, dtype, _ in cases(quick=False)}
    print(f"{run['gpu']} on {run['date']} (torch {run['torch']}), against the {hw or run['profile']} profile today")
    print(f"{'kernel':<34} {'predicted µs':>13} {'measured µs':>12} {'measured/predicted':>19}")
    ratios = []
    for point in run["points"]:
        if point["kernel"] not in sources:
            continue
        source, dtype = sources[point["kernel"]]
        predicted = predict(source, profile, dtype)
        ratios.append((point["kernel"], point["measured_s"] / predicted))
        print(f"{point['kernel']:<34} {predicted * 1e6:>13.1f} {point['measured_s'] * 1e6:>12.1f} {ratios[-1][1]:>19.2f}")
    big = [r for name, r in ratios if "attention" in name and "phase" not in name and int(name.split("N=")[1].split()[0]) >= 1024]
    print(f"{sum(0.75 <= r <= 1.25 for _, r in ratios)} of {len(ratios)} points within 25%; attention at N >= 1k: "
          f"{sum(0.75 <= r <= 1.25 for r in big)} of {len(big)}, median {statistics.median(big):.2f}")


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--hw", default=None, help="profile (default: from the GPU's name)")
    args.add_argument("--quick", action="store_true", help="fewer points: under a minute")
    args.add_argument("--json", default=None, help="also write every point to this file")
    args.add_argument("--dry-run", action="store_true", help="predictions only, no GPU")
    args.add_argument("--launches", action="store_true", help="also record each point's kernels and launch configuration")
    args.add_argument("--replay", default=None, metavar="FILE",
                      help="no GPU: today's predictions beside the times a --json FILE of an earlier run measured")
    opts = args.parse_args()
    if opts.replay:
        return replay(Path(opts.replay), opts.hw)
    if opts.dry_run:
        profile = load_profile(opts.hw or "a100-80gb")
        for n in ATTENTION_N:
            for causal in (False, True):
                times = [predict(attention_source(n, f, causal), profile, "fp16") * 1e3 for f in (False, True)]
                print(f"attention N={n:<6}{' causal' if causal else '       '} unfused {times[0]:9.3f} ms  fused {times[1]:9.3f} ms")
        for n in (1024, 4096):
            for phase, source in phase_sources(n).items():
                print(f"attention N={n} phase {phase:<8} {predict(source, profile, 'fp16') * 1e3:9.3f} ms")
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
    found = constants(profile)
    try:
        clocks = Clocks()
    except Exception as error:  # no NVML: the points are still measured
        print(f"no clock readings: {type(error).__name__}: {error}")
        clocks = None
    print(f"{'kernel':<34} {'predicted µs':>13} {'isolated µs':>12} {'stream µs':>10} {'stream/predicted':>17}")
    points = []
    for name, source, dtype, build in cases(opts.quick):
        predicted = predict(source, profile, dtype)
        try:
            call = build()
            if clocks:
                clocks.tag = name
            isolated, measured = measure(call)
            try:
                kernels = launches(call) if opts.launches else []
            except Exception as error:  # the profiler is a help, not the point
                kernels = [{"error": f"{type(error).__name__}: {error}"}]
        except torch.cuda.OutOfMemoryError:
            print(f"{name:<34} {predicted * 1e6:>13.1f} {'out of memory':>12}")
            continue
        finally:
            call = None
            if clocks:
                clocks.tag = None
            torch.cuda.empty_cache()
        ratio = measured / predicted
        points.append({"kernel": name, "dtype": dtype, "predicted_s": predicted, "measured_s": measured,
                       "isolated_s": isolated, "ratio": ratio, **(clocks.of(name) if clocks else {}), "launches": kernels})
        print(f"{name:<34} {predicted * 1e6:>13.1f} {isolated * 1e6:>12.1f} {measured * 1e6:>10.1f} {ratio:>17.2f}")
    within = sum(0.75 <= p["ratio"] <= 1.25 for p in points)
    logs = [abs(math.log(p["ratio"])) for p in points]
    print(f"{within} of {len(points)} points within 25%; median |log ratio| {statistics.median(logs):.3f}; "
          f"{time.perf_counter() - began:.0f} s")
    if opts.json:
        Path(opts.json).write_text(json.dumps({
            "gpu": gpu, "profile": key, "date": datetime.date.today().isoformat(), "torch": torch.__version__,
            "cuda": torch.version.cuda, "python": platform.python_version(), "constants": found, "points": points}, indent=2) + "\n")
        print(f"wrote {opts.json}")


if __name__ == "__main__":
    main()
