"""Blocks (a figure's rows, its parts, its definitions) set on a page in two dimensions.

Two ways, in reading order, as a paper sets its figures: *shelves* put blocks left to
right while they fit the page's width and start a new line below, tops level; *columns*
fill a column top to bottom while it fits the page's height and go on in the next column
to its right, like a newspaper. Both work on sizes alone, (width, height) per block, and
give each block's top left corner; :func:`placed` then builds the scene.

>>> sizes = [(100, 60)] * 4
>>> shelf_places(sizes, 230, 10)
[(0.0, 0.0), (116.0, 0.0), (0.0, 70.0), (116.0, 70.0)]
>>> extent(sizes, column_places(sizes, 230, 200, 10))
(216.0, 200.0)
>>> column_places(sizes, 150, 100, 10) is None  # two columns of 100 do not fit 150
True
"""
from __future__ import annotations

from ..scene import Rect, Scene

BLOCK_GAP = 16.0  # between two blocks side by side


def shelf_places(sizes: list[tuple[float, float]], width: float, gap: float) -> list[tuple[float, float]]:
    """Blocks left to right while they fit in ``width``, then on the next line, ``gap`` below."""
    places, x, y, line_height = [], 0.0, 0.0, 0.0
    for w, h in sizes:
        if x > 0 and x + BLOCK_GAP + w > width:
            x, y, line_height = 0.0, y + line_height + gap, 0.0
        x += BLOCK_GAP if x > 0 else 0.0
        places.append((x, y))
        x, line_height = x + w, max(line_height, h)
    return places


def column_places(sizes: list[tuple[float, float]], width: float, height: float, gap: float) -> list[tuple[float, float]] | None:
    """Blocks top to bottom while a column stays within ``height``, then in the next column to the
    right; None when the columns are wider than ``width`` (or a block is taller than ``height``)."""
    places, x, y, column_width = [], 0.0, 0.0, 0.0
    for w, h in sizes:
        if y > 0 and y + h > height + 0.01:
            x, y, column_width = x + column_width + BLOCK_GAP, 0.0, 0.0
        if h > height + 0.01 or x + w > width + 0.01:
            return None
        places.append((x, y))
        y += h + gap
        column_width = max(column_width, w)
    return places


def extent(sizes: list[tuple[float, float]], places: list[tuple[float, float]]) -> tuple[float, float]:
    """The width and height the blocks take, set at ``places``."""
    return (max(x + w for (x, _), (w, _) in zip(places, sizes)), max(y + h for (_, y), (_, h) in zip(places, sizes)))


def placed(blocks: list[Scene], places: list[tuple[float, float]], like: Scene) -> Scene:
    """One scene of ``blocks``, each moved to its place, on ``like``'s background."""
    items = []
    for (x, y), block in zip(places, blocks):
        items += Scene(0, 0, [i for i in block.items if i.role != "background"]).translated(x, y).items
    width, height = extent([(b.width, b.height) for b in blocks], places)
    background = [Rect(0, 0, width, height, None, like.background, role="background")] if like.background else []
    return Scene(width, height, background + items, like.background, like.title)
