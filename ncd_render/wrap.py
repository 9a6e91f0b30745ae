"""Rows of a scene's items: cutting them at x bounds (:func:`partition`), and stacking rows top to bottom
(:func:`stack_rows`), like lines of text. :mod:`ncd_render.page.rows` cuts a figure into rows with
them, for a page and for ``--wrap``'s strips.

Every wire is a horizontal line, so a figure can be cut at any x that no box, bend or label crosses.

>>> from ncd_render.scene import Line, Rect, Scene, Stroke
>>> rows = [[Rect(0, 0, 10, 10, Stroke(), "#fff")], [Line(0, 5, 30, 5, Stroke())]]
>>> stacked = stack_rows(rows, Scene(30, 10, []), 8.0)
>>> [i.role for i in stacked.items], stacked.height > 10 + 8
(['box', 'wire'], True)
"""
from __future__ import annotations

from bisect import bisect_right

from .backdrop import backdrop
from .scene import Line, Rect, Scene, ink_extent

SPLITTABLE_LINES = ("wire", "separator")


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


def partition(items: list, bounds: list[float]) -> list[list]:
    """For each slice between consecutive x ``bounds`` (sorted), its (item, span) pairs, in the
    items' order: a splittable item that reaches in, with the x span it has there; any other whose
    middle lies there, with None; the background left out. One pass over the items, however many slices.

    >>> from ncd_render.scene import Stroke
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
