"""Stretches along a line: what is left of a span once some intervals are taken out of it.

A wire is drawn as straight pieces between the regions that carry it; a separator runs
between the boxes in its way. Both are a span less some intervals.
"""
from __future__ import annotations


def subtract(span: tuple[float, float], blocked: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """``span`` less the intervals in ``blocked``.

    >>> subtract((0, 10), [(2, 3), (5, 12)])
    [(0, 2), (3, 5)]
    """
    pieces, x = [], span[0]
    for lo, hi in sorted(blocked):
        if lo > x:
            pieces.append((x, min(lo, span[1])))
        x = max(x, hi)
        if x >= span[1]:
            break
    if x < span[1]:
        pieces.append((x, span[1]))
    return [(a, b) for a, b in pieces if b > a]


def pieces(x0: float, x1: float, gaps) -> list[tuple[float, float]]:
    """The stretches of a wire from ``x0`` to ``x1`` drawn as one straight line: its life less
    the ``gaps`` (regions that carry it, and copy dots where it ends and goes on).

    >>> pieces(0.0, 10.0, [(2.0, 4.0), (6.0, 6.0)])
    [(0.0, 2.0), (4.0, 6.0), (6.0, 10.0)]
    """
    pieces, x = [], x0
    for a, b in sorted(gaps):
        pieces.append((x, min(a, x1)))
        x = max(x, b)
    pieces.append((x, x1))
    return pieces
