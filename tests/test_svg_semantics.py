"""The SVG says what each element means, so CSS, the browser view and the metrics tool need not guess."""
import xml.etree.ElementTree as ET

from ncd_render.api import load
from ncd_render.scene import Line

SVG = "{http://www.w3.org/2000/svg}"
DRAWN = {SVG + t for t in ("line", "path", "rect", "circle", "text")}


def test_every_drawn_element_has_a_class_and_every_box_its_op(gallery_file):
    fig = load(gallery_file)
    root = ET.fromstring(fig.svg())
    elements = [e for e in root.iter() if e.tag in DRAWN]
    assert elements and all(e.get("class", "").startswith("ncd-") for e in elements)
    ops = {op.id: op for op in fig.diagram.ops}
    boxes = [e for e in elements if e.get("class").split() == ["ncd-box"]]
    assert all(int(e.get("data-op")) in ops for e in boxes)
    drawn = {int(e.get("data-op")) for e in boxes}
    learned = {op.id for op in fig.diagram.ops if op.learned and op.kind not in ("call",)}
    assert learned <= drawn  # every learned map is a box that names its op


def test_classes_follow_the_scene_roles():
    fig = load("gallery/sdpa.ncd")
    classes = {c for e in ET.fromstring(fig.svg()).iter() if e.tag in DRAWN for c in e.get("class").split()}
    assert {"ncd-wire", "ncd-wire-bend", "ncd-box", "ncd-label", "ncd-label-axis", "ncd-label-box"} <= classes


def test_wires_and_axis_labels_name_their_axis_and_box_labels_their_op():
    # unet: every wire line is one wire (in mha two lines are a wiring region's straight pieces joined)
    fig = load("gallery/unet.ncd")
    elements = [e for e in ET.fromstring(fig.svg()).iter() if e.tag in DRAWN]
    wires = [e for e in elements if e.get("class") == "ncd-wire"]
    assert wires and all(e.get("data-axis") in fig.diagram.axes for e in wires)
    axis_labels = [e for e in elements if "ncd-label-axis" in e.get("class").split()]
    assert {e.get("data-axis") for e in axis_labels} <= set(fig.diagram.axes) and axis_labels
    learned = {str(op.id) for op in fig.diagram.ops if op.learned}
    assert learned <= {e.get("data-op") for e in elements if "ncd-label-box" in e.get("class").split()}


def test_each_box_is_a_group_with_its_label(gallery_file):
    """<g class="ncd-box" data-op=N> holds the box and the label drawn on it, once per op."""
    fig = load(gallery_file)
    groups = [g for g in ET.fromstring(fig.svg()).iter(SVG + "g") if g.get("class") == "ncd-box"]
    assert len({g.get("data-op") for g in groups}) == len(groups)
    for g in groups:
        members = [m for m in g if not _wire(m)]  # a wire says its op by the group it is in
        assert all(m.get("data-op") == g.get("data-op") for m in members)
        assert any(m.get("class") == "ncd-box" for m in members)
    learned = {str(op.id) for op in fig.diagram.ops if op.learned}
    labelled = {g.get("data-op") for g in groups if any("ncd-label-box" in m.get("class").split() for m in g)}
    assert learned <= labelled


def _wire(e) -> bool:
    return (e.get("class") or "").split()[:1] == ["ncd-wire"]


def test_a_box_group_holds_the_wires_its_op_produces_before_the_box(gallery_file):
    fig = load(gallery_file)
    for g in ET.fromstring(fig.svg()).iter(SVG + "g"):
        if g.get("class") != "ncd-box":
            continue
        kinds = ["wire" if _wire(m) else "other" for m in g]
        assert kinds == sorted(kinds, key=lambda k: k != "wire"), "the wires come first, as they were drawn before the box"
        assert all(m.get("data-axis") and m.get("data-op") is None for m in g if _wire(m))


