"""``ncd cost`` as a user runs it: the table, the roofline chart, exit codes and messages."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GALLERY = ROOT / "gallery"


def ncd(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "ncd_render", "cost", *map(str, args)], capture_output=True, text=True, cwd=cwd)


def test_the_table_lists_every_kernel_and_the_total():
    result = ncd(GALLERY / "sdpa.ncd", "--hw", "a100-80gb", "--dtype", "bf16", "--sizes", "y=4096,x=4096")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "A100 SXM4 80GB (a100-80gb), bf16; sizes y=4096 x=4096 k=64 v=64" in lines[0]
    assert lines[2].startswith("efficiency model: HBM at 0.85 of peak")
    assert lines[4].split() == ["box", "kind", "FLOPs", "HBM", "bytes", "FLOP/B", "time", "bound"]
    body = [line.split() for line in lines[6:10]]
    assert [row[0] for row in body] == ["einsum3", "scale4", "softmax5", "einsum6"]
    # PyTorch 2.11 runs rows of 4096 values in registers: 4096^2 values x 2.484 warp instructions, issued by 4 schedulers
    # x 108 SMs x 1.41 GHz, 75% busy, + 3 µs (its 67.1 MB at 0.85 x 2039 GB/s would take 38.7 µs)
    issue = 4096 ** 2 * 2.484 / (4 * 108 * 1.41e9 * 0.75) + 3e-6
    assert body[2] == ["softmax5", "(P)", "softmax", "83.9", "MF", "67.1", "MB", "1.25", f"{issue * 1e6:.1f}", "µs", "compute"]
    assert lines[11].split()[:3] == ["total", "4", "kernels"] and "203 MB" in lines[11]


def test_a_fused_section_is_one_kernel_with_its_plan():
    result = ncd(GALLERY / "flash_attention.ncd", "--sizes", "y=4096,x=4096")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Attention core  fused" in out and out.count("on chip") == 4 and "total           1 kernel " in out
    assert "fused 'Attention core': k: whole 64, v: whole 64, x: stream 8, y: group 512; 8 groups" in out
    assert "HBM -> shared: 1.57 MB once + 7.34 MB resent; shared -> HBM: 524 kB" in out


@pytest.mark.parametrize("name", sorted(p.name for p in GALLERY.glob("*.ncd")))
def test_every_gallery_diagram_has_a_cost(name):
    result = ncd(GALLERY / name, "--hw", "h100-sxm", "--dtype", "fp8")
    assert result.returncode == 0, result.stderr
    assert "H100 SXM5 80GB (h100-sxm), fp8" in result.stdout


@pytest.mark.parametrize("suffix, magic", [(".png", b"\x89PNG"), (".svg", b"<?xml"), (".pdf", b"%PDF-")])
def test_the_roofline_chart_is_written_atomically_and_deterministically(tmp_path, suffix, magic):
    charts = []
    for name in ("a", "b"):
        out = tmp_path / (name + suffix)
        result = ncd(GALLERY / "mha.ncd", "--plot", out)
        assert result.returncode == 0, result.stderr
        assert result.stdout.endswith(f"wrote {out}\n")
        charts.append(out.read_bytes())
    assert charts[0].startswith(magic) and charts[0] == charts[1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a" + suffix, "b" + suffix]


def test_dollar_signs_in_a_profile_or_kernel_name_are_text_on_the_chart(tmp_path):
    """matplotlib typesets text between two $ as TeX maths: a profile named 'My $\\frac{x$ GPU' ended the chart in a
    mathtext traceback. The names are drawn as written."""
    profile = (Path(__file__).resolve().parents[1] / "ncd_render" / "cost" / "profiles" / "a100-80gb.toml").read_text()
    (tmp_path / "gpu.toml").write_text(re.sub(r'(?m)^name = ".*"', lambda _: "name = 'My $\\frac{x$ GPU'", profile))
    (tmp_path / "d.ncd").write_text('axis m = 4\ninput X[m]\nsection "$\\frac{y$" fused\n  Y = relu(X)\n  Z = exp(Y)\nend\noutput Z\n')
    result = ncd(tmp_path / "d.ncd", "--hw", tmp_path / "gpu.toml", "--plot", tmp_path / "c.svg")
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert (tmp_path / "c.svg").read_bytes().startswith(b"<?xml")


BAD = {
    "unknown profile": (["--hw", "a100"], "error: unknown hardware profile 'a100'", "did you mean 'a100-80gb'?"),
    "missing profile file": (["--hw", "nowhere/gpu.toml"], "error: nowhere/gpu.toml: cannot read hardware profile", None),
    "unknown dtype": (["--dtype", "bf17"], "error: unknown dtype 'bf17'", "did you mean 'bf16'?"),
    "unknown axis": (["--sizes", "y=8,z=2"], "error: cannot set the size of unknown axis 'z'", "axes: y, x, k, v"),
    "bad sizes": (["--sizes", "y=lots"], "error: --sizes: 'y=lots' is not AXIS=N", "for example --sizes y=4096,x=4096"),
    "superscript size": (["--sizes", "y=\u00b2"], "error: --sizes: 'y=\u00b2' is not AXIS=N", "for example --sizes y=4096,x=4096"),  # (int() refuses
    "zero size": (["--sizes", "y=0"], "error: axis 'y' cannot have size 0", None),
    "plot format": (["--plot", "chart.gif"], "error: cannot draw a roofline chart as '.gif'", "name a .png, .svg or .pdf file"),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_options_fail_with_one_message_and_exit_2(tmp_path, case):
    args, message, hint = BAD[case]
    result = ncd(GALLERY / "sdpa.ncd", *args, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == "" and "Traceback" not in result.stderr
    assert message in result.stderr
    assert hint is None or f"hint: {hint}" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_fused_section_too_big_for_shared_memory_points_at_the_section(tmp_path):
    ncd_file = tmp_path / "t.ncd"
    ncd_file.write_text('axis y = 8\naxis m = 65536\ninput X[y m]\nsection "norm" fused\n  Y = layernorm(X: m)\nend\noutput Y\n')
    result = ncd(ncd_file)
    assert result.returncode == 2
    assert f"{ncd_file}:4:1: error: fused section 'norm': the fused kernel needs at least" in result.stderr


@pytest.mark.parametrize("command", ["cost", "check", "compile"])
def test_an_opaque_box_inside_a_collapsed_component_is_refused_by_name(command, tmp_path):
    """``depth 0`` draws a component as one box; what it holds is still run and costed, so an opaque box
    in it is refused by name, as anywhere else (it was 'op kind opaque declares no cost rule')."""
    (tmp_path / "c.ncd").write_text('depth 0\naxis y = 3\naxis m = 4\nblock B(X[y m])\n  H = relu(X)\n'
                                    '  Y = opaque(H: y m -> y m) as "aten.cumsum"\n  return Y\nend\n'
                                    "input X[y m]\nY = B(X)\noutput Y\n")
    result = subprocess.run([sys.executable, "-m", "ncd_render", command, "c.ncd"], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 2 and "cannot run the opaque box 'aten.cumsum'" in result.stderr, result.stderr
    assert "c.ncd:6:7:" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("name", ["mixtral", "deepseek_v3", "flash_attention"])
def test_no_roofline_point_stands_above_its_roofs(name):
    """A point was the dense FLOPs over the routed (or causal) time: DeepSeek-V3's experts plotted at 6.6 PFLOP/s on an
    A100, 25 times its peak. Each point is now the work its kernel runs over the bytes it moves, under both roofs."""
    from ncd_render.api import load
    from ncd_render.cost import analyse, load_profile
    from ncd_render.cost.roofline import _executed

    hw = load_profile("a100-80gb")
    for kernel in analyse(load(GALLERY / f"{name}.ncd").diagram, hw, "bf16").kernels:
        if kernel.flops and kernel.hbm_bytes:
            x, y = _executed(kernel)
            assert y <= min(hw.matmul_rate("bf16"), hw.hbm_bandwidth * x) * 1.001, (kernel.name, x, y)


def test_apply_refuses_a_fused_copy_too_large_to_read_back(tmp_path):
    """A file just under 1 MiB, with its sections marked fused, was written past the limit: ncd then refused its own copy."""
    source = (ROOT / "gallery" / "sdpa.ncd").read_text()
    pad = (1 << 20) - 2 - len(source.encode())
    big = tmp_path / "big.ncd"
    big.write_text(source + ("#" + "x" * 98 + "\n") * (pad // 100) + "#" * (pad % 100 - 1) + "\n")
    result = ncd(big, "--sizes", "y=4096,x=4096", "--apply", tmp_path / "fused.ncd")
    assert result.returncode == 2 and "the fused copy would be" in result.stderr and "more than the 1 MiB" in result.stderr
    assert not (tmp_path / "fused.ncd").exists()
