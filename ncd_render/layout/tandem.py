"""Which of a tensor's wires are drawn in tandem with the next: such a pair is never parted (no
wire, dot or branch between them) and is measured as one wire with a second line beside it.
"""
from __future__ import annotations


def tight(tandems: dict[str, str], axes: list[str]) -> set[int]:
    """Indices i of ``axes`` drawn in tandem with axis i + 1 (``tandems``: axis -> its tandem).

    >>> sorted(tight({"h": "x", "w": "x"}, ["h", "w", "c"]))
    [0]
    """
    return {i for i, (a, b) in enumerate(zip(axes, axes[1:])) if tandems.get(a) is not None and tandems.get(a) == tandems.get(b)}
