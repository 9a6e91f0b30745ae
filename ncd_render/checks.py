"""Checks of values that end up in SVG, TeX or HTML: plain text, colours, numbers.

The rule for text (docs/limits.md): control characters, invisible format
characters and whitespace other than space and tab are rejected with an
error, never removed silently. Colours must be ``#RRGGBB``.

>>> bad_char("fine title")
>>> describe("a\\fb"[bad_char("a\\fb")])
'U+000C (form feed)'
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
import unicodedata

from .errors import NcdError

COLOR = re.compile(r"#[0-9A-Fa-f]{6}")
#: categories never allowed in text: controls, invisible formatting, surrogates, line and paragraph separators
_BAD_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}
_ASCII_BAD = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_NAMES = {"\0": "NUL", "\b": "backspace", "\t": "tab", "\n": "line feed", "\v": "vertical tab", "\f": "form feed",
          "\r": "carriage return", "\x1b": "escape", "\x7f": "delete", "\x85": "next line", "\ufeff": "byte-order mark"}


def forbidden(c: str) -> bool:
    """True for a character no label, title or source line may hold (tab and space are fine)."""
    if c.isascii():
        return _ASCII_BAD.match(c) is not None
    return unicodedata.category(c) in _BAD_CATEGORIES or c.isspace()


def bad_char(text: str, allow: str = "") -> int | None:
    """The index of the first forbidden character in ``text`` (characters in ``allow`` pass), or None."""
    found = [m.start() for m in _ASCII_BAD.finditer(text) if m.group() not in allow][:1]
    if not text.isascii():
        found += [m.start() for m in _NON_ASCII.finditer(text) if forbidden(m.group()) and m.group() not in allow][:1]
    return min(found) if found else None


def describe(c: str) -> str:
    """``U+000C (form feed)``: a character named so that a terminal shows it."""
    name = _NAMES.get(c) or unicodedata.name(c, "").lower()
    return f"U+{ord(c):04X}" + (f" ({name})" if name else "")


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
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) \
        and (value > low if above else value >= low) and value <= high
    if not ok:
        rule = f"greater than {low:g} and at most {high:g}" if above else f"from {low:g} to {high:g}"
        raise NcdError(f"{what} must be a number {rule}, not {_shown(value)}", path=path)
    return float(value)


def scene_text(scene) -> None:
    """NcdError when a scene's title, a label or a font family holds a forbidden character.

    Sources are screened before parsing; this guards scenes built or changed in Python.
    """
    if scene.title:
        plain_text(scene.title, "the title", limit=len(scene.title))
    texts = [run.text for item in scene.items for run in getattr(item, "runs", ())]
    families = {item.family for item in scene.items if hasattr(item, "family")}
    if bad_char(" ".join(texts + sorted(families))) is None:  # one pass over all of it; item by item only to say where
        return
    for item in scene.items:
        for run in getattr(item, "runs", ()):
            plain_text(run.text, f"the label {run.text[:40]!r}", limit=len(run.text))
        if hasattr(item, "family"):
            plain_text(item.family, "the font family", limit=len(item.family))


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
