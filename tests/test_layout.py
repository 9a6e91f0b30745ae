"""Layout rules on every gallery diagram and on synthetic ones; byte-stable output."""
import io
import sys
import warnings
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from ncd_render.api import load, load_text
from ncd_render.fonts import metrics
from ncd_render.render import render_bytes
from ncd_render.scene import Line, Rect
from ncd_render.scene import Path as PathItem

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from synthetic import synthetic  # noqa: E402


def overlap(a, b, tol=0.01) -> bool:
    return a[0] < b[2] - tol and b[0] < a[2] - tol and a[1] < b[3] - tol and b[1] < a[3] - tol


def check_invariants(scene):
    boxes = [i for i in scene.items if i.role in ("box", "region", "box.shadow")]
    solid = [i for i in scene.items if i.role == "box"]
    labels = [i for i in scene.items if i.role in ("label.axis", "label.name", "label.title")]
    regions = [i.bbox for i in scene.items if i.role == "region"]
    assert solid or regions, "a diagram with nothing drawn"
    for n, a in enumerate(boxes):
        for b in boxes[n + 1:]:
            if "box.shadow" in (a.role, b.role) and a.ref == b.ref:  # a box and the shadows behind it
                continue
            assert not overlap(a.bbox, b.bbox), f"{a.role} {a.bbox} overlaps {b.role} {b.bbox}"
    for n, label in enumerate(labels):
        for box in solid:
            assert not overlap(label.bbox, box.bbox), f"label {label.runs[0].text!r} overlaps a box"
        for other in labels[n + 1:]:
            assert not overlap(label.bbox, other.bbox), f"labels {label.runs[0].text!r} and {other.runs[0].text!r} overlap"
    for item in scene.items:
        if item.role in ("wire", "wire.over"):
            assert isinstance(item, Line) and item.y1 == item.y2, f"a slanted wire {item}"
        elif item.role == "wire.bend":
            x0, y0, x1, y1 = item.bbox
            assert any(r[0] - 0.01 <= x0 and x1 <= r[2] + 0.01 for r in regions), f"a bend outside any wiring region at x={x0:.1f}..{x1:.1f}"
    for item in scene.items:
        if isinstance(item, PathItem) and item.role == "wire.bend":
            assert item.commands[0][0] == "M"


def test_gallery_diagrams_keep_the_layout_rules(gallery_file):
    check_invariants(load(gallery_file).scene())


@pytest.mark.parametrize("boxes", [5, 40, 200])
def test_synthetic_diagrams_keep_the_layout_rules(boxes):
    scene = load_text(synthetic(boxes)).scene()
    check_invariants(scene)
    drawn = {i.ref for i in scene.items if i.role == "box"} | {i.ref for i in scene.items if i.role == "label.box" and "".join(r.text for r in i.runs) == "+"}
    assert len(drawn) >= boxes  # a residual sum merges at dots, its sign written over them


def test_wire_labels_name_the_axes(gallery_file):
    fig = load(gallery_file)
    drawn = {"".join(r.text for r in i.runs) for i in fig.scene().items if i.role == "label.axis"}
    used = {"·".join(fig.diagram.axes[a].parts) for v in fig.diagram.values.values() for a in v.axes}
    used |= set(fig.diagram.tandems.values())
    assert drawn and drawn <= used


@pytest.mark.parametrize("preset", ["paper", "page", "column"])
def test_no_axis_label_touches_a_box(preset):
    """An axis label sits above its wire just past its start, clear of every box and of what stands behind
    one: a per-expert map's deck reaches to the lower right, a collapsed component's 3-D side face to the
    right (the MoE figures had five labels on a deck, the transformer and ViT two on each 3-D box's face),
    and a wire that starts just below a box's corner moves its label past the box (Mixtral's x̄ under W_Q)."""
    from ncd_render.scene import ink_bbox
    from ncd_render.sizing import SizeWarning

    touching = []
    for source in sorted((ROOT / "gallery").glob("*.ncd")) + sorted((ROOT / "tests" / "corpus").glob("*.ncd")):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SizeWarning)  # a column shrinks the big figures: not what is measured here
            scene = load(source, layout=preset).scene()
        boxes = [ink_bbox(i) for i in scene.items if i.role in ("box", "box.shadow")]
        for label in (i for i in scene.items if i.role == "label.axis"):
            a = label.bbox
            touching += [f"{source.stem}: {''.join(r.text for r in label.runs)} at ({a[0]:.1f}, {a[1]:.1f})"
                         for d in boxes if a[0] < d[2] and d[0] < a[2] and a[1] < d[3] and d[1] < a[3]]
    assert not touching, touching


def test_every_input_axis_starts_a_wire_at_the_left_edge(gallery_file):
    fig = load(gallery_file)
    wires = [i for i in fig.scene().items if i.role == "wire"]
    left = min(min(w.x1, w.x2) for w in wires)
    starting = [w for w in wires if abs(min(w.x1, w.x2) - left) < 1e-6]
    assert len(starting) == sum(len(fig.diagram.values[v].axes) for v in fig.diagram.inputs)


def test_broadcast_wire_passes_by_the_box():
    scene = load_text("axis y = 2 width\naxis m = 4\naxis k = 3\ninput X[y m]\nH = linear(X: m -> k)\noutput H\n").scene()
    (box,) = [i for i in scene.items if i.role == "box"]
    wires = [i for i in scene.items if i.role == "wire"]
    passing = [w for w in wires if min(w.x1, w.x2) < box.x and max(w.x1, w.x2) > box.x + box.w]
    assert len(passing) == 1 and passing[0].y1 < box.y  # y runs above the box, untouched


