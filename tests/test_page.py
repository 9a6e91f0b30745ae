"""Page composition (ncd_render.page): figures fitted to a page or column at full label size.

Every gallery and corpus figure is rendered with ``--layout page`` (6.5 x 9 in) and measured
by shared/tools/figure_metrics.py, as tests/test_figure_quality.py does for the default layout:
a figure must print its smallest label (the 9 pt labels' 6.3 pt subscripts) at full size. The
column layout (3.25 in) must hold the MLP, SDPA, attention scores and flash attention at full
size. Rows must not add knots, wires through boxes or label collisions.
"""
import itertools
import re
import sys
import warnings
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

import ncd_render
from ncd_render.api import load, load_text
from ncd_render.scene import Line, Rect, Text, ink_bbox
from ncd_render.sizing import SizeWarning

sys.path.insert(0, str(Path(__file__).parent))
from test_figure_quality import FIGURE_IDS, FIGURES, TANDEM_KNOTS  # noqa: E402

FULL_SIZE = 6.3  # pt: the 9 pt labels' subscripts at 70 %
COLUMN_FIGURES = ["mlp", "sdpa", "attention_scores", "flash_attention"]


@pytest.fixture(scope="module")
def measure_at(figure_metrics, tmp_path_factory):  # noqa: F811
    """A function (source, layout) -> (figure_metrics' findings, the warnings rendering gave)."""
    out_dir = tmp_path_factory.mktemp("page")
    cache = {}

    def measure_at(source: Path, layout: str):
        key = (source, layout)
        if key not in cache:
            svg = out_dir / f"{source.parent.name}__{source.stem}.{layout}.svg"
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                ncd_render.render(source, svg, layout=layout)
            result, items = figure_metrics.analyse(str(svg))
            result["label_on_bracket"] = _labels_on_brackets(items)
            result["continued_marks"] = sorted(set(re.findall(r">\s*(\(continued\)|\(cont\.\))</tspan>", svg.read_text())))
            cache[key] = (result, [w.message for w in caught if isinstance(w.message, SizeWarning) and "scaled to" in str(w.message)],
                          [w.message for w in caught if isinstance(w.message, SizeWarning) and "scaled to" not in str(w.message)])
        return cache[key]

    return measure_at


def _labels_on_brackets(items: list) -> list:
    """The labels (not titles) whose ink a repeat's bracket runs through, its stroke's half width included, from
    figure_metrics' parsed items: (text, x, y) of each."""
    brackets = [it for it in items if it.cls and "ncd-bracket" in it.cls]
    hits = []
    for label in (it for it in items if it.kind == "label" and it.label_bbox and "title" not in (it.cls or "")):
        x0, y0, x1, y1 = label.label_bbox
        for bracket in brackets:
            half = bracket.stroke_width / 2
            if any(min(a[0], b[0]) - half <= x1 and max(a[0], b[0]) + half >= x0 and min(a[1], b[1]) <= y1 and max(a[1], b[1]) >= y0
                   for a, b in bracket.segments()):
                hits.append((label.text, round(x0, 1), round(y0, 1)))
                break
    return hits


@pytest.mark.parametrize("source", FIGURES, ids=FIGURE_IDS)
def test_page_fits_at_full_label_size(source, measure_at):
    name = f"{source.parent.name}/{source.stem}"
    result, shrunk, _ = measure_at(source, "page")
    assert result["width_pt"] <= 468.01 and result["height_pt"] <= 648.01, f"{name}: {result['width_pt']} x {result['height_pt']} pt"
    assert result["label_pt_at_page"] >= FULL_SIZE, f"{name}: labels print at {result['label_pt_at_page']} pt on a page"
    assert not shrunk, f"{name}: {shrunk[0]}"


@pytest.mark.parametrize("name", COLUMN_FIGURES)
def test_column_fits_at_full_label_size(name, measure_at):
    result, shrunk, _ = measure_at(Path(ncd_render.__file__).parents[1] / "gallery" / f"{name}.ncd", "column")
    assert result["label_pt_at_column"] >= FULL_SIZE, f"{name}: labels print at {result['label_pt_at_column']} pt in a column"
    assert not shrunk


@pytest.mark.parametrize("layout", ["page", "column"])
@pytest.mark.parametrize("source", FIGURES, ids=FIGURE_IDS)
def test_rows_add_no_defects(source, layout, measure_at):
    """No wire through a box, no label on a label or crossed by a separator (a tuple's separator, carried to a cut,
    ran through the labels a row sets there: OLMo's ȳ under a dashed line) or a repeat's bracket (a page's transformer
    layer ended in a norm just before its bracket, its outputs' m set on it), no dashed line through a box."""
    name = f"{source.parent.name}/{source.stem}"
    result, *_ = measure_at(source, layout)
    defects = {m: result[m] for m in ("wire_through_box", "label_overlaps", "label_separator", "dashed_through_box", "dashed_grazing_box",
                                      "label_on_bracket")}
    assert not any(defects.values()), f"{name} at --layout {layout}: {defects}"
    # one mark for a section a row goes on with (UNet's page titled "Down (cont.)", then "Up (continued)")
    assert len(result["continued_marks"]) <= 1, f"{name} at --layout {layout}: titles marked {result['continued_marks']}"
    # resnet and convnext have one as in their figures: a copy of a tandem pair and c, branched below, crosses c
    assert result["knots_elsewhere"] <= TANDEM_KNOTS.get(name, 0), f"{name}: {result['knots_elsewhere']} knots away from copy dots"


@pytest.mark.parametrize("preset", ["page", "column", "slide"])
def test_no_stroke_is_cut_by_the_figure_edge(preset):
    """A page is cut tight to its blocks' ink: a box, a wire or a section outline at a block's edge
    keeps the half of its stroke that lies outside its geometry (22 figure/layout pairs lost up to
    0.65 pt of a box's or wire's stroke at the top, bottom or left edge)."""
    cut = []
    for source, name in zip(FIGURES, FIGURE_IDS):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SizeWarning)
            scene = load(source).scene(layout_preset=preset)
        for item in scene.items:
            x0, y0, x1, y1 = ink_bbox(item)
            over = max(-x0, -y0, x1 - scene.width, y1 - scene.height)
            if item.role != "background" and over > 0.01:
                cut.append(f"{name}: {item.role} at ({x0:.1f}, {y0:.1f}) reaches {over:.2f} pt outside "
                           f"the {scene.width:.1f} x {scene.height:.1f} figure")
    assert not cut, "\n".join(cut[:20])


@pytest.mark.parametrize("name", ["mixtral", "deepseek_v3"])
def test_a_branch_made_inside_a_section_stays_clear_of_its_title(name, measure_at):
    """In a column, Mixtral's first row holds only its attention's norm and the copy renaming y to x:
    y ran above the section there, and its branch down to x crossed the section's title."""
    result, *_ = measure_at(Path(ncd_render.__file__).parents[1] / "gallery" / f"{name}.ncd", "column")
    assert result["label_overlaps"] == 0, result["label_overlap_list"]


@pytest.mark.parametrize("source", FIGURES, ids=FIGURE_IDS)
def test_input_names_sit_on_their_wires(source):
    """Each tensor's name is centred on the wires that start (or end) beside it, in every row and part."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SizeWarning)
        scene = load(source).scene(layout_preset="page")
    wires = [w for w in scene.items if isinstance(w, Line) and w.role == "wire" and w.y1 == w.y2]
    for name in scene.by_role("label.name"):
        x0, _, x1, _ = name.bbox
        middle = name.y - (name.ascent - name.descent) / 2
        beside = [w.y1 for w in wires if abs(min(w.x1, w.x2) - x1) < 12 or abs(max(w.x1, w.x2) - x0) < 12]
        text = "".join(r.text for r in name.runs)
        assert beside and min(beside) - 0.5 <= middle <= max(beside) + 0.5, f"{source.stem}: {text} at y {middle:.1f}, wires {beside}"


def test_narrow_blocks_share_a_line():
    """Mixtral on a page sets rows of different parts side by side: a residual join level with a
    section's row, beside it (apart in x, overlapping in y)."""
    figure = load(Path(ncd_render.__file__).parents[1] / "gallery" / "mixtral.ncd", layout="page")
    scene = figure.scene()
    sections, boxes = scene.by_role("section"), scene.by_role("box")
    assert any((a.x + a.w < b.bbox[0] or b.bbox[2] < a.x) and a.y < b.bbox[3] and b.bbox[1] < a.y + a.h
               and not any(s.x <= b.bbox[0] and b.bbox[2] <= s.x + s.w and s.y <= b.bbox[1] and b.bbox[3] <= s.y + s.h for s in sections)
               for a in sections for b in boxes)


