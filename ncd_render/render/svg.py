"""Scene -> SVG. Numbers are rounded so output is byte-stable.

svgwrite makes the document (the root's attributes, the font style sheet, the title) and
:func:`serialise` writes it out as svgwrite's own ``tostring`` would (through ElementTree),
byte for byte. The scene's items, tens of thousands in a large diagram, are written
straight to text in the same form (attributes sorted, escaped by ElementTree's own
functions): building an svgwrite element for each was half of the SVG time at 10,000
boxes. tests/test_svg_serialise.py holds both to what svgwrite itself writes.

>>> from ncd_render.scene import Scene, Line, Stroke
>>> svg = to_svg(Scene(10, 10, [Line(0, 5, 10, 5, Stroke())]))
>>> b'<line class="ncd-wire" stroke="#000000" stroke-width="0.8" x1="0" x2="10" y1="5" y2="5" />' in svg
True
"""
from __future__ import annotations

from collections import defaultdict
from functools import lru_cache
from math import floor
from xml.etree import ElementTree

from .. import checks
from ..lean import import_svgwrite
from ..scene import Circle, Line, Path, Rect, Scene, Stroke, Text
from .fontembed import font_face_css

svgwrite = import_svgwrite()
strlist = svgwrite.utils.strlist


class _Numbers(dict):
    """number -> its text: at most two decimals, no trailing zeros, never "-0". A figure repeats its
    coordinates, so each is formatted once; a plain dict lookup (no Python call, no key tuple as
    lru_cache makes for a float) serves the rest. Emptied when full, to stay small across figures.

    >>> _n(2.0), _n(-0.001), _n(3.14159), _n(12.5)
    ('2', '0', '3.14', '12.5')
    """

    LIMIT = 1 << 17  # a figure of 10,000 boxes has about 62,000 numbers

    def __missing__(self, v: float) -> str:
        if len(self) >= self.LIMIT:
            self.clear()
        s = f"{v:.2f}".rstrip("0").rstrip(".")
        text = self[v] = "0" if s in ("-0", "") else s
        return text


_n = _Numbers().__getitem__  # a number's text


def _path_d(commands) -> str:
    """A path's ``d``: its commands, each its letter and its numbers. Most are a move or a line to one point,
    written without slicing the command.

    >>> _path_d((("M", 0.0, 1.5), ("C", 1, 2, 3, 4, 5, 6), ("Z",)))
    'M0 1.5 C1 2 3 4 5 6 Z'
    """
    return " ".join([f"{c[0]}{_n(c[1])} {_n(c[2])}" if len(c) == 3 else c[0] + " ".join(map(_n, c[1:])) for c in commands])


def to_svg(scene: Scene) -> bytes:
    labels = scene.labels()
    checks.labels_text(scene.title, labels)  # XML 1.0 cannot hold control characters
    dwg = svgwrite.Drawing(size=(f"{_n(scene.width)}pt", f"{_n(scene.height)}pt"), profile="full", debug=False)
    dwg.viewbox(0, 0, float(_n(scene.width)), float(_n(scene.height)))
    if scene.title:
        dwg.set_desc(title=scene.title)
    fonts = font_face_css(labels)  # the serif math theme's STIX subsets travel inside the SVG
    if fonts:
        dwg.defs.add(dwg.style(fonts))
    items: list[str] = []
    write = items.append
    writers = _WRITERS
    for drawn in _box_groups(scene.items):
        if drawn is None:
            continue
        if type(drawn) is _BoxGroup:
            _group(items, drawn)
        else:
            element = writers[type(drawn)](drawn)
            if element is not None:
                write(element)
    out = ['<?xml version="1.0" encoding="utf-8"?>\n']
    _serialise_into(out, dwg, items)
    out.append("\n")
    return "".join(out).encode("utf-8")  # the document copied once, then encoded once


def _group(out: list[str], group) -> None:
    """A box's ``<g class="ncd-box">``, its members written straight into ``out`` (not joined apart first)."""
    head = f'<g class="ncd-box"{_ref(group.anchor.ref)}'
    start = len(out)
    out.append(head + ">")
    for member in group:
        element = _WRITERS[type(member)](member)
        if element is not None:
            out.append(element)
    if len(out) == start + 1:  # nothing drawn in it (layout-only rects)
        out[start] = head + " />"
    else:
        out.append("</g>")


