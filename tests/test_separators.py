"""Dashed tuple separators, on every gallery and corpus figure in the paper and page layouts: each
piece shows at least five dashes of its own pattern (a shorter piece between two boxes reads as
a scrap; a page's cut between rows leaves none either), and no two pieces at one height overlap (two pairs of wires that share the upper wire and
the height draw one line)."""
from pathlib import Path

import pytest

from ncd_render.api import load, load_text
from ncd_render.layout.dashes import shortest

ROOT = Path(__file__).resolve().parents[1]
FIGURES = sorted((ROOT / "gallery").glob("*.ncd")) + sorted((ROOT / "tests" / "corpus").glob("*.ncd"))


def separators(source: Path, layout: str) -> list:
    return [i for i in load(source).scene(layout_preset=layout).items if i.role == "separator"]


@pytest.mark.parametrize("layout", ["paper", "page"])
@pytest.mark.parametrize("source", FIGURES, ids=[f"{p.parent.name}/{p.stem}" for p in FIGURES])
def test_separators_are_lines_not_scraps(source, layout):
    lines = separators(source, layout)
    short = [(round(s.x1, 1), round(s.y1, 1), round(s.x2 - s.x1, 1)) for s in lines if s.x2 - s.x1 < shortest(s.stroke.dash) - 1e-6]
    assert not short, f"{source.name} ({layout}): separators shorter than five dashes (x, y, length): {short}"
    by_height: dict[float, list] = {}
    for s in lines:
        by_height.setdefault(round(s.y1, 6), []).append((s.x1, s.x2))
    overlapping = [(y, a, b) for y, spans in by_height.items() for a, b in zip(sorted(spans), sorted(spans)[1:]) if b[0] < a[1] - 1e-6]
    assert not overlapping, f"{source.name} ({layout}): separators drawn over each other (y, one, the next): {overlapping}"


@pytest.mark.parametrize("layout", ["paper", "page"])
def test_a_separator_runs_on_under_a_bend_of_the_tensor_above(layout):
    """In scaled dot-product attention K's wires cross (k goes up to the cup, x̄ comes down), while V's run
    straight below: the dashed line between K and V goes on under the crossing, to where x̄ leaves. On a
    page the line runs nearer K's wires (12 pt apart, not 17), and still clear of the crossing's curves."""
    lines = sorted(separators(ROOT / "gallery" / "sdpa.ncd", layout), key=lambda s: s.y1)
    k_v = lines[-1]
    scene = load(ROOT / "gallery" / "sdpa.ncd").scene(layout_preset=layout)
    bends = [i for i in scene.items if i.role == "wire.bend" and getattr(i, "y1", None) == getattr(i, "y2", 0.0)]
    below_k = max(b.y1 for b in bends if b.y1 < k_v.y1)  # K's level wire within the region, right above the line
    assert k_v.x2 == pytest.approx(max(b.x2 for b in bends if b.y1 == below_k))


@pytest.mark.parametrize("layout", ["paper", "slide"])  # (a page's Q and K come to the cup within 20 pt: a scrap still)
def test_the_line_between_q_and_k_runs_on_to_the_cup(layout):
    """The paper's SDPA parts Q from K with a dashed line from the left up to the cup: Q's k and K's x̄ both run into
    the einsum's wiring region at once (K's wires cross there, under the line), so the line had 16 pt of its own, a
    scrap, and was left out. It runs on into the region to just short of the cup's curve, the first to reach it."""
    scene = load(ROOT / "gallery" / "sdpa.ncd").scene(layout_preset=layout)
    wires = sorted({round(i.y1, 3) for i in scene.items if i.role == "wire" and i.y1 == i.y2})
    q_k, k_x = wires[1], wires[2]  # (ȳ above them)
    between = [s for s in scene.items if s.role == "separator" and q_k < s.y1 < k_x]
    assert len(between) == 1, [(s.x1, s.y1) for s in scene.items if s.role == "separator"]
    cup = min(b.bbox[0] for b in scene.items if b.role == "wire.bend" and b.bbox[1] < between[0].y1 < b.bbox[3])
    assert between[0].x2 < cup and between[0].x2 - between[0].x1 >= shortest(between[0].stroke.dash)


