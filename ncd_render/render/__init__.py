"""Renderers: each turns a Scene into bytes of one format.

>>> sorted(FORMATS)
['pdf', 'png', 'svg', 'tikz']
"""
from __future__ import annotations

from pathlib import Path

from ..errors import NcdError
from ..scene import Scene


def _svg(scene: Scene, **_) -> bytes:
    from .svg import to_svg

    return to_svg(scene)


def _pdf(scene: Scene, **_) -> bytes:
    from .raster import to_pdf

    return to_pdf(scene)


def _png(scene: Scene, dpi: float = 300, **_) -> bytes:
    from .raster import to_png

    return to_png(scene, dpi=dpi)


def _tikz(scene: Scene, **_) -> bytes:
    from .tikz import to_tikz

    return to_tikz(scene)


FORMATS = {"svg": _svg, "pdf": _pdf, "png": _png, "tikz": _tikz}


def format_of(path: str | Path) -> str:
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise NcdError(f"cannot tell the output format of '{path}'", hint=f"use one of: {', '.join('.' + f for f in FORMATS)}")
    return suffix


def render_bytes(scene: Scene, fmt: str, path: str | Path | None = None, **options) -> bytes:
    """``scene`` as ``fmt``; an error about the output (too many pixels, say) names ``path`` when given."""
    try:
        return FORMATS[fmt](scene, **options)
    except NcdError as error:
        if path is None or error.span is not None or error.path is not None:
            raise
        raise NcdError(error.message, hint=error.hint, path=str(path)) from None
