"""The limits ncd-render works within, checked before the work they bound.

Two kinds: what a file, an output or a resolution may be (docs/limits.md), and what a
diagram may ask for, every number a file gives (docs/dsl.md, "Limits"), so that a typo
cannot make parsing, building, drawing or costing run out of time or memory.

>>> png_pixels(234.0, 100.0, 300)
(975, 417)
>>> check_png(2000 * 72, 100, 300)
Traceback (most recent call last):
...
ncd_render.errors.NcdError: a PNG 2000.00in x 1.39in at 300 dpi would be 600,000 x 417 pixels; the limit is 32,767 pixels a side and 50,000,000 in all
hint: use at most 16 dpi, or a narrower --width, --wrap, or .svg/.pdf, which have no pixel limit
>>> whole("4096", None, "an axis size")
4096
>>> whole("1" + "0" * 400, None, "an axis size")
Traceback (most recent call last):
...
ncd_render.errors.NcdError: an axis size of 1000000000000... (401 digits) is too large
hint: an axis size is at most 1,099,511,627,776 (2^40)
>>> power(4, Fraction(-1, 2), "k^-1/2", None)
0.5
"""
from __future__ import annotations

import math
import os
from fractions import Fraction
from pathlib import Path

from .errors import NcdError, Source, Span

MAX_FILE_BYTES = 1 << 20  #: a .ncd source, theme, layout or hardware profile: 1 MiB
MAX_NAME = 200  #: characters in a name (axis, tensor, box, label) or number
MAX_STRING = 1000  #: characters in a quoted string (titles, box and section labels)
MAX_PNG_SIDE = 32767  #: pixels on either side of a PNG: cairo's limit
MAX_PNG_PIXELS = 50_000_000  #: pixels in all (200 MB while drawing)
MAX_PDF_SIDE = (1 << 23) - 1  #: points on either side of a PDF page: cairo draws nothing beyond
MAX_TEX_SIDE = 16383 * 72 / 72.27  #: bp on either side of a TikZ picture: TeX's largest dimension
MIN_DPI = 10
MAX_DPI = 100_000  #: a 24 pt figure is already wider than cairo's limit; more overflows the pixel count


def read_limited(path: str | Path, what: str) -> bytes:
    """The bytes of ``path``, or NcdError naming it when unreadable or over :data:`MAX_FILE_BYTES`.

    Reads at most one byte past the limit, so ``/dev/zero`` fails at once.
    """
    try:  # opened without waiting: a named pipe no program writes to reads as empty, where open() waited for ever
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise NcdError(f"cannot read {what}: {error.strerror or error}", path=str(path)) from None
    if len(data) > MAX_FILE_BYTES:
        raise NcdError(f"{what} is larger than the limit of {MAX_FILE_BYTES >> 20} MiB", path=str(path),
                       hint="ncd-render reads files of at most 1 MiB (docs/limits.md)")
    return data


def decode_utf8(data: bytes, path: str | Path, what: str) -> str:
    """``data``, read from ``path``, as text; NcdError at the line and column of the first byte that is not UTF-8.

    >>> decode_utf8(b"axis m = 4  # caf\\xe9\\n", "t.ncd", "the diagram")
    Traceback (most recent call last):
    ...
    ncd_render.errors.NcdError: t.ncd:1:18: cannot read the diagram: byte 0xe9 is not UTF-8
        1 | axis m = 4  # caf\ufffd
          |                  ^
    hint: save the file as UTF-8
    """
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        before = data[: error.start].decode("utf-8")
        line, column = before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1
        text = data.decode("utf-8", "replace")
        controls = sum(c < " " and c not in "\t\n\r" for c in text[:4096])  # none in text of any encoding
        hint = "it holds binary data, not text" if controls > 2 else "save the file as UTF-8"
        raise NcdError(f"cannot read {what}: byte 0x{data[error.start]:02x} is not UTF-8",
                       Source(str(path), text).span(line, column), hint) from None


def check_dpi(dpi) -> float:
    """``dpi`` as a float if it is a number from :data:`MIN_DPI` to :data:`MAX_DPI`."""
    if isinstance(dpi, bool) or not isinstance(dpi, (int, float)) or not math.isfinite(dpi) or not MIN_DPI <= dpi <= MAX_DPI:
        given = f"{dpi:g}" if isinstance(dpi, float) else repr(dpi)
        raise NcdError(f"the resolution must be a number from {MIN_DPI} to {MAX_DPI:,} dpi, not {given}", hint="e.g. --dpi 300")
    return float(dpi)


def png_pixels(width: float, height: float, dpi: float) -> tuple[int, int]:
    """The pixel size cairosvg gives a ``width`` x ``height`` point canvas at ``dpi`` (it rounds)."""
    return round(width * dpi / 72), round(height * dpi / 72)


