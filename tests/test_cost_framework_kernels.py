"""PyTorch's softmax kernels (ncd_render/cost/framework_kernels.py) and the first measurements on a GPU
(bench/data/measured-h200-2026-12-04.json: an H200, PyTorch 2.11, bench/gpu_kernels.py). The dispatch
is read off aten/src/ATen/native/cuda/SoftMax.cu; the times are derived from diagrams and compared
with the measured ones."""
from __future__ import annotations

import csv
import importlib.util
import json
import statistics
from dataclasses import replace
from pathlib import Path

import pytest

from ncd_render.api import load_text
from ncd_render.cost import analyse, load_profile
from ncd_render.cost.chip import with_kernels
from ncd_render.cost.framework_kernels import ISSUE, SINGLE, row_kernel

ROOT = Path(__file__).resolve().parents[1]
MEASURED = json.loads((ROOT / "bench" / "data" / "measured-h200-2026-12-04.json").read_text())
SECOND = json.loads((ROOT / "bench" / "data" / "measured-h200-2026-12-04-second.json").read_text())
THIRD = json.loads((ROOT / "bench" / "data" / "measured-h200-2026-12-04-third.json").read_text())
SOFTMAX = "axis a = {rows}\naxis b = {row}\ninput X[a b]\nY = softmax(X: b)\noutput Y\n"


@pytest.mark.parametrize("row, itemsize, dispatch, kernel", [
    (1024, 2, "three-pass", "warp"), (1025, 2, "three-pass", "three-pass"), (1024, 4, "three-pass", "warp"),
    (2048, 4, "three-pass", "three-pass"), (1032, 2, "row-on-chip", "shared"), (24504, 2, "row-on-chip", "shared"),
    (24512, 2, "row-on-chip", "three-pass"), (2050, 2, "row-on-chip", "three-pass"),  # not whole 16-byte vectors
    (2048, 2, "registers", "warp"), (2048, 4, "registers", "warp"), (4096, 1, "registers", "registers"),
    (2049, 2, "registers", "registers"), (9216, 2, "registers", "registers"), (9224, 2, "registers", "shared"), (9217, 2, "registers", "three-pass"),
    (65536, 2, "registers", "three-pass"), (1024, 2, "one-pass", "one-pass"),
])
def test_each_release_runs_the_kernel_its_source_picks_for_a_row(row, itemsize, dispatch, kernel):
    """A warp per row up to 1024 values and 4 KB (2048 and 8 KB in 2.11); 2.11's register kernel while a 1024-thread
    CTA holds fewer than 10 values per thread; shared memory while the row fits 48 KB less a float per warp and is whole
    16-byte vectors; three reads beyond."""
    assert row_kernel(row, itemsize, dispatch) == kernel


def _softmax(rows: int, row: int, hw, dtype="fp16"):
    (kernel,) = analyse(load_text(SOFTMAX.format(rows=rows, row=row)).diagram, hw, dtype).kernels
    return kernel


def test_the_register_kernel_is_paced_by_instruction_issue_not_bytes():
    """Rows of 4096 fp16 values on an H200: 2^27 values x 2.484 warp instructions over 4 schedulers x 132 SMs at
    1.83 GHz, 75% busy: 3.4x the time its 537 MB take at 0.85 x 4.8 TB/s; rows of 16384 (shared memory) 2x."""
    h200 = load_profile("h200-sxm")
    reg = _softmax(32768, 4096, h200)
    issue = 2 ** 27 * 2.484 / (4 * 132 * 1.83e9 * 0.75)
    assert reg.detail["framework_kernel"] == "registers" and reg.bound == "compute"
    assert reg.compute_time == pytest.approx(issue, rel=1e-3)
    assert reg.memory_time == pytest.approx(2 ** 28 * 2 / (0.85 * 4.8e12), rel=1e-3)
    shared = _softmax(8192, 16384, h200)
    assert shared.detail["framework_kernel"] == "shared" and shared.compute_time == pytest.approx(2 * shared.memory_time, rel=0.05)
    older = _softmax(32768, 4096, replace(h200, chip=with_kernels(h200.chip, softmax="one-pass")))
    assert "framework_kernel" not in older.detail and older.bound == "memory"  # a kernel at the bandwidth's pace


