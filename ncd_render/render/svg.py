"""Scene -> SVG with svgwrite. Numbers are rounded so output is byte-stable.

svgwrite builds the elements; :func:`serialise` writes them out as svgwrite's own
``tostring`` would (through ElementTree), byte for byte: at 10,000 boxes ElementTree's
copy of the tree and its serialisation were two thirds of the SVG time.

>>> from ncd_render.scene import Scene, Line, Stroke
>>> svg = to_svg(Scene(10, 10, [Line(0, 5, 10, 5, Stroke())]))
>>> b'<line' in svg and svg.startswith(b'<?xml')
True
"""
from __future__ import annotations

from collections import defaultdict
from functools import lru_cache
from xml.etree import ElementTree

from .. import checks
from ..lean import import_svgwrite
from ..scene import Circle, Line, Path, Rect, Scene, Stroke, Text
from .fontembed import font_face_css

svgwrite = import_svgwrite()
Group, PathElement, TSpan, TextElement = svgwrite.container.Group, svgwrite.path.Path, svgwrite.text.TSpan, svgwrite.text.Text
CircleElement, LineElement, RectElement = svgwrite.shapes.Circle, svgwrite.shapes.Line, svgwrite.shapes.Rect
strlist = svgwrite.utils.strlist


@lru_cache(maxsize=1 << 16)  # a figure repeats its coordinates: formatting each once halves the time spent here
def _n(v: float) -> str:
    s = f"{v:.2f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


@lru_cache(maxsize=1024)
def _stroke_attrs(stroke: Stroke | None) -> dict:
    """The SVG attributes of a stroke, by their SVG names (set straight into an element's ``attribs``,
    as svgwrite's ``element[name] = value`` does when it does not validate)."""
    if stroke is None:
        return {"stroke": "none"}
    attrs = {"stroke": stroke.color, "stroke-width": _n(stroke.width)}
    if stroke.dash:
        attrs["stroke-dasharray"] = ",".join(_n(d) for d in stroke.dash)
    if stroke.cap != "butt":
        attrs["stroke-linecap"] = stroke.cap
    return attrs


def _path_d(commands) -> str:
    return " ".join(c[0] + " ".join(_n(v) for v in c[1:]) for c in commands)


def to_svg(scene: Scene) -> bytes:
    checks.scene_text(scene)  # XML 1.0 cannot hold control characters
    dwg = svgwrite.Drawing(size=(f"{_n(scene.width)}pt", f"{_n(scene.height)}pt"), profile="full", debug=False)
    dwg.viewbox(0, 0, float(_n(scene.width)), float(_n(scene.height)))
    if scene.title:
        dwg.set_desc(title=scene.title)
    fonts = font_face_css(scene)  # the serif math theme's STIX subsets travel inside the SVG
    if fonts:
        dwg.defs.add(dwg.style(fonts))
    groups = _box_groups(scene.items)
    for item in scene.items:
        group = groups.get(id(item))
        if group is None:
            _add(dwg, dwg, item)
        elif group.anchor is item:  # the box's first item: the whole group, here
            element = Group(factory=dwg, class_="ncd-box", **{"data-op": str(item.ref)})
            for member in group:
                _add(dwg, element, member)
            dwg.add(element)
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + serialise(dwg) + "\n").encode("utf-8")


def serialise(drawing) -> str:
    """``drawing.tostring()``, the same text, written straight from svgwrite's elements.

    Elements whose XML svgwrite builds in its own way (style sheets, titles) go through
    svgwrite and ElementTree as before; only plain elements and text are written here.

    >>> dwg = svgwrite.Drawing(size=("10pt", "5pt"), debug=False)
    >>> t = dwg.text("", fill="#000"); _ = t.add(dwg.tspan('a<&"b', x=[1], y=[2])); _ = dwg.add(t)
    >>> _ = dwg.add(dwg.line((0, 1), (2, 3), stroke="red", class_="ncd-wire", **{"data-axis": '<&"\\n\\t\\r>'}))
    >>> _ = dwg.add(dwg.path(d="M0 0 L1 1", fill="none")); dwg.set_desc(title="a & b")
    >>> serialise(dwg) == dwg.tostring()
    True
    >>> _attribute('a<b & "c"\\n')
    'a&lt;b &amp; &quot;c&quot;&#10;'
    """
    children, drawing.elements = drawing.elements, []
    try:
        root = drawing.get_xml()  # the root's attributes, as svgwrite sets them
    finally:
        drawing.elements = children
    out: list[str] = []
    write = out.append
    write("<svg")
    for key, value in root.items():
        write(f' {key}="{_attribute(value)}"')
    if drawing.elements:
        write(">")
        for element in drawing.elements:
            _write(write, element)
        write("</svg>")
    else:
        write(" />")
    return "".join(out)


