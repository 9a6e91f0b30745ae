"""The SVG says what each element means, so CSS, the browser view and the metrics tool need not guess."""
import xml.etree.ElementTree as ET

from ncd_render.api import load

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
        members = list(g)
        assert all(m.get("data-op") == g.get("data-op") for m in members)
        assert any(m.get("class") == "ncd-box" for m in members)
    learned = {str(op.id) for op in fig.diagram.ops if op.learned}
    labelled = {g.get("data-op") for g in groups if any("ncd-label-box" in m.get("class").split() for m in g)}
    assert learned <= labelled