def test_fewer_schedulers_per_byte_bind_less_the_a100_softmax_at_1024_stays_bandwidth_bound():
    """The A100 issues 4 x 108 x 1.41 G warp instructions per second against 1.73 TB/s: the warp kernel's 1.23 per
    value at 74% busy takes 2.7 ps a value, its 4 bytes 2.3 ps; on the H200 the issue takes 1.7 ps, the bytes 1.0."""
    a100, h200 = _softmax(131072, 1024, load_profile("a100-80gb")), _softmax(131072, 1024, load_profile("h200-sxm"))
    per_value = 1.230 / (4 * 108 * 1.41e9 * 0.744)
    assert a100.compute_time == pytest.approx(2 ** 27 * per_value, rel=1e-3)
    assert a100.compute_time / a100.memory_time == pytest.approx(per_value / (4 / (0.85 * 2.039e12)), rel=1e-2)
    assert h200.bound == "compute" and h200.compute_time == pytest.approx(1.75 * h200.memory_time, rel=0.01)


def _counters(name: str) -> list[dict[str, str]]:
    """One {metric name: value} per kernel of a committed Nsight Compute CSV (bench/data/NAME), thousands unseparated."""
    per_kernel = {}
    for r in csv.DictReader((ROOT / "bench" / "data" / name).open()):
        per_kernel.setdefault(r["ID"], {})[r["Metric Name"]] = r["Metric Value"].replace(",", "")
    return list(per_kernel.values())


def test_the_issue_table_cites_counters_that_are_in_the_committed_csv():
    """Each row of ISSUE is Executed Instructions / 2^25 values and Issue Slots Busy of one kernel in the counters
    Nsight Compute wrote on the H200 (bench/data/h200-softmax-counters-2026-12-04.csv)."""
    counted = [(float(m["Executed Instructions"]) / 2 ** 25, float(m["Issue Slots Busy"]) / 100)
               for m in _counters("h200-softmax-counters-2026-12-04.csv")]
    for per_value, busy in ISSUE.values():  # as written, to three places
        assert any(abs(per_value - c) < 6e-4 and abs(busy - b) < 6e-4 for c, b in counted), (per_value, busy)