@pytest.mark.parametrize("name, axes", [("resnet", "xc"), ("squeeze_excitation", "hwc"), ("mha", "ym")])
def test_a_figures_outputs_are_labelled_at_its_end(name, axes):
    """The paper labels a figure's output wires where they end, beside the tensor's name; ResNet's X went out bare,
    its labels last seen left of the residual branch, and SE's Y after the gate's product. Each output wire now
    takes its axis label at the end, where it was not labelled just before (MHA's m, right after L_O)."""
    path = ROOT / ("gallery" if (ROOT / "gallery" / f"{name}.ncd").exists() else "tests/corpus") / f"{name}.ncd"
    scene = load(path).scene()
    wires = [i for i in scene.items if isinstance(i, Line) and i.role == "wire" and i.y1 == i.y2]
    end = max(max(w.x1, w.x2) for w in wires)
    ending = {round(w.y1, 2) for w in wires if max(w.x1, w.x2) > end - 0.5}
    near = [t for t in scene.labels() if t.role == "label.axis" and t.bbox[2] > end - 20
            and any(0 < y - t.y < 6 for y in ending)]  # (its baseline just above its wire)
    assert sorted("".join(r.text for r in t.runs) for t in near) == sorted(axes)


MARK_AT_THE_END = """axis y = 8 width
axis x = y width
axis m = 4
axis f = 4
input A[y x], X[y m]
section "s"
  D = sum(A: x)
  Dx = rename(D: y -> x)
  A = A * Dx
end
H = linear(X: m -> f) as W
Hx = rename(H: y -> x)
O = einsum(A, Hx: y x, x f -> y f)
O = bias(O: f) as b
O = relu(O)
output O
"""


@pytest.mark.parametrize("source, layout", [("text", "column"), ("gru_cell", "column"), ("film_block", "page"), ("mamba2_ssd", "column")])
def test_an_outputs_end_label_keeps_clear_of_a_marks_arrowheads(source, layout):
    """A ReLU's mark drawn over an output's end stood its right arrowhead on the ȳ set there (a new user's column
    render; GRU's b and FiLM's h likewise): the end label keeps clear of it, as of boxes and separators."""
    figure = load_text(MARK_AT_THE_END, layout=layout) if source == "text" else load(ROOT / "tests/corpus" / f"{source}.ncd", layout=layout)
    scene = figure.scene()
    heads = [i.bbox for i in scene.items if i.role == "arrow"]
    for label in scene.by_role("label.axis"):
        x0, y0, x1, y1 = label.bbox
        assert not any(min(x1, b[2]) - max(x0, b[0]) > 0.5 and min(y1, b[3]) - max(y0, b[1]) > 0.5 for b in heads), \
            f"{''.join(r.text for r in label.runs)} at ({x0:.1f}, {y0:.1f}) under a mark's arrowhead"


@pytest.mark.parametrize("statement, held", [("Y = X * S", "c"), ("Y = X + S", "c"), ("Y = X / S", "c"), ("Y = Y2 * S", "hwc")])
def test_a_broadcasting_joins_box_stands_only_on_the_axes_both_operands_have(statement, held):
    """FiLM's ``H * Gm`` with ``Gm[c]``: the × box stood on h, w and c, as if the gate acted on positions; the paper
    draws broadcasting with the broadcast wires passing the box untouched. Where c is not the first operand's wire
    nearest the gate (``Y2[c h w]``), the box keeps every wire: h and w would cross the gate's wire into it."""
    text = ("axis h = 3 width\naxis w = 3 width\naxis c = 4\ninput X[h w c], S[c]\nY2 = rearrange(X: h w c -> c h w)\n"
            f"{statement}\noutput Y\n")
    figure = load_text(text)
    scene = figure.scene()
    (join,) = [op for op in figure.diagram.ops if op.kind in ("mul", "add", "div")]
    (box,) = [i for i in scene.items if isinstance(i, Rect) and i.role == "box" and i.ref == join.id]
    wires = [i for i in scene.items if isinstance(i, Line) and i.role == "wire" and i.y1 == i.y2 and i.x1 < box.x and i.x2 > box.x + box.w]
    inside = {w.axis for w in wires if box.y < w.y1 < box.y + box.h}
    assert inside == set(held) and {w.axis for w in wires} == set("hwc")


@pytest.mark.parametrize("fmt", ["svg", "pdf", "png"])
def test_rendering_twice_gives_identical_bytes(gallery_file, fmt):
    first = render_bytes(load(gallery_file).scene(), fmt)
    second = render_bytes(load(gallery_file).scene(), fmt)
    assert first == second


def test_pdf_and_png_are_valid_files_of_the_scene_size(gallery_file):
    scene = load(gallery_file).scene()
    page = PdfReader(io.BytesIO(render_bytes(scene, "pdf"))).pages[0]
    assert float(page.mediabox.width) == pytest.approx(scene.width, abs=1)
    assert float(page.mediabox.height) == pytest.approx(scene.height, abs=1)
    image = Image.open(io.BytesIO(render_bytes(scene, "png", dpi=144)))
    image.verify()
    assert image.size == (pytest.approx(scene.width * 2, abs=2), pytest.approx(scene.height * 2, abs=2))


def test_tandem_axes_run_close_under_one_bold_label():
    text = ("axis h = 4 width\naxis w = 4 width\naxis c = 2\ntandem x = h w\n"
            "input X[h w c]\nY = relu(X)\noutput Y\n")
    fig = load_text(text)
    assert fig.diagram.tandems == {"h": "x", "w": "x"}
    scene = fig.scene()
    h, w, c = sorted((i for i in scene.items if i.role == "wire"), key=lambda line: line.y1)
    assert w.y1 - h.y1 == pytest.approx(4.0) and c.y1 - w.y1 >= 17
    labels = [i for i in scene.items if i.role == "label.axis"]
    assert ["".join(r.text for r in t.runs) for t in labels] == ["x", "c"]
    assert labels[0].runs[0].bold


