"""A bias's "+" in its box's lower right corner, as the paper draws it, and the room it takes.

A box with a bias is :data:`ROOM` wider than its label asks, the label :data:`SHIFT` left of the middle,
off the "+". Where the "+" stands beside the label (a box on one wire, whose label's subscript comes down
to it), the label moves further left, to half the box's padding, and then the box grows, until :data:`CLEAR`
parts the two: W_n's "+" touched its subscript and read as part of it (grown alone, every such box was 0.9 pt
wider, and ConvNeXt's strip no longer fit a page).

>>> from ncd_render.api import load_text
>>> from ncd_render.layout.model import Style
>>> from ncd_render.style import load_theme, load_preset
>>> style = Style(load_text("axis m = 4\\ninput X[m]\\noutput X\\n").diagram, load_theme("paper"), load_preset("paper"))
>>> label = style.text("W_n", 10.0, bold=True)
>>> [round(v, 2) for v in bias_box(style, label, 0.0, 60.0)], [round(v, 2) for v in bias_box(style, label, 0.0, 17.76)]  # tall; one wire
([28.97, 5.25], [28.97, 4.38])
"""
from __future__ import annotations

from ..fonts import metrics

SHIFT, ROOM = 0.15, 0.35  # of the box font's size: the label's move left, the box's added width
SIZE = 0.7  # of the box font's size: the "+"
INSET = 1.2  # bp: between the "+" and its box's right and bottom edges
CLEAR = 0.4  # of the "+"'s size: the least between the label's end and the "+", where they stand side by side


def adds(op) -> bool:
    """Whether ``op``'s box carries a bias's "+" in its corner: a map with a bias, or a learned bias itself
    (``bias(X: y m)``, a position table added: without it, the box read as a learned map)."""
    return bool(op.params.get("bias")) or op.kind == "bias"


def plus_label(style):
    """The "+", set."""
    return style.text("+", style.theme.font.box_size * SIZE, bold=True)


def label_baseline(top: float, bottom: float, label) -> float:
    """Where a box's one-line label stands: its ink's middle at the box's."""
    return (top + bottom) / 2 + (label.ascent - label.descent) / 2 - 0.5


def bias_box(style, label, top: float, bottom: float, lift: float = 0.0) -> tuple[float, float]:
    """(width, its label's distance from its left edge) of a box from ``top`` to ``bottom`` with a bias and
    ``label`` (or None), its "+" raised by at most ``lift`` (a trapezoid's short end)."""
    p, size = style.preset, style.theme.font.box_size
    width = label.width if label is not None else 0.0
    least = max(p.min_box_width, width + 2 * p.box_pad_x + ROOM * size)
    pad = (least - width) / 2 - SHIFT * size
    if label is None:
        return least, pad
    plus = plus_label(style)
    run = plus.runs[0].size
    points = [cmd[k:k + 2] for cmd in metrics(style.theme.font.family).signs.get("+", ()) for k in range(1, len(cmd), 2)]
    ink_left, ink_top = (min(x for x, _ in points) * run, max(y for _, y in points) * run) if points else (0.0, plus.ascent)
    if bottom - INSET - lift - ink_top >= label_baseline(top, bottom, label) + label.descent:  # the "+" stands below the label
        return least, pad
    after = width + CLEAR * run + plus.width + INSET - ink_left  # the label, the gap and the "+", from the label's start
    pad = max(min(pad, p.box_pad_x / 2), least - after)  # the label moves left first, then the box grows
    return max(least, pad + after), pad