def serialise(drawing, items: list[str] = ()) -> str:
    """``drawing.tostring()``, the same text, written straight from svgwrite's elements; then
    ``items``, elements already written, as the drawing's last children.

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
    out: list[str] = []
    _serialise_into(out, drawing, items)
    return "".join(out)


def _serialise_into(out: list[str], drawing, items) -> None:
    """:func:`serialise`'s text, its pieces appended to ``out``."""
    children, drawing.elements = drawing.elements, []
    try:
        root = drawing.get_xml()  # the root's attributes, as svgwrite sets them
    finally:
        drawing.elements = children
    write = out.append
    write("<svg")
    for key, value in root.items():
        write(f' {key}="{_attribute(value)}"')
    if drawing.elements or items:
        write(">")
        for element in drawing.elements:
            _write(write, element)
        out.extend(items)
        write("</svg>")
    else:
        write(" />")


def _write(write, element) -> None:
    plain = type(element).get_xml
    if plain is _PATH_XML:
        element.attribs["d"] = str(strlist(element.commands, " "))  # as svgwrite's Path.get_xml sets it
    elif plain is not _BASE_XML and plain is not _TEXT_XML:
        write(ElementTree.tostring(element.get_xml(), encoding="unicode"))
        return
    text = _character_data(str(element.text)) if plain is _TEXT_XML else ""
    inner: list[str] = [text]
    for child in element.elements:
        _write(inner.append, child)
    # BaseElement.value_to_string without a validator (debug=False) is str()
    attrs = [(k, _attribute(str(v))) for k, v in element.attribs.items() if v is not None]
    write(_tag(element.elementname, attrs, "".join(inner)))


def _tag(name: str, attrs, inner: str = "") -> str:
    """One element as ElementTree writes it: attributes (their values already escaped) sorted, empty ones
    left out; ``inner`` is already XML."""
    attrs.sort()
    head = "<" + name + "".join([f' {k}="{v}"' for k, v in attrs if v])
    return f"{head}>{inner}</{name}>" if inner else head + " />"


_BASE_XML = svgwrite.base.BaseElement.get_xml
_TEXT_XML = svgwrite.text.TSpan.get_xml
_PATH_XML = svgwrite.path.Path.get_xml


# ElementTree's own escaping, so that the text stays what its serialiser writes
_attribute = ElementTree._escape_attrib
_character_data = ElementTree._escape_cdata


class _BoxGroup(list):
    """The items of one ``<g class="ncd-box">``, in drawing order; ``anchor`` is the item where it is drawn,
    ``wires`` the number of wires given to it (they come first)."""

    def __init__(self, anchor):
        super().__init__([anchor])
        self.anchor = anchor
        self.wires = 0

    def give(self, wire) -> None:
        """``wire`` drawn in the group: after the wires given before it, before the box."""
        self.insert(self.wires, wire)
        self.wires += 1


def _box_groups(items) -> list:
    """What is drawn at each place of ``items``: the item itself, the group of a box (at the box's
    first item), or None (an item drawn inside a group). A group holds a box (its shadows first),
    the items after it that name the same op (label, pictogram), and the wires that op produces.

    A wire belongs to the box whose output it is (a wire runs from one box to the next: it is given
    to the one that produces it, never to the one that reads it). It is drawn first in the group, at
    the box's place in the drawing order, but only where nothing drawn between its own place and the
    box's comes near it, so every pixel stays as it was; other wires stay outside the groups. A wire
    carries ``data-axis``, not ``data-op``: what it names is its axis (the browser view shows it). A second box of the same op (the same op drawn again in
    another part of a page) starts a new group; items of ops without a box stay ungrouped.
    """
    drawn = list(items)
    current: dict[int, _BoxGroup] = {}
    boxes: dict[int, list[tuple[int, _BoxGroup]]] = defaultdict(list)  # op -> (index, group) of each of its boxes
    wires = []
    for index, item in enumerate(items):
        if type(item) is Line:  # a line names no op: a wire is given to its producer's group below
            if item.producer is not None and _is_wire(item):
                wires.append((index, item))
            continue
        op = getattr(item, "ref", None)
        if op is None:
            continue
        group = current.get(op)
        if item.role in ("box", "box.shadow") and (group is None or any(i.role == "box" for i in group)):
            group = drawn[index] = current[op] = _BoxGroup(item)
            boxes[op].append((index, group))
        elif group is not None:
            group.append(item)
            drawn[index] = None
    if wires and boxes:
        for index, wire, group in _given_wires(items, wires, boxes):
            group.give(wire)
            drawn[index] = None
    return drawn


