"""A section's title sits inside its panel with room on both sides, however short the section's content."""
from pathlib import Path

import pytest

from ncd_render.api import load, load_text
from ncd_render.scene import Rect, Text

ROOT = Path(__file__).resolve().parents[1]
FILES = sorted((ROOT / "gallery").glob("*.ncd")) + sorted((ROOT / "tests" / "corpus").glob("*.ncd"))
SHORT_FUSED = ('axis y = 8 width\naxis m = 16\ninput X[y m]\nsection "Norm" fused\n  N = rmsnorm(X: m)\nend\n'
               'Y = relu(N)\noutput Y\n')
SHORT_REPEAT = 'axis m = 16\ninput X[m]\nrepeat 12 "Block"\n  X = relu(X)\nend\noutput X\n'
ROOM = 4.0  # points between a title's end and its panel's right edge, at the least


def _titles_and_panels(scene):
    panels = [i for i in scene.items if isinstance(i, Rect) and i.role == "section"]
    titles = [i for i in scene.items if isinstance(i, Text) and i.role == "label.title"]
    for title in titles:
        around = [p for p in panels if p.x <= title.x <= p.x + p.w and p.y <= title.y <= p.y + p.h]
        yield title, min(around, key=lambda p: p.w * p.h)


def _room(scene) -> list[tuple[str, float]]:
    return [("".join(r.text for r in title.runs), panel.x + panel.w - (title.x + title.width))
            for title, panel in _titles_and_panels(scene)]


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_titles_end_clear_of_their_panel(path):
    for title, room in _room(load(path).scene()):
        assert room >= ROOM, f"{path.name}: title {title!r} ends {room:.1f} pt from its panel's edge"


@pytest.mark.parametrize("text", [SHORT_FUSED, SHORT_REPEAT], ids=["fused", "repeat"])
def test_a_title_longer_than_its_section_widens_the_panel(text):
    rooms = _room(load_text(text).scene())
    assert rooms and all(room >= ROOM for _, room in rooms), rooms


NESTED_FIRST = ('axis y = 4 width\naxis m = 8\ninput X[y m]\nsection "Outer block"\n  section "Inner" fused\n'
                '    A = relu(X)\n    B = gelu(A)\n  end\n  C = linear(B: m -> m) as L\nend\noutput C\n')


@pytest.mark.parametrize("text", [NESTED_FIRST, NESTED_FIRST.replace('section "Inner" fused', 'repeat 2 "Inner"')],
                         ids=["fused", "repeat"])
def test_a_section_nested_first_starts_below_the_title_of_the_one_around_it(text):
    """Both panels started level, the inner one drawn over the outer one's title; and the inner one
    now ends inside the outer one."""
    scene = load_text(text).scene()
    outer, inner = sorted(scene.by_role("section"), key=lambda p: -p.w * p.h)
    title = next(t for t in scene.by_role("label.title") if "".join(r.text for r in t.runs) == "Outer block")
    assert inner.y >= title.y + title.descent
    assert inner.y + inner.h < outer.y + outer.h



def test_a_section_holds_the_wires_its_boxes_broadcast_over():
    """A new user's router: W_g on X's m, X's ȳ broadcast, passed above the panel with the title between ȳ and m,
    and the name X floated in the gap between them. The panel holds every wire of a tensor its boxes read or make."""
    from ncd_render.api import load_text

    scene = load_text('axis y = 8 width\naxis m = 4\naxis e = 6\ninput X[y m]\nsection "Router"\n'
                      '  G = linear(X: m -> e) as W_g\n  G = softmax(G: e)\nend\noutput G\n').scene()
    (panel,) = [i for i in scene.items if i.role == "section"]
    (title,) = [i for i in scene.items if i.role == "label.title"]
    wires = [i for i in scene.items if i.role == "wire" and abs(i.y1 - i.y2) < 1e-6]
    assert wires and all(panel.bbox[1] < w.y1 < panel.bbox[3] for w in wires)
    assert all(title.bbox[3] < w.y1 for w in wires)  # the title above every wire


def test_a_section_holds_the_wires_a_norm_normalises_in_place():
    """Mixtral's first strand on a column, X -> RMSNorm -> N inside the attention's section: a norm acts on the wires
    through it (it consumes none and makes none), so the panel held only m, its title between ȳ and m."""
    scene = load_text('axis y = 8 width\naxis m = 4\ninput X[y m]\nsection "Attention"\n'
                      '  N = rmsnorm(X: m) with affine as N_1\nend\noutput N\n').scene()
    (panel,) = [i for i in scene.items if i.role == "section"]
    (title,) = [i for i in scene.items if i.role == "label.title"]
    wires = [i for i in scene.items if i.role == "wire" and abs(i.y1 - i.y2) < 1e-6]
    assert len({w.y1 for w in wires}) == 2 and all(panel.bbox[1] < w.y1 < panel.bbox[3] for w in wires)
    assert all(title.bbox[3] < w.y1 for w in wires)


