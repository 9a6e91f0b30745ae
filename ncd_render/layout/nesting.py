"""Where a copy's branch goes among the wires it copies, and what it crosses there.

A copy's branch runs beside the wires it copies (below or above them) or nests between
two of them; :func:`inner_split` picks the gap that crosses the fewest, never between
wires drawn in tandem (:func:`tight`), and :func:`branch_crossings` counts the crossings.
The order stage places branches by these, and the crossing report bounds them.
"""
from __future__ import annotations


def inner_split(n: int, tight: set[int] = frozenset()) -> int | None:
    """Where a copy's branch goes between the ``n`` wires it copies, to cross the fewest:
    the gap g (1..n-1) after wire g-1, never inside wires in tandem (i in ``tight``: wire i is
    drawn in tandem with wire i+1); None when there is no such gap.

    >>> inner_split(2), inner_split(4), inner_split(3, {0}), inner_split(2, {0})
    (1, 2, 2, None)
    """
    gaps = [g for g in range(1, n) if g - 1 not in tight]
    return min(gaps, key=lambda g: (branch_crossings(n, g), g)) if gaps else None


def branch_crossings(n: int, split: int | None = None) -> int:
    """Crossings of one branch of a copy of ``n`` wires with the wires it copies: all n(n-1)/2
    pairs when it runs beside them; nested at gap ``split``, the wires above it bend down
    across one another, those below bend up, and the two groups never meet.

    >>> branch_crossings(3), branch_crossings(2, 1), branch_crossings(4, 2), branch_crossings(3, 2)
    (3, 0, 2, 1)
    """
    if split is None:
        return n * (n - 1) // 2
    return split * (split - 1) // 2 + (n - split) * (n - split - 1) // 2


def tight(tandems: dict[str, str], axes: list[str]) -> set[int]:
    """Indices i of ``axes`` drawn in tandem with axis i + 1 (``tandems``: axis -> its tandem).

    >>> sorted(tight({"h": "x", "w": "x"}, ["h", "w", "c"]))
    [0]
    """
    return {i for i, (a, b) in enumerate(zip(axes, axes[1:])) if tandems.get(a) is not None and tandems.get(a) == tandems.get(b)}
