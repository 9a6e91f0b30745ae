"""Predicted (``ncd cost``) against measured times on an NVIDIA GPU: one prepared run.

Times, with CUDA events (the median of repeated calls after a warm-up, one call after the GPU
went idle and calls issued back to back), every point of :mod:`gpu_cases` and prints each beside
the model's prediction for the same diagram on the profile of this GPU:

* bf16 matmuls of several shapes (square, tall-skinny, small);
* memory-bound kernels: a ReLU, a softmax sweep over row lengths and dtypes, GELU, SiLU, the
  layer norm and RMSNorm;
* forward attention at fp16, batch 16, 8 heads, d = 64 (N = 128 ... 16k) and d = 128 (1k-4k):
  unfused (QK^T, softmax, PV in eager PyTorch, the scale folded into K) and fused (PyTorch
  SDPA's FlashAttention backend), each with and without a causal mask; the mask alone;
* the unfused kernel's three phases alone at N = 1k and 4k, so that errors of the
  phases cannot cancel unseen.

Before them it measures the profile's constants one by one (printed beside the
profile's values, not compared with a target): the copy bandwidth of HBM, the GPU
time of a tiny kernel, the host time of an eager call and the ``exp2`` rate of the
special-function units (a Triton kernel, where Triton is installed).

It finishes in about a minute on an H200 (``--quick``: fewer points). ``--json FILE`` also
writes every point with the GPU's name, the date and the software versions, for committing
under bench/data/; ``--launches`` adds each point's kernels with their launch configuration
and the SM clock. ``--dry-run`` prints predictions alone and ``--replay FILE`` today's
predictions beside a committed run's times: neither needs a GPU.

    python bench/gpu_kernels.py --launches --json bench/data/measured-h100.json
    python bench/gpu_kernels.py --replay bench/data/measured-h200-2026-12-04.json
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

from gpu_cases import ATTENTION_N, MATMULS, attention_source, cases, matmul_source, phase_sources, predict
from ncd_render.cost import load_profile

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

PROFILES = {"A100-SXM4-40GB": "a100-40gb", "A100-SXM4-80GB": "a100-80gb", "A100 80GB": "a100-80gb", "H100": "h100-sxm", "H200": "h200-sxm"}


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
    big = [r for name, r in ratios if name.startswith("attention") and "phase" not in name and int(name.split("N=")[1].split()[0]) >= 1024]
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
