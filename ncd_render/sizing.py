"""Exact figure sizes: read lengths such as ``3.25in`` and fit a scene to them.

The rule (docs/latex.md): a diagram is laid out at its theme's font sizes.
Given a target width (``--width`` or a layout preset's ``width``):

- a figure narrower than the target keeps its natural size and is centred
  on a canvas exactly that wide, so 9 pt labels print at 9 pt;
- a wider figure is scaled down to the target, fonts with it, and a
  :class:`SizeWarning` names the label size it ends at.

A figure is never enlarged: enlarging would change every font size.
Scene units are PostScript points (1/72 in, TeX's ``bp``).

>>> round(parse_length("3.25in"), 2), round(parse_length("241pt"), 2), round(parse_length("85 mm"), 2)
(234.0, 240.1, 240.94)
>>> parse_length("3 furlongs")
Traceback (most recent call last):
...
ncd_render.errors.NcdError: cannot read the width '3 furlongs': unknown unit 'furlongs'
hint: give a number and a unit, e.g. 3.25in, 8.5cm, 85mm or 241pt (units: in, cm, mm, pt, bp, pc, px)
>>> from ncd_render.scene import Scene, Line, Stroke
>>> wide = Scene(400, 100, [Line(0, 50, 400, 50, Stroke())])
>>> fitted, fit = fit_scene(wide, width=200, label_size=9)
>>> fitted.width, fit.scale, fit.label_size
(200, 0.5, 4.5)
>>> narrow, fit = fit_scene(Scene(100, 50, [Line(0, 25, 100, 25, Stroke())]), width=200)
>>> narrow.width, narrow.items[0].x1, fit.scale
(200, 50.0, 1.0)
"""
from __future__ import annotations

import math
import re
import warnings
from dataclasses import replace

from . import remedy
from .backdrop import backdrop
from .errors import NcdError, did_you_mean
from .records import record
from .scene import Rect, Scene
from .text import SCRIPT_SCALE

#: points (1/72 in) per unit; ``pt`` is TeX's point (1/72.27 in) so ``\\the\\columnwidth`` can be pasted.
UNITS = {"in": 72.0, "cm": 72 / 2.54, "mm": 72 / 25.4, "pt": 72 / 72.27, "bp": 1.0, "pc": 12 * 72 / 72.27, "px": 0.75}
_LENGTH = re.compile(r"\s*(-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))\s*([A-Za-z]*)\s*")
SMALLEST = 36.0  # points: no figure is narrower or shorter (at half an inch, a small MLP's labels print at 1 pt)
_HINT = "give a number and a unit, e.g. 3.25in, 8.5cm, 85mm or 241pt (units: " + ", ".join(UNITS) + ")"


class SizeWarning(UserWarning):
    """The figure had to shrink to fit its target size, so its labels are smaller than the theme says."""

    def __init__(self, message: str, remedies: tuple = ()):
        super().__init__(message)
        self.remedies = remedies  # where it shrank: what keeps it at full size (:mod:`ncd_render.remedy`)


def parse_length(text: str, what: str = "the width") -> float:
    """A length such as ``3.25in`` in points (1/72 in); raises NcdError for anything else."""
    m = _LENGTH.fullmatch(str(text))
    if not m:
        raise NcdError(f"cannot read {what} '{text}'", hint=_HINT)
    number, unit = float(m.group(1)), m.group(2).lower()
    if not unit:
        guess = "in" if number <= 40 else "pt"  # (no page is 40in wide; LaTeX prints a column width as 229.5pt)
        raise NcdError(f"cannot read {what} '{text}': it has no unit", hint=f"did you mean '{m.group(1)}{guess}'? " + _HINT)
    if unit not in UNITS:
        close = did_you_mean(unit, UNITS)
        raise NcdError(f"cannot read {what} '{text}': unknown unit '{unit}'", hint=(close + " " if close else "") + _HINT)
    if number <= 0 or not math.isfinite(number * UNITS[unit]):
        raise NcdError(f"{what} '{text}' must be greater than zero" if number <= 0 else f"{what} '{text:.40}' is too large",
                       hint=_HINT)
    if number * UNITS[unit] < SMALLEST:  # (0.0000001pt drew a figure whose labels printed at 0.0 pt, and exited 0)
        raise NcdError(f"{what} '{text}' is too small for a figure: its labels would print at a fraction of a point",
                       hint=f"give at least {SMALLEST / 72:g}in ({SMALLEST:g}bp)")
    return number * UNITS[unit]


def points(length: str | float | None, what: str = "the width") -> float | None:
    """``length`` in points: a length given as text (``"3.25in"``, :func:`parse_length`), a number as it is, None as None.

    >>> points("1in"), points(72.0), points(None)
    (72.0, 72.0, None)
    """
    return parse_length(length, what) if isinstance(length, str) else length


OVERSHOOT = 1e-6  # pt: a figure this much wider (or taller) than its target fits it: floating-point rounding


@record
class Fit:
    """How a scene was fitted: ``scale`` < 1 means it shrank."""

    scale: float
    natural_width: float
    natural_height: float
    label_size: float | None  # axis-label size after fitting, in points (None: not known)


