"""Boxes filed by the stretches of x they span, so that a separator or a label finds the few boxes it may
run into without testing every box of the figure.

>>> near = by_column([(0.0, 6.0, 12.0, 20.0), (200.0, 0.0, 210.0, 5.0)])
>>> list(boxes_near(near, 10.0, 30.0))
[(0.0, 6.0, 12.0, 20.0)]
"""
from __future__ import annotations

from collections import defaultdict

BUCKET = 64.0  # points of x per bucket


def by_column(boxes: list, reach: float = 0.0) -> dict[int, list]:
    """Box extents (x0, y0, x1, y1) by each BUCKET of x they span, ``reach`` farther each side."""
    near: dict[int, list] = defaultdict(list)
    for b in boxes:
        for k in range(int((b[0] - reach) // BUCKET), int((b[2] + reach) // BUCKET) + 1):
            near[k].append(b)
    return near


def boxes_near(buckets: dict[int, list], x0: float, x1: float):
    """The boxes of ``buckets`` (:func:`by_column`) filed under some x from ``x0`` to ``x1`` (a box may come more than once)."""
    return (b for k in range(int(x0 // BUCKET), int(x1 // BUCKET) + 1) for b in buckets.get(k, ()))