def _is_wire(item) -> bool:
    return type(item) is Line and (item.role == "wire" or item.role.startswith("wire."))


NEAR = 3.0  # pt: items closer than this to a wire may share pixels with it (strokes, anti-aliasing)
BUCKET = 64.0  # pt: the width of the strips of x the overlap search looks in


def _given_wires(items, wires, boxes) -> list[tuple[int, Line, _BoxGroup]]:
    """(index, wire, group) of each wire that goes first in the group of the box that produces it (the
    one whose right edge it starts nearest): one drawn before that box, where no item drawn between
    the two comes near it.

    The wires, a few, are filed by strips of x; the items between, many, are each measured once and
    looked for only in the strips they reach into.
    """
    chosen = []  # (index, wire, group, box's index) of each wire drawn before the box it goes to
    strips: dict[int, list] = defaultdict(list)  # strip of x -> (index, bbox, box's index) of the chosen wires in it
    for index, wire in wires:
        candidates = boxes.get(wire.producer)
        if not candidates:
            continue
        x0, y0, x1, y1 = bbox = wire.bbox
        place, group = candidates[0] if len(candidates) == 1 else min(  # an op drawn once: nothing to choose
            candidates, key=lambda c: abs(c[1].anchor.bbox[2] - x0) + abs(c[1].anchor.bbox[1] - y0))
        if place < index:
            continue
        chosen.append((index, wire, group, place))
        for s in range(floor(x0 / BUCKET), floor(x1 / BUCKET) + 1):
            strips[s].append((index, bbox, place))
    if not chosen:
        return []
    blocked = set()  # the indices of the wires that an item drawn between them and their box comes near
    for k in range(chosen[0][0] + 1, max([place for _, _, _, place in chosen])):
        bbox = items[k].bbox  # a path's walks its commands
        for s in range(floor((bbox[0] - NEAR) / BUCKET), floor((bbox[2] + NEAR) / BUCKET) + 1):
            for index, wire_bbox, place in strips.get(s, ()):
                if index < k < place and _near(bbox, wire_bbox):
                    blocked.add(index)
    return [(index, wire, group) for index, wire, group, _ in chosen if index not in blocked]


def _near(a, b) -> bool:
    return a[0] - NEAR <= b[2] and b[0] - NEAR <= a[2] and a[1] - NEAR <= b[3] and b[1] - NEAR <= a[3]


# Each writer sets an item's attributes in ElementTree's order (sorted by name) and leaves out empty ones,
# as svgwrite's elements did; numbers need no escaping, other values are escaped.

def _line(item: Line) -> str:
    return (f'<line{_meaning(item.role, item.axis)}{_stroke(item.stroke)}'
            f' x1="{_n(item.x1)}" x2="{_n(item.x2)}" y1="{_n(item.y1)}" y2="{_n(item.y2)}" />')


def _path(item: Path) -> str:
    return (f'<path{_classes(item.role)} d="{_path_d(item.commands)}"{_ref(item.ref)}'
            f'{_optional("fill", item.fill or "none")}{_stroke(item.stroke)} />')


def _rect(item: Rect) -> str | None:
    if item.stroke is None and item.fill is None:
        return None  # layout-only regions
    radius = f' rx="{_n(item.radius)}" ry="{_n(item.radius)}"' if item.radius else ""
    opacity = f' fill-opacity="{_n(item.opacity)}"' if item.opacity != 1 else ""
    return (f'<rect{_classes(item.role)}{_ref(item.ref)}{_optional("fill", item.fill or "none")}{opacity}'
            f' height="{_n(item.h)}"{radius}{_stroke(item.stroke)} width="{_n(item.w)}" x="{_n(item.x)}" y="{_n(item.y)}" />')


