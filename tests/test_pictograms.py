"""The paper's pictograms: compact ★k convolutions, trapezoids for stride and transposition,
norm circles, 3-D component boxes, repeats between round brackets, definitions headed by the
component's 3-D box. Each test reads the scene or the SVG a user gets."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from ncd_render.api import load_text
from ncd_render.errors import NcdError
from ncd_render.ir import build
from ncd_render.layout.glyphs import DEPTH_3D
from ncd_render.parse import parse
from ncd_render.render import render_bytes
from ncd_render.scene import Path as PathItem, Rect
from ncd_render.style import load_preset, load_theme

ROOT = Path(__file__).resolve().parents[1]
AXES = "axis x = 5 width\naxis z = 3 width\naxis w = 6 width\naxis m = 4\naxis k = 2\naxis h = 2\naxis i = 3\n"
CONVOLUTIONS = (AXES + "input X[x m]\nB = unfold(X: x -> x i) with padding=1\nY = linear(B: i m -> k) with bias\n"
                "P = unfold(Y: x -> z h) with kernel=2, stride=2, padding=1\nP = max(P: h)\noutput P\n")
TRANSPOSED = AXES + "input X[z m]\nT = linear(X: m -> k h)\nY = fold(T: z h -> w) with kernel=2, stride=2\noutput Y\n"


def box_groups(svg: str) -> list[str]:
    """The SVG's box groups (one per op drawn as a box), in order."""
    return re.findall(r'<g class="ncd-box" data-op="\d+">.*?</g>', svg)


def boxes(scene) -> dict[int, object]:
    return {i.ref: i for i in scene.items if i.role == "box" and i.ref is not None}


def edge_lengths(path: PathItem) -> tuple[float, float]:
    """(left edge, right edge) of a trapezoid's outline."""
    points = [c[1:] for c in path.commands if c[0] in ("M", "L")]
    x0, x1 = min(p[0] for p in points), max(p[0] for p in points)
    span = lambda x: max(p[1] for p in points if abs(p[0] - x) < 1e-6) - min(p[1] for p in points if abs(p[0] - x) < 1e-6)
    return span(x0), span(x1)


def test_compact_convolution_is_one_star_box_with_its_kernel_size():
    svg = load_text("convolutions compact\n" + CONVOLUTIONS, "c.ncd").svg().decode()
    groups = box_groups(svg)
    assert len(groups) == 2  # the convolution and the pooling, no separate ★ and L boxes
    conv, pool = groups
    learned = load_theme("paper").strokes.learned_box
    assert "★3" in conv and f'stroke-width="{learned}"' in conv and ">+<" in conv  # learned (a bold outline), with its bias
    star = load_theme("paper").colors.star_fill
    assert f'fill="{star}"' in conv and f'fill="{star}"' in pool  # the paper's pale blue ★ boxes
    assert "<path" in pool and ">★2<" in pool and ">s2<" in pool and "max" in pool  # pooling: a strided ★ with its reduction
    assert 'data-axis="i"' not in svg and 'data-axis="h"' not in svg  # the kernel wires are gone


def test_explicit_convolution_keeps_star_then_map():
    svg = load_text(CONVOLUTIONS, "c.ncd").svg().decode()
    groups = box_groups(svg)
    assert len(groups) == 4
    assert any("★" in g and "L" not in g for g in groups) and any(">L<" in g for g in groups)
    assert 'data-axis="i"' in svg


def test_compact_drawing_leaves_the_diagram_that_runs_unchanged():
    kinds = [op.kind for op in build(parse("convolutions compact\n" + CONVOLUTIONS)).ops]
    assert kinds.count("unfold") == 2 and "linear" in kinds and "reduce" in kinds


def test_strided_star_narrows_and_transposed_star_widens():
    scene = load_text(CONVOLUTIONS, "c.ncd").scene()
    diagram = load_text(CONVOLUTIONS, "c.ncd").diagram
    strided = next(op for op in diagram.ops if op.kind == "unfold" and set(op.params["stride"]) == {2})
    plain = next(op for op in diagram.ops if op.kind == "unfold" and set(op.params["stride"]) == {1})
    left, right = edge_lengths(boxes(scene)[strided.id])
    assert right < left - 1
    assert isinstance(boxes(scene)[plain.id], Rect)  # no stride: the plain box

    figure = load_text("convolutions compact\n" + TRANSPOSED, "t.ncd")
    drawn = boxes(figure.scene())
    (learned,) = [op for op in figure.diagram.ops if op.kind == "linear"]  # the box is the learned map's
    left, right = edge_lengths(drawn[learned.id])
    assert left < right - 1
    assert drawn[learned.id].stroke.width == load_theme("paper").strokes.learned_box  # the map's weights: bold
    assert "★2" in render_bytes(figure.scene(), "svg").decode()