def test_a_sections_piece_in_a_row_holds_the_wires_that_pass_over_its_box():
    """A Set Transformer's pooling block ended, in a column, with its LayerNorm alone in a row: the section's piece there
    was cut down to the norm, its tensor's s̄ wire, broadcast over it, drawn outside the panel the figure drew it in."""
    from ncd_render.api import load_text

    text = ("axis n = 1000 width\naxis s = 4 width\naxis m = 128\naxis h = 4\naxis k = m / h\ninput X[n m]\n"
            "S = learned(: s m) as S\nQ = linear(S: m -> k h) with bias as L_Q\nK = linear(X: m -> k h) with bias as L_K\n"
            "V = linear(X: m -> k h) with bias as L_V\nsection \"Multihead attention block\"\n"
            "  A = einsum(Q, K: s k h, n k h -> s n h) * m^-1/2\n  O = einsum(A, V: s n h, n k h -> s k h)\n"
            "  F = linear(O: k h -> k h) with bias as L_O\n  O = O + F\n  O = layernorm(O: k h) with affine as LN_1\nend\noutput O\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scene = load_text(text, layout="column").scene()
    norm = max((b for b in scene.by_role("box")), key=lambda b: b.bbox[1])  # the LayerNorm, in the last row
    piece = next(r for r in scene.items if isinstance(r, Rect) and r.role == "section"
                 and r.x <= norm.bbox[0] and norm.bbox[2] <= r.x + r.w and r.y <= norm.bbox[1] and norm.bbox[3] <= r.y + r.h)
    over = [w for w in scene.items if isinstance(w, Line) and w.role == "wire" and w.y1 == w.y2 and w.y1 < norm.bbox[1]
            and min(w.x1, w.x2) <= piece.x and max(w.x1, w.x2) >= piece.x + piece.w and norm.bbox[1] - w.y1 < 20]
    assert over and all(piece.y <= w.y1 <= piece.y + piece.h for w in over), (piece.y, [w.y1 for w in over])


def test_a_sections_piece_far_below_its_title_takes_its_title_down_with_it():
    """RetNet's decay mask, in a column, went on in a row beside copies of X: its piece kept the row's whole height,
    its title at the top and its one box at the bottom, because the title counted as what the piece holds. The piece
    is fitted to what it holds and the title goes down with its top; a title just above what it holds stays put."""
    from ncd_render.page.tighten import SECTION_PAD, fit_sections
    from ncd_render.scene import Stroke
    from ncd_render.text import set_label

    label = set_label("Decay (cont.)", "DejaVu Sans", 8)
    for box_top in (80.0, 20.0):
        title = Text(4.0, 9.0, label.runs, "DejaVu Sans", "#333", label.width, label.ascent, label.descent, "label.title")
        section = Rect(0.0, 0.0, 100.0, 120.0, None, "#eee", role="section")
        box = Rect(30.0, box_top, 20.0, 20.0, Stroke(), "#fff")
        fitted = fit_sections([section, title, box])
        piece, moved = fitted[0], fitted[1]
        if box_top > 40:
            assert piece.y == pytest.approx(box_top - SECTION_PAD - title.bbox[3]) and moved.y - title.y == pytest.approx(piece.y)
            assert moved.bbox[3] <= box_top - SECTION_PAD + 1e-6
        else:
            assert piece.y == 0.0 and moved is title


def test_a_chain_of_like_boxes_breaks_into_rows_alike():
    """Forty maps in a chain broke 6 | 12 | 11 | 11 on a page (each row reached back as far as it could, the first left
    with what remained), the widest row too wide to name its tensors: of cuts that cost the same, the rows most alike."""
    from ncd_render.api import load_text

    text = "axis y = 8 width\naxis m = 4\ninput X[y m]\n" + "".join(f"X = linear(X: m -> m) as L_{{{i}}}\n" for i in range(1, 41)) + "output X\n"
    scene = load_text(text, layout="page").scene()
    rows = Counter(round(box.bbox[1]) for box in scene.by_role("box"))
    boxes = [rows[y] for y in sorted(rows)]
    assert sum(boxes) == 40 and max(boxes) - min(boxes) <= 2, boxes
    assert len(scene.by_role("label.name")) == 2 * len(boxes), boxes  # each row names X where it takes it in and hands it on


ROPE_QKV = ("axis y = 512 width\naxis x = y width\naxis m = 1024\naxis h = 16\naxis k = m / h\ninput X[y m]\n"
            "Xk = rename(X: y -> x)\nQ = linear(X: m -> k h) as W_Q\nK = linear(Xk: m -> k h) as W_K\n"
            "V = linear(Xk: m -> k h) as W_V\nQ = rope(Q: y k)\nK = rope(K: x k)\nsection \"Attention\"\n"
            "  S = einsum(Q, K: y k h, x k h -> y x h)\n  S = mask(S: y x) with causal\n  P = softmax(S: x)\n"
            "  O = einsum(P, V: y x h, x k h -> y k h)\nend\noutput O\n")


def test_a_parts_last_row_leaves_out_what_only_passes_it_to_be_handed_on():
    """In a column the projections' last row held K's RoPE, and Q and V passed through it untouched, named at both
    ends, to be handed on to the attention: they now end in the row before, named there, and come in where read."""
    scene = load_text(ROPE_QKV, "r.ncd", layout="column").scene()
    names = ["".join(r.text for r in t.runs) for t in scene.items if t.role == "label.name"]
    assert names.count("Q") == 2 and names.count("V") == 2, names  # handed on once, taken in once
    assert names.count("K") == 4, names  # (K's RoPE row takes K in and hands it on)


@pytest.mark.parametrize("width", [160, 200, 234])
def test_a_flag_wires_arrowhead_is_no_box_a_row_may_hold_alone(width):
    """A key-padding attention's column opened with a row of Xkv's copy alone, the mask's datatype arrowhead below it
    taken for the box every row holds; the row said nothing, and handed Xkv on twice."""
    from ncd_render.layout import layout
    from ncd_render.page.rows import row_scenes
    from ncd_render.style import load_preset, load_theme

    preset = load_preset("column")
    whole = layout(load(Path(__file__).parent / "corpus" / "key_padding_attention.ncd").diagram, load_theme("paper"), preset)
    for row in row_scenes(whole, width, preset.label_pad):
        assert row.by_role("box"), [i.role for i in row.items]


def test_an_input_that_only_waits_comes_in_where_it_is_used():
    """B waits while A goes through eight maps: the rows leave B's wires and name out until the row
    that adds it to A, where they come in as an input's do, B named left of them, without the arrowheads of wires
    carried on from an earlier row (a new user looked for B in the rows before)."""
    from ncd_render.api import load_text
    from ncd_render.layout import layout
    from ncd_render.page.rows import row_scenes
    from ncd_render.style import load_preset, load_theme

    text = ("axis y = 4 width\naxis m = 8\ninput A[y m], B[y m]\n"
            + "".join(f"A = linear(A: m -> m) as L_{i}\nA = relu(A)\n" for i in range(8)) + "C = A + B\noutput C\n")
    preset = load_preset("page")
    whole = layout(load_text(text).diagram, load_theme("paper"), preset)
    rows = row_scenes(whole, 200, preset.label_pad)
    names = [["".join(r.text for r in t.runs) for t in row.by_role("label.name")] for row in rows]
    assert len(rows) > 2 and set(names[0]) == {"A"} and "B" in names[-1] and not any("B" in n for n in names[:-1])
    last = rows[-1]
    b = next(t for t in last.by_role("label.name") if t.runs[0].text == "B")
    near_b = lambda i: b.bbox[1] - 4 < (i.bbox[1] + i.bbox[3]) / 2 < b.bbox[3] + 4  # noqa: E731
    assert not [a for a in last.by_role("arrow.continue.in") if near_b(a)] and last.by_role("arrow.continue.in")  # A's only
    starts = [i.bbox[0] for i in last.items if isinstance(i, Line) and i.role == "wire" and near_b(i)]
    assert starts and all(b.bbox[2] < x < b.bbox[2] + 12 for x in starts)
    assert max(r.height for r in rows[:-1]) < last.height  # the rows B waits through are the shorter for it


def _row_around(scene, item) -> tuple[float, float]:
    """The top and bottom of the row of a page that holds ``item``: the band of ink around it, rows being apart."""
    boxes = [i.bbox for i in scene.items if i.role != "background"]
    top, bottom, grown = item.bbox[1], item.bbox[3], True
    while grown:
        grown = False
        for b in boxes:
            if b[1] <= bottom + 1 and b[3] >= top - 1 and (b[1] < top or b[3] > bottom):
                top, bottom, grown = min(top, b[1]), max(bottom, b[3]), True
    return top, bottom


def test_a_row_shows_the_whole_tensor_a_mark_or_a_box_acts_on():
    """S = gelu(S) over S[t f], in a 1.6 in column: the row holding GELU left out f (nothing in it
    touched f, the mark standing above t) and f came back a row later, so GELU read as acting on t
    alone; the row of S_2, over f, left out t, the wire its broadcast passes by. A tensor now passes a
    row whole or stays whole: GELU's row and S_2's each take in both of S's wires."""
    from ncd_render.api import load_text

    text = ("axis t = 64 width\naxis m = 256\naxis f = 512\ninput N[t m], Y[t m]\nS = linear(N: m -> f) as S_1\n"
            "S = gelu(S)\nS = linear(S: f -> m) as S_2\nY = Y + S\noutput Y\n")
    scene = load_text(text, "tail.ncd", layout="column").scene(width="1.6in")
    for name in ("GELU", "S2"):  # the mark; S_2's box label (S with a subscript 2)
        label = next(t for t in scene.labels() if t.role == "label.box" and "".join(r.text for r in t.runs) == name)
        top, bottom = _row_around(scene, label)
        arrows = [a for a in scene.by_role("arrow.continue.in") if top <= a.bbox[1] and a.bbox[3] <= bottom]
        assert len(arrows) == 2, (name, len(arrows))


def test_a_row_names_the_tensors_it_takes_in():
    """A runs through eight maps, cut into rows: each row after the first names A left of the arrows its
    wires come in by, centred on them, as the figure names its inputs, and each row before the last names
    it right of the arrows its wires go on by, as the figure names its outputs (MHA in a column handed on
    three unnamed tensors that the next row took in as Q, K and V); cut without names (the page's fallback
    when the names would not fit), no row after the first names anything. On a page, the routed experts
    of Qwen2-MoE, cut inside their section, hand H and G on by name."""
    from ncd_render.api import load_text
    from ncd_render.layout import layout
    from ncd_render.page.cuts import Gaps, choose_cuts
    from ncd_render.page.rows import row_scenes, rows_cut_at
    from ncd_render.style import load_preset, load_theme

    text = "axis y = 4 width\naxis m = 8\ninput A[y m]\n" + "".join(f"A = linear(A: m -> m) as L_{i}\nA = relu(A)\n" for i in range(8))
    preset = load_preset("page")
    whole = layout(load_text(text + "output A\n").diagram, load_theme("paper"), preset)
    rows = row_scenes(whole, 200, preset.label_pad)
    assert len(rows) > 2
    handed = 0
    for row in rows:
        names = sorted(row.by_role("label.name"), key=lambda t: t.x)
        assert {"".join(r.text for r in t.runs) for t in names} == {"A"} and len(names) in (1, 2)  # its input; its output
        for name, role, side in ((names[0], "arrow.continue.in", 0), (names[-1], "arrow.continue.out", 2)):
            arrows = row.by_role(role)
            if row is rows[0] and side == 0 or row is rows[-1] and side == 2 or side == 2 and len(names) == 1:
                continue  # the figure's own input and output; a row the name would make the widest
            handed += side == 2
            ys = [(a.bbox[1] + a.bbox[3]) / 2 for a in arrows]
            assert len(ys) == 2 and abs((name.bbox[1] + name.bbox[3]) / 2 - sum(ys) / 2) < 2
            assert (name.bbox[2] < min(a.bbox[0] for a in arrows)) if side == 0 else (name.bbox[0] > max(a.bbox[2] for a in arrows))
    assert handed and max(r.width for r in rows) <= 200
    # rows to be shrunk to fit: the names widen no row past the widest (the figure shrinks no more for them)
    cuts = choose_cuts(whole, 200, preset.label_pad, shrunk=True)
    told = rows_cut_at(whole, cuts, preset.label_pad)
    untold = rows_cut_at(whole, [replace(c, told=0.0) for c in cuts], preset.label_pad)
    assert any(c.told for c in cuts) and max(r.width for r in told) == max(r.width for r in untold)
    unnamed = rows_cut_at(whole, choose_cuts(whole, 200, preset.label_pad, Gaps(whole, preset.label_pad, named=False)), preset.label_pad)
    assert len(unnamed) > 2 and not any(row.by_role("label.name") for row in unnamed[1:-1])

    qwen = load(Path(ncd_render.__file__).parents[1] / "tests" / "corpus" / "qwen2_moe.ncd", layout="page").scene()
    names = {"".join(r.text for r in t.runs) for t in qwen.by_role("label.name")}
    assert {"H", "G"} <= names


def test_a_row_titles_again_the_section_it_goes_on_with():
    """A section of sixteen maps cut into rows: every row after the first has the section's title again,
    marked continued, inside its piece of the panel, touching nothing else drawn there; cut without titles,
    no row after the first has one. On a page the titles give way to the legend of sizes: at every page
    height, a page with a continued title has the legend too, and some height keeps the legend by leaving
    the titles out."""
    from ncd_render.api import load_text
    from ncd_render.layout import layout
    from ncd_render.page.compose import page_scene
    from ncd_render.page.cuts import Gaps, choose_cuts
    from ncd_render.page.rows import row_scenes, rows_cut_at
    from ncd_render.style import load_preset, load_theme

    text = ("axis y = 4 width\naxis m = 8\ninput A[y m]\nsection \"Body of maps\"\n"
            + "".join(f"A = linear(A: m -> m) as L_{i}\nA = relu(A)\n" for i in range(16)) + "end\noutput A\n")
    theme, preset = load_theme("paper"), load_preset("page")
    diagram = load_text(text).diagram
    whole = layout(diagram, theme, preset)
    rows = row_scenes(whole, 200, preset.label_pad)
    assert len(rows) > 2
    said = lambda t: "".join(r.text for r in t.runs)  # noqa: E731
    assert [said(t) for t in rows[0].by_role("label.title")] == ["Body of maps"]
    for row in rows[1:]:
        (title,) = row.by_role("label.title")
        assert said(title) == "Body of maps (continued)"
        (panel,) = [i for i in row.items if isinstance(i, Rect) and i.role == "section"]
        x0, y0, x1, y1 = title.bbox
        assert panel.x < x0 and x1 < panel.x + panel.w and panel.y < y0 and y1 < panel.y + panel.h
        for item in row.items:
            if item is not title and item is not panel and item.role != "background":
                b = item.bbox
                assert b[2] <= x0 or x1 <= b[0] or b[3] <= y0 or y1 <= b[1], item
    bare = rows_cut_at(whole, choose_cuts(whole, 200, preset.label_pad, Gaps(whole, preset.label_pad)), preset.label_pad, titled=False)
    assert len(bare) == len(rows) and not any(row.by_role("label.title") for row in bare[1:])

    kept_legend = kept_titles = False  # (the legend before the titles; the titles where the legend has no room anyway)
    for height in range(260, 150, -5):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            page = page_scene(diagram, theme, preset, 468, height)
        continued = any(said(t).endswith("(continued)") for t in page.by_role("label.title"))
        legend = bool(page.by_role("legend"))
        goes_on = len(page.by_role("arrow.continue.in")) > 0
        assert continued or not goes_on or any("do not title it again" in str(w.message) for w in caught), height
        kept_legend |= legend and not continued and goes_on
        kept_titles |= continued and not legend
    assert kept_legend and kept_titles


def test_a_section_split_around_its_inner_section_titles_its_later_part_continued():
    """Split part by part, a section holding plain statements, then a section, then more plain statements
    shows its title on its first part and marks the part after the inner section continued; the inner
    section keeps its own title."""
    from ncd_render.api import load_text
    from ncd_render.page.chunks import chunks

    text = ("axis y = 4 width\naxis m = 8\ninput A[y m]\nsection \"Outer\"\n  A = linear(A: m -> m) as L_0\n"
            "  section \"Inner\"\n    A = linear(A: m -> m) as L_1\n  end\n  A = linear(A: m -> m) as L_2\nend\noutput A\n")
    parts = chunks(load_text(text).diagram, deep=True)
    titles = [[s.title for s in part.diagram.sections.values()] for part in parts]
    assert titles == [["Outer"], ["Inner"], ["Outer (continued)"]]


def test_every_break_carries_its_wires_on():
    """Each row that ends with n arrows is followed by a row that starts with the same n wires."""
    from ncd_render.page.rows import ROW_GAP, row_scenes
    from ncd_render.wrap import stack_rows
    from ncd_render.layout import layout
    from ncd_render.style import load_preset, load_theme

    figure = load(Path(ncd_render.__file__).parents[1] / "gallery" / "resnet.ncd")
    theme, preset = load_theme("paper"), load_preset("page")
    whole = layout(figure.diagram, theme, preset)
    scene = stack_rows([r.items for r in row_scenes(whole, 300, preset.label_pad)], whole, ROW_GAP)
    ends, starts = scene.by_role("arrow.continue.out"), scene.by_role("arrow.continue.in")
    assert len(ends) == len(starts) > 0
    for arrow in ends + starts:  # each on a wire that runs to (or from) its tip
        tip_x, tip_y = arrow.commands[1][1:]
        assert any(w.y1 == tip_y and min(w.x1, w.x2) - 0.01 <= tip_x <= max(w.x1, w.x2) + 0.01 for w in scene.items if isinstance(w, Line) and w.role == "wire")
    assert scene.width <= 300


def test_only_a_tensor_a_later_part_reads_leaves_its_part_with_an_arrow():
    """The convolution's five variants are parts that each end in one of the figure's outputs: no
    arrow says they go on. MultiheadAttention's P goes on to the parts that read it, its Y2 does not."""
    from ncd_render.page.flow import part_scenes
    from ncd_render.style import load_preset, load_theme

    root = Path(ncd_render.__file__).parents[1]
    theme, preset = load_theme("paper"), load_preset("page")
    variants = part_scenes(load(root / "gallery" / "convolution.ncd").diagram, None, theme, preset)
    assert len(variants) == 5 and not any(p.by_role("arrow.continue.out") for p in variants)
    pointed = set()  # the tensor named nearest each arrow that leaves a part
    for part in part_scenes(load(root / "docs" / "imported" / "multihead_attention.ncd").diagram, None, theme, preset, strands=True):
        end = max(x1 for _, _, x1, *_ in part.wire_names)
        outputs = [t for t in part.items if isinstance(t, Text) and t.role == "label.name" and t.x > end - 0.5]
        for arrow in part.by_role("arrow.continue.out"):
            tip_y = arrow.commands[1][2]
            pointed.add("".join(r.text for r in min(outputs, key=lambda t: abs(t.y - (t.ascent - t.descent) / 2 - tip_y)).runs))
    assert "P" in pointed and pointed <= {"P", "V"}  # never Y1 or Y2, the figure's own outputs


def test_collapsed_components_are_defined_below():
    """The transformer draws Attention, MaskedAttention and FeedForward as boxes, then each definition,
    headed by the component's 3-D box (its name in it) and "="."""
    figure = load(Path(ncd_render.__file__).parents[1] / "gallery" / "transformer.ncd", layout="page")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SizeWarning)
        scene = figure.scene()
    titles = ["".join(r.text for r in i.runs) for i in scene.items if i.role == "label.definition"]
    assert sorted(titles) == ["=", "=", "=", "Attention", "Attention with this before its softmax:", "FeedForward", "MaskedAttention"]
    heads = [i for i in scene.items if i.role == "label.definition" and i.runs[0].text in ("Attention", "FeedForward", "MaskedAttention")]
    faces = [i for i in scene.items if i.role == "box.shadow"]
    for head in heads:  # each name sits inside the front of a 3-D box
        assert any(f.bbox[0] < head.x and head.x + head.width < f.bbox[2] and f.bbox[1] < head.y < f.bbox[3] for f in faces)


