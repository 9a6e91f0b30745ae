"""Fonts that travel with the figure: the STIX fonts matplotlib ships, for the serif math theme.

A reader's machine rarely has STIX installed, so an SVG that only names it
falls back to whatever serif the browser finds. The SVG therefore carries, in
an ``@font-face`` rule, a subset of each STIX face it uses (only the glyphs its
labels need, a few kB each, as a ``data:`` URL). cairosvg (PDF and PNG) reads
no ``@font-face``, so for it the same font files are added to fontconfig's
application fonts; cairo then embeds the glyphs it draws in the PDF.
Families not listed in :data:`SHIPPED` are left to the system, as before.

>>> from ncd_render.scene import Scene, Text
>>> from ncd_render.text import set_label
>>> lab = set_label("x", "STIXGeneral", 9, italic=True)
>>> css = font_face_css([Text(0, 9, lab.runs, "STIXGeneral", "#000", lab.width, lab.ascent, lab.descent)])
>>> css.startswith('@font-face{font-family:"STIXGeneral";font-style:italic;font-weight:normal;src:url(data:font/ttf;base64,')
True
>>> font_face_css([])
''
"""
from __future__ import annotations

import base64
import importlib.util
import io
from functools import lru_cache
from pathlib import Path

from ..scene import Scene, Text

#: family -> (regular, bold, italic, bold italic) file names in matplotlib's mpl-data/fonts/ttf
SHIPPED = {"STIXGeneral": ("STIXGeneral.ttf", "STIXGeneralBol.ttf", "STIXGeneralItalic.ttf", "STIXGeneralBolIta.ttf")}


def _font_dir() -> Path | None:
    """matplotlib's font folder, found without importing matplotlib (the render path stays light)."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.origin:
        return None
    folder = Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf"
    return folder if folder.is_dir() else None


def font_path(family: str, bold: bool, italic: bool) -> Path | None:
    folder = _font_dir()
    if folder is None or family not in SHIPPED:
        return None
    path = folder / SHIPPED[family][bold + 2 * italic]
    return path if path.is_file() else None


def used_faces(labels: list[Text]) -> dict[tuple[str, bool, bool], str]:
    """(family, bold, italic) -> the characters ``labels`` (a scene's Text items) set in that face, for shipped families."""
    faces: dict[tuple[str, bool, bool], set[str]] = {}
    for label in labels:
        if label.family in SHIPPED:
            for run in label.runs:
                faces.setdefault((label.family, run.bold, run.italic), set()).update(run.text)
    return {face: "".join(sorted(chars)) for face, chars in sorted(faces.items())}


def font_face_css(labels: list[Text]) -> str:
    """``@font-face`` rules carrying the subsets of the shipped fonts ``labels`` (a scene's Text items) use ('' when none)."""
    rules = []
    for (family, bold, italic), chars in used_faces(labels).items():
        path = font_path(family, bold, italic)
        if path is None:
            continue
        data = base64.b64encode(_subset(str(path), chars)).decode("ascii")
        rules.append(f'@font-face{{font-family:"{family}";font-style:{"italic" if italic else "normal"};'
                     f'font-weight:{"bold" if bold else "normal"};src:url(data:font/ttf;base64,{data}) format("truetype")}}')
    return "\n".join(rules)


@lru_cache(maxsize=64)
def _subset(path: str, chars: str) -> bytes:
    """The font at ``path`` cut down to ``chars``; the same bytes every time (no new timestamp)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(path, recalcTimestamp=False)
    options = subset.Options()
    options.name_IDs = ["*"]  # keep the family name, so a PDF or a font list shows what it is
    options.notdef_outline = True
    options.drop_tables += ["FFTM"]  # FontForge's timestamps: nothing a reader needs
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=chars)
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def register_for_cairo(scene: Scene) -> None:
    """Make the shipped fonts the scene uses known to fontconfig, where cairosvg finds its fonts."""
    for family, bold, italic in used_faces(scene.labels()):
        path = font_path(family, bold, italic)
        if path is not None:
            _add_to_fontconfig(str(path))


@lru_cache(maxsize=None)
def _add_to_fontconfig(path: str) -> bool:
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("fontconfig")
    if name is None:
        return False
    fc = ctypes.CDLL(name)
    fc.FcConfigAppFontAddFile.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    return bool(fc.FcConfigAppFontAddFile(None, path.encode()))
