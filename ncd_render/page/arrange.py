"""Blocks (a figure's rows, its parts, its definitions) set on a page in two dimensions.

Three ways, in reading order, as a paper sets its figures: *shelves* put blocks left to
right while they fit the page's width and start a new line below, tops level; *columns*
fill a column top to bottom while it fits the page's height and go on in the next column
to its right, like a newspaper; *bands* mix the two: the page is a stack of bands, each a
few newspaper columns (a wide row alone, or a tall block beside two short ones), chosen
to make the page as short as it can be. All work on sizes alone, (width, height) per
block, and give each block's top left corner; :func:`placed` then builds the scene.

>>> sizes = [(100, 60)] * 4
>>> shelf_places(sizes, 230, 10)
[(0.0, 0.0), (112.0, 0.0), (0.0, 70.0), (112.0, 70.0)]
>>> extent(sizes, column_places(sizes, 230, 200, 10))
(212.0, 200.0)
>>> column_places(sizes, 150, 100, 10) is None  # two columns of 100 do not fit 150
True
>>> band_places([(300, 50), (100, 20), (100, 20), (300, 30)], 320, 10)  # a wide row; two short blocks side by side
[(0.0, 0.0), (0.0, 60.0), (112.0, 60.0), (0.0, 90.0)]
>>> band_places([(200, 100), (100, 40), (100, 40)], 320, 10)  # a tall block, two short ones stacked beside it
[(0.0, 0.0), (212.0, 0.0), (212.0, 50.0)]
>>> fill_places([(200, 100), (300, 50), (100, 40)], [(0.0, 0.0), (0.0, 110.0)], 320, 10)  # beside the first
[(0.0, 0.0), (0.0, 110.0), (212.0, 0.0)]
"""
from __future__ import annotations

from functools import lru_cache

from ..backdrop import backdrop
from ..scene import Scene

BLOCK_GAP = 12.0  # between two blocks side by side
INF = float("inf")
OVERSIZES = (1.05, 1.1, 1.15, 1.2, 1.3, 1.4, 1.5, 1.7, 2.0)  # the last resort sets the blocks on a page this much larger
MOST_IN_BAND = 16  # blocks in one band at most: each band's columns are weighed in time quadratic in its blocks


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


def band_places(sizes: list[tuple[float, float]], width: float, gap: float,
                tallest: float | None = None, in_order: bool = False) -> list[tuple[float, float]] | None:
    """Blocks in bands stacked ``gap`` apart, each band newspaper columns of consecutive blocks
    within ``width``: the bands that make the page shortest (a shortest path over where bands
    begin); None when a block is wider than ``width``, or when given ``tallest``, when no
    arrangement is that short (bands that already stand taller are not followed further).
    ``in_order``: only the last column of a band holds more than one block, so that no block starts
    above one it follows (:func:`inversions`): a band of a block beside a stack, never of two stacks."""
    n = len(sizes)
    if any(w > width + 0.01 for w, _ in sizes):
        return None
    best: list[tuple[float, int, list] | None] = [(0.0, 0, [])] + [None] * n  # (height, start, columns of the last band)
    for i in range(n):
        if best[i] is None or (tallest is not None and best[i][0] > tallest + 0.01):
            continue
        for j in range(i + 1, min(n, i + MOST_IN_BAND) + 1):
            band = (_stack_last if in_order else _band)(tuple(sizes[i:j]), width, gap)
            if band is None:
                break
            height = best[i][0] + (gap if i else 0.0) + band[0]
            if tallest is not None and height > tallest + 0.01:
                break  # a band of more blocks stands no shorter
            if best[j] is None or height < best[j][0] - 0.01:
                best[j] = (height, i, band[1])
    if best[n] is None:
        return None
    bands, j = [], n
    while j > 0:
        bands.append((best[j][1], best[j][2]))
        j = best[j][1]
    places, y = [], 0.0
    for start, columns in reversed(bands):
        x, k, tallest = 0.0, start, 0.0
        for column in columns:
            top = y
            for _ in range(column):
                places.append((x, top))
                top += sizes[k][1] + gap
                k += 1
            tallest = max(tallest, top - gap - y)
            x += max(w for w, _ in sizes[k - column:k]) + BLOCK_GAP
        y += tallest + gap
    return places