def test_a_variant_is_defined_by_what_it_adds():
    """MaskedAttention is Attention with a causal mask before the softmax: its definition draws the mask alone."""
    from ncd_render.page.variants import variant

    figure = load(Path(ncd_render.__file__).parents[1] / "gallery" / "transformer.ncd")
    found = variant(figure.diagram.source, "MaskedAttention", ["Attention", "FeedForward"])
    assert (found.base, found.before) == ("Attention", "softmax")
    boxes = [op for op in found.added.ops if op.kind not in ("input", "output")]
    assert [op.kind for op in boxes] == ["mask"] and boxes[0].params["axes"] == ("y", "x")
    assert [found.added.values[v].axes for v in found.added.inputs] == [("y", "x", "h")]
    assert variant(figure.diagram.source, "Attention", ["MaskedAttention"]) is None  # it adds nothing




def test_a_variant_may_name_its_tensors_and_axes_otherwise():
    """BART's decoder self-attention is its encoder's with a causal mask, but as `ncd import` writes them the decoder
    calls its positions x (4 of them) where the encoder's are y (5), its heads n, its tensors N2: the page defines
    it by the mask alone, drawn in the encoder's names, so that the reader finds where it goes (BART's page then
    prints at 91 %, 83 % before); an axis that is not a parameter's must be
    as long as the one it stands for, or the two are different blocks, each drawn in full."""
    from ncd_render.api import load_text
    from ncd_render.page.variants import variant

    attention = """block {name}({N}[{y} m])
  Q = linear({N}: m -> {h} k) with bias as L_Q
  K = linear({N}: m -> {h} k) with bias as L_K
  V = linear({N}: m -> {h} d) with bias as L_V
  Kx = rename(K: {y} -> {x})
  S = einsum(Q, Kx: {y} {h} k, {x} {h} k -> {y} {x} {h}) * k^-1/2
{mask}  P = softmax(S: {x})
  Vx = rename(V: {y} -> {x})
  O = einsum(P, Vx: {y} {x} {h}, {x} {h} d -> {y} d {h})
  return O
end
"""
    head = (Path(__file__).parent / "corpus" / "bert_layer.ncd").read_text().split("input X")[0]
    both = (attention.format(name="Attention", N="N", y="y", x="x", h="h", mask="")
            + attention.format(name="Attention2", N="N2", y="u", x="s", h="n", mask="  S = mask(S: u s) with causal\n")
            + "input A[y m], B[u m]\nC = Attention(A)\nD = Attention2(B)\noutput C, D\n")
    text = head + "axis u = 4 width\naxis s = u width\naxis n = {heads}\n" + both.replace("{", "{{").replace("}", "}}")
    sizes = {"y": 5, "u": 4, "m": 32, "h": 4, "k": 8, "d": 8, "x": 5, "s": 4}
    found = variant(load_text(text.format(heads=4)).diagram.source, "Attention2", ["Attention"], {**sizes, "n": 4})
    assert (found.base, found.before) == ("Attention", "softmax")
    assert [op.kind for op in found.added.ops if op.kind not in ("input", "output")] == ["mask"]
    assert [found.added.values[v].axes for v in found.added.inputs] == [("y", "x", "h")]  # in the base's names: where it goes
    assert variant(load_text(text.format(heads=2)).diagram.source, "Attention2", ["Attention"], {**sizes, "n": 2}) is None
    scene = load_text("depth 0\n" + text.format(heads=4), layout="page").scene()
    titles = [i.runs for i in scene.items if isinstance(i, Text) and i.role == "label.definition"]
    assert any("with this before its softmax" in "".join(r.text for r in runs) for runs in titles), "Attention2 drawn in full"


NAMED = """axis y = 4 width
axis m = 8
block FeedForward(X[y m])
  X = relu(X)
  return X
end
block LongName(X[m])
  X = exp(X)
  return X
end
input A[y m]
input B[m]
A = FeedForward(A)
B = LongName(B)
output A
output B
"""


def test_long_component_names_break_onto_two_lines_where_the_box_has_room():
    """A collapsed component's CamelCase name is set on two lines, each centred in its 3-D box, when
    the box spans two wires or more; on one wire the box is too short and the name stays whole."""
    from ncd_render.api import load_text
    from ncd_render.ir import build
    from ncd_render.layout import layout
    from ncd_render.style import load_preset, load_theme
    from ncd_render.text import set_label

    theme = load_theme("paper")
    scene = layout(build(load_text(NAMED).diagram.source, depth=0), theme, load_preset("page"))
    names = {}
    for item in scene.by_role("label.box"):
        names.setdefault(item.ref, []).append(item)
    lines = sorted(["".join(r.text for r in t.runs) for t in texts] for texts in names.values())
    assert lines == [["Feed", "Forward"], ["LongName"]]
    ref, (top, bottom) = next((ref, texts) for ref, texts in names.items() if len(texts) == 2)
    x0, y0, x1, y1 = next(i.bbox for i in scene.items if i.role == "box" and i.ref == ref)  # the 3-D box's front
    whole = set_label("FeedForward", theme.font.family, theme.font.box_size, True)
    assert x1 - x0 < whole.width  # the box is narrower than the name on one line
    assert top.y + top.descent < bottom.y - bottom.ascent  # one line above the other, apart
    for line in (top, bottom):
        assert x0 < line.x and line.x + line.width < x1 and y0 < line.y - line.ascent and line.y + line.descent < y1


TWO_BASES = """axis m = 4
axis t = 3
block B1(X[y m])
  X = exp(X)
  return X
end
block B2(X[y m])
  X = relu(X)
  return X
end
block V(X[y m])
  X = relu(X)
  X = exp(X)
  return X
end
block W(X[y m])
  X = B1(X)
  X = V(X)
  return X
end
input A[t m]
A = W(A)
A = B2(A)
A = V(A)
output A
"""


def test_a_variant_draws_what_it_adds_to_the_base_its_title_names():
    """V is B1 with a relu put in, and B2 with an exp put in. Collapsed one level deep only B1 is
    defined beside it; at depth 0 B2 comes first, so V's definition is read against B2 and must
    draw the exp, though the relu was laid out for depth 1 already."""
    from ncd_render.api import load_text
    from ncd_render.page.depths import overview_at, pieces_at
    from ncd_render.page.refs import Numbering
    from ncd_render.style import load_preset, load_theme

    diagram, theme, preset = load_text(TWO_BASES).diagram, load_theme("paper"), load_preset("page")
    laid_out = {}  # kept from one depth to the next, as page_scene keeps it
    for depth, base, draws_exp in ((1, "B1", False), (0, "B2", True)):  # relu is drawn as a pictogram, exp by name
        (_, defined), *_ = pieces_at(overview_at(diagram, depth), depth, theme, preset, laid_out, Numbering(diagram))
        title, scene = next((t, s) for t, s in defined if t.startswith("V ="))
        assert title.split("\n")[1].startswith(f"{base} with")
        texts = {"".join(r.text for r in i.runs) for i in scene.items if hasattr(i, "runs")}
        assert ("exp" in texts) == draws_exp, (depth, texts)


def test_wrap_is_refused_on_a_page_layout(tmp_path):
    """--wrap and --layout page both break a figure up; together they are an error (exit 2), nothing written."""
    from click.testing import CliRunner
    from ncd_render.cli import main

    out = tmp_path / "mha.svg"
    source = Path(ncd_render.__file__).parents[1] / "gallery" / "mha.ncd"
    result = CliRunner().invoke(main, ["render", str(source), "-o", str(out), "--layout", "page", "--wrap"])
    assert result.exit_code == 2, result.output
    assert "--wrap" in result.output and "Traceback" not in result.output and not out.exists()


def test_committed_page_svg_is_not_stale(gallery_file):
    from ncd_render.render import render_bytes

    committed = gallery_file.with_suffix(".page.svg")
    assert committed.exists(), f"{committed.name} is missing: run 'ncd gallery build'"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SizeWarning)
        fresh = render_bytes(load(gallery_file).scene(layout_preset="page"), "svg")
    assert committed.read_bytes() == fresh, f"{committed.name} is stale: run 'ncd gallery build' and look at the result"


def test_index_shows_each_page_figure_at_print_size():
    import re

    gallery = Path(ncd_render.__file__).parents[1] / "gallery"
    index = (gallery / "index.html").read_text()
    for source in gallery.glob("*.ncd"):
        shown = re.search(rf'src="{source.stem}\.page\.svg" style="width:([0-9.]+)pt"', index)
        assert shown, f"{source.stem}.page.svg is not on the index page"
        width = float(re.search(r'viewBox="0,0,([0-9.]+),', (gallery / f"{source.stem}.page.svg").read_text()).group(1))
        assert float(shown.group(1)) == pytest.approx(width, abs=0.1)  # 1 CSS pt = 1 scene pt: print size


def test_legend_lists_every_axis_with_its_size():
    """MHA on a page ends with a legend: each axis its size, a derived axis its rule too (k = m / h = 64)."""
    figure = load(Path(ncd_render.__file__).parents[1] / "gallery" / "mha.ncd", layout="page")
    scene = figure.scene()
    texts = [i for i in scene.items if i.role == "label.legend"]
    lines = {}
    for t in texts:  # an axis and its "= size" share a baseline
        lines.setdefault((round(t.y, 2), round(t.x)), "".join(r.text for r in t.runs))
    shown = " ".join(sorted(lines.values()))
    for axis in figure.diagram.axes.values():
        assert f"= {axis.size}" in shown or f"= {axis.size}".replace("= ", "= ") in shown, (axis, shown)
    assert "= m / h = 64" in shown
    assert len(scene.by_role("legend")) == 1


def test_legend_lists_the_axes_a_group_joins():
    """Swin's patch merging, (a i) (b j) c -> a b (j i c), drew i and j only inside groups, and its legend left them
    out: the sizes the figure is about."""
    text = "axis a = 4 width\naxis i = 2\naxis c = 3\ninput X[(a i) c]\nY = rearrange(X: (a i) c -> a (i c))\noutput Y\n"
    figure = load_text(text, "g.ncd", layout="page")
    listed = ["".join(r.text for r in t.runs) for t in figure.scene().items if t.role == "label.legend"]
    assert {"a", "i", "c"} <= set(listed), listed


@pytest.mark.parametrize("name", ["sdpa", "resnet", "mha"])
def test_a_figure_narrower_than_the_page_stands_in_its_middle_over_its_legend(name):
    """The legend of sizes was as wide as the page under a figure half as wide, so the figure stood off the page's
    middle (ResNet's 0.47in left of the legend and caption) and the legend's entries spread apart."""
    scene = load(Path(ncd_render.__file__).parents[1] / "gallery" / f"{name}.ncd", layout="page").scene()
    (box,) = scene.by_role("legend")
    drawn = [i.bbox for i in scene.items if i.role not in ("background", "legend", "label.legend", "label.overline")
             and i.bbox[1] < box.y and i.bbox[2] > i.bbox[0]]
    left, right = min(b[0] for b in drawn), max(b[2] for b in drawn)
    assert box.x + box.w <= right + 1.0, (box.x + box.w, right)
    assert abs((left + right) / 2 - scene.width / 2) < 3.0, ((left + right) / 2, scene.width / 2)


@pytest.mark.parametrize("name", ["mha", "sdpa", "mlp", "flash_attention", "resnet", "vit"])
def test_cost_on_a_page_is_a_table_that_fits(name, figure_metrics, tmp_path):
    """--annotate-cost on a page sets a table (a line per kernel, in its bound's colour) where
    there is room, instead of badges that grow the figure until it shrinks."""
    from ncd_render.cost import analyse, load_profile
    from ncd_render.render import render_bytes
    from ncd_render.style import load_theme

    figure = load(Path(ncd_render.__file__).parents[1] / "gallery" / f"{name}.ncd")
    report = analyse(figure.diagram, load_profile("a100-80gb"), "bf16")
    with warnings.catch_warnings(record=True) as caught:  # (ViT's legend of sizes gives way to the table, and says so)
        warnings.simplefilter("always")
        scene = figure.scene(layout_preset="page", cost=report)
    assert not [w for w in caught if isinstance(w.message, SizeWarning) and "scaled to" in str(w.message)]
    svg = tmp_path / f"{name}.svg"
    svg.write_bytes(render_bytes(scene, "svg"))
    result, _ = figure_metrics.analyse(str(svg))
    assert result["label_pt_at_page"] >= FULL_SIZE and not result["label_overlaps"]
    theme = load_theme("paper")
    kernels = [k for k in report.kernels if k.bound in ("memory", "compute")]
    cells = [("".join(r.text for r in t.runs), t.color) for t in scene.by_role("label.cost")]
    names = [(text, color) for text, color in cells if not re.fullmatch(r"[0-9.]+ [kMGTµmn]?[BFs]", text)]
    assert len(names) == len(kernels) and len(cells) == 4 * len(kernels)  # name, bytes, FLOPs, time
    colours = {"memory": theme.colors.memory_bound, "compute": theme.colors.compute_bound}
    assert Counter(color for _, color in names) == Counter(colours[k.bound] for k in kernels)


def test_a_row_holds_a_box():
    """A row of a copy's dot alone says nothing: where the only cuts that fit would leave one, the
    figure is not cut there (here it is cut between the dot and the second box, the narrowest two
    rows that each hold a box, both wider than asked)."""
    from ncd_render.page.rows import row_scenes
    from ncd_render.scene import Circle, Rect, Scene, Stroke

    items = [Rect(0, 0, 10, 10, Stroke(), "#fff", role="box"), Circle(60, 5, 2, None, "#000"),
             Rect(110, 0, 10, 10, Stroke(), "#fff", role="box"), Line(0, 5, 120, 5, Stroke())]
    rows = row_scenes(Scene(120, 10, items), 70, label_pad=2)
    assert all(row.by_role("box") for row in rows), [sorted({i.role for i in row.items}) for row in rows]