def test_norms_are_circles_bold_when_learned():
    text = AXES + "input X[x m]\nA = layernorm(X: m) with affine\nB = rmsnorm(A: m)\noutput B\n"
    figure = load_text(text, "n.ncd")
    drawn = boxes(figure.scene())
    strokes = []
    for op in figure.diagram.ops:
        if op.kind == "norm":
            circle = drawn[op.id]
            # round, and no longer than a tenth past round (it lengthens a little where its label's corners would touch it)
            assert circle.h <= circle.w <= 1.1 * circle.h and abs(circle.radius - circle.h / 2) < 1e-6, circle
            strokes.append(circle.stroke.width)
    theme = load_theme("paper")
    assert strokes == [theme.strokes.learned_box, theme.strokes.box]


def test_a_norm_over_more_than_two_wires_is_a_capsule_not_a_disc():
    """GroupNorm over channels and both image axes spans three wires: a circle that tall was as wide,
    a disc with a small label in it (a diffusion block's GN took 50 pt of width). Drawn as a capsule:
    as tall as a circle over its wires would be, as wide as the circle over two wires, round at both ends.
    Over two wires it is still the circle."""
    text = AXES + "axis c = 4\ninput X[x w c]\nA = layernorm(X: c x w)\nB = layernorm(X: c w)\noutput A, B\n"  # (GN's as LN's)
    figure = load_text(text, "g.ncd")
    drawn, pitch = boxes(figure.scene()), load_preset("paper").pitch
    group, layer = (drawn[op.id] for op in figure.diagram.ops if op.kind == "norm")
    assert abs(layer.w - layer.h) < 1e-6  # two wires: a circle
    assert group.h > 1.5 * group.w and abs(group.w - layer.w) < 1e-6 and abs(group.radius - group.w / 2) < 1e-6
    assert group.h > 2 * pitch  # it still spans its three wires


