"""Checks of values that end up in SVG, TeX or HTML: plain text, colours, numbers.

The rule for text (docs/limits.md): control characters, invisible format
characters and whitespace other than space and tab are rejected with an
error, never removed silently. Colours must be ``#RRGGBB``.

>>> plain_text("fine title", "the title")
'fine title'
>>> color("#1A1a1a", "wire")
'#1A1a1a'
>>> color("#000}\\\\input{x}", "wire")
Traceback (most recent call last):
...
ncd_render.errors.NcdError: colour wire is '#000}\\\\input{x}', not #RRGGBB
hint: write colours as # and six hex digits, e.g. #1a1a1a
>>> number(float("nan"), "pitch", 0, 100)
Traceback (most recent call last):
...
ncd_render.errors.NcdError: pitch must be a number from 0 to 100, not nan
"""
from __future__ import annotations

import math
import re

from .chars import bad_char, describe
from .errors import NcdError
from .scene import Text

COLOR = re.compile(r"#[0-9A-Fa-f]{6}")
def plain_text(value, what: str, *, limit: int = 1000, path: str | None = None) -> str:
    """``value`` if it is a string without forbidden characters and at most ``limit`` long."""
    if not isinstance(value, str):
        raise NcdError(f"{what} must be text, not {_shown(value)}", path=path)
    k = bad_char(value)
    if k is not None:
        raise NcdError(f"{what} holds the control character {describe(value[k])} at character {k + 1}", path=path,
                       hint="control characters, invisible formatting and odd whitespace cannot be drawn; remove it")
    if len(value) > limit:
        raise NcdError(f"{what} is {len(value):,} characters long; the limit is {limit:,}", path=path)
    return value


def color(value, what: str, *, allow_none: bool = False, path: str | None = None) -> str:
    """``value`` if it is a ``#RRGGBB`` colour (or ``none`` where ``allow_none``)."""
    if allow_none and value == "none":
        return value
    if not isinstance(value, str) or not COLOR.fullmatch(value):
        raise NcdError(f"colour {what} is {_shown(value)}, not #RRGGBB", path=path,
                       hint="write colours as # and six hex digits, e.g. #1a1a1a" + (", or none" if allow_none else ""))
    return value


def number(value, what: str, low: float, high: float, *, above: bool = False, path: str | None = None) -> float:
    """``value`` as a float if it is a finite number in [low, high] (in (low, high] when ``above``)."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and (isinstance(value, int) or math.isfinite(value)) \
        and (value > low if above else value >= low) and value <= high  # (an int past a float's range compares exactly)
    if not ok:
        rule = f"greater than {low:g} and at most {high:g}" if above else f"from {low:g} to {high:g}"
        raise NcdError(f"{what} must be a number {rule}, not {_shown(value)}", path=path)
    return float(value)


def scene_text(scene) -> None:
    """NcdError when a scene's title, a label or a font family holds a forbidden character.

    Sources are screened before parsing; this guards scenes built or changed in Python.
    """
    labels_text(scene.title, scene.labels())


def labels_text(title: str | None, labels: list[Text]) -> None:
    """:func:`scene_text` for a scene's ``title`` and its ``labels``, gathered by the caller (the SVG
    writer gathers them once, for the fonts too)."""
    if title:
        plain_text(title, "the title", limit=len(title))
    texts = [run.text for label in labels for run in label.runs]
    families = {label.family for label in labels}
    if bad_char(" ".join(texts + sorted(families))) is None:  # one pass over all of it; label by label only to say where
        return
    for label in labels:
        for run in label.runs:
            plain_text(run.text, f"the label {run.text[:40]!r}", limit=len(run.text))
        plain_text(label.family, "the font family", limit=len(label.family))


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