def test_definitions_read_after_the_overview_or_beside_it():
    """Of the arrangements that fit, the page takes one that reads in order, though shorter ones set a
    definition beside the overview's first block (above the rest of it); beside a later block is in order."""
    from ncd_render.page.arrange import arrangements, best_places, extent
    from ncd_render.page.rows import ROW_GAP

    sizes = [(200, 50), (400, 50), (100, 40)]  # two blocks of the overview, then a definition
    beside_first = [p for p in arrangements(sizes, 468, 648, 2, frozenset(), ROW_GAP) if p[2][1] < 50]
    assert beside_first  # there is a smaller arrangement: the definition in the room right of the first block
    (order, height, _), places = best_places(sizes, 468, 648, 2, frozenset(), ROW_GAP)
    assert order == 0 and places[2][1] >= 108 and height > min(extent(sizes, p)[1] for p in beside_first)
    (order, _, _), places = best_places([(400, 50), (200, 50), (100, 40)], 468, 648, 2, frozenset(), ROW_GAP)
    assert order == 0 and places[2] == (212.0, 58.0)  # beside the second, the overview's last block


def test_blocks_side_by_side_read_as_a_line_left_to_right():
    """Two blocks side by side read as a line: a newspaper arrangement of two stacks (0 and 1 in the left column, 2
    and 3 in the right), shorter than two lines, was taken as in order, and read 0, 2, 1, 3: Mixtral's page set the sum
    of the attention's output A right of the piece before the one that makes A, two reviewers' first complaint."""
    from ncd_render.page.arrange import best_places, inversions
    from ncd_render.page.rows import ROW_GAP

    sizes = [(200, 100), (200, 60), (200, 60), (200, 100)]
    stacks = [(0.0, 0.0), (0.0, 100 + ROW_GAP), (212.0, 0.0), (212.0, 60 + ROW_GAP)]
    assert inversions(sizes, stacks) == 2  # 2 and 3 start above 1
    (order, _, _), places = best_places(sizes, 468, None, len(sizes), frozenset(), ROW_GAP)
    assert order == 0 and places[1] == (212.0, 0.0) and places[2][1] >= 100  # 0 and 1 a line, then 2 and 3
    (order, _, _), places = best_places([(200, 220), (200, 60), (200, 60)], 468, None, 3, frozenset(), ROW_GAP)
    assert order == 0 and places[1:] == [(212.0, 0.0), (212.0, 60 + ROW_GAP)]  # a tall block, a stack beside it


PAGED = sorted((Path(__file__).resolve().parents[1] / "gallery").glob("*.ncd")) + sorted((Path(__file__).resolve().parent / "corpus").glob("*.ncd"))


@pytest.mark.parametrize("layout", ["page", "column"])
@pytest.mark.parametrize("source", PAGED, ids=[p.stem for p in PAGED])
def test_every_arrowhead_ends_a_wire_and_every_wire_at_one_is_under_it(source, layout):
    """A tandem pair's second wire, unnamed, went on bare beside its pair's arrowhead (a squeeze-and-excitation block's
    parts); a pair's one head, its wires left out of a row they only pass, stayed there alone."""
    from ncd_render.page.passing import tips

    scene = load(source, layout=layout).scene()
    wires = [i for i in scene.items if i.role == "wire" and isinstance(i, Line) and abs(i.y1 - i.y2) < 1e-6]
    for head in (i for i in scene.items if i.role.startswith("arrow.continue")):
        out = head.role.endswith("out")
        x = head.bbox[2] if out else head.bbox[0]
        ends = [w.y1 for w in wires if abs((max(w.x1, w.x2) if out else min(w.x1, w.x2)) - x) < 0.6]
        assert all(any(abs(t - y) < 0.05 for y in ends) for t in tips(head)), (head.bbox, tips(head), ends)
        beside = [y for y in ends if any(abs(y - t) < 5.5 for t in tips(head))]  # (a tandem pair is 4 pt apart)
        assert all(any(abs(t - y) < 0.05 for t in tips(head)) for y in beside), (head.bbox, tips(head), beside)


def test_wires_in_tandem_go_on_under_one_arrowhead():
    """ResNet's x̄ pair, 4 pt apart, ended each row under two heads, one over the other: a double arrow (a new user's
    squeeze-and-excitation block in a column showed two heads, then two overlapping ones)."""
    scene = load(Path(ncd_render.__file__).parents[1] / "gallery" / "resnet.ncd", layout="column").scene()
    heads = [i.bbox for i in scene.items if i.role.startswith("arrow.continue")]
    assert heads
    for a, b in itertools.combinations(heads, 2):
        assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] - 0.01 and b[1] < a[3] - 0.01), (a, b)


def test_a_sublayer_s_residual_sum_goes_in_its_part():
    """MLP-Mixer's page set each residual sum, X = X + T, as a part of its own: a lone + between two rows, fed by
    arrows from the part before (10 arrowheads in and 10 out); the paper draws each sublayer with its sum, the stream
    passing it by. Now only X goes from the first sublayer's part to the second's."""
    from ncd_render.page.chunks import split_parts
    from ncd_render.parse import parse

    text = (Path(__file__).resolve().parents[1] / "tests" / "corpus" / "mlp_mixer.ncd").read_text()
    steps = [s for s in parse(text).statements if type(s).__name__ in ("Assign", "Section")]
    assert [len(p) for p in split_parts(steps, sums=True)] == [2, 2] and len(split_parts(steps)) == 4
    scene = load(Path(__file__).resolve().parents[1] / "tests" / "corpus" / "mlp_mixer.ncd", layout="page").scene()
    assert len(scene.by_role("arrow.continue.in")) == len(scene.by_role("arrow.continue.out")) == 2  # X's two wires


def test_a_part_that_reads_the_residual_stream_first_hands_it_on_to_its_sum():
    """LLaMA's attention on a page: its first part, X -> RMSNorm -> Q, K, V, drew no copy of X, and X came back into
    the sum, two rows down, from nowhere (DeepSeek's, Mamba-2's and a router's pages too, three reviewers saw). The
    part reading X first now copies it and hands it on, named, to the part with the sum."""
    scene = load(Path(__file__).resolve().parent / "corpus" / "llama_attention.ncd", layout="page").scene()
    heads = [i.bbox for i in scene.items if i.role == "arrow.continue.out"]
    handed = {"".join(r.text for r in i.runs) for i in scene.items if i.role == "label.name"
              and any(0 <= i.bbox[0] - h[2] < 12 and h[1] - 12 < i.bbox[3] and i.bbox[1] < h[3] + 12 for h in heads)}
    assert "X" in handed and {"Q", "K", "V"} <= handed, handed


def test_a_definition_may_be_titled_beside_its_body():
    """"Name =" above the body, or left of it and level with its middle, as the paper writes it on one line."""
    from ncd_render.page.blocks import with_title
    from ncd_render.scene import Rect, Scene, Stroke
    from ncd_render.style import load_theme

    theme = load_theme("paper")
    body = Scene(100, 60, [Rect(0, 0, 100, 60, Stroke(), "#fff", role="box", ref=1)])
    for beside in (False, True):
        scene = with_title("Block =", body, theme, beside)
        head = next(i for i in scene.items if i.role == "label.definition" and i.runs[0].text == "Block")
        moved = next(i for i in scene.items if getattr(i, "ref", None) == 1)
        if beside:
            assert head.bbox[2] < moved.x and 60 <= scene.height <= 61 and scene.width > 100  # 61: the strokes' ink
            assert abs((head.bbox[1] + head.bbox[3]) / 2 - 30) < 6  # level with the body's middle
        else:
            assert head.bbox[3] < moved.y and 100 <= scene.width <= 101


def test_forks_bend_more_steeply_on_a_page():
    """The page's copies and sums bend at fork_bend (0.3 pt across per pt of travel), steeper than its
    wiring regions (bend 0.5): MHA's forks of Xkv into K and V take less width; no fork_bend, the same as bend."""
    from dataclasses import replace

    from ncd_render.layout import layout
    from ncd_render.style import load_preset, load_theme

    preset, theme = load_preset("page"), load_theme("paper")
    assert (preset.forks, preset.bend, load_preset("paper").forks) == (0.3, 0.5, load_preset("paper").bend)
    figure = load(Path(ncd_render.__file__).parents[1] / "gallery" / "mha.ncd")
    steep, even = (layout(figure.diagram, theme, replace(preset, fork_bend=f)) for f in (0.3, None))
    assert steep.width < even.width - 5


def _steps(body: str) -> list:
    from ncd_render.parse import parse

    return list(parse("axis m = 4\ninput X[m]\n" + body + "output Z\n").statements[2:-1])


def _made(steps: list) -> list[str]:
    return [" ".join(n.name for n in s.targets) for s in steps]


def test_strand_order_keeps_what_an_overwrite_must_follow():
    """Depth-first, each statement followed by its readers, except that a statement overwriting a
    name waits until every reader of the old tensor is done: B reads the first A, so the second A
    (and C, which reads it) stays after B though C follows A's strand."""
    from ncd_render.page.strands import strand_order

    steps = _steps("A = relu(X)\nY = relu(X)\nB = relu(A)\nA = tanh(Y)\nC = relu(A)\nZ = B + C\n")
    order = [steps[k] for k in strand_order(steps)]
    assert _made(order).index("B") < _made(order).index("A", 1)
    assert sorted(_made(order)) == sorted(_made(steps))
    product = _steps("H = relu(X)\nU = tanh(X)\nH = silu(H)\nZ = H * U\n")  # Z reads U as a tensor (Y * U): U comes first
    assert _made([product[k] for k in strand_order(product)]).index("U") < 3


def test_connected_strands_only():
    """A part holds one strand: steps linked by what they read, not two unrelated runs side by side."""
    from ncd_render.page.strands import connected

    steps = _steps("A = relu(X)\nB = relu(A)\nC = relu(X)\nZ = B + C\n")
    assert connected(steps[:2]) and connected(steps) and not connected(steps[1:3])


def test_deepseek_sections_drawn_as_strands():
    """DeepSeek-V3 fits a page only with its sections drawn strand by strand: the MoE's router, routed
    experts and shared expert in parts of their own, each part holding one strand, the parts in an order
    that builds (each reads only what earlier ones made), the MoE's title on one part only."""
    from ncd_render.layout import layout
    from ncd_render.page.flow import _room, part_scenes
    from ncd_render.page.strands import stranded
    from ncd_render.style import load_preset, load_theme

    figure = load(Path(ncd_render.__file__).parents[1] / "gallery" / "deepseek_v3.ncd")
    theme, preset = load_theme("paper"), load_preset("page")
    parts = stranded(figure.diagram, None, lambda d: _room(layout(d, theme, preset, part=True)))  # (as flow.part_scenes weighs them)
    assert len(stranded(figure.diagram, None, lambda d: 0.0)) < len(parts)  # parts cost room: fewer when only their number counts
    made = [{d.values[o.outputs[0]].name for o in d.ops if o.outputs and o.kind not in ("input", "output")} for d in (p.diagram for p in parts)]
    assert any("G" in m and "H" not in m and "ES" not in m for m in made)  # the router alone
    assert any("ES" in m and "G" not in m for m in made)  # the shared expert apart from it
    scenes = part_scenes(figure.diagram, None, theme, preset, strands=True)
    titles = ["".join(r.text for r in t.runs) for s in scenes for t in s.by_role("label.title")]
    assert titles.count("DeepSeekMoE: 1 shared + 8 of 256 routed experts") == 1 and "" not in titles


def test_a_figure_no_cut_fits_is_cut_as_narrow_as_it_can_be():
    """Where every way to cut leaves a row wider than asked (here each box is wider than the width),
    the rows are the narrowest there can be, one box each, not the figure uncut: what is then shrunk
    to fit shrinks least."""
    from ncd_render.page.rows import row_scenes
    from ncd_render.scene import Rect, Scene, Stroke

    items = [Rect(x, 0, 50, 10, Stroke(), "#fff", role="box") for x in (0, 80, 160)] + [Line(0, 5, 210, 5, Stroke())]
    rows = row_scenes(Scene(210, 10, items), 30, label_pad=2)
    assert [len(row.by_role("box")) for row in rows] == [1, 1, 1]
    assert max(row.width for row in rows) < 210 / 2  # each a box, its share of the gaps, the arrows and labels at its ends


BIG_IN_A_COLUMN = ["transformer", "vit", "mixtral", "deepseek_v3"]


@pytest.mark.parametrize("name", BIG_IN_A_COLUMN)
def test_a_big_figure_in_a_column_shrinks_least(name, measure_at):
    """A figure too big for a column even in rows is laid out again on the least larger page it fits,
    its rows cut at the width the shrunk figure has room for, then shrunk: the Transformer's labels
    print at 5.5 pt and their subscripts at 3.9 pt in a column (1.8 pt when its rows were cut at the
    column's own width, or not at all where no cut fitted it), and the shrunk figure fills its canvas
    top to bottom rather than standing in the middle of a column-tall one."""
    result, shrunk, _ = measure_at(Path(ncd_render.__file__).parents[1] / "gallery" / f"{name}.ncd", "column")
    assert shrunk, f"{name} now fits a column unshrunk: move it to COLUMN_FIGURES"
    assert result["label_pt_at_column"] >= 0.55 * FULL_SIZE, f"{name}: labels print at {result['label_pt_at_column']} pt in a column"
    assert result["width_pt"] <= 234.01 and result["height_pt"] <= 648.01
    with pytest.warns(SizeWarning):
        scene = load(Path(ncd_render.__file__).parents[1] / "gallery" / f"{name}.ncd", layout="column").scene()
    ink = [i.bbox for i in scene.items if i.role != "background"]
    assert min(b[1] for b in ink) < 10 and max(b[3] for b in ink) > scene.height - 10, f"{name}: empty bands above and below the figure"


def test_no_row_is_cut_between_a_wire_and_the_bar_it_enters():
    """A wire stops a little short of a concatenation's bar (ViT's patches and class token): a cut in
    that sliver left the wire ending, uncarried, at the end of one row and the bar alone at the start
    of the next. Such a cut is never chosen: the bar keeps the wires that enter it."""
    from ncd_render.page.rows import row_scenes
    from ncd_render.scene import Rect, Scene, Stroke, Text

    label = Text(40, 4, (), "sans", "#000", 14, 6, 2, "label.axis")  # the wire's label, just short of the bar
    items = [Rect(0, 0, 10, 10, Stroke(), "#fff", role="box"), Line(10, 5, 57.5, 5, Stroke()), label,
             Rect(60, 0, 3, 10, None, "#000", role="box"), Line(63, 5, 120, 5, Stroke()),
             Rect(120, 0, 10, 10, Stroke(), "#fff", role="box")]
    for width in range(40, 130, 5):
        for row in row_scenes(Scene(130, 10, items), width, label_pad=2):
            bars = [i for i in row.by_role("box") if i.w == 3]
            for bar in bars:
                assert any(isinstance(i, Line) and bar.x - 3 < max(i.x1, i.x2) <= bar.x for i in row.items), \
                    f"at {width} pt a row starts with the bar, its wire left in the row before"


