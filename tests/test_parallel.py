"""Parallel sections (sibling sections that read nothing the others make) stand one above the other in shared
columns, and a copy's branches to them tuck in one after another, rather than running as a staircase."""
from pathlib import Path

from ncd_render.api import load, load_text
from ncd_render.layout.parallel import parallel_runs
from ncd_render.scene import Circle

ROOT = Path(__file__).resolve().parents[1]

THREE = """axis h = 8 width
axis w = 8 width
axis c = 4
axis d = 6
input X[h w c]
section "Wide"
  A = linear(X: c -> d) with bias as L_A
  A = relu(A)
end
section "Narrow"
  B = linear(X: c -> d) as L_B
end
section "Gated"
  G = linear(X: c -> d) as L_G
  G = sigmoid(G)
end
output A, B, G
"""


def panels(scene) -> dict[str, tuple[float, float, float, float]]:
    """Each section's panel, (x0, y0, x1, y1), by its title."""
    titles = {t.section: "".join(r.text for r in t.runs) for t in scene.by_role("label.title")}
    return {titles[r.section]: r.bbox for r in scene.items if r.role == "section"}


def stacked(a, b) -> bool:
    """Whether two panels share columns (their x ranges overlap) and stand one above the other (their y ranges don't)."""
    return a[0] < b[2] and b[0] < a[2] and (a[3] <= b[1] or b[3] <= a[1])


def test_parallel_sections_stand_one_above_the_other():
    """Three sections that each read X and nothing the others make share their columns: before, each stood in
    columns of its own, a staircase three panels long."""
    scene = load_text(THREE, "three.ncd").scene()
    found = panels(scene)
    assert set(found) == {"Wide", "Narrow", "Gated"}, found
    for one, two in [("Wide", "Narrow"), ("Narrow", "Gated"), ("Wide", "Gated")]:
        assert stacked(found[one], found[two]), (one, two, found)


def test_a_section_that_reads_anothers_result_follows_it():
    """The second section reads the first's result: it runs after it, so its panel stands to its right, not under
    it; the third reads only X, so it stands under the second."""
    text = THREE.replace("  B = linear(X: c -> d) as L_B", "  B = linear(A: d -> d) as L_B").replace("output A, B, G", "output B, G")
    d = load_text(text, "chained.ncd").diagram
    assert [[d.sections[s].title for s in run] for *_, run in parallel_runs(d)] == [["Narrow", "Gated"]]
    found = panels(load_text(text, "chained.ncd").scene())
    assert found["Wide"][2] <= found["Narrow"][0], found
    assert stacked(found["Narrow"], found["Gated"]), found


def test_each_box_stands_in_its_own_sections_panel():
    """A box of one of the stacked sections lies inside its own panel and no other's."""
    scene = load_text(THREE, "three.ncd").scene()
    found = panels(scene)
    names = {"L_A": "Wide", "L_B": "Narrow", "L_G": "Gated"}
    for t in scene.by_role("label.box"):
        text = "".join(r.text for r in t.runs)
        key = next((k for k in names if text == k[0] + k[2:]), None)  # L_A is set as L and a subscript A
        if key is None:
            continue
        x0, y0, x1, y1 = t.bbox
        inside = [title for title, (a, b, c, e) in found.items() if a <= x0 and x1 <= c and b <= y0 and y1 <= e]
        assert inside == [names[key]], (text, inside, found)


def test_the_convolution_gallery_figure_fits_a_page_at_full_size():
    """gallery/convolution.ncd tries five convolutions on one image: stacked, the figure is narrower than a page's
    text (6.5in), so its labels print at their size; as a staircase it was 918 pt wide, its labels 3.2 pt on a page."""
    scene = load(ROOT / "gallery" / "convolution.ncd").scene()
    found = panels(scene)
    assert len(found) == 5
    assert scene.width < 6.5 * 72, scene.width
    xs = sorted(found.values())
    assert all(stacked(a, b) for a, b in zip(xs, xs[1:])), found


def test_a_copys_branches_tuck_in_one_after_another(tmp_path, figure_metrics):
    """The branches of X to the three sections leave their dots on X's top wire nearer together than a branch is
    wide (each starts once the one before has risen clear of it), and no wire passes near a dot."""
    figure = load_text(THREE, "three.ncd")
    scene = figure.scene()
    svg = tmp_path / "three.svg"
    svg.write_bytes(figure.svg())
    result, _ = figure_metrics.analyse(str(svg))
    assert result["knots_elsewhere"] == 0 and result["wire_through_box"] == 0, result
    dots = [i for i in scene.items if isinstance(i, Circle) and i.role == "dot"]
    top = min(d.cy for d in dots)
    xs = sorted(d.cx for d in dots if abs(d.cy - top) < 0.01)
    assert len(xs) >= 2, xs
    bends = [i for i in scene.items if i.role == "wire.bend" and abs(i.bbox[3] - top) < 0.01 and abs(i.bbox[0] - xs[0]) < 0.01]
    assert bends, "no branch leaves the first dot"
    width = max(b.bbox[2] - b.bbox[0] for b in bends)
    assert xs[1] - xs[0] < width, (xs, width)


def test_a_copy_or_delete_between_parallel_sections_stays_after_what_it_reads():
    """Interleaving a run's ops by depth put a copy or delete that stood between two sections, of the first's result,
    before the op that made it (it sorted as its producer's depth, ahead of every section's ops at that depth)."""
    from types import SimpleNamespace

    from ncd_render.layout.parallel import _by_depth

    d = SimpleNamespace(section_path=lambda sid: () if sid is None else (sid,))
    op = lambda kind, ins, outs, section: SimpleNamespace(kind=kind, inputs=ins, outputs=outs, section=section)  # noqa: E731
    made, dropped, other = op("elementwise", (0,), (1,), 0), op("delete", (1,), (), None), op("elementwise", (0,), (2,), 1)
    ordered = _by_depth(d, [made, dropped, other], [0, 1])
    assert ordered.index(made) < ordered.index(dropped), [o.kind for o in ordered]