def _inside_capsule(rect, x: float, y: float, inset: float) -> bool:
    """Whether (x, y) lies inside ``rect``'s rounded outline shrunk by ``inset``."""
    r = min(rect.w, rect.h) / 2
    cx = min(max(x, rect.x + r), rect.x + rect.w - r)  # the nearest point of the capsule's spine
    cy = min(max(y, rect.y + r), rect.y + rect.h - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= (r - inset) ** 2


@pytest.mark.parametrize("layout", ["paper", "page", "column"])
def test_a_norms_label_clears_its_outline(layout):
    """RMS in a page's circle touched it (the circle's width was capped by the clearance around it):
    the outline now lies round the label's capitals, with air. The air is counted from the stroke's inner
    edge (half of a bold 1.3 pt stroke in): LN's capitals touched its stroke, a user found."""
    text = AXES + "input X[x m]\nA = rmsnorm(X: m) with affine\nB = layernorm(A: m)\nC = batchnorm(B: x) with affine\noutput C\n"
    scene = load_text(text, "n.ncd").scene(layout_preset=layout)
    drawn = boxes(scene)
    for label in (i for i in scene.items if i.role == "label.box"):
        outline = drawn[label.ref]
        top = label.y - 0.72 * label.ascent  # the capitals' top
        for x in (label.x, label.x + label.width):
            for y in (top, label.y):
                assert _inside_capsule(outline, x, y, 0.65 + 0.5), (layout, "".join(r.text for r in label.runs), outline)


def test_collapsed_component_is_a_3d_box():
    text = "axis m = 4\naxis t = 3\nblock F(X[y m])\n  Y = relu(X)\n  return Y\nend\ninput A[t m]\nB = F(A)\noutput B\n"
    figure = load_text(text, "f.ncd", depth=0)
    scene = figure.scene()
    (call,) = [op for op in figure.diagram.ops if op.kind == "call"]
    front = boxes(scene)[call.id]
    (faces,) = [i for i in scene.items if i.role == "box.shadow" and i.ref == call.id]
    assert [c[0] for c in faces.commands].count("M") == 2  # the outline of the faces, and the edge between them
    x0, y0, x1, y1 = faces.bbox
    assert abs(y0 - (front.y - DEPTH_3D)) < 1e-6 and abs(x1 - (front.x + front.w + DEPTH_3D)) < 1e-6


def test_repeat_sits_between_round_brackets():
    text = 'axis m = 4\naxis t = 3\ninput X[t m]\nrepeat 3 "Block"\n  X = relu(X)\nend\noutput X\n'
    scene = load_text(text, "r.ncd").scene()
    brackets = [i for i in scene.items if i.role == "bracket"]
    assert len(brackets) == 2 and all(any(c[0] == "C" for c in b.commands) for b in brackets)
    left, right = sorted(brackets, key=lambda b: b.bbox[0])
    assert left.bbox[0] < left.commands[0][1] and right.bbox[2] > right.commands[0][1]  # bowed outwards


@pytest.mark.parametrize("preset", ["paper", "page", "column", "slide"])
@pytest.mark.parametrize("body", [
    "  X = linear(X: m -> m) as L\n  X = relu(X)\n",  # a box first
    "  A = relu(X)\n  X = X + A\n  X = layernorm(X: m)\n",  # copies first, a norm last
], ids=["box-first", "norm-last"])
def test_a_repeats_brackets_stand_clear_of_what_is_inside(preset, body):
    """A repeated block's brackets pass no box, norm or dot inside it, in every layout: where the
    padding of a section was thinner than the bracket's inset (page, column) the opening bracket ran
    through a first box, and in every layout the closing one through a last layer norm (the gallery
    transformer's encoder layer, on a page) or touched a residual's last dots (ResNet)."""
    text = f'axis m = 4\naxis t = 3 width\ninput X[t m]\nrepeat 2 "Block"\n{body}end\noutput X\n'
    scene = load_text(text, "r.ncd").scene(layout_preset=preset)
    brackets = [i.bbox for i in scene.items if i.role == "bracket"]
    inside = [i.bbox for i in scene.items if i.role in ("box", "dot", "label.box") or (isinstance(i, PathItem) and i.role == "pictogram")]
    assert len(brackets) == 2 and inside
    for bx0, by0, bx1, by1 in brackets:
        for x0, y0, x1, y1 in inside:
            apart = max(x0 - bx1, bx0 - x1)
            if y0 < by1 and by0 < y1:
                assert apart >= 2.0, (preset, (bx0, bx1), (x0, x1))


@pytest.mark.parametrize("preset", ["paper", "page", "column", "slide"])
@pytest.mark.parametrize("body", [
    "  X = linear(X: m -> m) as L\n  X = relu(X)\n",  # a box first
    "  A = relu(X)\n  X = X + A\n",  # copies first
], ids=["box-first", "copies-first"])
def test_a_section_nested_at_a_repeats_start_opens_past_its_bracket(preset, body):
    """A section that opens where its repeated block opens starts its panel right of the block's opening
    bracket, in every layout: drawn over it, its fill hid the bracket, which showed through it faded (a
    reviewer's "Transformer layer ×6" opening on "Add & Norm")."""
    text = f'axis m = 4\naxis t = 3 width\ninput X[t m]\nrepeat 2 "Block"\n  section "Inner"\n{body}  end\nend\noutput X\n'
    scene = load_text(text, "r.ncd").scene(layout_preset=preset)
    opening = min((i.bbox for i in scene.items if i.role == "bracket"), key=lambda b: b[0])
    outer, inner = sorted(scene.by_role("section"), key=lambda r: r.x)
    assert outer.x < opening[0] and opening[2] + 1.0 <= inner.x, (preset, opening, inner.x)


def test_definition_is_headed_by_the_components_3d_box():
    text = ("axis m = 4\naxis t = 3\nblock Feed(X[y m])\n  Y = relu(X)\n  return Y\nend\ninput A[t m]\n"
            "B = Feed(A)\nC = Feed(B)\nD = Feed(C)\noutput D\n")
    svg = load_text(text, "d.ncd", depth=0).svg(layout="page").decode()
    assert re.search(r'ncd-label-definition[^>]*>\s*<tspan[^>]*>Feed</tspan>', svg)
    assert re.search(r'ncd-label-definition[^>]*>\s*<tspan[^>]*>=</tspan>', svg)


def test_an_unknown_convolution_form_is_an_error_at_its_place(tmp_path):
    with pytest.raises(NcdError) as error:
        parse("axis m = 2\nconvolutions sideways\ninput X[m]\noutput X\n", "bad.ncd")
    assert error.value.span.line == 2 and "compact or explicit" in str(error.value)
    path = tmp_path / "bad.ncd"
    path.write_text("convolutions sideways\n")
    out = tmp_path / "bad.svg"
    run = subprocess.run([sys.executable, "-m", "ncd_render", "render", str(path), "-o", str(out)], capture_output=True, text=True,
                         cwd=ROOT)
    assert run.returncode == 2 and "Traceback" not in run.stderr and "bad.ncd:1:14" in run.stderr and not out.exists()


def test_compact_figures_are_byte_stable():
    text = "convolutions compact\n" + CONVOLUTIONS
    assert load_text(text, "c.ncd").svg() == load_text(text, "c.ncd").svg()
    assert render_bytes(load_text(text, "c.ncd").scene(), "tikz") == render_bytes(load_text(text, "c.ncd").scene(), "tikz")


def test_cost_badges_draw_the_convolution_explicit():
    """Two kernels, two badges: --annotate-cost draws ★ and its map apart even in a compact file."""
    from ncd_render.cost import analyse, load_profile

    figure = load_text("convolutions compact\n" + CONVOLUTIONS, "c.ncd")
    scene = figure.scene(cost=analyse(figure.diagram, load_profile("a100-80gb"), "bf16"))
    drawn = {i.ref for i in scene.items if i.role == "box"}
    assert {op.id for op in figure.diagram.ops if op.kind in ("unfold", "linear", "reduce")} <= drawn


def test_the_convolution_gallery_drawn_compact_keeps_the_layout_invariants(figure_metrics, tmp_path):
    """Compact boxes make sections narrower than their titles: the next copies' bends must
    not run through a title (they did, 3 times, before the gap made room for it)."""
    text = (ROOT / "gallery" / "convolution.ncd").read_text().replace('title "Convolution and its variants"',
                                                                      'title "Convolution and its variants"\nconvolutions compact')
    svg = tmp_path / "convolution_compact.svg"
    svg.write_bytes(load_text(text, "convolution_compact.ncd").svg())
    result, _items = figure_metrics.analyse(str(svg))
    assert svg.read_text().count("★3") == 4  # four convolutions, each one box
    assert (result["label_overlaps"], result["wire_through_box"], result["dashed_through_box"], result["knots_elsewhere"]) == (0, 0, 0, 0)


def test_repeat_brackets_stay_curves_when_a_page_breaks_them_into_rows():
    import warnings

    from ncd_render.api import load
    from ncd_render.sizing import SizeWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SizeWarning)
        scene = load(ROOT / "gallery" / "transformer.ncd", layout="page").scene()
    brackets = [i for i in scene.items if i.role == "bracket"]
    assert brackets and all(c[0] in ("M", "C") and len(c) == {"M": 3, "C": 7}[c[0]] for b in brackets for c in b.commands)
    assert all(b.bbox[3] - b.bbox[1] > 20 for b in brackets)  # as tall as the section piece they hold, not collapsed