def test_a_tensor_the_figure_gives_out_passes_a_section_that_reads_a_copy_of_it():
    """X read by a section's norm and given out as it is: the copy was the section's (outputs were not counted among
    its readers), and the panel took in the stream X passing by; as X = X + Y after the section, it stands outside."""
    scene = load_text('axis t = 8 width\naxis d = 4\ninput X[t d]\nsection "Module"\n  N = layernorm(X: d)\n'
                      '  Y = linear(N: d -> d) as L\nend\noutput X, Y\n').scene()
    (panel,) = [i for i in scene.items if i.role == "section"]
    x_name = next(t for t in scene.by_role("label.name") if t.runs[0].text == "X" and t.x > panel.bbox[2])
    stream = [w for w in scene.items if w.role == "wire" and abs(w.y1 - w.y2) < 1e-6 and max(w.x1, w.x2) > panel.bbox[2]
              and x_name.bbox[1] - 8 < w.y1 < x_name.bbox[3] + 8]
    assert len(stream) == 2 and all(w.y1 < panel.bbox[1] for w in stream)


NESTED_COPY = ('axis u = 8 width\naxis w = u width\naxis m = 16\naxis k = 4\n'
               'block Attn(Xq[y m], Xkv[x m])\n  Q = linear(Xq: m -> k)\n  K = linear(Xkv: m -> k)\n  V = linear(Xkv: m -> k)\n'
               '  S = einsum(Q, K: y k, x k -> y x)\n  P = softmax(S: x)\n  O = einsum(P, V: y x, x k -> y k)\n  return O\nend\n'
               'input X[u m]\nsection "Self-attention"\n  N = layernorm(X: m)\n  Nw = rename(N: u -> w)\n  A = Attn(N, Nw)\nend\n'
               'output A\n')


def test_a_blocks_input_read_twice_is_copied_inside_its_panel():
    """Attn(N, Nw) reads Nw twice (K and V): the copy was drawn before Attn's panel, as if the block took one tensor
    handed in twice, and a page cut at the panel's edge handed Nw on twice (a user's decoder block)."""
    scene = load_text(NESTED_COPY, "a.ncd").scene()
    panels = {i.section: i for i in scene.items if i.role == "section"}
    inner = min(panels.values(), key=lambda p: p.w)
    rename_end = max(i.bbox[2] for i in scene.items if i.role == "label.axis" and "".join(r.text for r in i.runs) == "w"
                     and i.bbox[0] < inner.x + 40)
    dots = [i for i in scene.items if i.role == "dot" and i.bbox[0] > rename_end]
    assert len(dots) >= 2 and all(inner.x < d.bbox[0] and d.bbox[2] < inner.x + inner.w for d in dots), (inner, dots)


def test_a_sections_copies_stay_out_of_the_panel_of_a_section_that_closes_there():
    """Where a section closes at the column a section opens at, the new one's copies stay before its panel: the
    closing one is wide for its title, and CNN's residual panel ran under its max pooling's title."""
    scene = load(ROOT / "tests" / "corpus" / "cnn_compact.ncd").scene()
    panels = sorted((i for i in scene.items if i.role == "section"), key=lambda p: p.x)
    assert all(a.x + a.w <= b.x + 0.01 for a, b in zip(panels, panels[1:])), [(p.x, p.x + p.w) for p in panels]


def test_a_row_going_on_with_a_nested_section_titles_the_panel_it_shows():
    """A row that goes on with Attn inside Self-attention drew Self-attention's title on Attn's panel, in front."""
    scene = load_text(NESTED_COPY, "a.ncd", layout="column").scene()
    titles = ["".join(r.text for r in t.runs) for t in scene.items if t.role == "label.title"]
    went_on = [t for t in titles if t.endswith(("(continued)", "(cont.)"))]
    assert went_on and all(t.startswith("Attn") for t in went_on), titles


def test_a_strand_titled_as_going_on_is_marked_once_when_a_row_goes_on_with_it():
    """DiT's column read "Attention (cont.) (cont.)": a strand titled as its section goes on, cut into rows, was marked
    again in the row after."""
    from ncd_render.page.continued import continued_title
    from ncd_render.text import set_label
    label = set_label("Attention (cont.)", "DejaVu Sans", 7)
    title = Text(4, 9, label.runs, "DejaVu Sans", "#333", label.width, label.ascent, label.descent, "label.title")
    again = continued_title(Rect(0, 0, 200, 40, None, "#eee", role="section"), title, [])
    assert "".join(r.text for r in again.runs) == "Attention (continued)"


def test_a_long_title_takes_two_lines_where_that_keeps_a_column_at_full_size():
    """MHA in a column shrank to 88%: a row is cut only past a section's title, and "Attention, broadcast over heads"
    kept its first row too wide (it fits on one line since its regions are drawn narrower; a longer title stands in
    for it). Set on two lines, the figure fits at full size; a page that fits with its titles on one line keeps them so
    (each second line costs a line of height)."""
    import warnings

    from ncd_render.sizing import SizeWarning

    title = "Scaled dot-product attention, broadcast over heads"
    text = (ROOT / "gallery" / "mha.ncd").read_text().replace('"Attention, broadcast over heads"', f'"{title}"')
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        column = load_text(text, "mha.ncd").scene(layout_preset="column")
    assert not [w for w in caught if isinstance(w.message, SizeWarning) and "scaled to" in str(w.message)]
    lines = ["".join(r.text for r in t.runs) for t in column.items if t.role == "label.title"]
    assert "Scaled dot-product attention," in lines and "broadcast over heads" in lines, lines
    page = load_text(text, "mha.ncd").scene(layout_preset="page")
    assert title in ["".join(r.text for r in t.runs) for t in page.items if t.role == "label.title"]