def test_a_row_may_be_cut_through_the_label_of_a_wire_that_goes_on():
    """Two wiring regions with a wire's label between them and no room beside it (BERT's attention, where
    that left no cut and the page shrank to 75 %): where the page allows it, the cut goes through the
    label, and each row names the wire once there, by its arrow; a label whose wire does not go on
    still stands in the way."""
    from ncd_render.page.cuts import Gaps
    from ncd_render.page.rows import rows_cut_at
    from ncd_render.scene import Rect, Scene, Stroke, Text

    def figure(wire_goes_on: bool):
        label = Text(43, 3, (), "sans", "#000", 8, 6, 2, "label.axis", axis="k")  # on its wire at y = 5, just past its start
        wires = [Line(41, 5, 54, 5, Stroke())] if wire_goes_on else [Line(41, 5, 44, 5, Stroke()), Line(41, 15, 54, 15, Stroke())]
        scene = Scene(90, 20, [Rect(0, 0, 10, 20, Stroke(), "#fff", role="box"), Line(10, 5, 40, 5, Stroke()),
                               Rect(40, 0, 1, 20, None, None, role="region"), label, *wires,
                               Rect(54, 0, 1, 20, None, None, role="region"), Line(55, 5, 80, 5, Stroke()),
                               Rect(80, 0, 10, 20, Stroke(), "#fff", role="box")])
        scene.wire_names = ((5, 41, 54, replace(label, x=0, y=0), False, ()),)
        return scene

    scene = figure(wire_goes_on=True)
    assert not [c for c in Gaps(scene, 2.0).candidates if 41 < c.x < 54]  # the label fills the gap between the regions
    through = [c for c in Gaps(scene, 2.0, through_labels=True).candidates if 41 < c.x < 54]
    assert through, "no cut through the label of a wire that goes on"
    for row in rows_cut_at(scene, through[:1], label_pad=2.0):
        assert len([i for i in row.items if isinstance(i, Text) and i.axis == "k"]) == 1, "the wire is not named once at the cut"
    assert not [c for c in Gaps(figure(wire_goes_on=False), 2.0, through_labels=True).candidates if 41 < c.x < 54]


def test_a_copy_cut_off_from_its_consumers_is_handed_on_once():
    """Linear attention's page cut just past Q's copy, the labels of the wires before the dots in the way of a cut
    there: the first row handed Q on twice, two runs of wires named Q, and the second took Q in twice. A cut through
    those labels is offered where it splits no copy, so Q is handed on once and its dot stands in the next row."""
    scene = load(Path(__file__).parent / "corpus" / "linear_attention.ncd", layout="page").scene()
    names = Counter("".join(r.text for r in t.runs) for t in scene.by_role("label.name"))
    assert names["Q"] == 2, names  # handed on once, taken in once


def test_a_big_model_on_a_slide_is_set_in_rows(measure_at):
    """The slide layout breaks rows and defines components as a page does: the transformer is one
    16:9 slide with 7.0 pt labels (their subscripts 4.9 pt), where uncut it was a strip whose
    subscripts printed at 2.7 pt. (7.3 pt and 5.1 pt before its LNs' capsules lengthened half a point
    to keep their labels off the stroke: the rows needed the next larger page.)"""
    result, shrunk, _ = measure_at(Path(ncd_render.__file__).parents[1] / "gallery" / "transformer.ncd", "slide")
    assert (result["width_pt"], result["height_pt"]) == pytest.approx((720.0, 405.0))
    assert result["min_font_pt"] >= 4.8, f"labels print at {result['min_font_pt']} pt on the slide"
    assert result["label_overlaps"] == 0 and result["wire_through_box"] == 0


def test_a_loaded_wire_has_room_for_its_label(measure_at):
    """A stored tensor comes back in at a load's arrows and its wires start there: the gap holds
    their labels as it would after a box, so at a slide's 14.4 pt UNet's w1, loaded from C2, no
    longer runs into the concatenation's bar (it did with only the half gap after the arrows)."""
    result, *_ = measure_at(Path(ncd_render.__file__).parents[1] / "gallery" / "unet.ncd", "slide")
    assert result["label_overlaps"] == 0, result.get("label_overlap_list")


def test_the_shrink_warning_gives_advice_the_layout_can_take(tmp_path):
    """A layout with rows refuses --wrap and has tried every depth: its warning does not suggest
    them, and gives the size of the rows it set, not the figure's natural size, which it once claimed
    (a reviewer's: "3.12in x 10.06in at its natural size" of a figure 16.9 in wide); a plain layout's
    warning points to the layouts with rows."""
    from click.testing import CliRunner

    from ncd_render.cli import main

    source = Path(ncd_render.__file__).parents[1] / "gallery" / "transformer.ncd"
    column = CliRunner().invoke(main, ["render", str(source), "--layout", "column", "-o", str(tmp_path / "c.svg")])
    plain = CliRunner().invoke(main, ["render", str(source), "--width", "3in", "-o", str(tmp_path / "p.svg")])
    assert column.exit_code == plain.exit_code == 0
    assert "scaled to" in column.output and "--wrap" not in column.output and "--depth" not in column.output
    assert "set in rows at full size; to fit 3.25in" in column.output and "natural size" not in column.output
    assert "--layout column or page" in plain.output and "at its natural size; to fit 3in" in plain.output


def test_a_long_chain_on_a_page_is_not_weighed_strand_by_strand(monkeypatch):
    """The strands tier lays out every run of statements between two of its cuts, quadratic in the
    cuts: a chain of 20 residual blocks (100 boxes, 40 cuts) laid out 780 runs, 30 s for one page
    (300 boxes: over 5 minutes). A run with more than MOST_CUTS places to cut is left to rows."""
    import ncd_render.page.flow as flow
    from ncd_render.page.strands import MOST_CUTS

    sys.path.insert(0, str(Path(ncd_render.__file__).parents[1] / "bench"))
    from synthetic import synthetic

    calls = []
    laid = flow.layout
    monkeypatch.setattr(flow, "layout", lambda *a, **k: calls.append(1) or laid(*a, **k))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SizeWarning)
        scene = ncd_render.api.load_text(synthetic(100)).scene(layout_preset="page")
    assert len(calls) <= MOST_CUTS * (MOST_CUTS - 1) // 2, f"{len(calls)} runs laid out to weigh strands"
    assert len(scene.by_role("box")) >= 100  # every box drawn


def test_a_load_keeps_its_name_beside_its_arrows_in_rows():
    """A stored tensor's name and the arrows its wires come back in at are one glyph: a row break
    falls before or after it, never between (UNet in a column printed C2 at the end of one row and
    its wires' arrows at the start of the next)."""
    from ncd_render.layout import layout
    from ncd_render.page.rows import row_scenes
    from ncd_render.style import load_preset, load_theme

    diagram = load(Path(ncd_render.__file__).parents[1] / "gallery" / "unet.ncd").diagram
    loads = {op.id for op in diagram.ops if op.kind == "load"}
    scene = layout(diagram, load_theme("paper"), load_preset("column"))
    for width in range(150, int(scene.width), 10):
        for row in row_scenes(scene, width, label_pad=2.5):
            for name in (i for i in row.items if i.role == "label.name" and i.ref in loads):
                right = name.x + name.width
                assert any(i.role == "arrow" and right < i.bbox[0] < right + 12 for i in row.items), \
                    f"at {width} pt a load's name ends a row without its arrows"


NESTED_RETURN = """axis y = 8 width
axis m = 16
axis f = 32
block FeedForward(X[y m])
  H = linear(X: m -> f) as L_1
  section "out"
    Y = linear(H: f -> m) as L_2
    return Y
  end
end
input X[y m]
Y = FeedForward(X)
Y = FeedForward(Y)
output Y
"""


@pytest.mark.parametrize("preset", ["column", "page", "slide"])
def test_a_component_that_returns_inside_a_section_is_defined_on_a_page(preset):
    """The builder takes a 'return' inside a section of a component; the page's definition of the component
    turned only the body's own returns into outputs, so the page layouts refused what the paper layout drew
    ("'return' belongs inside a component block"; found by bench/fuzz.py --pages)."""
    from ncd_render.api import load_text

    figure = load_text(NESTED_RETURN, depth=0)
    assert figure.scene().width > 0
    scene = figure.scene(layout_preset=preset)
    texts = ["".join(r.text for r in i.runs) for i in scene.items if hasattr(i, "runs")]
    assert "FeedForward" in texts and "out" in texts  # the definition, with its section


@pytest.mark.parametrize("name", ["convolution", "transformer", "deepseek_v3"])
def test_a_section_has_one_colour_in_every_layout(name):
    """The page, column and slide layouts build their parts, rows and definitions as diagrams of their
    own: each section's panel still takes the colour the whole figure gives it (its place among the
    file's sections), not that of its place in the part, which painted every page panel the first colour."""
    from ncd_render.page.continued import CONTINUED
    from ncd_render.style import load_theme

    said = lambda t: "".join(r.text for r in t.runs).removesuffix(CONTINUED)  # noqa: E731

    def fills(layout: str) -> dict[str, str]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SizeWarning)  # the slide shrinks some figures a little
            scene = load(Path(ncd_render.__file__).parents[1] / "gallery" / f"{name}.ncd", layout=layout).scene()
        panels = [i for i in scene.items if isinstance(i, Rect) and i.role == "section"]
        found: dict[str, set] = {}
        for title in scene.by_role("label.title"):  # a title's panel: the smallest that holds it (none: the legend's)
            x0, y0, x1, y1 = title.bbox
            holding = [p for p in panels if p.x <= x0 and x1 <= p.x + p.w and p.y <= y0 and y1 <= p.y + p.h]
            if holding:
                found.setdefault(said(title), set()).add(min(holding, key=lambda p: p.w * p.h).fill)
        assert all(len(f) == 1 for f in found.values()), found  # a section continued in another row: the same colour
        return {title: f.pop() for title, f in found.items()}

    palette = load_theme("paper").colors.sections
    paper = fills("paper")
    assert len(set(paper.values())) == min(len(paper), len(palette)) > 1  # sections in reading order take colours in turn
    for layout in ("page", "column", "slide"):
        other = fills(layout)
        assert other and all(other[t] == paper[t] for t in other if t in paper), (layout, other, paper)
        assert len(set(other.values())) > 1, layout


def test_a_page_tries_each_drawing_of_the_figure_once():
    """A page collapses components depth by depth until the figure fits; depths that draw the same diagram
    (the transformer built at depth 2 draws the same at 2 and 1: no call is deeper than the first) are
    laid out and tried once, and the figure set on the page is still the one the shallower tries find."""
    from ncd_render.api import load_text
    from ncd_render.page.compose import _Page, page_scene
    from ncd_render.page.depths import depths_to_try, overview_at, same_drawing
    from ncd_render.style import load_preset, load_theme

    text = (Path(ncd_render.__file__).parents[1] / "gallery" / "transformer.ncd").read_text()
    assert "depth 0\n" in text
    diagram = load_text(text.replace("depth 0\n", "depth 2\n")).diagram
    theme, preset = load_theme("paper"), load_preset("page")
    tried = _Page(diagram, theme, preset, [], 468).depths()
    every = list(depths_to_try(diagram))
    assert list(tried) == [None, 0] and every == [None, 2, 1, 0]
    assert not same_drawing(tried[None], tried[0]) and len(tried[0].ops) < len(tried[None].ops)
    assert all(any(same_drawing(overview_at(diagram, d), o) for o in tried.values()) for d in every)
    page = page_scene(diagram, theme, preset, 468, 648)  # fits at depth 0, collapsed, with its definitions
    assert page.width <= 468.01 and any(i.role == "label.definition" for i in page.items)



@pytest.mark.parametrize("name, layout", [("mha", "column"), ("lora_linear", "column"), ("deepseek_v3", "page")])
def test_a_part_ends_its_wires_past_their_labels_before_the_arrowheads(name, layout):
    """A page's part whose last box stands at its end labels that box's outputs just past it; where they go
    on in a later part an arrowhead ends each wire. The part's wires end far enough past their labels for
    the arrowheads to stand clear of them (mha's column drew L_V's and L_K's k and h on their arrows)."""
    root = Path(ncd_render.__file__).parents[1]
    source = root / "gallery" / f"{name}.ncd" if (root / "gallery" / f"{name}.ncd").exists() else root / "tests" / "corpus" / f"{name}.ncd"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SizeWarning)
        scene = load(source, layout=layout).scene()
    arrows = scene.by_role("arrow.continue.out")
    labels = [i for i in scene.items if i.role.startswith("label") and isinstance(i, Text)]
    assert arrows and labels
    for arrow in arrows:
        ax0, ay0, ax1, ay1 = arrow.bbox
        for label in labels:
            x0, y0, x1, y1 = label.bbox
            assert x1 <= ax0 + 0.3 or ax1 <= x0 + 0.3 or y1 <= ay0 + 0.3 or ay1 <= y0 + 0.3, ("".join(r.text for r in label.runs), arrow.bbox)


def test_a_part_sets_its_input_labels_clear_of_the_arrowheads_that_bring_them_in():
    """A part that takes what an earlier part made starts those wires with arrowheads; their axis labels stand past
    the arrowheads' tips, not on them (a new user's MLP in a column: the second part's f and ȳ sat on the tips)."""
    text = ('axis y = 8 width\naxis m = 4\naxis f = 16\ninput X[y m]\nsection "First"\n  H = linear(X: m -> f) as L_1\n'
            '  H = relu(H)\n  H = linear(H: f -> f) as L_2\n  H = relu(H)\nend\nsection "Second"\n  H = linear(H: f -> f) as L_3\n'
            '  H = relu(H)\n  H = linear(H: f -> m) as L_4\nend\noutput H\n')
    scene = load_text(text, "r.ncd").scene(layout_preset="column")
    arrows = scene.by_role("arrow.continue.in")
    labels = [i for i in scene.items if i.role == "label.axis"]
    assert len(arrows) == 2
    for arrow in arrows:
        ax0, ay0, ax1, ay1 = arrow.bbox
        near = [label for label in labels if label.bbox[1] < ay1 + 12 and label.bbox[3] > ay0 - 12 and label.bbox[0] < ax1 + 8]
        assert near and all(label.bbox[0] >= ax1 + 1.0 for label in near), (arrow.bbox, [label.bbox for label in near])


