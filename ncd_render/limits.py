"""The limits ncd-render works within, checked before the work they bound (docs/limits.md).

>>> png_pixels(234.0, 100.0, 300)
(975, 417)
>>> check_png(2000 * 72, 100, 300)
Traceback (most recent call last):
...
ncd_render.errors.NcdError: a PNG 2000.00in x 1.39in at 300 dpi would be 600,000 x 417 pixels; the limit is 32,767 pixels a side and 50,000,000 in all
hint: use at most 16 dpi, or a narrower --width, --wrap, or .svg/.pdf, which have no pixel limit
"""
from __future__ import annotations

import math
from pathlib import Path

from .errors import NcdError

MAX_FILE_BYTES = 1 << 20  #: a .ncd source, theme, layout or hardware profile: 1 MiB
MAX_NAME = 200  #: characters in a name (axis, tensor, box, label) or number
MAX_STRING = 1000  #: characters in a quoted string (titles, box and section labels)
MAX_PNG_SIDE = 32767  #: pixels on either side of a PNG: cairo's limit
MAX_PNG_PIXELS = 50_000_000  #: pixels in all (200 MB while drawing)
MAX_PDF_SIDE = (1 << 23) - 1  #: points on either side of a PDF page: cairo draws nothing beyond
MAX_TEX_SIDE = 16383 * 72 / 72.27  #: bp on either side of a TikZ picture: TeX's largest dimension
MIN_DPI = 10


def read_limited(path: str | Path, what: str) -> bytes:
    """The bytes of ``path``, or NcdError naming it when unreadable or over :data:`MAX_FILE_BYTES`.

    Reads at most one byte past the limit, so ``/dev/zero`` fails at once.
    """
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise NcdError(f"cannot read {what}: {error.strerror or error}", path=str(path)) from None
    if len(data) > MAX_FILE_BYTES:
        raise NcdError(f"{what} is larger than the limit of {MAX_FILE_BYTES >> 20} MiB", path=str(path),
                       hint="ncd-render reads files of at most 1 MiB (docs/limits.md)")
    return data


def check_dpi(dpi) -> float:
    """``dpi`` as a float if it is a finite number of at least :data:`MIN_DPI`."""
    if isinstance(dpi, bool) or not isinstance(dpi, (int, float)) or not math.isfinite(dpi) or dpi < MIN_DPI:
        raise NcdError(f"the resolution must be a finite number of at least {MIN_DPI} dpi, not {dpi!r}",
                       hint="e.g. --dpi 300")
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
    """NcdError when a ``fmt`` figure is wider or taller than ``limit`` points."""
    if width > limit or height > limit:
        raise NcdError(f"the figure is {width / 72:,.1f}in x {height / 72:,.1f}in; {fmt} output can be at most "
                       f"{limit / 72:,.1f}in ({limit:,.0f}bp) a side ({why})",
                       hint="give a --width to scale it down, use --wrap or --depth, or write .svg")
