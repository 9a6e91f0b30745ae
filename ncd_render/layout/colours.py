"""Axis colours: every axis keeps one colour through the whole figure, as tsncd draws them.

With a theme whose ``colors.axes`` lists colours, each axis name gets the next
colour the first time it appears (left to right, top to bottom), and every
wire, bend and copy dot of that axis, and its labels, take it. A pure function
from scene to scene, after the layout, reading the layout's record of which
axis each wire carries (``Scene.wire_names``).

>>> from ncd_render.api import load_text
>>> from ncd_render.style import load_theme, load_preset
>>> from ncd_render.layout import layout
>>> d = load_text("axis y = 4\\naxis m = 8\\ninput X[y m]\\nY = relu(X)\\noutput Y\\n").diagram
>>> scene = layout(d, load_theme("axes"), load_preset("paper"))
>>> sorted({i.stroke.color for i in scene.items if i.role == "wire"})
['#000000', '#0072B2']
"""
from __future__ import annotations

from dataclasses import replace

from ..scene import Circle, Line, Path, Scene, Text, wire_ends


def colour_axes(scene: Scene, palette: tuple[str, ...]) -> Scene:
    """``scene`` with each axis's wires, dots and labels in its own colour from ``palette``."""
    colour: dict[str, str] = {}
    for _, _, _, label, *_ in sorted(scene.wire_names, key=lambda n: (n[1], n[0])):
        name = _name(label)
        if name not in colour:
            colour[name] = palette[len(colour) % len(palette)]
    spans = [(y, x0, x1, colour[_name(label)]) for y, x0, x1, label, *_ in scene.wire_names]

    source = [piece for item in scene.items for piece in _split(item, spans)]  # a joined line split where its axis changes (rename)
    colours = {k: c for k, (_, c) in enumerate(source) if c}
    ends: dict[tuple[float, float], list[int]] = {}
    for k, (item, _) in enumerate(source):
        if _is_wire(item):
            for point in _points(item):
                ends.setdefault(point, []).append(k)
    queue = sorted(colours)
    while queue:  # bends through wiring regions take the colour of the wire they continue
        k = queue.pop(0)
        for point in _points(source[k][0]):
            for j in ends.get(point, ()):
                if j not in colours:
                    colours[j] = colours[k]
                    queue.append(j)
    items = []
    for k, (item, _) in enumerate(source):
        c = colours.get(k)
        if isinstance(item, Circle) and item.role == "dot":
            c = next((colours[j] for j in ends.get((round(item.cx, 1), round(item.cy, 1)), ()) if j in colours), None)
            items.append(replace(item, fill=c) if c else item)
        elif isinstance(item, Text) and item.role == "label.axis":
            c = colour.get(_name(item))
            items.append(replace(item, color=c) if c else item)
        else:
            items.append(replace(item, stroke=replace(item.stroke, color=c)) if c else item)
    names = tuple((y, x0, x1, replace(label, color=colour[_name(label)]), *rest) for y, x0, x1, label, *rest in scene.wire_names)
    return Scene(scene.width, scene.height, items, scene.background, scene.title, names)


def _is_wire(item) -> bool:
    return (isinstance(item, (Line, Path)) and item.role.startswith("wire") and item.role != "wire.halo"
            and item.stroke is not None)


def _split(item, spans: list) -> list[tuple]:
    """(piece, its axis colour or None): a straight wire cut where it runs from one axis's stretch into another's."""
    if not (_is_wire(item) and isinstance(item, Line) and item.y1 == item.y2):
        return [(item, None)]
    lo, hi = min(item.x1, item.x2), max(item.x1, item.x2)
    on = sorted((x0, x1, c) for y, x0, x1, c in spans if abs(y - item.y1) < 0.01 and x0 < hi + 0.5 and x1 > lo - 0.5)
    if not on:
        return [(item, None)]
    pieces, start = [], lo
    for (x0, x1, c), after in zip(on, on[1:] + [None]):
        end = hi if after is None or after[2] == c else (x1 + after[0]) / 2
        if after is not None and after[2] == c:
            continue
        pieces.append((replace(item, x1=start, x2=end), c))
        start = end
    return pieces


def _points(item) -> set[tuple[float, float]]:
    return {(round(x, 1), round(y, 1)) for x, y in wire_ends(item)}


def _name(label: Text) -> str:
    return "".join(run.text for run in label.runs)
