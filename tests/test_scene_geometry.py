"""The scene's geometry helpers: moving items and measuring many at once agree with each item's bbox."""
from __future__ import annotations

import dataclasses

import pytest

from ncd_render.errors import Source, Span
from ncd_render.scene import Circle, Line, Path, Rect, Scene, Stroke, Text, extent
from ncd_render.text import PlacedRun

ITEMS = [
    Line(10, 5, -3, 7.5, Stroke()),  # drawn right to left, bottom to top
    Rect(2, -4, 3, 2, None, "#fff", role="box", ref=1),
    Circle(40, 4, 2.5, Stroke(), None),
    Path((("M", 0, 0), ("C", 1, -9, 2, 9, 3, 0), ("L", 50, 1), ("Z",)), Stroke()),
    Text(5, 20, (PlacedRun("x", 0, 0, 9, False, True),), "serif", "#000", 12.5, 7, 2),
]


def test_extent_is_the_union_of_the_bboxes():
    lefts, tops, rights, bottoms = zip(*[item.bbox for item in ITEMS])
    assert extent(ITEMS) == (min(lefts), min(tops), max(rights), max(bottoms)) == (-3, -9, 50, 22)
    for item in ITEMS:
        assert extent([item]) == item.bbox


def test_translated_moves_every_kind_by_the_offset():
    moved = Scene(0, 0, ITEMS).translated(1.5, -2).items
    for before, after in zip(ITEMS, moved):
        assert type(after) is type(before)
        x0, y0, x1, y1 = before.bbox
        assert after.bbox == (x0 + 1.5, y0 - 2, x1 + 1.5, y1 - 2)
        same = {f.name for f in dataclasses.fields(before)} - {"x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "commands"}
        assert all(getattr(after, name) == getattr(before, name) for name in same)
    with pytest.raises(dataclasses.FrozenInstanceError):
        moved[0].x1 = 0


def test_span_is_frozen_and_compares_by_value():
    source = Source("a.ncd", "input X[m]\n")
    span = Span(source, 1, 7, 1, 8)
    assert span == source.span(1, 7) and hash(span) == hash(source.span(1, 7)) and span != source.span(1, 8)
    with pytest.raises(AttributeError):  # a named tuple's fields cannot be assigned
        span.line = 2
