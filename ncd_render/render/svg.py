"""Scene -> SVG with svgwrite. Numbers are rounded so output is byte-stable.

>>> from ncd_render.scene import Scene, Line, Stroke
>>> svg = to_svg(Scene(10, 10, [Line(0, 5, 10, 5, Stroke())]))
>>> b'<line' in svg and svg.startswith(b'<?xml')
True
"""
from __future__ import annotations

import svgwrite

from .. import checks
from ..scene import Circle, Line, Path, Rect, Scene, Stroke, Text
from .fontembed import font_face_css


def _n(v: float) -> str:
    s = f"{v:.2f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def _stroke_attrs(stroke: Stroke | None) -> dict:
    if stroke is None:
        return {"stroke": "none"}
    attrs = {"stroke": stroke.color, "stroke_width": _n(stroke.width)}
    if stroke.dash:
        attrs["stroke_dasharray"] = ",".join(_n(d) for d in stroke.dash)
    if stroke.cap != "butt":
        attrs["stroke_linecap"] = stroke.cap
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
        elif group[0] is item:  # the box's first item: the whole group, here
            element = dwg.g(class_="ncd-box", **{"data-op": str(item.ref)})
            for member in group:
                _add(dwg, element, member)
            dwg.add(element)
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + dwg.tostring() + "\n").encode("utf-8")


def _box_groups(items) -> dict[int, list]:
    """id(item) -> the group it belongs to: a box (its shadows first) and the items after it that
    name the same op (label, pictogram). A second box of the same op (the same op drawn again in
    another part of a page) starts a new group; items of ops without a box stay ungrouped."""
    groups: dict[int, list] = {}
    current: dict[int, list] = {}
    for item in items:
        op = getattr(item, "ref", None)
        if op is None:
            continue
        group = current.get(op)
        if item.role in ("box", "box.shadow") and (group is None or any(i.role == "box" for i in group)):
            group = current[op] = []
        if group is not None:
            group.append(item)
            groups[id(item)] = group
    return groups


def _add(dwg, parent, item) -> None:
    element = _element(dwg, item)
    if element is not None:
        element["class"] = _classes(item.role)  # what the item means: ncd-box, ncd-wire ncd-wire-bend, ...
        if getattr(item, "ref", None) is not None:
            element["data-op"] = str(item.ref)  # the IR op it draws
        if getattr(item, "axis", None) is not None:
            element["data-axis"] = item.axis  # the axis a wire carries or a label names
        parent.add(element)


def _classes(role: str) -> str:
    """``ncd-label ncd-label-box`` for role ``label.box``: the family, then the role itself.

    >>> _classes("label.box"), _classes("wire")
    ('ncd-label ncd-label-box', 'ncd-wire')
    """
    family, _, rest = role.partition(".")
    return f"ncd-{family} ncd-{role.replace('.', '-')}" if rest else f"ncd-{family}"


def _element(dwg, item):
    if isinstance(item, Line):
        return dwg.line((_n(item.x1), _n(item.y1)), (_n(item.x2), _n(item.y2)), **_stroke_attrs(item.stroke))
    if isinstance(item, Path):
        return dwg.path(d=_path_d(item.commands), fill=item.fill or "none", **_stroke_attrs(item.stroke))
    if isinstance(item, Rect):
        if item.stroke is None and item.fill is None:
            return None  # layout-only regions
        attrs = dict(insert=(_n(item.x), _n(item.y)), size=(_n(item.w), _n(item.h)), fill=item.fill or "none", **_stroke_attrs(item.stroke))
        if item.radius:
            attrs.update(rx=_n(item.radius), ry=_n(item.radius))
        if item.opacity != 1:
            attrs["fill_opacity"] = _n(item.opacity)
        return dwg.rect(**attrs)
    if isinstance(item, Circle):
        return dwg.circle((_n(item.cx), _n(item.cy)), _n(item.r), fill=item.fill or "none", **_stroke_attrs(item.stroke))
    if isinstance(item, Text):
        text = dwg.text("", font_family=item.family, fill=item.color)
        for run in item.runs:
            attrs = dict(x=[_n(item.x + run.dx)], y=[_n(item.y + run.dy)], font_size=_n(run.size))
            if run.bold:
                attrs["font_weight"] = "bold"
            if run.italic:
                attrs["font_style"] = "italic"
            text.add(dwg.tspan(run.text, **attrs))
        return text
    raise TypeError(f"unknown scene item {item!r}")
