"""A norm's outline: a circle over its wires, a capsule standing over more than two of them, or lying round a
label whose capitals would touch a circle; its label's capitals centred in it (:mod:`.glyphs` draws it)."""
from __future__ import annotations

import math

from .heights import box_pad

NORM_INSET = 1.25  # between a norm's label and its outline: half a bold stroke (1.3 pt), and 0.6 pt of air
CAP_HEIGHT = 0.78  # of a label's ascent: its capitals' height (DejaVu Sans: 0.73 em of 0.93 em)


def norm_outline(preset, label, span: float) -> tuple[float, float]:
    """A norm's (width, height) over wires that span ``span`` (its box's height): the circle of
    :func:`norm_diameter`, as tall as its wires where they span more than two (a capsule standing), and
    longer where its label would touch the circle (RMS at a page's spacing: a capsule lying round it).

    >>> from ncd_render.style import load_preset, load_theme
    >>> from ncd_render.text import set_label
    >>> page, font = load_preset("page"), load_theme("paper").font.family
    >>> [tuple(round(v, 1) for v in norm_outline(page, set_label(t, font, 8, bold=True), s)) for t, s in (("LN", 15.3), ("RMS", 15.3), ("GN", 39.3))]
    [(15.3, 15.3), (23.0, 21.3), (26.0, 39.3)]
    """
    width, half = (label.width, _half_height(label)) if label is not None else (0.0, 0.0)
    two_wires = preset.pitch + 2 * box_pad(preset, "norm", label)  # the height of a norm's box over two neighbouring wires
    # (a circle as wide as its label, with 1.5 pt each side; where the label's corners would touch it, it lengthens, not
    # grows: a taller circle spreads its wires, and the transformer's slide shrank a step further for its LNs)
    diameter = norm_diameter(width + 3.0 if label is not None else 0.0, span, preset.clearance, two_wires)
    height = max(span, diameter)
    if label is None or height > diameter:
        return diameter, height
    room = (diameter / 2 - NORM_INSET) ** 2 - half ** 2  # half the chord at the label's farther edge, squared
    straight = max(0.0, width / 2 - math.sqrt(max(room, 0.0)))  # what each half of the capsule's straight part must add
    return diameter + 2 * straight, height


def _half_height(label) -> float:
    """How far a norm's label reaches up or down from its circle's middle: its capitals are centred there, and a
    subscript (GN's groups) reaches below them."""
    return CAP_HEIGHT * label.ascent / 2 + max([0.0] + [r.dy for r in label.runs])


def norm_diameter(need: float, span: float, clearance: float, most: float) -> float:
    """A norm circle's diameter: its wires' span, wider where its label ``need`` s a wider circle, never into the
    clearance around it; at most ``most`` (two wires' span) unless its label needs more. A norm over more wires
    (GroupNorm over channels and both image axes) is then a capsule: a circle as tall as its wires, not a disc as wide.

    >>> norm_diameter(14.0, 10.0, 5.0, 27.0), norm_diameter(33.0, 10.0, 5.0, 27.0), norm_diameter(7.0, 44.0, 5.0, 27.0)
    (14.0, 18.0, 27.0)
    """
    return min(max(span, min(need, span + 2 * (clearance - 1.0))), max(most, need))