def check_png(width: float, height: float, dpi: float) -> None:
    """NcdError, before any drawing, when a PNG of this size cannot be made (``height`` 0: not known yet)."""
    dpi = check_dpi(dpi)
    w, h = png_pixels(width, height, dpi)
    if min(w, h if height else 1) < 1:
        raise NcdError(f"a PNG {width:.2f}pt x {height:.2f}pt at {dpi:g} dpi would be {w} x {h} pixels: nothing to see",
                       hint="raise --dpi")
    if max(w, h) <= MAX_PNG_SIDE and w * h <= MAX_PNG_PIXELS:
        return
    fits = min(MAX_PNG_SIDE * 72 / width, MAX_PNG_SIDE * 72 / height if height else math.inf,
               math.sqrt(MAX_PNG_PIXELS / (width * height)) * 72 if height else math.inf)
    size = f"{width / 72:.2f}in x {height / 72:.2f}in" if height else f"{width / 72:.2f}in wide"
    pixels = f"{w:,} x {h:,} pixels" if height else f"{w:,} pixels wide"
    advice = f"use at most {math.floor(fits)} dpi, or " if fits >= MIN_DPI else "use "
    raise NcdError(f"a PNG {size} at {dpi:g} dpi would be {pixels}; "
                   f"the limit is {MAX_PNG_SIDE:,} pixels a side and {MAX_PNG_PIXELS:,} in all",
                   hint=advice + "a narrower --width, --wrap, or .svg/.pdf, which have no pixel limit")


def check_side(width: float, height: float, limit: float, fmt: str, why: str) -> None:
    """NcdError when a ``fmt`` figure is wider or taller than ``limit`` points, or less than a hundredth of a
    point on a side (scaled to a tiny --width: cairo finds its size undefined)."""
    if min(width, height) < MIN_SIDE:
        raise NcdError(f"the figure would be {width:.3g}pt x {height:.3g}pt: too small for {fmt} output to draw",
                       hint="give a larger --width, or cut it into rows with --layout page")
    if width > limit or height > limit:
        raise NcdError(f"the figure is {width / 72:,.1f}in x {height / 72:,.1f}in; {fmt} output can be at most "
                       f"{limit / 72:,.1f}in ({limit:,.0f}bp) a side ({why})",
                       hint="give a --width to scale it down, use --wrap or --depth, or write .svg")


# -- what a diagram may ask for ------------------------------------------------

MIN_SIDE = 0.01           # points: a side of a PDF smaller than this is one cairo cannot size
MAX_SIZE = 2 ** 40        # an axis size, a repeat count, a whole-number option
MAX_SIZE_TERMS = 64       # operations (+ - * /) in one size expression
MAX_NESTING = 32          # sections, repeats, blocks and component calls inside one another
MAX_BOXES = 20_000        # boxes of a diagram once every component call is written out (10,000 lay out in about 5 s)
MAX_OPERANDS = 256        # tensors one statement takes (a sum of 3,000 terms laid out in 68 s, 8,000 ran out of time)
MAX_READS = 1024          # statements that read one tensor (a copy of 4,000 branches laid out in 111 s)
MAX_AXES = 64             # axes of one tensor (2,000, reversed, took 33 s and 4.9 GB to draw)
MAX_CROSSINGS = 20_000    # wire crossings a drawing must have (each two curves placed and drawn)
MAX_EXPONENT = 64         # |exponent| of a scale such as k^-1/2
MAX_NUMBER_TEXT = 24      # characters of one written number or exponent


def shown(text: str) -> str:
    """A written number as a message quotes it: long ones cut short, with their length."""
    return text if len(text) <= 16 else f"{text[:13]}... ({len(text)} digits)"


def whole(text: str, span: Span | None, what: str, limit: int = MAX_SIZE) -> int:
    """The whole number written as ``text``, at most ``limit`` (checked before converting it)."""
    digits = text.lstrip("0") or "0"
    if len(digits) > len(str(limit)) or int(digits) > limit:
        raise NcdError(f"{what} of {shown(text)} is too large", span, f"{what} is at most {limit:,}" + (" (2^40)" if limit == MAX_SIZE else ""))
    return int(digits)


def check_size(size: int, span: Span | None, what: str) -> int:
    """An axis size computed from others: a whole number from 1 to MAX_SIZE."""
    if size < 1:
        raise NcdError(f"{what} would have size {size}; sizes are whole numbers of at least 1", span)
    if size > MAX_SIZE:
        raise NcdError(f"{what} would have size {shown(str(size))}, more than {MAX_SIZE:,} (2^40)", span,
                       "sizes are at most 2^40; give it a smaller size")
    return size


def exponent(text: str, span: Span | None) -> Fraction:
    """A scale's exponent as written (``-1/2``, ``2``, ``.5``), within MAX_EXPONENT."""
    hint = f"an exponent is a whole number, a fraction p/q or a decimal between -{MAX_EXPONENT} and {MAX_EXPONENT}, e.g. k^-1/2"
    if len(text) > MAX_NUMBER_TEXT:
        raise NcdError(f"exponent {shown(text)} is too long", span, hint)
    denominator = text.partition("/")[2]
    if denominator and int(denominator) == 0:
        raise NcdError(f"exponent {text} divides by zero", span, hint)
    value = Fraction(text)
    if abs(value) > MAX_EXPONENT:
        raise NcdError(f"exponent {text} is out of range", span, hint)
    return value


def power(size: int, exp: Fraction, text: str, span: Span | None) -> float:
    """``size ** exp`` as a float, exact for whole exponents; an error if it overflows or rounds to 0."""
    try:
        value = float(Fraction(size) ** exp) if exp.denominator == 1 else float(size) ** float(exp)
    except (OverflowError, ZeroDivisionError):
        value = float("inf")
    if value == 0 or value == float("inf"):
        raise NcdError(f"the scale {text} = {size}^{exp} is {'too large' if value else 'too small'} for a float", span,
                       "scale by a smaller power, or give the axis a smaller size")
    return value


def number(text: str, span: Span | None, what: str) -> float:
    """A written decimal number that is finite as a float."""
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise NcdError(f"{what} {shown(text)} is too large for a float", span, "numbers are at most about 1e308")
    return value