CORPUS = Path(ncd_render.__file__).parents[1] / "tests" / "corpus"
LATENTS = (CORPUS / "perceiver_latents.ncd").read_text()


def test_a_row_too_wide_with_names_leaves_the_others_named():
    """Perceiver's attention in a column: one row (the scores' softmax, W_o and the residual) is too wide with the
    names of the tensors it takes in. Rows named all or none, so none were: a reader could not tell the latents
    from the input where Q, K and V meet. Each row now names what it takes in where that leaves it narrow enough.
    The last row ends the figure at its ink (the layout's margin was counted as its width: 3 pt too wide)."""
    from ncd_render.api import load_text

    scene = load_text(LATENTS, layout="column").scene()
    names = Counter("".join(r.text for r in i.runs) for i in scene.items if i.role == "label.name")
    assert scene.width <= 234.01 and names["L"] >= 1 and names["X"] >= 2


QK_NORM = (CORPUS / "qk_norm_attention.ncd").read_text()


def test_a_row_leaving_out_a_wire_leaves_out_its_labels_bar():
    """On a slide (labels 1.6 times a page's), a row that left out the wires nothing in it touched left the bars
    of their labels' overlines (ȳ, x̄) standing alone below the row: a bar stood more than 12 pt above its wire,
    and only what stood nearer went with the wire. A bar now goes with the label under it."""
    from ncd_render.api import load_text

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SizeWarning)
        scene = load_text(QK_NORM, layout="slide").scene()
    texts = [i.bbox for i in scene.items if isinstance(i, Text)]
    bars = [i.bbox for i in scene.items if i.role == "label.overline"]
    assert bars and all(any(t[0] - 1 <= b[0] and b[2] <= t[2] + 1 and t[1] - 3 <= b[1] <= t[3] for t in texts) for b in bars)


def test_a_part_takes_its_inputs_in_as_its_boxes_stack_them():
    """A part of a page takes its inputs in, top to bottom, in the order its boxes stack them, not the
    order it first reads them: the cross-attention's second part in a column reads the image for W_V
    before the scores P, yet P meets V as the einsum's first operand, so P stands above and crosses
    fewer wires than with the image on top. The figure's own inputs keep their declared order."""
    from dataclasses import replace

    from ncd_render.api import load_text
    from ncd_render.ir import build
    from ncd_render.layout import layout
    from ncd_render.layout.choice import crossing_report
    from ncd_render.page.flow import _room
    from ncd_render.page.strands import stranded
    from ncd_render.parse import Input
    from ncd_render.style import load_preset, load_theme

    head = "axis y = 8 width\naxis x = 16 width\naxis m = 32\naxis v = 24\naxis h = 2\naxis k = 8\n"
    body = ("N = layernorm(X: m)\nQ = linear(N: m -> k h) as W_Q\nK = linear(Img: v -> k h) as W_K\n"
            "S = einsum(Q, K: y k h, x k h -> y x h) * k^-1/2\nP = softmax(S: x)\n"
            "V = linear(Img: v -> k h) as W_V\nO = einsum(P, V: y x h, x k h -> y k h)\n"
            "A = linear(O: k h -> m) as W_O\nY = X + A\noutput Y\n")
    theme, preset = load_theme("paper"), load_preset("column")
    parts = stranded(load_text(head + "input X[y m], Img[x v]\n" + body).diagram, None, lambda d: _room(layout(d, theme, preset)))
    names = [[d.values[v].name for v in d.inputs] for d in (p.diagram for p in parts)]
    second = next(p.diagram for p, n in zip(parts, names) if "P" in n)
    assert [n.index("P") < n.index("Img") for n in names if "P" in n] == [True]
    program = second.source  # the same part taking its inputs as first read: the image (read by W_V) first
    decl = next(s for s in program.statements if isinstance(s, Input))
    as_read = tuple(sorted(decl.tensors, key=lambda t: t.name != "Img"))
    statements = tuple(replace(decl, tensors=as_read) if s is decl else s for s in program.statements)
    as_read = build(replace(program, statements=statements))
    assert crossing_report(second)[0] < crossing_report(as_read)[0]
    assert all(n.index("X") < n.index("Img") for n in names if "X" in n and "Img" in n)


@pytest.mark.parametrize("name, width", [("window_attention", 400), ("perceiver_latents", 400)])
def test_a_page_row_never_takes_in_a_copy_it_could_have_fanned_out(name, width):
    """Swin's window attention on a page: its first row ended right after its input fanned out to W_Q, W_K and W_V,
    holding nothing but the rearrangement's bars and the copy's bends (nearly 200 pt tall), and the next row took the
    same tensor in three times, U, U, U. A cut through a copy's branches now costs as much as another row for each
    branch beyond the first: the fan-out stays in the row with the boxes it feeds, and no row names a tensor twice.
    Perceiver's latents and input, copied for Q, K and V, were cut off from them the same way (its regions drawn
    straight, it fits a page's row: cut at 400 pt; so does the window attention, its windows drawn once)."""
    from ncd_render.api import load_text
    from ncd_render.layout import layout
    from ncd_render.page.rows import row_scenes
    from ncd_render.style import load_preset, load_theme

    preset = load_preset("page")
    whole = layout(load_text((CORPUS / f"{name}.ncd").read_text()).diagram, load_theme("paper"), preset)
    rows = row_scenes(whole, width, preset.label_pad)
    assert len(rows) > 1
    for row in rows[1:]:
        names = Counter("".join(r.text for r in t.runs) for t in row.by_role("label.name") if t.bbox[2] < row.width / 2)
        assert names and max(names.values()) == 1, names


def test_a_part_gives_q_k_v_on_top_to_bottom_though_q_turns_after_v_is_made():
    """Llama's attention on a page: its first part makes Q, K and V and turns Q and K by RoPE, written after
    W_V. Beside W_K and W_V, Q's RoPE counted as a box the file writes after theirs, so the reading-order
    tie-break put Q below V (K, V, Q down the row's end). A box now ranks by where the file starts its
    strand (W_Q's, for Q's RoPE): the part gives Q, K, V top to bottom, as the next row takes them."""
    from ncd_render.api import load_text

    scene = load_text((CORPUS / "llama_attention.ncd").read_text(), layout="page").scene()
    ends = {}
    for t in scene.by_role("label.name"):
        name = "".join(r.text for r in t.runs)
        if name in ("Q", "K", "V") and (name not in ends or t.x > ends[name].x):
            ends[name] = t  # the name at the first row's end, right of its arrows
    assert ends["Q"].y < ends["K"].y < ends["V"].y


def test_a_residual_stream_made_again_comes_into_its_next_part_with_arrowheads():
    """X = X + A, then a part reading X: that X was made by the part before, but it has the figure input's name, and
    it came in with no arrowheads, reading as the figure's own input (the wrong residual). Which inputs a part was
    handed is known by where they were made, not by their names."""
    from ncd_render.page.flow import part_scenes
    from ncd_render.style import load_preset, load_theme

    text = ("axis y = 3 width\naxis m = 4\ninput X[y m]\nsection \"A\"\n  A = linear(X: m -> m) as W_1\nend\nX = X + A\n"
            "section \"B\"\n  F = linear(X: m -> m) as W_2\nend\nX = X + F\noutput X\n")
    parts = part_scenes(ncd_render.load_text(text).diagram, None, load_theme("paper"), load_preset("page"))
    counts = [len(p.by_role("arrow.continue.in")) for p in parts]
    # A: the figure's X; the sum: X, which A hands on past its box (a residual stream), and A; B: the new X; the last
    # sum: X and F
    assert counts == [0, 4, 2, 4], counts


def _labels_left_of_out_arrows(scene) -> list:
    """(arrow tip, wire height) of each arrowhead carrying a wire on with no axis label on its wire just left of it."""
    labels = [t for t in scene.items if t.role == "label.axis"]
    missing = []
    for arrow in scene.items:
        if arrow.role != "arrow.continue.out":
            continue
        x0, y0, x1, y1 = arrow.bbox
        y = (y0 + y1) / 2
        if not any(t.bbox[3] <= y + 1 and y - t.bbox[3] < 8 and x0 - 60 < t.bbox[2] <= x0 + 0.5 for t in labels):
            missing.append((round(x1, 1), round(y, 1)))
    return missing


def test_every_wire_a_part_hands_on_is_labelled_at_its_arrow():
    """The column layout's MHA: Q, K and V's first part ended with ȳ, x̄ and the x̄ copy for V carried on by arrowheads
    with no label (they were labelled at their start, 150 pt back), though a row's end labels every wire it carries on
    (a tester's paper)."""
    scene = load(Path(__file__).resolve().parents[1] / "gallery" / "mha.ncd", layout="column").scene()
    assert scene.by_role("arrow.continue.out")
    assert not _labels_left_of_out_arrows(scene)


def test_a_tandem_wire_carried_into_a_row_names_its_tensor_once():
    """A tensor of a tandem axis (x = h w) and a channel axis, carried into the next row: its name stood at each
    line of the tandem pair and at its channel wire, 'X, X, H, H' beside four arrows (a tester's UNet ResBlock)."""
    text = ("axis h = 8 width\naxis w = 8 width\naxis i = 3\naxis j = 3\naxis c = 16\naxis d = 32\ntandem x = h w\n"
            "input X[h w c]\nsection \"Block\"\n"
            + "".join(f"  H{k} = groupnorm({'X' if k == 0 else f'H{k - 1}'}: c h w) with groups=4 as GN_{k}\n"
                      f"  H{k} = silu(H{k})\n" for k in range(6))
            + "  Y = X + H5\nend\noutput Y\n")
    scene = load_text(text).scene(layout_preset="column")
    assert scene.by_role("arrow.continue.in"), "the figure is cut into rows"
    names = Counter("".join(r.text for r in t.runs) for t in scene.items if t.role == "label.name")
    assert names["X"] in (2, 3), names  # where it comes in, where the next row takes it in, and where its row hands it on (where that fits)


def test_a_page_that_fits_only_without_the_names_of_the_tensors_rows_take_in_says_so(measure_at):
    """DeepSeek-V3 fits a page at full size only with its rows' tensor names left out: a reader met two pairs of
    unnamed wires entering a sum, and nothing said why (a tester's Perceiver); a figure that keeps them says nothing."""
    gallery = Path(ncd_render.__file__).parents[1] / "gallery"
    _, shrunk, notes = measure_at(gallery / "deepseek_v3.ncd", "page")
    notes = [n for n in notes if "legend of sizes" not in str(n)]  # (its legend left out is said apart)
    assert not shrunk and len(notes) == 1 and "do not name the tensors they hand on and take in" in str(notes[0])
    assert [n for n in measure_at(gallery / "transformer.ncd", "page")[2] if "legend of sizes" not in str(n)] == []


def test_a_page_keeps_the_figure_s_title():
    """A page set part by part took its first block's title, none: a TikZ file's header comment read 'A neural
    circuit diagram' and an SVG had no <title> (a tester's GPT-2 in a column)."""
    figure = load(Path(ncd_render.__file__).parents[1] / "gallery" / "mha.ncd", layout="column")
    scene = figure.scene()
    assert scene.by_role("arrow.continue.in"), "set in parts"
    assert scene.title == figure.diagram.title and scene.title


def test_a_sublayer_s_part_carries_its_residual_stream_on_to_the_sum():
    """Mixtral's page drew its attention section reading X into RMS with no copy, and the sum 'X + A' below it took in
    an X that came from nowhere (two testers): a tensor a part reads, that the statement after it joins to what the
    part makes, goes on through the part, copied where it is read, and is handed to the sum."""
    from ncd_render.page.flow import part_scenes
    from ncd_render.style import load_preset, load_theme

    text = ("axis y = 3 width\naxis m = 4\ninput X[y m]\nsection \"A\"\n  N = layernorm(X: m)\n  A = linear(N: m -> m) as W_1\n"
            "end\nX = X + A\noutput X\n")
    first, total = part_scenes(ncd_render.load_text(text).diagram, None, load_theme("paper"), load_preset("page"))
    assert len(first.by_role("dot")) == 2  # X's two wires copied: one copy into the norm, one on
    assert len(first.by_role("arrow.continue.out")) == 4 and len(total.by_role("arrow.continue.in")) == 4


GQA_OUTPUT = """title "Grouped-query attention, its output map"
axis y = 8 width
axis x = y width
axis m = 64
axis n = 2
axis g = 4
axis k = 16
input X[y m]
section "Attention"
  Q = linear(X: m -> k g n) as W_Q
  K = linear(X: m -> k n) as W_K
  V = linear(X: m -> k n) as W_V
  Kx = rename(K: y -> x)
  Vx = rename(V: y -> x)
  S = einsum(Q, Kx: y k g n, x k n -> y x g n) * k^-1/2
  P = softmax(S: x)
  O = einsum(P, Vx: y x g n, x k n -> y k g n)
end
Y = linear(O: k g n -> m) as W_O
output Y
"""


@pytest.mark.parametrize("text", [GQA_OUTPUT] + [(Path(__file__).resolve().parents[1] / "gallery" / f"{name}.ncd").read_text() for name in ("transformer", "vit")],
                         ids=["gqa", "transformer", "vit"])
def test_a_parts_input_labels_stand_past_the_arrowheads_the_page_draws(text):
    """A part whose first box stands at its input wires' height (GQA's W_O: 'k g n' read off three arrowheads, a g's tail
    on one; one label each in the transformer's and ViT's pages): the gap before the box holds the arrowhead and the label."""
    scene = load_text(text).scene(layout_preset="page")
    arrows = [i.bbox for i in scene.items if i.role == "arrow.continue.in"]
    for label in (i for i in scene.items if i.role == "label.axis"):
        a = label.bbox
        hit = [b for b in arrows if a[0] < b[2] - 0.3 and b[0] < a[2] - 0.3 and a[1] < b[3] - 0.3 and b[1] < a[3] - 0.3]
        assert not hit, f"the label {''.join(r.text for r in label.runs)!r} at {a} overlaps an arrowhead at {hit[0]}"