def _write(write, element) -> None:
    plain = type(element).get_xml
    if plain is _PATH_XML:
        element.attribs["d"] = str(strlist(element.commands, " "))  # as svgwrite's Path.get_xml sets it
    elif plain is not _BASE_XML and plain is not _TEXT_XML:
        write(ElementTree.tostring(element.get_xml(), encoding="unicode"))
        return
    write("<" + element.elementname)
    for key, value in sorted(element.attribs.items()):
        if value is not None:
            value = str(value)  # BaseElement.value_to_string without a validator (debug=False)
            if value:
                write(f' {key}="{_attribute(value)}"')
    text = str(element.text) if plain is _TEXT_XML else ""
    if text or element.elements:
        write(">")
        if text:
            write(_character_data(text))
        for child in element.elements:
            _write(write, child)
        write(f"</{element.elementname}>")
    else:
        write(" />")


_BASE_XML = svgwrite.base.BaseElement.get_xml
_TEXT_XML = TSpan.get_xml
_PATH_XML = PathElement.get_xml


# ElementTree's own escaping, so that the text stays what its serialiser writes
_attribute = ElementTree._escape_attrib
_character_data = ElementTree._escape_cdata


class _BoxGroup(list):
    """The items of one ``<g class="ncd-box">``, in drawing order; ``anchor`` is the item where it is drawn."""

    def __init__(self, anchor):
        super().__init__([anchor])
        self.anchor = anchor


def _box_groups(items) -> dict[int, _BoxGroup]:
    """id(item) -> the group it belongs to: a box (its shadows first), the items after it that name
    the same op (label, pictogram), and the wires that op produces.

    A wire belongs to the box whose output it is (a wire runs from one box to the next: it is given
    to the one that produces it, never to the one that reads it). It is drawn first in the group, at
    the box's place in the drawing order, but only where nothing drawn between its own place and the
    box's comes near it, so every pixel stays as it was; other wires stay outside the groups. A wire
    carries ``data-axis``, not ``data-op``: what it names is its axis (the browser view shows it). A second box of the same op (the same op drawn again in
    another part of a page) starts a new group; items of ops without a box stay ungrouped.
    """
    groups: dict[int, _BoxGroup] = {}
    current: dict[int, _BoxGroup] = {}
    boxes: dict[int, list[tuple[int, _BoxGroup]]] = defaultdict(list)  # op -> (index, group) of each of its boxes
    wires = []
    for index, item in enumerate(items):
        if _is_wire(item):
            if item.producer is not None:
                wires.append((index, item))
            continue
        op = getattr(item, "ref", None)
        if op is None:
            continue
        group = current.get(op)
        if item.role in ("box", "box.shadow") and (group is None or any(i.role == "box" for i in group)):
            group = current[op] = _BoxGroup(item)
            boxes[op].append((index, group))
        elif group is not None:
            group.append(item)
        if group is not None:
            groups[id(item)] = group
    if wires and boxes:
        _give_wires(items, wires, boxes, groups)
    return groups


def _is_wire(item) -> bool:
    return isinstance(item, Line) and item.role.split(".", 1)[0] == "wire"


NEAR = 3.0  # pt: items closer than this to a wire may share pixels with it (strokes, anti-aliasing)
BUCKET = 64.0  # pt: the width of the strips of x the overlap search looks in