def _gpu_cases():
    spec = importlib.util.spec_from_file_location("gpu_cases", ROOT / "bench" / "gpu_cases.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _ratios(run) -> dict[str, float]:
    bench = _gpu_cases()
    h200 = load_profile("h200-sxm")
    sources = {name: (source, dtype) for name, source, dtype, _ in bench.cases(quick=False)}
    return {p["kernel"]: p["measured_s"] / bench.predict(sources[p["kernel"]][0], h200, sources[p["kernel"]][1])
            for p in run["points"]}


def _at_least_1k(ratio: dict, ending: str) -> dict:
    return {k: r for k, r in ratio.items() if k.startswith("attention") and k.endswith(" " + ending)
            and int(k.split("N=")[1].split()[0]) >= 1024}


def test_the_second_h200_run_new_row_lengths_dtypes_and_head_dimension():
    """The run made after the softmax model (its own predictions are in the file): row lengths and dtypes the counts were
    not measured at, each side of the dispatch's thresholds, run the kernel it names (the launch records) and come within
    15%, rows of 5120 and 6144 since their registers (30, 29: full occupancy) were read off these records (0.74 and
    0.72 before); head dimension 128 and the causal mask alone; causal attention unfused within 25% once the mask's copy
    is counted (1.27-1.41 before)."""
    ratio = _ratios(SECOND)
    kernels = {p["kernel"]: p["launches"][0]["name"] for p in SECOND["points"] if p["kernel"].startswith("softmax")}
    names = {"warp": "softmax_warp_forward", "registers": "cunn_SoftMaxForwardReg", "shared": "cunn_SoftMaxForwardSmem",
             "three-pass": "cunn_SoftMaxForward<"}
    for point, launched in kernels.items():
        rows, width = point.split()[1].split("x")
        dtype = point.split()[2] if len(point.split()) > 2 else "fp16"
        assert names[row_kernel(int(width), 4 if dtype == "fp32" else 2, "registers")] in launched, point
    softmax = {k: r for k, r in ratio.items() if k.startswith("softmax")}
    assert len(softmax) == 19 and all(0.8 <= r <= 1.15 for r in softmax.values()), softmax
    assert 0.75 <= ratio["causal mask 16x8x4096x4096"] <= 1.25
    unfused = _at_least_1k(ratio, "unfused")
    assert len(unfused) == 14 and all(0.75 <= r <= 1.25 for r in unfused.values()), unfused


def test_the_h200_measurements_softmax_within_15_percent_attention_within_25_above_1k():
    """The model today against the H200 run: every softmax of the sweep within 15% (their instruction counts come from
    the same GPU's counters, so this checks the dispatch and the arithmetic, not the counts); fused attention, which
    no constant was taken from, within 25% at N >= 1k; unfused attention within 25% at N >= 1k, with a causal mask
    too."""
    ratio = _ratios(MEASURED)
    assert MEASURED["gpu"] == "NVIDIA H200" and MEASURED["torch"].startswith("2.11")
    softmax = {k: r for k, r in ratio.items() if k.startswith("softmax")}
    assert len(softmax) == 9 and all(0.85 <= r <= 1.15 for r in softmax.values()), softmax
    fused = _at_least_1k(ratio, "fused")
    assert len(fused) == 10 and all(0.75 <= r <= 1.25 for r in fused.values()), fused
    # causal at 1k: 1.49 with CTAs of even work, 1.34 once the busiest SM's share of the uneven CTAs is counted, 1.24
    # once each wave waits for its first tiles
    assert ratio["attention N=1024 causal fused"] < 1.25
    unfused = _at_least_1k(ratio, "unfused")
    assert len(unfused) == 8 and all(0.75 <= r <= 1.25 for r in unfused.values()), unfused
    assert 0.9 <= statistics.median(unfused.values()) <= 1.15


def test_the_third_h200_run_gelu_and_the_layer_norm_are_paced_by_issue_rmsnorm_is_not():
    """GELU (both forms) and the layer norm take their measured instruction counts (bench/data/h200-counters-2026-12-04.csv,
    at 2^25 values) and come within 15% at 2^27 values and at rows twice as long; before, at their bytes' pace, they were
    1.12-1.71. SiLU stays at its bytes' pace (1.04). PyTorch's RMSNorm is held neither by its bytes nor by issue (1.18
    and 1.52 measured/predicted): the one miss of the run's element-wise and norm points, not modelled."""
    ratio = _ratios(THIRD)
    for point in ("gelu 16384x8192 fp16", "gelu tanh 16384x8192 fp16", "layernorm 32768x4096 bf16", "layernorm 16384x8192 bf16"):
        assert 0.84 <= ratio[point] <= 1.15, (point, ratio[point])
    before = {p["kernel"]: p["ratio"] for p in THIRD["points"]}  # the run's own predictions, at the bytes' pace
    assert all(before[k] >= 1.12 for k in ("gelu 16384x8192 fp16", "gelu tanh 16384x8192 fp16", "layernorm 32768x4096 bf16"))
    assert 0.9 <= ratio["silu 16384x8192 bf16"] <= 1.1
    assert ratio["rmsnorm 32768x4096 bf16"] > 1.15 and ratio["rmsnorm 16384x8192 bf16"] > 1.4


def test_every_single_kernel_count_is_in_the_committed_counters():
    """Each row of SINGLE is one kernel of bench/data/h200-counters-2026-12-04.csv: Executed Instructions / 2^25 values,
    and issued instructions over the kernel's cycles (4 schedulers x 132 SMs x its SM frequency x its duration)."""
    counted = []
    for m in _counters("h200-counters-2026-12-04.csv"):
        instructions = float(m["Executed Instructions"])
        cycles = 4 * 132 * float(m["SM Frequency"]) * float(m["Duration"]) * 1e-9
        counted.append((instructions / 2 ** 25, instructions / cycles))
    for per_value, busy in SINGLE.values():
        assert any(abs(per_value - c) < 6e-4 and abs(busy - b) < 6e-4 for c, b in counted), (per_value, busy)


def test_the_fourth_h200_run_fused_attention_over_few_keys_pays_each_waves_first_tiles():
    """4096 queries against 128 ... 4096 keys (bench/data/measured-h200-2026-12-04-fourth.json): the measured time is
    linear in the keys with an intercept of about 3 µs per wave of CTAs, which the model lacked (1.95x at 128 keys,
    d = 64). Each CTA waits for its first tiles before any math, and a wave's CTAs load theirs together: 264 CTAs x 48 KB
    at 0.85 x 4.8 TB/s is 3.1 µs. With that wait, every point within 15%."""
    ratio = _ratios(json.loads((ROOT / "bench" / "data" / "measured-h200-2026-12-04-fourth.json").read_text()))
    swept = {k: r for k, r in ratio.items() if k.startswith("fused attention 4096 queries")}
    before = {p["kernel"]: p["ratio"] for p in json.loads(
        (ROOT / "bench" / "data" / "measured-h200-2026-12-04-fourth.json").read_text())["points"]}
    assert len(swept) == 12 and all(0.85 <= r <= 1.15 for r in swept.values()), swept
    assert before["fused attention 4096 queries x 128 keys d=64"] > 1.9  # the run's own prediction, without the wait