@pytest.mark.parametrize("layout", ["paper", "page"])
def test_token_ids_come_in_by_an_arrowhead_before_their_embedding(layout):
    """docs/dsl.md promises an arrowhead on a wire of integer ids. It was drawn only where a wire's last tensor
    held ids; the id wire runs on past the embedding, broadcast, as the embedded tensor's, so BERT's three id
    wires and the transformer's Src and Tgt had none. Each now has one, before the box that reads the ids,
    clear of its label."""
    from ncd_render.api import load

    for name, embeddings in (("tests/corpus/bert_embedding.ncd", 3), ("gallery/transformer.ncd", 2)):
        figure = load(ROOT / name, layout=layout)
        scene = figure.scene()
        reads = [b for b in boxes(scene).values()
                 if any(op.id == b.ref and op.kind == "embedding" for op in figure.diagram.ops)]
        arrows = [i for i in scene.items if i.role == "arrow.ids" and i.fill is not None and i.stroke is None]
        labels = [i.bbox for i in scene.items if i.role.startswith("label")]
        before = [a for a in arrows for b in reads if b.y <= (a.bbox[1] + a.bbox[3]) / 2 <= b.y + b.h and b.x - 25 <= a.bbox[2] <= b.x + 0.5]
        assert len(before) == embeddings, (name, layout, len(before))
        for a in before:
            assert not any(a.bbox[0] < l[2] and l[0] < a.bbox[2] and a.bbox[1] < l[3] and l[1] < a.bbox[3] for l in labels)