def _give_wires(items, wires, boxes, groups) -> None:
    """Put each wire first in the group of the box that produces it (the one whose right edge it starts
    nearest), when no item drawn between the wire's place and that box's overlaps it."""
    strips: dict[int, list[int]] = defaultdict(list)  # strip of x -> indices of the items reaching into it
    bboxes = [item.bbox for item in items]  # each measured once (a path's walks its commands)
    for index, (x0, _, x1, _) in enumerate(bboxes):
        for k in range(int((x0 - NEAR) // BUCKET), int((x1 + NEAR) // BUCKET) + 1):
            strips[k].append(index)
    for index, wire in wires:
        candidates = boxes.get(wire.producer)
        if not candidates:
            continue
        x0, y0, x1, y1 = wire.bbox
        place, group = min(candidates, key=lambda c: abs(bboxes[c[0]][2] - x0) + abs(bboxes[c[0]][1] - y0))
        if place < index or any(index < k < place and _near(bboxes[k], (x0, y0, x1, y1))
                                for s in range(int(x0 // BUCKET), int(x1 // BUCKET) + 1) for k in strips.get(s, ())):
            continue
        group.insert(len([i for i in group if _is_wire(i)]), wire)  # after the group's other wires, before its box
        groups[id(wire)] = group


def _near(a, b) -> bool:
    return a[0] - NEAR <= b[2] and b[0] - NEAR <= a[2] and a[1] - NEAR <= b[3] and b[1] - NEAR <= a[3]


def _add(dwg, parent, item) -> None:
    element = _element(dwg, item)
    if element is not None:
        attribs = element.attribs  # svgwrite's own store, written as its element[name] = value writes it (debug=False)
        attribs["class"] = _classes(item.role)  # what the item means: ncd-box, ncd-wire ncd-wire-bend, ...
        if getattr(item, "ref", None) is not None:
            attribs["data-op"] = str(item.ref)  # the IR op it draws (a wire says its op by the group it is in)
        if getattr(item, "axis", None) is not None:
            attribs["data-axis"] = item.axis  # the axis a wire carries or a label names
        parent.elements.append(element)


@lru_cache(maxsize=None)
def _classes(role: str) -> str:
    """``ncd-label ncd-label-box`` for role ``label.box``: the family, then the role itself.

    >>> _classes("label.box"), _classes("wire")
    ('ncd-label ncd-label-box', 'ncd-wire')
    """
    family, _, rest = role.partition(".")
    return f"ncd-{family} ncd-{role.replace('.', '-')}" if rest else f"ncd-{family}"


def _stroked(element, stroke: Stroke | None):
    element.attribs.update(_stroke_attrs(stroke))
    return element


def _element(dwg, item):
    if isinstance(item, Line):
        return _stroked(LineElement((_n(item.x1), _n(item.y1)), (_n(item.x2), _n(item.y2)), factory=dwg), item.stroke)
    if isinstance(item, Path):
        return _stroked(PathElement(d=_path_d(item.commands), fill=item.fill or "none", factory=dwg), item.stroke)
    if isinstance(item, Rect):
        if item.stroke is None and item.fill is None:
            return None  # layout-only regions
        attrs = dict(insert=(_n(item.x), _n(item.y)), size=(_n(item.w), _n(item.h)), fill=item.fill or "none")
        if item.radius:
            attrs.update(rx=_n(item.radius), ry=_n(item.radius))
        if item.opacity != 1:
            attrs["fill_opacity"] = _n(item.opacity)
        return _stroked(RectElement(factory=dwg, **attrs), item.stroke)
    if isinstance(item, Circle):
        return _stroked(CircleElement((_n(item.cx), _n(item.cy)), _n(item.r), fill=item.fill or "none", factory=dwg), item.stroke)
    if isinstance(item, Text):
        text = TextElement("", factory=dwg)
        text.attribs.update({"font-family": item.family, "fill": item.color})
        for run in item.runs:
            span = TSpan(run.text, factory=dwg)
            span.attribs.update({"x": _n(item.x + run.dx), "y": _n(item.y + run.dy), "font-size": _n(run.size)})
            if run.bold:
                span.attribs["font-weight"] = "bold"
            if run.italic:
                span.attribs["font-style"] = "italic"
            text.elements.append(span)
        return text
    raise TypeError(f"unknown scene item {item!r}")