@pytest.mark.parametrize("name", ["mixtral", "deepseek_v3", "transformer", "unet"])
def test_wrapped_figures_fit_a_page_and_keep_the_rules(name):
    from ncd_render.api import load as load_figure

    page = 6.5 * 72
    natural = load_figure(ROOT / "gallery" / f"{name}.ncd").scene()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        wrapped = load_figure(ROOT / "gallery" / f"{name}.ncd", wrap=True).scene(width=page)
    assert natural.width > page and wrapped.width <= page + 1e-6
    # strips that sum to 468.0000000000001 pt were "scaled to 100%", with a warning; one taller than a page says so
    assert all("scaled" not in str(w.message) for w in caught), caught[0].message
    assert bool(caught) == (wrapped.height > 9 * 72 + 0.5) and all("taller than a page" in str(w.message) for w in caught)
    check_invariants(wrapped)
    count = lambda scene, role: sum(i.role == role for i in scene.items)  # noqa: E731
    for role in ("box", "label.name", "dot"):
        assert count(wrapped, role) == count(natural, role)  # nothing lost at the cuts
    assert count(wrapped, "label.axis") > count(natural, "label.axis")  # and wires labelled again where they go on
    sizes = {run.size for i in wrapped.items if i.role == "label.axis" for run in i.runs}
    assert max(sizes) == pytest.approx(9.0)  # labels keep their size instead of shrinking
    # each break marked at both ends (and an input no strip before needs comes in where it is first read)
    assert 0 < count(wrapped, "arrow.continue.out") <= count(wrapped, "arrow.continue.in")


def test_a_wrapped_strip_labels_the_wires_it_goes_on_with():
    """A strip after the first starts with each wire that goes on labelled, as a page's rows do: wrapped strips
    started with bare chevrons, six wires no reader could name (a tester's residual blocks at 6.5in)."""
    from ncd_render.api import load_text

    text = ("axis n = 64 width\naxis d = 256\naxis f = 1024\ninput L[n d]\n"
            "N = layernorm(L: d)\nH = linear(N: d -> f) as L_1\nH = gelu(H)\nH = linear(H: f -> d) as L_2\nL = L + H\n"
            "N = layernorm(L: d)\nG = linear(N: d -> f) as W_g\nU = linear(N: d -> f) as W_u\nG = silu(G)\nG = G * U\n"
            "M = linear(G: f -> d) as W_d\nL = L + M\noutput L\n")
    figure = load_text(text)
    figure.wrap = True
    scene = figure.scene(width=4 * 72)
    arrows = [i for i in scene.items if i.role == "arrow.continue.in"]
    labels = [i for i in scene.items if i.role == "label.axis"]
    assert arrows
    for arrow in arrows:  # a label beside each arrowhead, on its wire's height
        x0, y0, x1, y1 = arrow.bbox
        assert any(t.bbox[1] - 2 < (y0 + y1) / 2 + 6 and abs(t.bbox[0] - x1) < 30 or abs(t.bbox[2] - x0) < 30
                   for t in labels if abs((t.bbox[1] + t.bbox[3]) / 2 - (y0 + y1) / 2) < 12), arrow.bbox


RESIDUAL_AROUND = """axis r = 4 width
axis w2 = 4 width
axis o = 8
axis g = 8
axis i = 3
axis j = 3
axis f = 4
axis p = 3
axis q = 3
axis h = 8 width
axis w = 8 width
input H[f h w]
B = unfold(H: h w -> r w2 p q) with stride=2, padding=1
H2 = linear(B: p q f -> o) as L_down
section "mid"
  H3 = groupnorm(H2: o r w2) with groups=2
  B = unfold(H3: r w2 -> r w2 i j) with padding=1
  H3 = linear(B: i j o -> g) as L_1
  B = unfold(H3: r w2 -> r w2 i j) with padding=1
  H3 = linear(B: i j g -> o) as L_2
  X = H2 + H3
end
output X
"""


def test_a_sums_other_operand_enters_from_the_side_it_runs_on(tmp_path, figure_metrics):
    """A residual's branch comes into the sum's box through the edge on its side (its bottom edge, here: the
    branch runs below the skip). Where the skip was nested around the block's result (a strided convolution's
    output: its positions above, its channels below, as an imported UNet's are), entering all from below,
    the wires above were drawn down through the box."""
    scene = load_text(RESIDUAL_AROUND, "residual.ncd").scene()
    (sign,) = [t for t in scene.by_role("label.box") if "".join(r.text for r in t.runs) == "+"]
    (box,) = [i for i in scene.items if i.role == "box" and isinstance(i, Rect) and box_holds(i, sign)]
    entries = [(i.commands[0][2], i.commands[-1][-1]) for i in scene.items if isinstance(i, PathItem) and i.role == "wire.bend"
               and box.x < i.commands[-1][-2] < box.x + box.w and i.commands[-1][-1] in (box.y, box.y + box.h)]  # (start, end) of each
    assert all(end == (box.y if start < box.y else box.y + box.h) for start, end in entries), entries  # the side it runs on
    assert len(entries) == 3, entries
    svg = tmp_path / "residual.svg"
    svg.write_bytes(render_bytes(scene, "svg"))
    result, _ = figure_metrics.analyse(str(svg))
    assert result["wire_through_box"] == 0 and result["knots_elsewhere"] == 0, result


def box_holds(box, text) -> bool:
    x0, y0, x1, y1 = text.bbox
    return box.x <= x0 and x1 <= box.x + box.w and box.y <= y0 and y1 <= box.y + box.h


def test_a_sum_whose_operands_run_in_one_order_has_no_wire_through_its_box(tmp_path, figure_metrics):
    """The same residual with a batch axis first: both operands stack their wires b, r, w2, o top to bottom
    though their axes read b o r w2 (a map's new axis stands where the axes it maps stood). Each wire can
    merge into its match without crossing another, so the nested arrangement is a drawing that fits; the
    check compared the axes in the tensors' order, refused it, and the sum was drawn as a box over 8 wires."""
    text = RESIDUAL_AROUND.replace("input H[f h w]", "axis b = 2\ninput H[b f h w]")
    svg = tmp_path / "residual_batched.svg"
    svg.write_bytes(load_text(text, "residual_batched.ncd").svg())
    result, _ = figure_metrics.analyse(str(svg))
    assert result["wire_through_box"] == 0, result