def test_a_cut_leaves_no_empty_strip_of_a_section_beside_the_next_row():
    """MHA in a 229.5 pt column (a stock two-column article's): the cut after the attention left 12.2 pt of its panel,
    the whole section tall, beside W_O in the next row, an empty purple strip 1.6 in high (the figure 6.94 in tall, 5.34
    at 3.25 in). A narrow piece of a section that holds no box is left out, as a sliver is."""
    scene = load(Path(__file__).resolve().parents[1] / "gallery" / "mha.ncd").scene(layout_preset="column", width="229.5pt")
    boxes = [i.bbox for i in scene.items if i.role in ("box", "region")]
    for panel in (i for i in scene.items if i.role == "section"):
        x0, y0, x1, y1 = panel.bbox
        assert any(b[0] < x1 and b[2] > x0 and b[1] < y1 and b[3] > y0 for b in boxes), panel


@pytest.mark.parametrize("layout", ["column", "page"])
def test_a_figure_whose_output_is_written_inside_a_section_is_set_in_rows(layout):
    """bench/fuzz.py's mutant of unet_level.ncd wraps its last statements, 'output' among them, in a section: the
    figure builds and draws, but weighing that section's strands built a part with nothing to give, which stopped the
    column layout with 'the diagram has no output statement' on line 1."""
    scene = load(Path(__file__).resolve().parent / "fuzz_cases" / "output_inside_a_section.ncd", layout=layout).scene()
    assert scene.by_role("box")


def test_a_row_ends_level_where_its_wires_bend_only_to_meet_the_next_row():
    """UNet's upsampled tensor steps down past its box to enter the concatenation under the skip connection; cut
    into rows, the step stayed in the row that hands U on, which ended in a fall 20 pt deep with nothing below it.
    Here a wire steps down after its first box to meet the second: the row with the first box ends level with it,
    and the next row takes the wire in at the height the figure gives it, as before."""
    from ncd_render.page.rows import ROW_GAP, row_scenes
    from ncd_render.scene import Path as ScenePath, Scene, Stroke
    from ncd_render.wrap import stack_rows

    box = lambda x, y: Rect(x, y - 5, 10, 10, Stroke(), "#fff")  # noqa: E731
    bend = ScenePath((("M", 40, 5), ("C", 45, 5, 45, 45, 50, 45)), Stroke(), role="wire.bend")
    wide = Scene(200, 50, [box(10, 5), Line(0, 5, 40, 5, Stroke()), bend, Line(50, 45, 200, 45, Stroke()), box(150, 45)])
    first, second = row_scenes(wide, 120, label_pad=3)
    assert not first.by_role("wire.bend")
    (head,) = first.by_role("arrow.continue.out")
    (box_in_row,) = first.by_role("box")
    assert abs((head.bbox[1] + head.bbox[3]) / 2 - (box_in_row.y + 5)) < 0.01  # level with the box
    assert first.height < 20
    (head,) = second.by_role("arrow.continue.in")
    (box_in_row,) = second.by_role("box")
    assert abs((head.bbox[1] + head.bbox[3]) / 2 - (box_in_row.y + 5)) < 0.01
    assert len(stack_rows([first.items, second.items], wide, ROW_GAP).by_role("box")) == 2


def test_a_part_s_input_made_earlier_keeps_its_arrowheads_where_it_comes_in_late():
    """DiT's gate Ga, made by the first part (W_ada's split), waits through the attention's first rows and comes in
    where it gates the attention's output: with arrowheads, as from an earlier part; only the figure's own inputs
    come in late without them."""
    scene = load(Path(__file__).resolve().parent / "corpus" / "dit_block.ncd", layout="page").scene()
    names = {"".join(r.text for r in t.runs): t for t in scene.by_role("label.name")}
    assert {"Ga", "Cf", "Gf"} <= set(names)
    for name in ("Ga", "Cf", "Gf"):
        text = names[name]
        if text.bbox[2] > scene.width / 2:
            continue  # (a part's output named right of its arrows)
        heads = [a for a in scene.by_role("arrow.continue.in") if text.bbox[2] < a.bbox[0] < text.bbox[2] + 8
                 and text.bbox[1] - 4 < (a.bbox[1] + a.bbox[3]) / 2 < text.bbox[3] + 4]
        assert heads, name


def test_a_figure_output_the_last_part_reads_goes_out_of_that_part_too():
    """CLIP's logits L are an output, and their transpose Lᵀ another, made after L's section: cut into parts, L left
    its part with arrowheads and the last part turned it into Lᵀ alone, so nowhere did L end as a result."""
    from ncd_render.page.chunks import chunks

    d = load_text('axis a = 4 width\naxis b = a width\naxis e = 3\ninput I[a e], T[b e]\nsection "Similarities"\n'
                  '  L = einsum(I, T: a e, b e -> a b)\nend\nLp = rearrange(L: a b -> b a)\noutput L, Lp\n').diagram
    parts = chunks(d)
    assert len(parts) == 2
    last = parts[-1].diagram
    assert sorted(last.values[v].name for v in last.outputs) == ["L", "Lp"]


def test_a_repeat_cut_into_rows_leaves_no_box_alone_in_its_last_row():
    """The transformer's encoder layer, too wide for the page, left its last norm alone in a row with the closing
    bracket, "X -> LN ) X", set apart from the layer it ends; it is cut after its first sublayer now."""
    scene = load(Path(__file__).resolve().parents[1] / "gallery" / "transformer.ncd", layout="page").scene()
    boxes, panels = scene.by_role("box"), scene.by_role("section")
    assert scene.by_role("bracket")
    for bracket in scene.by_role("bracket"):
        x0, y0, x1, y1 = bracket.bbox
        (panel,) = [p for p in panels if p.bbox[0] <= x0 and x1 <= p.bbox[2] + 8 and p.bbox[1] <= y0 and y1 <= p.bbox[3]]
        inside = [b for b in boxes if panel.bbox[0] <= b.bbox[0] and b.bbox[2] <= panel.bbox[2] and panel.bbox[1] <= b.bbox[1]
                  and b.bbox[3] <= panel.bbox[3]]
        assert len(inside) >= 3, (bracket.bbox, len(inside))


def _chain(n: int) -> str:
    return "axis m = 2\ninput X0[m]\n" + "".join(f"X{k + 1} = relu(X{k})\n" for k in range(n)) + f"output X{n}\n"


def test_a_long_chain_s_strand_breaks_read_each_step_once(monkeypatch):
    """:func:`.strands.breaks` reads each step's names once, not every later step's again for each step (a chain of
    5,000 relus made 25 million reads, 11 s of its page layout); the breaks stay where they were."""
    import ncd_render.page.strands as strands
    from ncd_render.parse import parse

    text = ("axis m = 4\ninput X[m]\nY = relu(X)\nA = relu(Y)\nB = relu(Y)\nA = tanh(A)\nB = tanh(B)\nZ = A + B\n"
            "Z = relu(Z)\nY = relu(Z)\nW = Y + Z\noutput W\n")
    assert strands.breaks(parse(text).statements[2:-1]) == [1, 2, 3, 4, 5, 7, 8]  # as the step-by-step reading found them
    steps = parse(_chain(300)).statements[2:-1]
    reads = []
    real = strands.reads_of
    monkeypatch.setattr(strands, "reads_of", lambda s: reads.append(1) or real(s))
    assert strands.breaks(steps) == []  # one strand: each step reads what the step before made, and nothing else does
    assert len(reads) <= len(steps), f"{len(reads)} reads for {len(steps)} steps"


def test_wire_labels_at_many_cuts_are_found_near_each_cut():
    """:func:`.relabel.labels_of` finds what :func:`.relabel.label_of` finds, at every place to cut and at every
    wire's ends (the rows' cuts looked through every wire of the figure at each: quadratic in a long chain)."""
    from ncd_render.layout import layout
    from ncd_render.page.relabel import label_of, labels_of
    from ncd_render.style import load_preset, load_theme

    for source in (Path(ncd_render.__file__).parents[1] / "gallery" / "mha.ncd", None):
        diagram = load(source).diagram if source else load_text(_chain(40)).diagram
        names = layout(diagram, load_theme("paper"), load_preset("page")).wire_names
        find = labels_of(names)
        asked = 0
        for y, x0, x1, _, _, runs in names:  # (a chain's one wire carries a run for each tensor)
            for a, b in [(x0, x1)] + [(t0, t1) for t0, t1, _ in runs]:
                for x in (a - 0.51, a - 0.5, a, (a + b) / 2, b, b + 0.5, b + 0.51):
                    for at in (y, y + 0.009, y - 0.011):
                        assert find(at, x) == label_of(at, x, names), (at, x)
                        asked += 1
        assert asked >= 15 * 21


def test_a_page_chooses_each_scene_s_cuts_once_at_each_width(monkeypatch):
    """Each tier, each width fraction 1.0 and the tier chosen, titled again, asked for a scene's cuts at the same width:
    :func:`.cuts.choose_cuts` (a shortest path over thousands of places to cut in a long chain) runs once for each."""
    import ncd_render.page.compose as compose

    asked = Counter()
    real = compose.choose_cuts
    monkeypatch.setattr(compose, "choose_cuts", lambda scene, at, pad, gaps, shrunk: asked.update([(id(gaps), at, shrunk)])
                        or real(scene, at, pad, gaps, shrunk))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SizeWarning)
        load_text(_chain(60)).scene(layout_preset="page")
    assert asked and max(asked.values()) == 1, asked.most_common(3)


def test_a_part_s_wires_take_their_labels_at_its_arrowheads_where_the_page_leaves_room():
    """The transformer's embedding ends in its sum, a box too close to the part's end for the labels of the wires it
    hands on: X's m went on unlabelled. Once the page is arranged, the part runs on into the room beside it (the
    definition to its right keeps half the gap between blocks) and m is labelled at its arrowhead; the page stays
    within its 6.5 x 9 in, at full size."""
    from ncd_render.page.arrows import ARROW, tips

    scene = load(Path(__file__).resolve().parents[1] / "gallery" / "transformer.ncd", layout="page").scene()
    assert scene.width <= 468 + 0.01 and scene.height <= 648 + 0.01 and min(t.runs[0].size for t in scene.by_role("label.axis")) >= 9
    x_name = min((t for t in scene.by_role("label.name") if "".join(r.text for r in t.runs) == "X"), key=lambda t: (t.y, -t.x))
    heads = [h for h in scene.by_role("arrow.continue.out") if h.bbox[2] < x_name.bbox[0] + 1 and h.bbox[1] < x_name.bbox[3] + 8]
    assert len([y for h in heads for y in tips(h)]) == 2
    axis_labels = scene.by_role("label.axis")
    for head in heads:
        for y in tips(head):
            assert any(abs(t.y - (y - 2.0)) < 0.6 and head.bbox[0] - ARROW <= t.bbox[2] <= head.bbox[0] for t in axis_labels), y


@pytest.mark.parametrize("width", ["150pt", "165pt", "180pt", "200pt"])
def test_a_tandem_leaves_or_stays_in_a_row_with_both_its_lines(width):
    """ResNet's pixel positions x = h w are two lines 4 pt apart. In a 165 pt column the row of its second ★3, which
    the branch's x only passes, left out one line of the pair with its arrowheads and kept the other, a lone thin line
    labelled x̄ at both ends, its tensor's name gone; each line labelled x̄ now has its partner beside it."""
    from ncd_render.style import load_preset

    pitch, pad = load_preset("column").tandem_pitch, load_preset("column").label_pad  # (closer in a figure scaled to fit)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SizeWarning)
        scene = load(Path(ncd_render.__file__).parents[1] / "gallery" / "resnet.ncd", layout="column").scene(width=width)
    wires = [i for i in scene.items if isinstance(i, Line) and i.role == "wire" and i.y1 == i.y2]
    bold = [t for t in scene.labels() if t.role == "label.axis" and "".join(r.text for r in t.runs) == "x"]
    assert bold
    for label in bold:
        under = [w for w in wires if abs(w.y1 - label.y - pad) < 0.5 and min(w.x1, w.x2) - 1 <= label.x <= max(w.x1, w.x2) + 1]
        assert under, label
        assert all(any(pitch / 2 < abs(v.y1 - w.y1) <= pitch + 0.01 and min(v.x1, v.x2) < label.x < max(v.x1, v.x2) for v in wires)
                   for w in under), (label.x, label.y)


DECAY = ("axis y = 8 width\naxis x = y width\naxis h = 4\ninput T[y h], S[y x]\nsection \"Decay mask\"\n"
         "  G = layerscale(T: h) as A\n  G = cumsum(G: y)\n  Gx = rename(G: y -> x)\n  D = G - Gx\n"
         "  D = mask(D: y x) with causal\n  L = exp(D)\nend\nsection \"Use\"\n  M = L * S\n  M = softmax(M: x)\n"
         "  M = sum(M: h)\nend\noutput M\n")


def _tensor_ends(scene, start: bool) -> dict:
    """Each tensor a part's scene takes in (``start``) or hands on, its axes top to bottom at that edge."""
    edge = (min if start else max)(n[1] if start else n[2] for n in scene.wire_names)
    found = {}
    for y, x0, x1, label, _, runs in sorted(scene.wire_names, key=lambda n: n[0]):
        at, run = (x0, runs[0]) if start else (x1, runs[-1])
        if abs(at - edge) < 0.5 and abs(run[0 if start else 1] - at) < 0.5 and run[2] is not None:
            found.setdefault("".join(r.text for r in run[2].runs), []).append(label.axis)
    return found


@pytest.mark.parametrize("strands", [False, True])
def test_a_tensor_goes_into_the_next_part_with_its_wires_as_they_left_the_last(strands):
    """A Mamba-2 decay mask, exp(G - Gx) with its causal mask, handed L on x, y, h top to bottom (the outer difference
    put the keys' x on top) and the next part took L in y, h, x, its axes' order: the rows swapped L's wires across
    the break, unmarked. It goes in now as it came out."""
    from ncd_render.page.flow import part_scenes
    from ncd_render.style import load_preset, load_theme

    parts = part_scenes(load_text(DECAY).diagram, None, load_theme("paper"), load_preset("column"), strands=strands, width=234.0)
    handed = {}
    for scene in parts:
        taken = _tensor_ends(scene, start=True)
        assert all(taken[n] == handed[n] for n in taken if n in handed), (taken, handed)
        handed.update(_tensor_ends(scene, start=False))
    assert "L" in handed


