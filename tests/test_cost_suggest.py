"""``ncd cost --suggest``, ``--apply`` and ``--format json`` as a user runs them: the suggestion
engine rediscovers FlashAttention and the fused convolution from the diagrams."""
import json
import sys
from pathlib import Path

from ncd_render.api import load_text
from ncd_render.cost import analyse, load_profile
from ncd_render.cost.suggest import suggest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cli_runs import cli, ncd, refused  # noqa: E402

GALLERY = Path(__file__).resolve().parents[1] / "gallery"


def test_suggest_rediscovers_flashattention_on_sdpa():
    text = (GALLERY / "sdpa.ncd").read_text()
    plan = suggest(text, "sdpa.ncd", load_profile("a100-80gb"), "bf16", {"y": 4096, "x": 4096})
    (run,) = plan.runs
    lines = text.splitlines()
    assert [lines[i - 1].split("=")[0].strip() for i in range(run.first, run.last + 1)] == ["S", "P", "O"]
    assert run.bytes_after < run.bytes_before / 20 and plan.time_after < plan.time_before
    fused = analyse(load_text(plan.text).diagram, load_profile("a100-80gb"), "bf16")
    (kernel,) = fused.kernels
    assert kernel.kind == "fused" and kernel.plan.roles["x"][0] == "stream"  # keys streamed: the online softmax


def test_suggest_finds_the_fused_convolution():
    text = (GALLERY / "convolution.ncd").read_text()
    plan = suggest(text, "convolution.ncd", load_profile("a100-80gb"), "bf16")
    lines = text.splitlines()
    pairs = [(lines[r.first - 1].strip().split("(")[0], lines[r.last - 1].strip().split("(")[0]) for r in plan.runs]
    assert ("B = unfold", "Y = linear") in pairs
    conv = next(r for r, p in zip(plan.runs, pairs) if p == ("B = unfold", "Y = linear"))
    assert conv.bytes_after < conv.bytes_before  # the blocks never reach HBM


def test_cli_suggest_prints_the_plan_and_apply_writes_a_fused_copy(tmp_path):
    out = tmp_path / "sdpa_fused.ncd"
    result = cli("cost", GALLERY / "sdpa.ncd", "--sizes", "y=4096,x=4096", "--suggest", "--apply", out)
    assert result.returncode == 0, result.output
    assert "fuse lines 10-12 as one kernel: 203 MB -> 9.4 MB" in result.output
    assert 'section "fused lines 10-12" fused' in out.read_text()
    assert cli("cost", out, "--sizes", "y=4096,x=4096").returncode == 0


def test_apply_refuses_to_overwrite_its_input(tmp_path):
    src = tmp_path / "a.ncd"
    src.write_text((GALLERY / "sdpa.ncd").read_text())
    refused(ncd("cost", src, "--apply", src), "--apply writes a copy")
    assert src.read_text() == (GALLERY / "sdpa.ncd").read_text()


def test_json_holds_every_figure_of_the_table():
    result = cli("cost", GALLERY / "flash_attention.ncd", "--sizes", "y=4096,x=4096", "--format", "json", "--suggest")
    assert result.returncode == 0, result.output
    data = json.loads(result.output)
    assert {"file", "profile", "dtype", "sizes", "kernels", "total", "suggestions"} <= set(data)
    (k,) = data["kernels"]
    assert k["kind"] == "fused" and k["lines"] == [14, 16] and len(k["parts"]) == 4
    assert {"flops", "hbm_bytes", "time", "bound", "plan", "efficiency", "levels"} <= set(k)
    assert [lv["level"] for lv in k["levels"]] == ["HBM -> L2", "L2 -> shared", "shared -> registers"]
    assert data["total"]["time"] == k["time"] and data["suggestions"]["runs"] == []


def test_a_long_diagram_tries_the_runs_that_take_most_time_within_a_bound():
    """Each run tried costs the whole diagram again, so 500 statements took 145 s (3,472 runs, each costing 500 ops).
    The search now makes at most 40,000 op visits, trying first the runs whose kernels take the most time, and says
    so: the wide maps, near the end of the file, are in the plan (tried in line order, the 99 runs would end at line 100)."""
    lines = ["axis y = 64", "axis m = 64", "axis f = 65536", "input X[y m]"]
    lines += ["X = relu(X)" for _ in range(200)] + ["H = linear(X: m -> f) as L_1", "X = linear(H: f -> m) as L_2"]
    lines += ["X = relu(X)" for _ in range(200)] + ["output X"]
    text = "\n".join(lines) + "\n"
    plan = suggest(text, "long.ncd", load_profile("a100-80gb"), "bf16")
    ops = len(load_text(text).diagram.ops)
    assert plan.tried == 40_000 // ops < plan.possible
    wide = lines.index("H = linear(X: m -> f) as L_1") + 1
    assert any(r.first <= wide and r.last >= wide + 1 for r in plan.runs)
    from ncd_render.cost.command import suggestion_lines
    assert f"the {plan.tried} whose kernels take the most time were tried" in suggestion_lines(plan)[-1]