def fill_places(sizes: list[tuple[float, float]], fixed: list[tuple[float, float]], width: float, gap: float,
                follows: frozenset[int] = frozenset()) -> list[tuple[float, float]] | None:
    """The first ``len(fixed)`` blocks where ``fixed`` puts them, each of the others (definitions, which
    the overview does not read through) in turn where its bottom is highest: in room left beside the
    first ones, else below them (of the corners the blocks already set make, the one that keeps the
    block lowest, then leftmost). A block in ``follows`` (the next block of a table) is set no higher
    than the one before it, so that they read in order."""
    rects = [(x, y, x + w, y + h) for (x, y), (w, h) in zip(fixed, sizes)]
    places = list(fixed)
    for k, (w, h) in enumerate(sizes[len(fixed):], len(fixed)):
        if w > width + 0.01:
            return None
        top = places[-1][1] if k in follows else 0.0
        xs = {0.0} | {r[2] + BLOCK_GAP for r in rects}
        ys = {top} | {r[3] + gap for r in rects if r[3] + gap > top}
        spots = sorted((y + h, x, y) for x in xs for y in ys if x + w <= width + 0.01
                       and not any(x < r[2] + BLOCK_GAP - 0.01 and r[0] < x + w + BLOCK_GAP - 0.01
                                   and y < r[3] + gap - 0.01 and r[1] < y + h + gap - 0.01 for r in rects))
        _, x, y = spots[0]
        places.append((x, y))
        rects.append((x, y, x + w, y + h))
    return places


@lru_cache(maxsize=1 << 14)
def _band(sizes: tuple[tuple[float, float], ...], width: float, gap: float) -> tuple[float, tuple[int, ...]] | None:
    """(height, blocks per column) of the shortest newspaper columns that hold ``sizes`` within ``width``.
    Kept for each run of sizes: a page tries the same runs of blocks at every tier, width and depth
    (DeepSeek-V3 in a column: 44,000 runs weighed, 3,200 of them different)."""
    tallest, heights = max(h for _, h in sizes), set()
    for a in range(len(sizes)):  # a column's height is that of a run of blocks: each run's, by running sums
        total = 0
        for b in range(a, len(sizes)):
            total += sizes[b][1]
            heights.add(total + gap * (b - a))
    heights = sorted(h for h in heights if h >= tallest - 0.01)
    lo, hi, found = 0, len(heights) - 1, None
    while lo <= hi:  # the least height whose greedy fill fits the width
        mid = (lo + hi) // 2
        columns = _fill(sizes, width, heights[mid], gap)
        if columns is None:
            lo = mid + 1
        else:
            found, hi = (heights[mid], tuple(columns)), mid - 1
    return found


@lru_cache(maxsize=1 << 14)
def _stack_last(sizes: tuple[tuple[float, float], ...], width: float, gap: float) -> tuple[float, tuple[int, ...]] | None:
    """(height, blocks per column) of the shortest band of ``sizes`` within ``width`` whose columns hold one block each
    but the last, which stacks the rest (:func:`band_places`' ``in_order``)."""
    found = None
    for k in range(1, len(sizes) + 1):  # the last column's blocks
        alone, stack = sizes[:len(sizes) - k], sizes[len(sizes) - k:]
        wide = sum(w for w, _ in alone) + BLOCK_GAP * len(alone) + max(w for w, _ in stack)
        high = max([h for _, h in alone] + [sum(h for _, h in stack) + gap * (k - 1)])
        if wide <= width + 0.01 and (found is None or high < found[0] - 0.01):
            found = (high, (1,) * len(alone) + (k,))
    return found


