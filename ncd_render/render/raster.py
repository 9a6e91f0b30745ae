"""Scene -> PDF and PNG, through the SVG and cairosvg, so all formats agree.

PDF files are made byte-stable: cairo stamps the current time, which is
replaced by a fixed date of the same length (keeping the cross-reference
offsets valid).
"""
from __future__ import annotations

import re

from ..scene import Scene
from .svg import to_svg

_FIXED_DATE = b"20000101000000"


def to_pdf(scene: Scene) -> bytes:
    import cairosvg

    pdf = cairosvg.svg2pdf(bytestring=to_svg(scene))
    return re.sub(rb"(/CreationDate \(D:)(\d{14})", lambda m: m.group(1) + _FIXED_DATE, pdf)


def to_png(scene: Scene, dpi: float = 300) -> bytes:
    import cairosvg

    return cairosvg.svg2png(bytestring=to_svg(scene), dpi=dpi)