def test_the_names_of_a_copied_output_and_its_copy_stand_apart():
    """X copied, both outputs: each name is centred on its own wires, X's above Y's, apart (nested between X's
    wires, Y's name once stood on X's spot)."""
    scene = load_text("axis a = 2\naxis b = 3\ninput X[a b]\nY = relu(X)\noutput X, Y\n", "copied.ncd").scene()
    said = lambda t: "".join(r.text for r in t.runs)  # noqa: E731
    right = {said(t): t for t in scene.by_role("label.name") if t.x > scene.width / 2}
    assert set(right) == {"X", "Y"}
    x, y = right["X"].bbox, right["Y"].bbox
    assert not overlap(x, y), (x, y)
    wires = sorted({i.y1 for i in scene.items if isinstance(i, Line) and i.role == "wire" and i.x2 > scene.width / 2})
    assert len(wires) == 4  # X's a and b, then Y's, top to bottom
    centre = lambda b: (b[1] + b[3]) / 2  # noqa: E731
    assert abs(centre(x) - (wires[0] + wires[1]) / 2) < 3 and abs(centre(y) - (wires[2] + wires[3]) / 2) < 3


NEAR_AGAIN = 40.0  # pt between two labels of one wire: a reader still has the first in view
JOG = 2.0  # pt: a wire that steps less than this reads as going on straight


def _labels_said_twice(scene) -> list[tuple[str, float]]:
    """Axis labels that name a wire again, on (about) the same height, soon after the first, with nothing drawn on
    the wire between them (no box, no dot, no bend but a jog of a point, no cut's arrows): what a reader already
    has in front of them. (A long wire is named again where a wiring region makes a new tensor of it, far from
    where it was named: attention's y.)"""
    marks = [i.bbox for i in scene.items if i.role in ("box", "dot") or i.role.startswith("arrow.continue")
             or (isinstance(i, PathItem) and i.role.startswith("wire") and i.bbox[3] - i.bbox[1] > JOG)]
    labels = [i for i in scene.items if i.role == "label.axis"]
    twice = []
    for a in labels:
        after = [b for b in labels if b.axis == a.axis and abs(a.y - b.y) < JOG and b.x > a.x]
        b = min(after, key=lambda b: b.x, default=None)
        if b is not None and b.x - a.bbox[2] < NEAR_AGAIN:
            wire = (a.bbox[2], a.y, b.x, a.y + 3 * 2)  # the stretch of wire below them, between the two labels
            if not any(m[0] < wire[2] and wire[0] < m[2] and m[1] <= wire[3] and wire[1] <= m[3] for m in marks):
                twice.append((a.axis, a.x))
    return twice


@pytest.mark.parametrize("path", sorted((ROOT / "gallery").glob("*.ncd")) + sorted((ROOT / "tests" / "corpus").glob("*.ncd")),
                         ids=lambda p: f"{p.parent.name}/{p.stem}")
@pytest.mark.parametrize("layout", ["paper", "page"])
def test_no_wire_is_labelled_twice_in_a_row(path, layout):
    """Kx = rename(K: y -> x) carries K's k and h wires on: they were labelled again a few points past the
    labels K's map gave them (BERT's attention read "h h" and "k k"). Past a rename only the renamed wires take
    labels. On a page, a row ending just after a box labelled its outputs again at their arrows (UNet's pooling)."""
    assert _labels_said_twice(load(path, layout=layout).scene()) == []


