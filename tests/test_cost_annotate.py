"""Cost badges on drawn diagrams (ncd render --annotate-cost): one per kernel, clear of every
box and label, on a canvas that holds them, the same bytes every time."""
import subprocess
import sys
from pathlib import Path

import pytest

from ncd_render.api import load, load_text
from ncd_render.cost import analyse, badges, load_profile
from ncd_render.cost.annotate import annotate
from ncd_render.cost.table import si
from ncd_render.style import load_theme

ROOT = Path(__file__).resolve().parents[1]
GALLERY = ROOT / "gallery"
A100 = load_profile("a100-80gb")


def overlap(a, b, tol=0.01) -> bool:
    return a[0] < b[2] - tol and b[0] < a[2] - tol and a[1] < b[3] - tol and b[1] < a[3] - tol


def annotated(figure, **options):
    report = analyse(figure.diagram, A100, "bf16")
    return figure.scene(cost=report, **options), badges(figure.diagram, report)


def ncd(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "ncd_render", *map(str, args)], capture_output=True, text=True, cwd=cwd)


def test_every_kernel_has_one_badge_clear_of_boxes_labels_and_other_badges(gallery_file):
    scene, marks = annotated(load(gallery_file))
    frames = [i for i in scene.items if i.role == "badge"]
    assert len(frames) == len(marks) == len(scene.by_role("badge.leader"))
    texts = scene.by_role("label.badge")
    drawn = [i for i in scene.items if i.role.split(".")[0] in ("box", "region") or i.role.startswith("label.") and i.role != "label.badge"]
    for mine in frames + texts:
        for other in drawn:
            assert not overlap(mine.bbox, other.bbox), f"{mine.role} {mine.bbox} overlaps {other.role} {other.bbox}"
    for n, a in enumerate(frames):
        assert all(not overlap(a.bbox, b.bbox) for b in frames[n + 1:])
        assert sum(_inside(t.bbox, a.bbox) for t in texts) in (2, 3)  # each badge holds its own lines
    assert sum(_inside(t.bbox, a.bbox) for a in frames for t in texts) == len(texts)
    for item in scene.items:  # the canvas grew to hold everything
        x0, y0, x1, y1 = item.bbox
        assert -0.01 <= x0 and -0.01 <= y0 and x1 <= scene.width + 0.01 and y1 <= scene.height + 0.01


def _inside(inner, outer) -> bool:
    return outer[0] <= inner[0] and outer[1] <= inner[1] and inner[2] <= outer[2] and inner[3] <= outer[3]


def test_a_badge_says_bytes_flops_and_time_in_the_colour_of_its_bound():
    theme = load_theme("paper")
    figure = load_text("axis y = 65536\naxis m = 4096\naxis k = 4096\ninput X[y m]\nH = relu(X)\nW = linear(H: m -> k)\noutput W\n")
    report = analyse(figure.diagram, A100, "bf16")
    scene = annotate(figure.scene(), figure.diagram, report, theme)
    relu, linear = report.kernels
    assert (relu.bound, linear.bound) == ("memory", "compute")
    colors = {"memory": theme.colors.memory_bound, "compute": theme.colors.compute_bound}
    drawn = set()
    for frame in (i for i in scene.items if i.role == "badge"):
        texts = [t for t in scene.by_role("label.badge") if _inside(t.bbox, frame.bbox)]
        assert {t.color for t in texts} == {frame.stroke.color}
        drawn.add((" ".join("".join(r.text for r in t.runs) for t in texts).replace(" · ", " "), frame.stroke.color))
    assert drawn == {(f"{si(k.hbm_bytes, 'B', 2)} {si(k.flops, 'F', 2)} {si(k.time, 's', 2)}", colors[k.bound]) for k in (relu, linear)}


def test_a_fused_section_gets_one_badge_tied_to_the_section():
    scene, marks = annotated(load(GALLERY / "flash_attention.ncd"))
    (section,) = scene.by_role("section")
    (frame,) = [i for i in scene.items if i.role == "badge"]
    (leader,) = scene.by_role("badge.leader")
    assert not overlap(frame.bbox, section.bbox)
    assert leader.y1 in (section.bbox[1], section.bbox[3]) or leader.y2 in (section.bbox[1], section.bbox[3])