def test_a_section_goes_on_titled_even_where_its_title_is_wider_than_the_piece():
    """A section whose title is wider than its piece in the next row went on there untitled, as if another
    section; its title now goes on cut after a whole word: "A rather long section title… (cont.)"."""
    text = ("axis y = 8 width\naxis m = 4\ninput X[y m], R[y m]\nsection \"A rather long section title for this block\"\n"
            + "".join(f"  H = linear({'X' if k == 1 else 'H'}: m -> m) as L_{k}\n" for k in range(1, 8))
            + "  H = H + R\nend\nZ = relu(H)\noutput Z\n")
    scene = load_text(text, layout="column").scene()
    titles = ["".join(r.text for r in t.runs) for t in scene.labels() if t.role == "label.title"]
    assert titles[0] == "A rather long section title for this block"
    assert len(titles) == 2 and titles[1].startswith("A rather") and titles[1].endswith("… (cont.)"), titles


def test_a_flag_wires_arrowhead_stands_by_its_label_not_at_a_rows_end():
    """A boolean mask that waits across a page's rows took its datatype arrowhead just short of the box that reads
    it, which a row's cut put by the row's end: two arrowheads a label apart on one wire (▸ ȳ ▸). It stands near the
    wire's label now, where the wire first says what it carries."""
    text = ("axis y = 8 width\naxis x = y width\naxis h = 4\naxis f = 4\ninput Hx[x f h], H[y f h], M[y x] bool\n"
            "section \"Attention coefficients\"\n  El = linear(H: f -> ) with per=h as a_l\n"
            "  Er = linear(Hx: f -> ) with per=h as a_r\n  E = El + Er\n  E = leaky_relu(E) with slope=0.2\n"
            "  E = mask(E, M)\n  P = softmax(E: x)\nend\noutput P\n")
    scene = load_text(text, layout="column").scene()
    rows = [a.bbox for a in scene.items if a.role.startswith("arrow.continue")]
    flags = [a.bbox for a in scene.items if a.role in ("arrow", "arrow.ids")]  # (a mark's arrows too: none on a wire's end)
    assert rows and flags
    beside = [(f, r) for f in flags for r in rows if f[1] < r[3] and r[1] < f[3] and f[0] - 20 < r[2] and r[0] < f[2] + 20]
    assert not beside, beside


@pytest.mark.parametrize("source", ["corpus/mamba2_ssd", "corpus/dit_block"])
def test_an_axis_label_keeps_clear_of_a_mark_s_arrowheads(source):
    """RWKV's page: R came into a part of its own, its σ mark at the start, and ȳ, set past the page's arrowhead,
    stood under the mark's left arrowhead, its overline through it (Mamba-2's ȳ under a SiLU likewise). A label set
    there moves on past the mark's arrowheads, where the wire leaves room."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SizeWarning)
        items = load(Path(__file__).parent / f"{source}.ncd").scene(layout_preset="page").items
    heads = [i.bbox for i in items if i.role == "arrow"]
    marks = [i for i in items if i.role in ("label.axis", "label.overline")]
    hit = [(i.role, [round(v, 1) for v in i.bbox]) for i in marks for a in heads
           if min(i.bbox[2], a[2]) - max(i.bbox[0], a[0]) > 0.2 and min(i.bbox[3], a[3]) - max(i.bbox[1], a[1]) > 0.2]
    assert not hit, hit


XCIT_NORMS = """axis y = 196 width
axis m = 384
axis h = 8
axis k = m / h
axis j = k
input X[y m]
Q = linear(X: m -> k h) with bias as W_Q
K = linear(X: m -> k h) with bias as W_K
V = linear(X: m -> k h) with bias as W_V
section "L2 norm along tokens"
  Q = rmsnorm(Q: y) with eps=0 * y^-1/2
  K = rmsnorm(K: y) with eps=0 * y^-1/2
end
section "Cross-covariance attention"
  Kj = rename(K: k -> j)
  Vj = rename(V: k -> j)
  A = einsum(Q, Kj: y k h, y j h -> k j h)
  O = einsum(A, Vj: k j h, y j h -> y k h)
end
Y = linear(O: k h -> m) with bias as W_O
output Y
"""


def test_a_wire_a_part_hands_on_is_labelled_though_a_mark_stands_at_its_end():
    """XCiT's page: K's y^-1/2 stood over the end of K's ȳ, where the part labels the wires it hands on, and the
    label was left out: K went on to the next part unsaid but for its input label, a part's width away. The label
    stands left of the mark instead."""
    items = load_text(XCIT_NORMS, "xcit.ncd").scene(layout_preset="page").items
    labels = [i.bbox for i in items if i.role == "label.axis"]
    tips = [(i.bbox[2], (i.bbox[1] + i.bbox[3]) / 2) for i in items if i.role == "arrow.continue.out"]
    bare = [(round(x), round(y)) for x, y in tips if not any(y - 14 < b < y + 0.5 and x - 70 < a1 <= x for _, _, a1, b in labels)]
    assert tips and not bare, bare


def test_a_row_cut_inside_a_statement_names_what_it_hands_on_as_the_statement_does():
    """Performer's column: ``N = sum(N: k) * 0.5`` cut between its Σ and its scale; the sum, which has no name of its
    own, went on to the next row unnamed at both ends. It is named as the statement's result, N."""
    text = ("axis y = 4 width\naxis k = 4\naxis h = 2\naxis r = 6\ninput K[y k h], W[r k]\nP = einsum(K, W: y k h, r k -> y r h)\n"
            "N = square(K)\nN = sum(N: k) * 0.5\nP = P - N\nF = exp(P)\nF = F * r^-1/2\noutput F\n")
    scene = load_text(text, "performer.ncd").scene(layout_preset="column")
    names = ["".join(r.text for r in i.runs) for i in scene.items if i.role == "label.name"]
    assert scene.by_role("arrow.continue.out") and names.count("N") == 2, names


def test_a_section_drawn_in_strands_titles_each_strand_after_its_first_as_it_goes_on():
    """Cross-attention in a column is drawn strand by strand (queries and keys, then values and L_O): the second
    panel had no title, and read as another section than the first, of the same colour. Where that still fits, each
    strand after the first is titled as its section goes on; where it does not (DeepSeek's page), untitled, as before."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SizeWarning)
        scene = load(Path(__file__).parent / "corpus" / "cross_attention.ncd").scene(layout_preset="column")
    titles = ["".join(r.text for r in i.runs) for i in scene.items if i.role == "label.title"]
    panels = [i for i in scene.items if i.role == "section"]
    assert titles == ["Cross-attention", "Cross-attention (cont.)"] and len(panels) == 2, (titles, len(panels))


def test_a_page_with_no_room_for_its_legend_keeps_its_continued_titles():
    """The transformer's page left out its layers' "(continued)" titles to leave room for the legend of sizes, then
    had no room for the legend either: neither was drawn. Where the legend does not fit anyway, the titles are kept."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scene = load(Path(ncd_render.__file__).parents[1] / "gallery" / "transformer.ncd").scene(layout_preset="page")
    titles = ["".join(r.text for r in i.runs) for i in scene.items if i.role == "label.title"]
    assert "Encoder layer ×6 (continued)" in titles and "Decoder layer ×6 (continued)" in titles, titles
    # the legend left out is said, as names and titles left out are (a user's decoder block lost it unsaid)
    assert not scene.by_role("legend")
    assert any("without its legend of sizes" in str(w.message) for w in caught if isinstance(w.message, SizeWarning))


def test_titles_left_out_for_the_legend_are_warned_of():
    """Sixty maps in one section, in a column: its rows go on untitled so that the legend of sizes fits below them,
    and nothing said so (as it does when the rows leave out the tensors' names)."""
    text = "axis y = 8 width\naxis m = 8\ninput X[y m]\nsection \"Body\"\n" + "".join(
        f"  X = linear(X: m -> m) as L_{{{k}}}\n" for k in range(1, 61)) + "end\noutput X\n"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scene = load_text(text, "body.ncd").scene(layout_preset="column")
    said = [str(w.message) for w in caught if isinstance(w.message, SizeWarning)]
    titled = [i for i in scene.items if i.role == "label.title"]
    assert len(titled) == 1 and any("do not title it again" in s for s in said), (len(titled), said)


LLAMA_LAYER = """axis y = 2048 width
axis x = y width
axis m = 1024
axis n = 2
axis g = 4
axis k = 128
axis f = 2816
input X[y m]
section "Grouped-query attention"
  N = rmsnorm(X: m) with affine as N_{attn}
  Nx = rename(N: y -> x)
  Q = linear(N: m -> k g n) as W_Q
  K = linear(Nx: m -> k n) as W_K
  V = linear(Nx: m -> k n) as W_V
  Q = rope(Q: y k)
  K = rope(K: x k)
  S = einsum(Q, K: y k g n, x k n -> y x g n) * k^-1/2
  S = mask(S: y x) with causal
  P = softmax(S: x)
  O = einsum(P, V: y x g n, x k n -> y k g n)
  A = linear(O: k g n -> m) as W_O
end
X = X + A
section "SwiGLU MLP"
  N = rmsnorm(X: m) with affine as N_{mlp}
  G = linear(N: m -> f) as W_{gate}
  U = linear(N: m -> f) as W_{up}
  G = silu(G)
  H = G * U
  M = linear(H: f -> m) as W_{down}
end
X = X + M
output X
"""


def test_a_figure_shrunk_anyway_reads_in_order(monkeypatch):
    """A LLaMA layer in a column must shrink; laid out on a larger page to be shrunk, it took the first arrangement
    that fit there, out of reading order (K's RoPE before W_K, the SiLU before W_gate; a user's), where a page a step
    larger held one in order. Shrunk anyway, it reads in order, on the least larger page that allows it."""
    from ncd_render.page import compose

    chosen = []
    original = compose._Page.chosen
    monkeypatch.setattr(compose._Page, "chosen", lambda self, found, *a: chosen.append(found[-1]) or original(self, found, *a))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load_text(LLAMA_LAYER, "llama.ncd").scene(layout_preset="column")
    assert any("scaled to" in str(w.message) for w in caught)  # (it shrinks)
    assert chosen and chosen[-1] == 0, chosen  # blocks out of reading order in the arrangement set


def test_a_parts_output_that_ends_the_figure_is_labelled_at_its_end():
    """A column's last part ends with the figure's output: no arrowhead comes after it, so its axes are labelled
    there as the figure labels its outputs (room was kept for an arrowhead, and the labels, pushed onto the box,
    were dropped: A left as three bare stubs)."""
    text = ("axis y = 8 width\naxis x = 8 width\naxis k = 4\naxis h = 2\ninput Q1[y k h], K1[x k h], Q2[y k h], K2[x k h]\n"
            "section \"Two maps\"\n  S1 = einsum(Q1, K1: y k h, x k h -> y x h)\n  S2 = einsum(Q2, K2: y k h, x k h -> y x h)\n"
            "  A1 = softmax(S1: x)\n  A2 = softmax(S2: x)\nend\nA = A1 - A2\noutput A\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scene = load_text(text, layout="column").scene()
    minus = max(scene.by_role("box"), key=lambda b: b.bbox[1])  # the difference, in the last part
    after = sorted("".join(r.text for r in t.runs) for t in scene.items
                   if t.role == "label.axis" and t.x > minus.bbox[2] and minus.bbox[1] - 10 < t.y < minus.bbox[3] + 10)
    assert after == ["h", "x", "y"]


KV_CACHE = """axis y = 16 width
axis u = y width
axis c = 112 width
axis x = c + u width
axis m = 512
axis h = 8
axis k = m / h
input X[y m], Kc[c k], Vc[c k]
Q = linear(X: m -> k h) as L_Q
K = linear(X: m -> k) as L_K
V = linear(X: m -> k) as L_V
section "KV cache"
  K = rename(K: y -> u)
  V = rename(V: y -> u)
  K = concat(Kc, K: c, u -> x)
  V = concat(Vc, V: c, u -> x)
end
section "Attention, one K/V head shared by every query head"
  S = einsum(Q, K: y k h, x k -> y x h) * k^-1/2
  Sc, Sn = split(S: x -> c, u)
  Sn = mask(Sn: y u) with causal
  S = concat(Sc, Sn: c, u -> x)
  P = softmax(S: x)
  O = einsum(P, V: y x h, x k -> y k h)
end
Y = linear(O: k h -> m) as L_O
output Y, K, V
"""


def test_a_column_whose_strands_leave_a_sections_title_out_says_so():
    """Set branch by branch in a column, an attention step with a KV cache drew five panels and titled two: the
    strands that go on with a section were set untitled to fit, and, unlike rows set so, nothing said so."""
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        scene = load_text(KV_CACHE, layout="column").scene()
    panels = [r for r in scene.items if isinstance(r, Rect) and r.role == "section"]
    titles = [t for t in scene.items if t.role == "label.title"]
    assert len(titles) < len(panels)
    assert any("do not title it again" in str(w.message) for w in said)


def test_a_residual_sum_that_ends_the_figure_has_room_for_its_outputs_labels():
    """Mixtral's page ends with the residual sum alone in its part: its outputs ran 11 pt past the box, too short
    for m's label, and X went out bare. A part's outputs that end the figure now have room for their labels."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scene = load(Path(ncd_render.__file__).parents[1] / "gallery" / "mixtral.ncd", layout="page").scene()
    sums = [t for t in scene.items if t.role == "label.box" and "".join(r.text for r in t.runs) == "+"]
    last = max(sums, key=lambda t: (t.y, t.x))
    box = min((b for b in scene.by_role("box") if b.bbox[0] <= last.x <= b.bbox[2] and b.bbox[1] <= last.y <= b.bbox[3]),
              key=lambda b: b.bbox[2] - b.bbox[0])
    after = sorted(t.axis for t in scene.items if t.role == "label.axis" and t.x > box.bbox[2] and box.bbox[1] - 12 < t.y < box.bbox[3])
    assert after == ["m", "y"]


def test_a_cut_through_labels_past_the_last_place_to_cut_is_weighed_without_error():
    """bench/fuzz.py's mutant of resnet.ncd (an unfold whose result nothing reads): its column layout offered cuts
    through labels and looked up the place to cut after the last one, IndexError, a traceback."""
    scene = load(Path(__file__).resolve().parent / "fuzz_cases" / "cut_past_the_last_place.ncd", layout="column").scene()
    assert scene.by_role("box")
