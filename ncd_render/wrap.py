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

from bisect import bisect_right
from dataclasses import replace

from .backdrop import backdrop
from .scene import Line, Path, Rect, Scene, Stroke, ink_extent

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
    strips = [_strip(pieces, a, b, first=k == 0, last=k == len(bounds) - 2)
              for k, (a, b, pieces) in enumerate(zip(bounds, bounds[1:], partition(scene.items, bounds)))]
    return stack_rows(strips, scene, STRIP_GAP, width=max(b - a for a, b in zip(bounds, bounds[1:])) + 2 * CHEVRON)


def stack_rows(rows: list[list], like: Scene, gap: float, width: float | None = None) -> Scene:
    """Rows of items (each starting at x = 0) stacked top to bottom, ``gap`` apart in ink, on
    ``like``'s background; as wide as ``width``, else as the widest row's ink."""
    items, y, widest = [], 0.0, 0.0
    for row in rows:
        if not row:
            continue
        _, top, right, bottom = ink_extent(row)
        widest = max(widest, right)
        items += Scene(0, 0, row).translated(0, y - top).items
        y += bottom - top + gap
    width, height = widest if width is None else width, max(0.0, y - gap)
    return Scene(width, height, backdrop(width, height, like.background) + items, like.background, like.title)


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


def _strip(pieces: list, a: float, b: float, first: bool, last: bool) -> list:
    """The items between x = a and x = b (``pieces``: :func:`partition`'s), moved to start at x = CHEVRON,
    with chevrons where wires go on."""
    out = []
    for item, span in pieces:
        if span is None:
            out.append(item)
        elif isinstance(item, Line):
            if item.role == "wire" and not first and item.bbox[0] < a:
                out.append(_chevron(a, item.y1, item.stroke))
            if item.role == "wire" and not last and item.bbox[2] > b:
                out.append(_chevron(b, item.y1, item.stroke))
            out.append(replace(item, x1=span[0], x2=span[1]))
        else:
            out.append(replace(item, x=span[0], w=span[1] - span[0]))
    return Scene(0, 0, out).translated(CHEVRON - a, 0).items


def partition(items: list, bounds: list[float]) -> list[list]:
    """For each slice between consecutive x ``bounds`` (sorted), its (item, span) pairs, in the
    items' order: a splittable item that reaches in, with the x span it has there; any other whose
    middle lies there, with None; the background left out. One pass over the items, however many slices.

    >>> wire, box = Line(0, 5, 100, 5, Stroke()), Rect(40, 0, 10, 10, Stroke(), "#fff")
    >>> [[(i.role, span) for i, span in s] for s in partition([wire, box], [0, 30, 100])]
    [[('wire', (0, 30))], [('wire', (30, 100)), ('box', None)]]
    """
    slices: list[list] = [[] for _ in range(len(bounds) - 1)]
    for item in items:
        if item.role == "background":
            continue
        x0, _, x1, _ = item.bbox
        if splittable(item):
            k = max(0, bisect_right(bounds, x0) - 1)  # the slice x0 lies in; then each slice it reaches into
            while k < len(slices) and bounds[k] < x1:
                a, b = bounds[k], bounds[k + 1]
                if min(x1, b) > max(x0, a):
                    slices[k].append((item, (max(x0, a), min(x1, b))))
                k += 1
        else:
            k = bisect_right(bounds, (x0 + x1) / 2) - 1
            if 0 <= k < len(slices):
                slices[k].append((item, None))
    return slices


def _chevron(x: float, y: float, stroke: Stroke) -> Path:
    """A small '>' on a wire where the figure breaks and goes on."""
    return Path((("M", x - CHEVRON, y - CHEVRON), ("L", x, y), ("L", x - CHEVRON, y + CHEVRON)), stroke, None, role="chevron")