# found by bench/fuzz.py --pages: a fused section first in the section around it, a rename reaching out of it
NESTED_FUSED = ('axis y = 64 width\naxis x = 64 width\naxis m = 32\ninput X[y m]\nsection "Attention"\n'
                '  section "Norm" fused\n    N = rmsnorm(X: m) with affine as N_1\n    Nx = rename(N: y -> x)\n  end\n'
                '  S = einsum(N, Nx: y m, x m -> y x)\nend\noutput S\n')


def test_a_fused_section_nested_first_in_another_gets_its_badge_on_its_own_panel():
    figure = load_text(NESTED_FUSED)
    scene, marks = annotated(figure)
    fused = next(sid for sid, section in figure.diagram.sections.items() if section.fused)
    (mark,) = [m for m in marks.values() if m.section == fused]
    panels = sorted(scene.by_role("section"), key=lambda p: p.w * p.h)
    inner = panels[0]  # the fused one, inside the other
    leaders = scene.by_role("badge.leader")
    assert any(y in (inner.bbox[1], inner.bbox[3]) for leader in leaders for y in (leader.y1, leader.y2)), mark


def test_the_legend_names_both_bounds_in_a_free_place():
    scene, _ = annotated(load(GALLERY / "sdpa.ncd"))
    swatches = scene.by_role("legend.swatch")
    theme = load_theme("paper")
    assert [s.fill for s in swatches] == [theme.colors.memory_bound, theme.colors.compute_bound]
    legend = swatches + scene.by_role("label.legend")
    assert "A100 SXM4 80GB, bf16" in "".join(r.text for t in scene.by_role("label.legend") for r in t.runs)
    others = [i for i in scene.items if i not in legend and i.role != "background"]
    assert not any(overlap(a.bbox, b.bbox) for a in legend for b in others)


def test_annotating_leaves_the_scene_it_is_given_alone():
    figure = load(GALLERY / "mha.ncd")
    plain = figure.scene()
    before = list(plain.items)
    annotate(plain, figure.diagram, analyse(figure.diagram, A100, "bf16"), load_theme("paper"))
    assert plain.items == before


def test_render_annotate_cost_is_byte_stable_and_follows_the_options(tmp_path):
    outputs = []
    for name in ("a", "b"):
        out = tmp_path / f"{name}.svg"
        result = ncd("render", GALLERY / "sdpa.ncd", "-o", out, "--annotate-cost", "--hw", "h100-sxm", "--dtype", "fp8",
                     "--sizes", "y=4096,x=4096")
        assert result.returncode == 0, result.stderr
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    assert b"H100 SXM5 80GB, fp8" in outputs[0] and b"33.6 MB" not in outputs[0]
    plain = tmp_path / "plain.svg"
    assert ncd("render", GALLERY / "sdpa.ncd", "-o", plain).returncode == 0
    assert b"memory-bound" not in plain.read_bytes() and b"memory-bound" in outputs[0]


@pytest.mark.parametrize("args, message", [
    (["--hw", "h100-sxm"], "error: --hw, --dtype and --sizes choose what --annotate-cost shows"),
    (["--annotate-cost", "--hw", "h100"], "error: unknown hardware profile 'h100'"),
    (["--annotate-cost", "--sizes", "y=lots"], "error: --sizes: 'y=lots' is not AXIS=N"),
    (["--annotate-cost", "--dtype", "bf17"], "error: unknown dtype 'bf17'"),
])
def test_bad_cost_options_of_render_fail_with_one_message(tmp_path, args, message):
    result = ncd("render", GALLERY / "sdpa.ncd", "-o", "out.svg", *args, cwd=tmp_path)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_plain_rendering_does_not_import_the_cost_model(tmp_path):
    code = (f"import sys\nfrom ncd_render.cli import main\n"
            f"try:\n    main(['render', {str(GALLERY / 'mha.ncd')!r}, '-o', {str(tmp_path / 'm.svg')!r}])\n"
            "except SystemExit as e:\n    assert not e.code\n"
            "print('ncd_render.cost' in sys.modules)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