@pytest.mark.parametrize("layout", ["paper", "slide"])
def test_a_separator_runs_under_a_box_on_the_upper_tensors_lowest_wire(layout):
    """A learned scale on X's lowest wire reached down over the line between X and B: the line stopped at the box,
    two pieces read as two separators (DeepSeek-V3's RoPE on k_r, a Mamba-2 block's D). It runs on under the box,
    one line, clear of it and above B's label, where the tensors stand far enough apart for that (not on a page's
    tighter pitch, where it still stops at the box)."""
    from ncd_render.api import load_text

    text = ("axis y = 8 width\naxis p = 4\naxis h = 2\naxis n = 3\ninput X[y p h], B[y n]\nC = linear(B: n -> n) as L_1\n"
            "C = linear(C: n -> n) as L_2\nR = layerscale(X: h) as D\nC = linear(C: n -> n) as L_3\nC = linear(C: n -> n) as L_4\n"
            "output R, C\n")
    scene = load_text(text, "s.ncd").scene(layout_preset=layout)
    lines = [i for i in scene.items if i.role == "separator"]
    (box,) = [i for i in scene.items if i.role == "box" and i.ref == next(op.id for op in load_text(text).diagram.ops if op.kind == "layerscale")]
    (line,) = lines
    assert line.x1 < box.x and line.x2 > box.x + box.w and line.y1 > box.y + box.h + 1.0
    labels = [i.bbox for i in scene.items if i.role == "label.axis" and i.bbox[1] > line.y1]
    assert all(top > line.y1 for _, top, _, _ in labels)


@pytest.mark.parametrize("layout", ["paper", "page"])
def test_a_split_s_halves_are_parted_by_a_dashed_line_over_a_mark(layout):
    """GEGLU: the halves of a split run on side by side, the second under ➤GELU➤. The mark, just under the first
    half's wire, stopped the dashed line on either side in scraps, and farther apart than a tuple's segments the pair
    got none: four wires out of the bar read as one tensor of four axes (a tester's Stable Diffusion block)."""
    from ncd_render.api import load_text

    text = ("axis y = 64 width\naxis m = 128\naxis f = 256\naxis f2 = f + f\ninput X[y m]\n"
            "H2 = linear(X: m -> f2) as W_1\nH, G = split(H2: f2 -> f, f)\nG = gelu(G)\nH = H * G\n"
            "Y = linear(H: f -> m) as W_2\noutput Y\n")
    scene = load_text(text).scene(layout_preset=layout)
    gelu = next(i for i in scene.items if i.role == "label.box" and "".join(r.text for r in i.runs) == "GELU")
    mark = next(i for i in scene.items if i.role == "box" and i.bbox[0] <= gelu.bbox[0] and gelu.bbox[2] <= i.bbox[2]
                and i.bbox[1] <= gelu.bbox[1] and gelu.bbox[3] <= i.bbox[3])
    lines = [s for s in scene.items if s.role == "separator"]
    over = [s for s in lines if s.y1 < mark.bbox[1] and s.x1 < mark.bbox[2] and mark.bbox[0] < s.x2]
    assert over, (mark.bbox, [(s.x1, s.x2, s.y1) for s in lines])
    wires = [i for i in scene.items if i.role == "wire" and i.y1 == i.y2 and i.x1 < mark.bbox[0] < i.x2 and i.y1 < mark.bbox[1]]
    assert over[0].y1 - max(w.y1 for w in wires) >= 3.0  # clear of the first half's wire above it


