"""The figure's background: one rectangle under everything, as large as the canvas.

>>> backdrop(40, 30, "#fff")
[Rect(x=0, y=0, w=40, h=30, stroke=None, fill='#fff', radius=0.0, role='background', opacity=1.0, ref=None, section=None)]
>>> backdrop(40, 30, None)
[]
"""
from __future__ import annotations

from .scene import Rect


def backdrop(width: float, height: float, fill: str | None) -> list[Rect]:
    """The background of a ``width`` x ``height`` canvas filled with ``fill``, to go first among its
    items; none for a figure without a background colour."""
    return [Rect(0, 0, width, height, None, fill, role="background")] if fill else []