def _circle(item: Circle) -> str:
    return (f'<circle{_classes(item.role)} cx="{_n(item.cx)}" cy="{_n(item.cy)}"{_optional("fill", item.fill or "none")}'
            f' r="{_n(item.r)}"{_stroke(item.stroke)} />')


def _text(item: Text) -> str:
    runs = []
    x, y = item.x, item.y
    for run in item.runs:
        head = f'{_run_style(run.size, run.italic, run.bold)} x="{_n(x + run.dx)}" y="{_n(y + run.dy)}"'
        runs.append(f"{head}>{_text_data(run.text)}</tspan>" if run.text else head + " />")
    head = f'<text{_meaning(item.role, item.axis)}{_ref(item.ref)}{_paint(item.color, item.family)}'
    return f'{head}>{"".join(runs)}</text>' if runs else head + " />"


@lru_cache(maxsize=1024)
def _run_style(size: float, italic: bool, bold: bool) -> str:
    """A run's ``<tspan`` and its attributes before ``x``, for the few sizes and styles a figure sets."""
    return f'<tspan font-size="{_n(size)}"' + (' font-style="italic"' if italic else "") + (' font-weight="bold"' if bold else "")


# a run's text -> its escaped XML text: labels repeat their words (an op's name, an axis's); a str
# argument is its own key in lru_cache, one C call
_text_data = lru_cache(maxsize=1 << 14)(_character_data)


@lru_cache(maxsize=4096)
def _meaning(role: str, axis: str | None) -> str:
    """A label's classes and the axis it names, for the few roles and axes a figure has."""
    return _classes(role) + _optional("data-axis", axis)


@lru_cache(maxsize=1024)
def _paint(color: str, family: str) -> str:
    return _optional("fill", color) + _optional("font-family", family)


_WRITERS = {Line: _line, Path: _path, Rect: _rect, Circle: _circle, Text: _text}


@lru_cache(maxsize=4096)  # a few names and values (colours, fonts, axes) over and over
def _optional(name: str, value: str | None) -> str:
    return f' {name}="{_attribute(value)}"' if value else ""


def _ref(ref: int | None) -> str:
    """``data-op``: the IR op an item draws (a wire says its op by the group it is in)."""
    return "" if ref is None else f' data-op="{ref}"'


def _stroke(stroke: Stroke | None) -> str:
    """The SVG attributes of a stroke, in their order."""
    if stroke is None:
        return ' stroke="none"'
    # A scene shares a few Stroke objects among all its items: each is looked up by its id (hashing the
    # Stroke itself is a Python call, made once per item drawn). The entry holds the Stroke, so that
    # while it is there no other object can take that id.
    held = _STROKES.get(id(stroke))
    if held is None:
        if len(_STROKES) >= 1024:
            _STROKES.clear()
        held = _STROKES[id(stroke)] = (stroke, _stroke_attributes(stroke.color, stroke.width, stroke.dash, stroke.cap))
    return held[1]


_STROKES: dict[int, tuple[Stroke, str]] = {}  # id of a Stroke -> (the Stroke, its attributes)


@lru_cache(maxsize=1024)
def _stroke_attributes(color: str, width: float, dash: tuple[float, ...], cap: str) -> str:
    return (f'{_optional("stroke", color)}{_optional("stroke-dasharray", ",".join(_n(d) for d in dash))}'
            f'{_optional("stroke-linecap", "" if cap == "butt" else cap)} stroke-width="{_n(width)}"')


@lru_cache(maxsize=None)
def _classes(role: str) -> str:
    """`` class="ncd-label ncd-label-box"`` for role ``label.box``: the family, then the role itself.

    >>> _classes("label.box"), _classes("wire")
    (' class="ncd-label ncd-label-box"', ' class="ncd-wire"')
    """
    family, _, rest = role.partition(".")
    return _optional("class", f"ncd-{family} ncd-{role.replace('.', '-')}" if rest else f"ncd-{family}")
