"""Wrap a wide scene into strips stacked top to bottom, like lines of text.

A long diagram at a paper's column width would otherwise shrink until its
labels cannot be read. Every wire is a horizontal line, so a figure can be
cut at any x that no box, bend or label crosses: the wires running through the
cut end there with a small chevron and go on, in the same order, at the start
of the next strip. A pure function from scene to scene.

>>> from ncd_render.scene import Line, Rect, Scene, Stroke
>>> boxes = [Rect(x, 0, 10, 10, Stroke(), "#fff") for x in (10, 50, 90)]
>>> wide = Scene(110, 10, boxes + [Line(0, 5, 110, 5, Stroke())])
>>> narrow = wrap(wide, 60)
>>> narrow.width <= 60, len([i for i in narrow.items if i.role == "box"])
(True, 3)
"""
from __future__ import annotations

from dataclasses import replace

from .backdrop import backdrop
from .scene import Line, Path, Rect, Scene, Stroke

SPLITTABLE_LINES = ("wire", "separator")
STRIP_GAP = 16.0
CHEVRON = 3.0


def wrap(scene: Scene, width: float) -> Scene:
    """``scene`` cut into strips at most ``width`` points wide, where free cuts allow."""
    if scene.width <= width:
        return scene
    cuts = _cuts(scene, width)
    if not cuts:
        return scene
    bounds = [0.0] + cuts + [scene.width]
    strips = [_strip(scene, a, b, first=k == 0, last=k == len(bounds) - 2) for k, (a, b) in enumerate(zip(bounds, bounds[1:]))]
    items, y = [], 0.0
    for strip in strips:
        top = min(i.bbox[1] for i in strip)
        bottom = max(i.bbox[3] for i in strip)
        items += Scene(0, 0, strip).translated(0, y - top).items
        y += bottom - top + STRIP_GAP
    height = y - STRIP_GAP
    new_width = max(b - a for a, b in zip(bounds, bounds[1:])) + 2 * CHEVRON
    return Scene(new_width, height, backdrop(new_width, height, scene.background) + items, scene.background, scene.title)


def splittable(item) -> bool:
    if isinstance(item, Line):
        return item.role in SPLITTABLE_LINES and item.y1 == item.y2
    return isinstance(item, Rect) and item.role in ("section", "background")


def _cuts(scene: Scene, width: float) -> list[float]:
    """The x of each cut: the rightmost free x that keeps every strip within ``width``."""
    blocked = sorted((i.bbox[0] - 3, i.bbox[2] + 3) for i in scene.items if not splittable(i))
    free, reach = [], 0.0  # gaps between the blocked intervals
    for x0, x1 in blocked:
        if x0 > reach:
            free.append((reach, x0))
        reach = max(reach, x1)
    cuts, start = [], 0.0
    while scene.width - start > width - 2 * CHEVRON:
        limit = start + width - 2 * CHEVRON
        options = [min(g1, limit) for g0, g1 in free if start < g0 < limit and min(g1, limit) > start + width * 0.25]
        if not options:
            break
        cut = max(options)
        cuts.append(cut)
        start = cut
    return cuts


def _strip(scene: Scene, a: float, b: float, first: bool, last: bool) -> list:
    """The items between x = a and x = b, moved to start at x = CHEVRON, with chevrons where wires go on."""
    out = []
    for item in scene.items:
        if item.role == "background":
            continue
        if splittable(item):
            x0, x1 = item.bbox[0], item.bbox[2]
            lo, hi = max(x0, a), min(x1, b)
            if hi <= lo:
                continue
            if isinstance(item, Line):
                piece = replace(item, x1=lo, x2=hi)
                if item.role == "wire" and not first and x0 < a:
                    out.append(_chevron(a, item.y1, item.stroke))
                if item.role == "wire" and not last and x1 > b:
                    out.append(_chevron(b, item.y1, item.stroke))
            else:
                piece = replace(item, x=lo, w=hi - lo)
            out.append(piece)
        elif a <= (item.bbox[0] + item.bbox[2]) / 2 < b:
            out.append(item)
    return Scene(0, 0, out).translated(CHEVRON - a, 0).items


def _chevron(x: float, y: float, stroke: Stroke) -> Path:
    """A small '>' on a wire where the figure breaks and goes on."""
    return Path((("M", x - CHEVRON, y - CHEVRON), ("L", x, y), ("L", x - CHEVRON, y + CHEVRON)), stroke, None, role="chevron")