def test_a_line_under_a_branch_goes_on_under_the_boxes_on_its_wire():
    """ResNet's residual (gallery/resnet.ncd) with its branch above the stream, as the choice may place a branch: the
    line between the branch and the stream stopped at each box on the branch's lowest wire (L_1, L_2, reaching down
    past it), in pieces at the height of the boxes' lower thirds, which read as wires going into them. Where there is
    room above the stream's label it runs under them as one line, as the paper's dashed line runs under its residual
    component."""
    from ncd_render.layout.compose import compose
    from ncd_render.layout.columns import place_columns
    from ncd_render.layout.glyphs import box_labels, draw_glyphs
    from ncd_render.layout.heights import heights
    from ncd_render.layout.model import Style
    from ncd_render.layout.order import order
    from ncd_render.style import load_preset, load_theme

    d = load(ROOT / "gallery" / "resnet.ncd").diagram
    style = Style(d, load_theme("paper"), load_preset("paper"))
    ordered = order(d, (frozenset(), frozenset(op.id for op in d.ops if op.kind == "copy"), frozenset()))  # branches above
    labels = box_labels(style, ordered)
    high = heights(style, ordered, labels)
    laid = place_columns(style, ordered, high, labels)
    scene = compose(style, ordered, high, laid, draw_glyphs(style, ordered, high, laid))
    maps = [i for i in scene.items if i.role == "box" and i.ref in {op.id for op in d.ops if op.kind == "linear"}]
    low = max(b.y + b.h for b in maps)
    under = [i for i in scene.items if i.role == "separator" and i.y1 > low]
    assert len(maps) == 2 and len(under) == 1 and all(under[0].x1 < b.x and b.x + b.w < under[0].x2 + 0.5 for b in maps), under


@pytest.mark.parametrize("source", FIGURES, ids=[f"{p.parent.name}/{p.stem}" for p in FIGURES])
def test_no_separator_runs_along_a_section_s_edge(source):
    """The edge of a section's panel parts a tensor inside from one outside; a dashed line a few points under it read as
    a stray (DiT's 720 pt along the attention's foot; a new user's Mamba-2 had one 387 pt long 4.5 pt under its section)."""
    scene = load(source).scene()
    panels = [i.bbox for i in scene.items if i.role == "section"]
    for s in (i for i in scene.items if i.role == "separator"):
        along = [p for p in panels if p[0] < s.x2 - 1e-6 and s.x1 < p[2] - 1e-6 and min(abs(s.y1 - p[1]), abs(s.y1 - p[3])) < 5.0]
        assert not along, (round(s.x1, 1), round(s.x2, 1), round(s.y1, 1), along)


GMLP = """axis y = 256 width
axis t = y width
axis m = 256
axis f2 = 1536
axis f = 768
input X[y m]
N = layernorm(X: m) with affine as N_1
H = linear(N: m -> f2) with bias as L_1
H = gelu(H)
section "Spatial gating unit"
  U, V = split(H: f2 -> f, f)
  V = layernorm(V: f) with affine as N_2
  V = linear(V: y -> t) with bias as L_s
  V = rename(V: t -> y)
  G = U * V
end
Z = linear(G: f -> m) with bias as L_2
X = X + Z
output X
"""


def test_a_separator_keeps_its_height_across_a_box_on_a_wire_of_the_tensor_below():
    """A new user's gMLP: across L_s, on V's ȳ wire, the line between U and V was the line between U's f and V's f, the
    wires either side of the box, and it stepped 1.6 pt down over the box and back."""
    from ncd_render.api import load_text

    lines = [i for i in load_text(GMLP).scene().items if i.role == "separator"]
    assert len({round(s.y1, 3) for s in lines}) == 1 and len(lines) == 1, [(s.x1, s.x2, s.y1) for s in lines]


@pytest.mark.parametrize("layout", ["paper", "page"])
def test_a_line_goes_on_where_nothing_stands_in_its_way(layout):
    """ResNet's line between X and its branch broke at each BN, whose circle stands 8 pt below it (every reviewer who
    looked at it saw two lines); a gMLP-like part's broke over its L_s. One line each now."""
    lines = separators(ROOT / "gallery" / "resnet.ncd", layout)
    assert len(lines) == 1, [(round(s.x1, 1), round(s.x2, 1), round(s.y1, 1)) for s in lines]


