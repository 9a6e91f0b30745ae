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
    boxes = [e for e in elements if e.get("class") == "ncd-box"]
    assert all(int(e.get("data-op")) in ops for e in boxes)
    drawn = {int(e.get("data-op")) for e in boxes}
    learned = {op.id for op in fig.diagram.ops if op.learned and op.kind not in ("call",)}
    assert learned <= drawn  # every learned map is a box that names its op


def test_classes_follow_the_scene_roles():
    fig = load("gallery/sdpa.ncd")
    classes = {e.get("class") for e in ET.fromstring(fig.svg()).iter() if e.tag in DRAWN}
    assert {"ncd-wire", "ncd-wire-bend", "ncd-box", "ncd-label-axis", "ncd-label-box"} <= classes


def test_every_straight_wire_names_its_axis(gallery_file):
    """The browser view shows a wire's axis and size on hover; it reads them from data-axis."""
    fig = load(gallery_file)
    wires = [e for e in ET.fromstring(fig.svg()).iter() if e.get("class") == "ncd-wire"]
    assert wires and all(e.get("data-axis") in fig.diagram.axes for e in wires)
    values_axes = {a for v in fig.diagram.values.values() for a in v.axes}
    assert {e.get("data-axis") for e in wires} <= values_axes