def test_every_wire_a_box_produces_is_in_its_group_where_nothing_lies_between():
    """mlp, resnet and convolution: nothing is drawn near a box's output wires between them and the box."""
    for name in ("mlp", "resnet", "convolution"):
        root = ET.fromstring(load(f"gallery/{name}.ncd").svg())
        groups = [g for g in root.iter(SVG + "g") if g.get("class") == "ncd-box"]
        boxed = {g.get("data-op") for g in groups}
        scene = load(f"gallery/{name}.ncd").scene()
        produced = [i for i in scene.items if isinstance(i, Line) and i.role == "wire" and str(i.producer) in boxed]
        grouped = [m for g in groups for m in g if _wire(m)]
        assert produced and len(grouped) == len(produced), name


def test_grouping_the_wires_moves_no_pixel():
    """The grouped SVG and the same scene drawn flat, item by item, render to the same pixels."""
    import io

    import cairosvg
    from PIL import Image

    from ncd_render.render import svg

    for name, theme in (("unet", "axes"), ("transformer", "paper"), ("deepseek_v3", "dark")):
        scene = load(f"gallery/{name}.ncd", theme=theme).scene()
        grouped = svg.to_svg(scene)
        original = svg._box_groups
        svg._box_groups = list  # every item drawn at its own place, none grouped
        try:
            flat = svg.to_svg(scene)
        finally:
            svg._box_groups = original
        assert grouped != flat
        a, b = (Image.open(io.BytesIO(cairosvg.svg2png(bytestring=data, dpi=150))).convert("RGBA") for data in (grouped, flat))
        assert a.size == b.size and a.tobytes() == b.tobytes(), name


def test_a_wire_that_something_is_drawn_over_stays_where_it_was():
    """A red dot drawn over a box's output wire, between the wire and the box: moving the wire into
    the box's group would paint it over the dot, so it stays outside."""
    import io

    import cairosvg
    from PIL import Image

    from ncd_render.render import svg
    from ncd_render.scene import Circle, Rect, Scene, Stroke

    ink = Stroke("#1a1a1a", 2.0)
    wire = Line(30, 20, 80, 20, ink, axis="m", producer=1)
    dot = Circle(50, 20, 3, None, "#ff0000")
    box = Rect(10, 10, 20, 20, ink, "#ffffff", ref=1)
    for items, inside in (([wire, dot, box], False), ([wire, box], True)):
        root = ET.fromstring(svg.to_svg(Scene(90, 40, items)))
        group = next(g for g in root.iter(SVG + "g") if g.get("class") == "ncd-box")
        assert any(_wire(m) for m in group) == inside
    flat = Scene(90, 40, [wire, dot, box])
    pixels = [Image.open(io.BytesIO(cairosvg.svg2png(bytestring=data, dpi=150))).convert("RGBA")
              for data in (svg.to_svg(flat), svg.to_svg(Scene(90, 40, [dot, wire, box])))]
    assert pixels[0].tobytes() != pixels[1].tobytes(), "the order of the wire and the dot shows"


def test_a_scale_written_with_many_digits_is_drawn_with_four_and_computes_with_all():
    """An imported scale (DeBERTa's 1 / sqrt of its float32 head size) is written exactly; its box shows it rounded."""
    from ncd_render.api import load_text
    from ncd_render.pytorch.codegen import generate

    fig = load_text("axis y = 4\naxis k = 8\ninput X[y k]\nY = X * 0.3535533966440824\nZ = Y * 0.125\noutput Z\n")
    texts = ["".join(e.itertext()) for e in ET.fromstring(fig.svg()).iter(SVG + "text")]
    assert "0.3536" in texts and "0.125" in texts and not any("0.35355" in t for t in texts)
    assert "0.3535533966440824" in generate(fig.diagram)


def test_a_partial_rope_says_how_much_of_the_depth_turns():
    """rope with rotary=4 (GPT-NeoX's, StableLM's) is labelled RoPE with :4 below: the first four of its depth axis."""
    from ncd_render.api import load_text

    text = "axis y = 5 width\naxis k = 8\ninput Q[y k]\nR = rope(Q: y k) with rotary=4\nS = rope(R: y k)\noutput S\n"
    labels = ["".join(e.itertext()) for e in ET.fromstring(load_text(text).svg()).iter(SVG + "text")]
    assert "RoPE:4" in labels and "RoPE" in labels
