"""render.svg writes the SVG text itself (for speed); the text must be what svgwrite writes.

The reference here builds every scene item as an svgwrite element (debug=False, the way
render.svg did before it wrote items straight to text) and lets svgwrite and ElementTree
write the whole document.
"""
import pytest
import svgwrite

from ncd_render.api import load, load_text
from ncd_render.render import svg
from ncd_render.scene import Circle, Line, Path, Rect, Scene, Stroke, Text
from ncd_render.text import set_label

_n = svg._n


def _svgwrite_svg(scene) -> bytes:
    """``scene`` as svgwrite writes it, element by element, grouped as render.svg groups it."""
    dwg = svgwrite.Drawing(size=(f"{_n(scene.width)}pt", f"{_n(scene.height)}pt"), profile="full", debug=False)
    dwg.viewbox(0, 0, float(_n(scene.width)), float(_n(scene.height)))
    if scene.title:
        dwg.set_desc(title=scene.title)
    fonts = svg.font_face_css([item for item in scene.items if isinstance(item, Text)])
    if fonts:
        dwg.defs.add(dwg.style(fonts))
    for drawn in svg._box_groups(scene.items):
        if isinstance(drawn, svg._BoxGroup):
            element = dwg.g(class_="ncd-box", **{"data-op": str(drawn.anchor.ref)})
            for member in drawn:
                _add(dwg, element, member)
            dwg.add(element)
        elif drawn is not None:
            _add(dwg, dwg, drawn)
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + dwg.tostring() + "\n").encode("utf-8")


def _add(dwg, parent, item) -> None:
    element = _element(dwg, item)
    if element is None:
        return
    element["class"] = f"ncd-{item.role.split('.')[0]}" + (f" ncd-{item.role.replace('.', '-')}" if "." in item.role else "")
    if getattr(item, "ref", None) is not None:
        element["data-op"] = str(item.ref)
    if getattr(item, "axis", None) is not None:
        element["data-axis"] = item.axis
    parent.add(element)


def _stroked(element, stroke):
    if stroke is None:
        element["stroke"] = "none"
        return element
    element.update({"stroke": stroke.color, "stroke_width": _n(stroke.width)})
    if stroke.dash:
        element["stroke-dasharray"] = ",".join(_n(d) for d in stroke.dash)
    if stroke.cap != "butt":
        element["stroke-linecap"] = stroke.cap
    return element


def _element(dwg, item):
    if isinstance(item, Line):
        return _stroked(dwg.line((_n(item.x1), _n(item.y1)), (_n(item.x2), _n(item.y2))), item.stroke)
    if isinstance(item, Path):
        return _stroked(dwg.path(d=svg._path_d(item.commands), fill=item.fill or "none"), item.stroke)
    if isinstance(item, Rect):
        if item.stroke is None and item.fill is None:
            return None
        attrs = dict(insert=(_n(item.x), _n(item.y)), size=(_n(item.w), _n(item.h)), fill=item.fill or "none")
        if item.radius:
            attrs.update(rx=_n(item.radius), ry=_n(item.radius))
        if item.opacity != 1:
            attrs["fill_opacity"] = _n(item.opacity)
        return _stroked(dwg.rect(**attrs), item.stroke)
    if isinstance(item, Circle):
        return _stroked(dwg.circle((_n(item.cx), _n(item.cy)), _n(item.r), fill=item.fill or "none"), item.stroke)
    text = dwg.text("", font_family=item.family, fill=item.color)
    for run in item.runs:
        span = dwg.tspan(run.text, x=[_n(item.x + run.dx)], y=[_n(item.y + run.dy)], font_size=_n(run.size))
        if run.bold:
            span["font-weight"] = "bold"
        if run.italic:
            span["font-style"] = "italic"
        text.add(span)
    return text


def test_gallery_svg_is_svgwrites_text(gallery_file):
    scene = load(gallery_file).scene()
    assert svg.to_svg(scene) == _svgwrite_svg(scene)


def test_escaped_text_and_titles_are_svgwrites_text():
    fig = load_text('title "a < b & c>"\naxis m = 4\ninput X[m]\nY = linear(X: m -> m) as W_{<&>}\noutput Y\n')
    scene = fig.scene(theme="serif")
    ours = svg.to_svg(scene)
    assert ours == _svgwrite_svg(scene) and b"&lt;" in ours and b"&amp;" in ours


def test_every_kind_of_item_and_attribute_is_svgwrites_text():
    """Items a diagram rarely has: dashes, round caps, no stroke, rounded and faded rects, empty and
    odd values (left out or escaped), bold and italic runs, an empty run, a region that is not drawn."""
    odd = Stroke('#a"b<', 1.25, (2, 1.5), "round")
    label = set_label("x_{1}", "DejaVu Sans", 9)
    runs = label.runs + (label.runs[0].__class__("", 1, 2, 9, True, True),)
    scene = Scene(20.5, 10, [
        Line(0, 5, 10, 5, odd, role="wire.bend", axis='m<&"'), Line(0, 5, 10, 5, Stroke(""), axis=""),
        Path((("M", 0, 0), ("C", 1, 2, 3, 4, 5, 6), ("Z",)), None, fill="#fff", role="box", ref=3),
        Rect(1, 2, 3, 4, odd, None, radius=1.5, opacity=0.25, ref=4), Rect(1, 2, 3, 4, None, None, ref=5),
        Rect(-0.001, 2, 3, 4, None, "#eee", role="box.shadow"),
        Circle(1, 2, 0.5, Stroke(), None), Text(1, 2, runs, "Deja&Vu", "", 9, 7, 2, ref=3, axis="k"),
        Text(1, 2, (), "", "#000", 0, 0, 0)], title="t")
    ours = svg.to_svg(scene)
    assert ours == _svgwrite_svg(scene)
    assert b'stroke-linecap="round"' in ours and b"&quot;" in ours and b'<g class="ncd-box" data-op="3">' in ours


def test_a_label_or_font_with_a_control_character_is_refused_by_name():
    """The renderer screens every label and font family in one pass, then names the one that is bad."""
    from ncd_render.errors import NcdError

    good, bad = set_label("ok", "DejaVu Sans", 9), set_label("a\x07b", "DejaVu Sans", 9)
    with pytest.raises(NcdError, match=r"the label 'a\\x07b' holds the control character U\+0007"):
        svg.to_svg(Scene(9, 9, [Text(0, 0, good.runs, "DejaVu Sans", "#000", 1, 1, 1),
                                Text(0, 0, bad.runs, "DejaVu Sans", "#000", 1, 1, 1)]))
    with pytest.raises(NcdError, match="the font family holds the control character U\\+001B"):
        svg.to_svg(Scene(9, 9, [Text(0, 0, good.runs, "Deja\x1bVu", "#000", 1, 1, 1)]))