def _fill(sizes: list[tuple[float, float]], width: float, height: float, gap: float) -> list[int] | None:
    """Blocks per column, each column filled top to bottom up to ``height``; None when wider than ``width``."""
    columns, used, column_width, x = [], 0.0, 0.0, 0.0
    for w, h in sizes:
        if columns and used + gap + h <= height + 0.01:
            columns[-1] += 1
            used += gap + h
            column_width = max(column_width, w)
        else:
            x += column_width + (BLOCK_GAP if columns else 0.0)
            columns.append(1)
            used, column_width = h, w
        if x + column_width > width + 0.01:
            return None
    return columns


def extent(sizes: list[tuple[float, float]], places: list[tuple[float, float]]) -> tuple[float, float]:
    """The width and height the blocks take, set at ``places``."""
    return (max(x + w for (x, _), (w, _) in zip(places, sizes)), max(y + h for (_, y), (_, h) in zip(places, sizes)))


def inversions(sizes: list[tuple[float, float]], places: list[tuple[float, float]], first: int | None = None) -> int:
    """How many pairs of blocks read out of order: a later block that starts above an earlier one, in its
    column or beside it, or stands left of it on the same line (overlapping it in y). A newspaper column's
    top, right of the last column's bottom, is read before it (two blocks side by side read as a line, left to
    right, as a paper's reader reads them). Of ``first`` blocks (an overview) and the others (definitions), a
    definition may stand beside the overview, right of it, anywhere below its first block.

    >>> inversions([(100, 50), (100, 50)], [(0, 60), (0, 0)]), inversions([(100, 50), (100, 50)], [(0, 60), (116, 0)])
    (1, 1)
    >>> inversions([(100, 110), (100, 50), (100, 50)], [(0, 0), (116, 0), (116, 60)])  # a tall block, a stack beside it
    0
    >>> sizes, places = [(300, 50), (100, 50), (300, 50), (100, 50)], [(0, 0), (0, 60), (0, 120), (116, 60)]
    >>> inversions(sizes, places), inversions(sizes, places, first=3)  # the last block above the third; as a definition, beside the second
    (1, 0)
    """
    first = len(sizes) if first is None else first
    rects = [(x, y, x + w, y + h) for (x, y), (w, h) in zip(places, sizes)]
    # the least right and bottom edges of the blocks from each on, to its part's end (the overview's, the definitions'):
    # where none ends left of a block or above it, no later block of its part reads before it
    n = len(rects)
    ends = [(INF, INF)] * (n + 1)
    for k in range(n - 1, -1, -1):
        later = ends[k + 1] if k + 1 != first else (INF, INF)
        ends[k] = (min(rects[k][2], later[0]), min(rects[k][1], later[1]))
    overview_end = rects[0][3] - 0.01 if rects else 0.0
    count = 0
    for i, (ax0, ay0, ax1, ay1) in enumerate(rects):  # (written out: a page of 200 blocks weighs 40,000 pairs, thousands of times)
        left, bottom = ax0 + 0.01, ay1 - 0.01
        stop = first if i < first else n
        if i + 1 < stop and (ends[i + 1][0] <= left or ends[i + 1][1] < ay0 - 0.01):
            for j in range(i + 1, stop):
                bx0, by0, bx1, by1 = rects[j]
                count += ((bx1 <= left and by0 < bottom and ay0 < by1 - 0.01)  # b left of a on its line
                          or by0 < ay0 - 0.01)  # b starts above a, in its column or beside it
        if i < first:
            for j in range(first, n):  # b, a definition, reads before a if left of it, or beside the overview below its first block
                bx0, by0, bx1, by1 = rects[j]
                count += (bx1 <= left and by0 < bottom and ay0 < by1 - 0.01) or by0 < overview_end
    return count