def fit_scene(scene: Scene, width: float | None = None, height: float | None = None,
              label_size: float | None = None) -> tuple[Scene, Fit]:
    """``scene`` on a canvas ``width`` x ``height`` points (None: its own size), shrunk only if it must be
    (not for a rounding error's overshoot: a wrapped figure's strips sum to 468.0000000000001 pt).

    >>> from ncd_render.scene import Scene
    >>> fit_scene(Scene(468.0000000000001, 90.0, []), 468.0)[1].scale, fit_scene(Scene(470.0, 90.0, []), 468.0)[1].scale < 1
    (1.0, True)
    """
    scale = min([1.0] + [t / n for t, n in ((width, scene.width), (height, scene.height)) if t and n and n > t + OVERSHOOT])
    fitted = scene.scaled(scale) if scale < 1 else scene
    canvas_w = width if width else fitted.width
    canvas_h = height if height else fitted.height
    dx, dy = (canvas_w - fitted.width) / 2, (canvas_h - fitted.height) / 2
    moved = fitted.translated(dx, dy) if dx or dy else fitted
    items = [new for i in moved.items  # the background grows with the canvas
             for new in (backdrop(canvas_w, canvas_h, i.fill) if isinstance(i, Rect) and i.role == "background" else [i])]
    result = Scene(canvas_w, canvas_h, items, scene.background, scene.title)
    return result, Fit(scale, scene.width, scene.height, None if label_size is None else label_size * scale)


def scale_fonts(theme, factor: float):
    """``theme`` with every font size times ``factor`` (a layout preset's ``font_scale``)."""
    if factor == 1:
        return theme
    f = theme.font
    return replace(theme, font=replace(f, axis_size=f.axis_size * factor, box_size=f.box_size * factor,
                                       title_size=f.title_size * factor, name_size=f.name_size * factor))


def fit_to(scene: Scene, width: str | float | None, height: str | float | None = None,
           label_size: float | None = None, remedies: tuple = remedy.plain(None, wrapped=False),
           drawn: str = "at its natural size", tried: str = "") -> Scene:
    """Fit ``scene`` to lengths given as text (``"3.25in"``) or points; warns with :class:`SizeWarning` if it
    shrank, ending with ``remedies``: what the user can do about it (:mod:`ncd_render.remedy`); ``drawn``: how
    ``scene`` was set (a page's rows, a column's: not the figure's natural size, which the warning once claimed);
    ``tried``: what was done to fit it, before the remedies."""
    if width is None and height is None:
        return scene
    w, h = points(width), points(height, "the height")
    fitted, fit = fit_scene(scene, w, h, label_size)
    if fit.scale < 1:
        target = " x ".join(_show(v) for v in (width, height) if v is not None) + (" tall" if width is None else "")
        sizes = (f"{label_size:g} pt labels shrink to {fit.label_size:.1f} pt (their subscripts to "
                 f"{fit.label_size * SCRIPT_SCALE:.1f} pt)" if label_size else f"its fonts shrink to {fit.scale:.0%} of their size")
        warnings.warn(SizeWarning(
            f"the figure is {scene.width / 72:.2f}in x {scene.height / 72:.2f}in {drawn}; to fit {target} "
            f"it is scaled to {fit.scale:.0%}, so {sizes}; {tried + '; ' if tried else ''}{remedy.said(remedies)}", remedies),
            stacklevel=3)
    return fitted


PAGE_TEXT = 468.0  # pt: a page's text width (6.5 in), where a figure drawn at its natural size is most often set
PAGE_HEIGHT = 648.0  # pt: and its text height (9 in)


def tall_warning(scene: Scene, strips: int, collapsible: bool = False) -> SizeWarning | None:
    """For a figure wrapped into ``strips`` strips: a warning where it stands taller than a page's text, which no
    page can hold (LaTeX: "Float too large for page"); else None. ``collapsible``: ``--depth 0`` would collapse some
    of its components (:func:`ncd_render.remedy.collapsible`).

    >>> str(tall_warning(Scene(468.0, 900.0, []), 4, collapsible=True))
    "the figure, wrapped into 4 strips, is 12.50in tall, taller than a page's 9in text: no page holds it; --layout page sets its rows side by side, and its components apart, at full size, or --depth 0 collapses them (from Python: layout='page', depth=0)"
    """
    if scene.height <= PAGE_HEIGHT + 0.5:
        return None
    return SizeWarning(f"the figure, wrapped into {strips} strips, is {scene.height / 72:.2f}in tall, taller than a page's "
                       "9in text: no page holds it; --layout page sets its rows side by side, and its components apart, "
                       "at full size" + (", or --depth 0 collapses them (from Python: layout='page', depth=0)" if collapsible
                                         else " (from Python: layout='page')"))


def wide_note(width: float, label_size: float) -> str | None:
    """For a figure drawn at its natural size (no target width), ``width`` points wide: when it is wider
    than a page's text, the size its labels print at once it is set there, and the layouts that keep
    them; else None.

    >>> wide_note(936.0, 9.0)
    "the figure is 13.00in wide at its natural size: set at a page's 6.5in text width, its 9 pt labels print at 4.5 pt (their subscripts at 3.1 pt); --layout page (or column, slide) sets it in rows at full size"
    >>> wide_note(400.0, 9.0) is None
    True
    """
    if width <= PAGE_TEXT + 0.5:
        return None
    shrunk = label_size * PAGE_TEXT / width
    return (f"the figure is {width / 72:.2f}in wide at its natural size: set at a page's 6.5in text width, "
            f"its {label_size:g} pt labels print at {shrunk:.1f} pt (their subscripts at {shrunk * SCRIPT_SCALE:.1f} pt); "
            "--layout page (or column, slide) sets it in rows at full size")


def _show(length) -> str:
    return length if isinstance(length, str) else f"{length / 72:.2f}in"