def test_a_section_title_is_plain_text_in_every_format(tmp_path):
    """docs/latex.md: section titles are text. `section "feed_forward block (x^2), C:\\models"` was set with a
    subscript f, a superscript 2 and its backslashes dropped, in SVG and TikZ, with no warning."""
    title = "feed_forward block (x^2), C:\\models"
    text = f'axis m = 4\ninput X[m]\nsection "{title}"\n  H = relu(X)\nend\nrepeat 2 "encoder_layer"\n  H = relu(H)\nend\noutput H\n'
    scene = load_text(text, "t.ncd").scene()
    titles = ["".join(r.text for r in i.runs) for i in scene.items if i.role == "label.title"]
    assert titles == [title, "encoder_layer ×2"]
    assert all(len(i.runs) == 1 for i in scene.items if i.role == "label.title")
    tikz = render_bytes(scene, "tikz").decode()
    assert "feed\\_forward block (x\\textasciicircum{}2), C:\\textbackslash{}models" in tikz and "encoder\\_layer" in tikz


def test_a_page_draws_no_empty_title_for_an_untitled_section_piece():
    """A section's pieces after its first on a page are untitled; set as plain text, each drew an empty title and
    took its height (DeepSeek-V3's page grew 5 pt)."""
    from ncd_render.api import load

    scene = load(ROOT / "gallery" / "deepseek_v3.ncd", layout="page").scene()
    titles = [i for i in scene.items if i.role == "label.title"]
    assert titles and all("".join(r.text for r in i.runs).strip() for i in titles)


@pytest.mark.parametrize("options, shown", [(" with slope=0.2", ["LReLU", "0.2"]), ("", ["LReLU"])])
def test_a_leaky_relu_shows_its_slope_where_it_is_not_torchs(options, shown):
    """GAT's leaky_relu with slope=0.2 was drawn as a plain LReLU, the same as torch's default 0.01."""
    scene = load_text(f"axis y = 4 width\naxis m = 3\ninput X[y m]\nY = leaky_relu(X){options}\noutput Y\n").scene()
    (mark,) = [t for t in scene.labels() if t.role == "label.box"]
    assert [r.text for r in mark.runs] == shown and (len(shown) == 1 or mark.runs[1].dy > 0)  # the slope a subscript


def test_options_that_change_what_a_box_computes_are_drawn():
    """A group norm of 32 groups and one of 1 (a layer norm over its axes) both read GN, and a top-k whose kept
    weights are renormalised read as one that keeps them as they are: a reader could not tell them apart. GN takes
    its groups as a subscript, and the renormalising top-k says the weights sum to 1."""
    text = ("axis c = 64\naxis h = 4 width\naxis e = 8\ninput X[c h], G[e]\nA = groupnorm(X: c h) with groups=32\n"
            "B = groupnorm(X: c h) with groups=1\nP = topk(G: e) with k=2\nQ = topk(G: e) with k=2, normalize\noutput A, B, P, Q\n")
    said = sorted("".join(r.text for r in t.runs) for t in load_text(text, "o.ncd").scene().items if t.role == "label.box")
    assert said == ["GN1", "GN32", "top2", "top2 Σ=1"], said


def test_one_learned_number_is_a_box_on_a_wire_of_one():
    """``learned(:)``, one learned number (CLIP's temperature), was refused: a tensor of no axes had no wire. Any
    tensor of no axes a box reads is drawn on a wire of one now, and so is this one: its box, then its wire, labelled 1."""
    text = "axis y = 4 width\naxis m = 3\ninput X[y m]\nt = learned(:) as t\ns = exp(t)\nY = X * s\noutput Y\n"
    figure = load_text(text, "t.ncd")
    (learned,) = [op for op in figure.diagram.ops if op.kind == "learned"]
    scene = figure.scene()
    (box,) = [i for i in scene.items if i.role == "box" and i.ref == learned.id]
    ones = [t for t in scene.by_role("label.axis") if "".join(r.text for r in t.runs) == "1"]
    assert ones and any(abs(t.x - (box.x + box.w)) < 12 for t in ones), (box, ones)
