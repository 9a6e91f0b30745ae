"""Scene -> PDF and PNG, through the SVG and cairosvg, so all formats agree.

PDF files are made byte-stable: cairo stamps the current time, which is
replaced by a fixed date of the same length (keeping the cross-reference
offsets valid). PNG files carry their resolution (a pHYs chunk), so
``\\includegraphics`` sets them at their size; their pixel count is checked
before drawing (docs/limits.md).

>>> from ncd_render.scene import Scene, Line, Stroke
>>> png = to_png(Scene(72, 36, [Line(0, 18, 72, 18, Stroke())]), dpi=150)
>>> png[12:16], resolution(png)
(b'IHDR', 150.0)
"""
from __future__ import annotations

import os
import re
import struct
import time
import zlib
from contextlib import contextmanager

from ..errors import NcdError
from ..limits import MAX_PDF_SIDE, check_png, check_side
from ..scene import Scene
from .fontembed import register_for_cairo
from .svg import to_svg

_FIXED_DATE = b"20000101000000"
_INCH = 0.0254  # metres


def to_pdf(scene: Scene) -> bytes:
    import cairosvg

    check_side(scene.width, scene.height, MAX_PDF_SIDE, "PDF", "cairo draws nothing on a larger page")
    register_for_cairo(scene)
    with _utc():  # (cairo dates the file in local time: '+05'30' in one place and 'Z' in another, same input)
        pdf = cairosvg.svg2pdf(bytestring=to_svg(scene))
    return re.sub(rb"(/CreationDate \(D:)(\d{14})", lambda m: m.group(1) + _FIXED_DATE, pdf)


@contextmanager
def _utc():
    """Local time is UTC within (the process's TZ set, and given back, around the call)."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()


def to_png(scene: Scene, dpi: float = 300) -> bytes:
    import cairosvg
    from cairocffi import CairoError

    check_png(scene.width, scene.height, dpi)
    register_for_cairo(scene)
    try:
        return with_resolution(cairosvg.svg2png(bytestring=to_svg(scene), dpi=dpi), dpi)
    except (CairoError, ValueError) as error:  # (a glyph too large for FreeType at 6,000 dpi; a size its SVG rounds to 0)
        raise NcdError(f"cairo could not draw a PNG {scene.width:.4g}pt x {scene.height:.4g}pt at {dpi:g} dpi ({error})",
                       hint="a lower --dpi or a wider --width, or .svg/.pdf") from None


def with_resolution(png: bytes, dpi: float) -> bytes:
    """``png`` with a pHYs chunk saying ``dpi`` (as pixels per metre), right after its header."""
    per_metre = round(dpi / _INCH)
    body = b"pHYs" + struct.pack(">IIB", per_metre, per_metre, 1)
    chunk = struct.pack(">I", 9) + body + struct.pack(">I", zlib.crc32(body))
    end_of_header = 8 + 4 + 4 + 13 + 4  # signature, IHDR length, type, data, CRC
    return png[:end_of_header] + chunk + png[end_of_header:]


def resolution(png: bytes) -> float | None:
    """The dpi a PNG's pHYs chunk gives, rounded to 0.1; None without one."""
    at = png.find(b"pHYs")
    if at < 0:
        return None
    x, _, unit = struct.unpack(">IIB", png[at + 4:at + 13])
    return round(x * _INCH, 1) if unit == 1 else None