@pytest.mark.parametrize("name", ["mha", "vit"])
def test_a_line_under_a_box_narrower_than_its_column_runs_under_it_too(name):
    """MHA's L_K stands in a column set by the wider L_Q: the line under K stopped at the column's edge, not the
    box's, so it was not taken under the box (as it is under L_Q, the widest), and ran on beside L_K at the height of
    its bottom padding, as if from behind it. It runs under L_K now, clear of it; in MHA no line stops beside a box
    at a height the box covers."""
    scene = load(ROOT / "gallery" / f"{name}.ncd").scene(layout_preset="page" if name == "vit" else "paper")
    boxes = [i for i in scene.items if i.role == "box" and hasattr(i, "w")]
    lines = [i for i in scene.items if i.role == "separator"]
    beside = [(round(s.x1), round(s.x2), round(s.y1, 1)) for s in lines for b in boxes
              if b.y < s.y1 < b.y + b.h and (0 <= b.x - s.x2 < 6 or 0 <= s.x1 - (b.x + b.w) < 6)]
    assert name != "mha" or not beside, beside  # (ViT's patch embedding has two: the label below in the way)
    (x0, y0, x1, y1) = next(t.bbox for t in scene.items if t.role == "label.box" and [r.text for r in t.runs] == ["L", "K"])
    k_box = next(b for b in boxes if b.x <= x0 and x1 <= b.x + b.w and b.y <= y0 and y1 <= b.y + b.h)
    assert any(s.x1 <= k_box.x + 0.5 and k_box.x + k_box.w <= s.x2 and s.y1 > k_box.y + k_box.h for s in lines), k_box


def test_a_line_lowered_near_the_end_leaves_room_for_an_outputs_end_label():
    """K and V, two maps of one X: the line between them, lowered under W_K, ran at the height of V's x̄ label at the
    figure's end (V's x̄ is a copy's branch, labelled nowhere else), and the label was left out."""
    from ncd_render.api import load_text

    scene = load_text("axis x = 8 width\naxis m = 8\naxis k = 4\ninput X[x m]\nK = linear(X: m -> k) as W_K\n"
                      "V = linear(X: m -> k) as W_V\noutput K, V\n").scene()
    ends = [i for i in scene.items if i.role == "label.axis" and i.axis == "x" and i.x > scene.width / 2]
    assert len(ends) == 2, [(i.x, i.y) for i in ends]  # K's x̄ and V's


BESIDE = ("axis y = 8 width\naxis x = 8 width\naxis m = 16\ninput X[y m]\nN = layernorm(X: m)\nNk = rename(N: y -> x)\n"
          "Q = linear(N: m -> m) as W_Q\nK = linear(Nk: m -> m) as W_K\nV = linear(Nk: m -> m) as W_V\n"
          "S = einsum(Q, K: y m, x m -> y x)\nO = einsum(S, V: y x, x m -> y m)\nX = X + O\noutput X\n")


@pytest.mark.parametrize("layout", ["paper", "page"])
@pytest.mark.parametrize("source", FIGURES + ["beside"], ids=[f"{p.parent.name}/{p.stem}" for p in FIGURES] + ["beside"])
def test_a_gap_between_two_tensors_has_one_line(source, layout):
    """No two separators run side by side less than a pitch apart: the keys' x̄ below N's m and then below Q's (W_Q
    on N's m) drew two lines 3 pt apart under W_Q, the lower one on the label of x̄."""
    scene = (load_text(BESIDE) if source == "beside" else load(source)).scene(layout_preset=layout)
    lines = [(min(s.x1, s.x2), max(s.x1, s.x2), s.y1) for s in scene.items if s.role == "separator"]
    beside = [(a, b) for a in lines for b in lines if a < b and a[2] != b[2] and abs(a[2] - b[2]) < 17.0
              and a[0] < b[1] - 1e-6 and b[0] < a[1] - 1e-6]
    assert not beside, beside