def placed(blocks: list[Scene], places: list[tuple[float, float]], like: Scene) -> Scene:
    """One scene of ``blocks``, each moved to its place, on ``like``'s background."""
    items = []
    for (x, y), block in zip(places, blocks):
        items += Scene(0, 0, [i for i in block.items if i.role != "background"]).translated(x, y).items
    width, height = extent([(b.width, b.height) for b in blocks], places)
    return Scene(width, height, backdrop(width, height, like.background) + items, like.background, like.title)


def best_places(sizes: list[tuple[float, float]], width: float, height: float | None, first: int, follows: frozenset[int],
                gap: float):
    """Of the arrangements (:func:`arrangements`) of blocks of ``sizes``, ``gap`` apart, within ``width`` x ``height``,
    the one that reads in order (fewest :func:`inversions`), then the shortest (the page's
    height is what runs out: newspaper columns rather than one narrow stack), then the smallest:
    ((inversions, height, area), places); None when none fits."""
    if any(w > width + 0.01 for w, _ in sizes) or (height is not None and sum(w * h for w, h in sizes) > width * height):
        return None  # a block wider than the page, or more ink than the page has room for: no arrangement fits
    best = None
    for places in arrangements(sizes, width, height, first, follows, gap, fitting=True):
        w, h = extent(sizes, places)
        if w <= width + 0.01 and (height is None or h <= height + 0.01):
            key = (inversions(sizes, places, first), h, w * h)
            if best is None or key < best[0]:
                best = (key, places)
    return best


def least_shrunk(tried: dict, width: float, height: float | None, gap: float) -> Scene:
    """The last resort, of the sets of blocks ``tried`` (``(sizes, first, follows) -> blocks``), ``gap`` apart: set on
    a page :data:`OVERSIZES` larger, the arrangement that reads in order, then shrinks least (the caller shrinks it).

    >>> block = Scene(items=[], width=300, height=100)
    >>> scene = least_shrunk({(((300, 100), (300, 100)), 2, frozenset()): [block, block]}, 200, 150, 10)
    >>> scene.width, scene.height  # one above the other, 1.5 times too wide (side by side: 3.05 times)
    (300.0, 210.0)
    """
    compact = {}  # blocks read out of order -> (how much it must shrink, blocks, places)
    for (sizes, first, follows), blocks in tried.items():
        for larger in OVERSIZES:
            for places in arrangements(list(sizes), width * larger, height and height * larger, first, follows, gap):
                w, h = extent(sizes, places)
                shrink, order = max(w / width, h / (height or h)), inversions(sizes, places, first)
                if order not in compact or shrink < compact[order][0]:
                    compact[order] = (shrink, blocks, places)
    _, blocks, places = compact[min(compact)]
    return placed(blocks, places, blocks[0])


def arrangements(sizes: list[tuple[float, float]], width: float, height: float | None, first: int, follows: frozenset[int],
                 gap: float, fitting: bool = False):
    """Places for blocks of ``sizes``: shelves, bands, newspaper columns, and the overview's
    ``first`` blocks in bands with the definitions filling the room left beside them (those in
    ``follows`` no higher than the block before: :func:`fill_places`), ``gap`` apart. ``fitting``: only
    arrangements within ``height`` are wanted (bands that stand taller are not followed)."""
    tallest = height if fitting else None
    yield shelf_places(sizes, width, gap)
    for in_order in (False, True):
        in_bands = band_places(sizes, width, gap, tallest, in_order)
        if in_bands is not None:
            yield in_bands
    for in_order in (False, True):
        overview = band_places(sizes[:first], width, gap, tallest, in_order) if first < len(sizes) else None
        filled = None if overview is None else fill_places(sizes, overview, width, gap, follows)
        if filled is not None:
            yield filled
    if height is not None:
        in_columns = column_places(sizes, width, height, gap)
        if in_columns is not None:
            yield in_columns