def test_a_row_beginning_just_after_a_wiring_region_labels_its_wires_once():
    """Mixtral on a slide breaks a row right after the scores' einsum: the wires it made were labelled
    where they start, just past the cut, and again at the next row's arrows (y y, x x, g g, n n)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the slide shrinks Mixtral to 65%: said, and beside the point here
        scene = load(ROOT / "gallery" / "mixtral.ncd", layout="slide").scene()
    assert _labels_said_twice(scene) == []


def test_a_learned_tensor_starts_beside_the_tensor_it_meets():
    """A tensor no input feeds (a learned bias, T5's relative-position table) started below every live wire,
    and crossed each wire between there and the tensor it is added to (Z's two wires here, twice each)."""
    from ncd_render.layout.choice import crossing_report

    d = load_text("axis a = 2\naxis b = 3\ninput X[a b], Z[a b]\nY = relu(X)\nL = learned(: a b) as E\n"
                  "W = Y + L\noutput W, Z\n").diagram
    assert crossing_report(d) == (0, 0)


SELF_ATTENTION = (ROOT / "tests" / "corpus" / "t5_attention.ncd").read_text()


@pytest.mark.parametrize("layout", ["paper", "page", "column"])
def test_a_learned_tensor_beside_another_box_in_its_column(layout):
    """T5's relative-position table starts just below the scores it is added to, above the rename of V in the
    same column (in the column layout's strands): the boxes side by side there were ordered as if it stood below
    every wire, and the heights' constraints formed a cycle."""
    check_invariants(load_text(SELF_ATTENTION, layout=layout).scene())


PROJECTIONS = """axis y = 8 width
axis m = 16
axis k = 8
input X[y m]
Q = linear(X: m -> k) as W_q
K = linear(X: m -> k) as W_k
V = linear(X: m -> k) as W_v
output Q, K, V
"""


LATENTS = (ROOT / "tests" / "corpus" / "perceiver_latents.ncd").read_text()


@pytest.mark.parametrize("layout", ["paper", "page", "column"])
@pytest.mark.parametrize("text", [SELF_ATTENTION, PROJECTIONS, LATENTS], ids=["attention", "projections", "latents"])
def test_q_k_and_v_stand_top_to_bottom_as_written(text, layout):
    """Q, K and V made from one tensor stood V, K, Q top to bottom: the copy's output used last goes straight
    on and the others branch off below it, so the file read bottom to top. Among orders that cross as few
    wires, the layout takes the one whose boxes side by side stand in the file's order, as the paper draws them.
    Perceiver's learned latents (Q's source) started below the input (K's and V's) whatever the order cost:
    a tensor no input feeds, meeting none as it starts, may start above every wire (13 crossings to 7 here)."""
    figure = load_text(text, layout=layout)
    ops = {op.params.get("name"): op.id for op in figure.diagram.ops}
    tops = {str(item.ref): item.bbox[1] for item in figure.scene().items if item.role == "box"}
    heights = [tops[str(ops[name])] for name in ("W_q", "W_k", "W_v")]
    assert heights == sorted(heights)


RENAMED_INPUTS = [
    "axis y = 4 width\naxis x = 4 width\naxis k = 3\naxis h = 2\ninput K[y k h]\nKx = rename(K: y -> x)\nZ = relu(Kx)\noutput Z\n",
    # one window's attention (a whole image's windows, drawn once across the figure, start at the bar above everything:
    # tests/test_through.py)
    "axis i = 7 width\naxis j = 7 width\naxis t = 49 width\naxis s = 49 width\naxis m = 96\naxis h = 3\naxis k = 32\n"
    "input X[i j m]\nT = rearrange(X: i j m -> (i j) m)\nU = rename(T: (i j) -> t)\nQ = linear(U: m -> k h) as W_Q\n"
    "K = linear(U: m -> k h) as W_K\nV = linear(U: m -> k h) as W_V\nKs = rename(K: t -> s)\nVs = rename(V: t -> s)\n"
    "S = einsum(Q, Ks: t k h, s k h -> t s h) * k^-1/2\nP = softmax(S: s)\nO = einsum(P, Vs: t s h, s k h -> t k h)\n"
    "Z = linear(O: k h -> m) as W_O\noutput Z\n",
]


@pytest.mark.parametrize("text, layout", [(RENAMED_INPUTS[0], layout) for layout in ("paper", "page", "column")]
                         + [(RENAMED_INPUTS[1], "paper")], ids=["rename-paper", "rename-page", "rename-column", "window-attention"])
def test_an_input_renamed_goes_on_straight(text, layout):
    """K renamed, then a mark (ReLU's ramp) above it: the mark needs room above the renamed wires, which lay
    lower than K's, and the wires stepped down at the rename (K's came in higher, as nothing was above them;
    a window attention's input came in at the top and fell the height of Q's and K's branches). Wires that
    come straight from an input through renames and views (bars) now start as low as they go on."""
    scene = load_text(text, layout=layout).scene()
    first = min((i.bbox[0] for i in scene.items if i.role == "dot"), default=scene.width)  # where a branch leaves
    assert not [i.bbox for i in scene.items if i.role == "wire.bend" and i.bbox[0] < first - 1]


@pytest.mark.parametrize("layout", ["paper", "page", "column"])
def test_a_rename_just_past_the_old_name_is_marked_with_an_arrow(layout):
    """``Kx = rename(K: y -> x)`` on an input: the keys' new name x̄ stood a few points past ȳ on the same wire,
    "ȳ x̄", which reads as K's two axes. Where the new name stands that near the old one it follows an arrow,
    "ȳ →x̄"; a rename the wire reaches farther on (ViT's keys, renamed on their branch) stands alone, as before."""
    text = "axis y = 4 width\naxis x = y width\naxis s = 4\ninput Q[y s], K[y s]\nKx = rename(K: y -> x)\nA = einsum(Q, Kx: y s, x s -> y x)\noutput A\n"
    labels = [i for i in load_text(text, layout=layout).scene().items if i.role == "label.axis"]
    said = ["".join(r.text for r in i.runs) for i in labels]
    assert said.count("→x") == 1 and "x" in said, said  # (the output's x̄, plain, at its end)
    (arrowed,) = [i for i in labels if i.runs[0].text == "→"]
    (old,) = [i for i in labels if abs(i.y - arrowed.y) < 0.01 and i.x < arrowed.x]
    assert "".join(r.text for r in old.runs) == "y"
    vit = [i for i in load(ROOT / "gallery" / "vit.ncd").scene().items if i.role == "label.axis"]
    assert not any(i.runs[0].text == "→" for i in vit)


@pytest.mark.parametrize("layout", ["paper", "page", "column"])
def test_a_renamed_wire_s_arrow_keeps_clear_of_the_box_after_it(layout):
    """``rename(H: (h k) -> d)`` just before a LayerNorm: "→d" ran into the LN circle (a user's ISAB). The arrowed label
    moves left, as far as the old name; where even that is too little room, it stands without the arrow."""
    text = ("axis y = 16 width\naxis h = 4\naxis k = 8\naxis d = h * k\ninput X[y k h]\nH = rearrange(X: y k h -> y (h k))\n"
            "H = rename(H: (h k) -> d)\nH = layernorm(H: d) with affine\noutput H\n")
    items = load_text(text, layout=layout).scene().items
    boxes = [i.bbox for i in items if i.role == "box"]
    labels = [i for i in items if i.role == "label.axis" and "d" in "".join(r.text for r in i.runs)]
    assert labels
    for label in labels:
        x0, y0, x1, y1 = label.bbox
        assert not any(x0 < b[2] and b[0] < x1 and y0 < b[3] and b[1] < y1 for b in boxes), (label.bbox, boxes)


def test_a_renamed_wire_s_arrow_goes_before_its_name_not_into_a_copy_s_dot():
    """A UNet's spatial attention flattens h w, renames it y, and copies it: "→ȳ" pushed ȳ on past the dot where the
    copy leaves (a user's). The arrow goes before the name, over the old wire's end, where the old label leaves room."""
    text = ("axis c = 8\naxis h = 4 width\naxis w = 4 width\naxis y = h * w width\naxis x = y width\ninput X[c h w]\n"
            "section \"Spatial self-attention\"\n  N = groupnorm(X: c h w) with affine, groups=2 as GN\n"
            "  F = rearrange(N: c h w -> c (h w))\n  F = rename(F: (h w) -> y)\n  Fx = rename(F: y -> x)\n"
            "  Q = linear(F: c -> c) as L_Q\n  K = linear(Fx: c -> c) as L_K\n  S = einsum(Q, K: c y, c x -> y x)\nend\n"
            "output S\n")
    items = load_text(text).scene().items
    dots = [i.bbox for i in items if i.role == "dot"]
    arrowed = [i for i in items if i.role == "label.axis" and i.runs[0].text == "→"]
    assert arrowed
    for label in arrowed:
        x0, _, x1, y1 = label.bbox
        on_its_wire = [d for d in dots if d[0] > x0 and d[1] - 4 < y1 < d[3] + 12]  # (a label stands just above its wire)
        assert all(d[0] >= x1 for d in on_its_wire), (label.bbox, on_its_wire)


@pytest.mark.parametrize("layout", ["paper", "page", "column"])
def test_a_norm_on_a_copy_s_branch_says_which_axis_it_runs_over(layout):
    """XCiT normalises Q and K along the tokens: each RMS circle stands on ȳ, one on X's own wire, labelled at the
    figure's left, one on a copy's branch, unlabelled (a branch's axis is its source's): the reader traced it back
    to learn which axis that norm ran over. The branch is labelled where a norm or softmax stands on it."""
    text = ("axis y = 4 width\naxis m = 4\naxis k = 4\naxis j = k\ninput X[y m]\nQ = linear(X: m -> k) as W_Q\n"
            "K = linear(X: m -> j) as W_K\nQ = rmsnorm(Q: y)\nK = rmsnorm(K: y)\nA = einsum(Q, K: y k, y j -> k j)\noutput A\n")
    items = load_text(text, layout=layout).scene().items
    circles = [i.bbox for i in items if i.role == "box" and any(t.role == "label.box" and "".join(r.text for r in t.runs) == "RMS"
                                                                  and i.bbox[0] <= t.bbox[0] and t.bbox[2] <= i.bbox[2] for t in items)]
    ys = [i.bbox for i in items if i.role == "label.axis" and "".join(r.text for r in i.runs) == "y"]
    assert len(circles) == 2
    for x0, top, x1, bottom in circles:  # a ȳ just above the circle's wire, left of it or just past it, on each
        middle = (top + bottom) / 2
        assert any(middle - 14 < b < middle + 0.5 and a < x1 + 20 for a, _, _, b in ys), (circles, ys)


def test_variants_of_one_input_end_in_the_order_the_file_lists_them():
    """The gallery's convolution draws five variants of X, each a branch of it, as outputs Y, Y2, ... Y5. Each
    branch left below X, so the first variant stood lowest and the figure read bottom to top, Y5 above Y. Among
    orders that cross as few wires, the layout takes the one whose outputs end in the file's order."""
    scene = load(ROOT / "gallery" / "convolution.ncd").scene()
    names = {"".join(r.text for r in i.runs): i.y for i in scene.items if i.role == "label.name" and i.x > scene.width / 2}
    order = ["Y", "Y2", "Y3", "Y4", "Y5"]
    assert [names[n] for n in order] == sorted(names[n] for n in order)


def test_a_view_before_a_rename_leaves_it_room_to_go_on_straight():
    """A window attention's page: the rename after the windows' views took m 0.88 pt lower than the view had
    made it, and labelled it again ("m m"); the view's bar reached no lower than m, so m could not move down to
    meet it. The bar's bottom now moves with the wire."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scene = load_text(RENAMED_INPUTS[1], layout="page").scene()
    assert _labels_said_twice(scene) == []


@pytest.mark.parametrize("sign, kind", [("+", "add"), ("-", "sub")])
def test_an_outer_sums_own_axes_of_its_second_term_go_on_past_its_box(tmp_path, figure_metrics, sign, kind):
    """In additive attention's ``A[y a] + B[x a]`` the keys' x is not summed into anything: it goes on past the
    + box as the result's last wire, and only B's a enters the box; so too past an outer difference's − box."""
    text = (ROOT / "tests" / "corpus" / "additive_attention.ncd").read_text().replace("E = A + B", f"E = A {sign} B")
    figure = load_text(text, "additive.ncd")
    scene = figure.scene()
    (add,) = [op for op in figure.diagram.ops if op.kind == kind]
    (box,) = [i for i in scene.items if i.role == "box" and isinstance(i, Rect) and i.ref == add.id]
    entering = [i for i in scene.items if isinstance(i, PathItem) and i.role == "wire.bend"
                and box.x < i.commands[-1][-2] < box.x + box.w and i.commands[-1][-1] in (box.y, box.y + box.h)]
    assert len(entering) == 1  # B's a, into the bottom edge
    passing = [i for i in scene.items if isinstance(i, Line) and i.role == "wire" and i.axis == "x" and i.x1 < box.x and i.x2 > box.x + box.w]
    assert passing and all(not box.y <= i.y1 <= box.y + box.h for i in passing)  # the keys' x passes outside it
    svg = tmp_path / "additive.svg"
    svg.write_bytes(render_bytes(scene, "svg"))
    result, _ = figure_metrics.analyse(str(svg))
    assert result["wire_through_box"] == 0 and result["knots_elsewhere"] == 0, result


def test_an_element_wise_mark_sits_above_its_tensors_topmost_wire():
    """A depthwise convolution's result is [c h w] with c drawn lowest (its h and w passed over the box): a GELU's
    mark after it sat above c, between the tensor's own wires, as if it acted on c alone; it sits above h now."""
    text = ("axis h = 4 width\naxis w = 4 width\naxis c = 3\naxis i = 3\naxis j = 3\ninput X[c h w]\n"
            "B = unfold(X: h w -> h w i j) with padding=1\nD = linear(B: i j -> ) with per=c\nY = gelu(D)\noutput Y\n")
    figure = load_text(text)
    (gelu,) = [op for op in figure.diagram.ops if op.kind == "elementwise"]
    scene = figure.scene()
    (mark,) = [i for i in scene.items if isinstance(i, Rect) and i.role == "box" and i.ref == gelu.id]
    under = [i for i in scene.items if isinstance(i, Line) and i.role == "wire" and i.x1 <= mark.x and i.x2 >= mark.x + mark.w]
    assert sorted(i.axis for i in under) == ["c", "h", "w"]  # Y's wires, and only they, run under the mark
    assert mark.y + mark.h < min(i.y1 for i in under)


PMA = """axis n = 100 width
axis s = 4 width
axis m = 128
axis h = 4
axis k = m / h
input X[n m]
S = learned(: s m) as S_{seed}
Q = linear(S: m -> k h) with bias as W_Q
K = linear(X: m -> k h) with bias as W_K
V = linear(X: m -> k h) with bias as W_V
A = einsum(Q, K: s k h, n k h -> s n h) * m^-1/2
A = softmax(A: n)
O = einsum(A, V: s n h, n k h -> s k h)
O = O + Q
F = linear(O: k h -> m) with bias as W_O
F = relu(F)
Y = rearrange(O: s k h -> s (h k))
Y = rename(Y: (h k) -> m)
Y = Y + F
output Y
"""


def test_a_learned_bias_box_carries_a_bias_sign():
    """DETR's object queries are a learned table added to the decoder's input, bias(T: y m): its box read as a learned
    map until it, too, carried the "+" a map's bias has in its corner; a layer scale (a product) carries none."""
    figure = load_text("axis y = 5 width\naxis m = 8\ninput T[y m]\nQ = bias(T: y m) as E_{query}\nG = layerscale(Q: m)\noutput G\n")
    scene = figure.scene()
    signed = {t.ref for t in scene.by_role("label.box") if "".join(r.text for r in t.runs) == "+"}
    assert signed == {op.id for op in figure.diagram.ops if op.kind == "bias"}


@pytest.mark.parametrize("sign", ["/", "-", "*"])
def test_a_difference_or_quotient_keeps_its_box_on_the_first_operand(sign):
    """Softsign, X / (|X| + 1): the divisor, a copy of X's branch, came back between X's own wires and merged into them
    at dots, a bare ÷ between: which was divided by which? A join keeps its box on the first operand, the second
    entering it (a product too, now that no branch nests between its source's wires)."""
    text = f"axis y = 5 width\naxis m = 8\ninput X[y m]\nH = abs(X)\nH = H + 1\nY = X {sign} H\noutput Y\n"
    figure = load_text(text)
    (join,) = [op for op in figure.diagram.ops if op.kind in ("div", "sub", "mul")]
    boxes = [i for i in figure.scene().items if isinstance(i, Rect) and i.role == "box" and i.ref == join.id]
    assert boxes


def test_a_box_on_an_inputs_last_wire_holds_its_wires_only():
    """Differential attention's second query map (its lambda a learned table of one) reads X's m last, and its d
    runs below the keys' and values' wires made after it: the box stood as tall as that drop (104 pt against 18 for the other maps). The input's
    wire comes down to the box instead, as a copy's branch does, and its branches rise from it."""
    text = ("axis y = 128 width\naxis x = y width\naxis m = 256\naxis d = 32\naxis v = 64\naxis u = 1\ninput X[y m]\n"
            "Xk = rename(X: y -> x)\nQ1 = linear(X: m -> d) as W_{Q1}\nQ2 = linear(X: m -> d) as W_{Q2}\n"
            "K1 = linear(Xk: m -> d) as W_{K1}\nK2 = linear(Xk: m -> d) as W_{K2}\nV = linear(Xk: m -> v) as W_V\n"
            "S1 = einsum(Q1, K1: y d, x d -> y x) * d^-1/2\nS2 = einsum(Q2, K2: y d, x d -> y x) * d^-1/2\n"
            "P1 = softmax(S1: x)\nP2 = softmax(S2: x)\nL = learned(: u) as \\lambda\nL = index(L: u) with at=0\n"
            "P2 = P2 * L\nA = P1 - P2\nO = einsum(A, V: y x, x v -> y v)\n"
            "Y = linear(O: v -> m) as W_O\noutput Y\n")
    figure = load_text(text)
    maps = {op.id for op in figure.diagram.ops if op.kind == "linear"}
    boxes = [i for i in figure.scene().items if isinstance(i, Rect) and i.role == "box" and i.ref in maps]
    assert len(boxes) == 6 and max(b.h for b in boxes) <= 1.2 * min(b.h for b in boxes), sorted(b.h for b in boxes)


def test_a_mark_sits_just_above_the_tensor_it_acts_on():
    """The pooling's F = relu(linear(O)) is [s m]: its s a copy of O's, its m W_O's output. O's copy once nested its
    branches, so F's s ran at the top of the figure and its m far below, and the ReLU sat beside neither; the mark
    then moved beside the wires F's last op made (:func:`ncd_render.layout.order._marked`). O's two branches each hold
    a box (the rearrange's bar, W_O), so they stack now, F's wires run together, and its mark stands just above them."""
    figure = load_text(PMA)
    (relu,) = [op for op in figure.diagram.ops if op.kind == "elementwise"]
    scene = figure.scene()
    (mark,) = [i for i in scene.items if isinstance(i, Rect) and i.role == "box" and i.ref == relu.id]
    wires = sorted((i for i in scene.items if isinstance(i, Line) and i.role == "wire" and i.x1 <= mark.x and i.x2 >= mark.x + mark.w),
                   key=lambda i: i.y1)
    below = [i for i in wires if i.y1 > mark.y + mark.h]
    assert [i.axis for i in below[:2]] == ["s", "m"] and below[1].y1 - below[0].y1 < 30  # F's s and m, together
    assert below[0].y1 - (mark.y + mark.h) < 10  # and the mark just above them


FUSED_SUMMARIES = """axis y = 128 width
axis x = y width
axis m = 256
axis h = 4
axis k = 64
axis v = 64
input X[y m]
Q = linear(X: m -> k h) as W_Q
K = linear(X: m -> k h) as W_K
V = linear(X: m -> v h) as W_V
Q = softplus(Q)
K = softplus(K)
Kx = rename(K: y -> x)
Vx = rename(V: y -> x)
section "summaries" fused
  S = einsum(Kx, Vx: x k h, x v h -> k v h)
  Z = sum(Kx: x)
  O = einsum(Q, S: y k h, k v h -> y v h)
end
D = einsum(Q, Z: y k h, k h -> y h)
R = O / D
Y = linear(R: v h -> m) as W_O
output Y
"""


def test_an_einsums_result_may_take_the_place_of_its_operands_lowest_wires(tmp_path, figure_metrics):
    """Linear attention with its summaries fused (a fuzzer's): each einsum's result took the place of its operands'
    topmost wires. The choice phase may put a result where its operands' lowest wires were, choosing the copies
    again around it: here the queries' product with the summaries, and the figure draws fewer crossings. (A Set
    Transformer's pooling chose so while branches could nest between their sources' wires; now it gains nothing.)"""
    from ncd_render.layout import choice, order
    from ncd_render.layout.report import crossings

    figure = load_text(FUSED_SUMMARIES)
    d = figure.diagram
    high = choice._choose(d, 40_000, frozenset())  # every result high, as before
    chosen, ordered = choice.choose_order(d)
    (low,) = chosen[2]
    assert d.ops[low].kind == "einsum" and d.values[d.ops[low].outputs[0]].axes == ("y", "v", "h")  # the queries' product
    assert crossings(ordered) < crossings(high[1])
    placed = order.order(d, chosen)
    svg = tmp_path / "pma.svg"
    svg.write_bytes(render_bytes(figure.scene(), "svg"))
    result, _ = figure_metrics.analyse(str(svg))
    assert result["crossings"] == crossings(placed) < crossings(high[1])  # what was counted is what is drawn
    assert {m: result[m] for m in ("knots_elsewhere", "wire_through_box", "label_overlaps")} == dict.fromkeys(
        ("knots_elsewhere", "wire_through_box", "label_overlaps"), 0), result


def test_a_chain_of_maps_from_a_flattened_input_runs_straight():
    """The MLP (gallery/mlp.ncd): a mark above m pushed L_1's result below the flattened r·c wire it reads, so L_1 stood
    a third taller than L_2 and L_3 and its input stepped down through it (a reviewer set it beside the paper's
    Fig. 21). The input's wires and the bar move down as one: every map holds its two wires at one height."""
    figure = load(Path(__file__).resolve().parents[1] / "gallery" / "mlp.ncd")
    scene = figure.scene()
    maps = {op.id for op in figure.diagram.ops if op.kind == "linear"}
    boxes = sorted((i for i in scene.items if isinstance(i, Rect) and i.role == "box" and i.ref in maps), key=lambda b: b.x)
    assert len(boxes) == 3 and len({(round(b.y, 3), round(b.h, 3)) for b in boxes}) == 1, [(b.y, b.h) for b in boxes]
    wires = [i for i in scene.items if isinstance(i, Line) and i.role == "wire" and i.x1 >= boxes[0].x - 30]
    assert len({round(w.y1, 3) for w in wires}) == 1, sorted({w.y1 for w in wires})  # r·c, m, m and o: one height


def test_a_sliding_window_mask_is_a_mask_labelled_with_its_window():
    """A causal mask with window=4 was filled in the ★'s blue and labelled plain "mask": the glyph took the mask's own
    window option for the window of a convolution drawn compact, and the 4 appeared nowhere in the figure."""
    text = ("axis y = 8 width\naxis x = y width\ninput S[y x]\n"
            "A = mask(S: y x) with causal\nB = mask(S: y x) with causal, window=4\noutput A, B\n")
    scene = load_text(text).scene()
    fills = {t: [b.fill for b in scene.by_role("box") if b.ref == ref] for t, ref in
             (("".join(r.text for r in label.runs), label.ref) for label in scene.by_role("label.box"))}
    assert set(fills) == {"mask", "window 4"}
    assert fills["mask"] == fills["window 4"] and len(fills["mask"]) == 1


@pytest.mark.parametrize("path", ["tests/corpus/gru_cell.ncd", "gallery/transformer.ncd", "gallery/unet.ncd", "gallery/mlp.ncd"])
def test_a_bias_sign_stands_clear_of_its_box_s_label(path):
    """On a box on one wire the bias's "+" stood beside the label, 1.9pt from its end, and read as part of W_n's or
    U_n's subscript (the GRU; the transformer's last L): where the two share a height, 2.5pt of paper parts them."""
    boxes: dict = {}
    for text in load(ROOT / path).scene().by_role("label.box"):
        boxes.setdefault(text.ref, []).append(text)
    checked = 0
    for label, plus in (texts for texts in boxes.values() if len(texts) == 2 and texts[1].runs[0].text == "+"):  # a label, its "+"
        points = [c[k:k + 2] for c in metrics(plus.family).signs["+"] for k in range(1, len(c), 2)]
        size = plus.runs[0].size
        left, top = plus.x + size * min(x for x, _ in points), plus.y - size * max(y for _, y in points)
        if top < label.y + label.descent:  # side by side
            checked += 1
            assert left - (label.x + label.width) >= 2.5, "".join(r.text for r in label.runs)
    assert checked


DEPTHWISE = ("axis h = 8 width\naxis w = 8 width\naxis c = 4\naxis i = 3\naxis j = 3\ninput H[h w c]\n"
             "section \"Depthwise\"\n  B = unfold(H: h w -> h w i j) with padding=1\n"
             "  H = linear(B: i j -> ) with per=c as L_{dw}\nend\noutput H\n")


@pytest.mark.parametrize("layout", ["paper", "page", "column"])
@pytest.mark.parametrize("source", ["depthwise", "gallery/mixtral", "gallery/transformer", "tests/corpus/qwen2_moe"])
def test_what_stands_behind_a_box_stays_inside_its_section(source, layout):
    """A depthwise convolution's deck of maps (one per channel) ran 2 pt past the bottom of its section's panel and
    touched its right edge; a panel now holds a deck below its box and a 3-D box's faces above."""
    from ncd_render.scene import ink_bbox
    from ncd_render.sizing import SizeWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SizeWarning)
        figure = load_text(DEPTHWISE, layout=layout) if source == "depthwise" else load(ROOT / f"{source}.ncd", layout=layout)
        scene = figure.scene()
    panels = [i.bbox for i in scene.items if i.role == "section"]
    shadows = [ink_bbox(i) for i in scene.items if i.role == "box.shadow"]
    assert shadows
    for s in shadows:
        for x0, y0, x1, y1 in panels:
            if s[0] < x1 and x0 < s[2] and s[1] < y1 and y0 < s[3]:  # a panel it stands on holds it whole, as a box's own
                assert x0 + 0.25 <= s[0] and s[2] <= x1 - 0.25 and y0 + 0.25 <= s[1] and s[3] <= y1 - 0.25, (s, (x0, y0, x1, y1))
