"""Every character a figure sets exists in the font face that sets it.

A renderer that meets a character its face lacks substitutes another font's glyph or
draws nothing, and label widths measured from the face no longer match what prints.
That is how the serif theme's bold ★ went missing: STIX General Bold has no ★. The
faces are the real font files matplotlib's font manager picks, read with FreeType.
"""
from __future__ import annotations

import warnings
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

import pytest
from matplotlib import ft2font

from ncd_render.api import load
from ncd_render.fonts import STYLES, font_file
from ncd_render.scene import Text

ROOT = Path(__file__).resolve().parents[1]
FIGURES = sorted((ROOT / "gallery").glob("*.ncd")) + sorted((ROOT / "tests" / "corpus").glob("*.ncd"))
THEMES = ("paper", "serif")  # the other themes set the paper theme's family and differ only in colour


@lru_cache(maxsize=None)
def _face(family: str, style: str) -> ft2font.FT2Font:
    return ft2font.FT2Font(font_file(family, style))


def lacking(scene) -> set[tuple[str, str, str]]:
    """(family, style, character) for every character the scene sets in a face without it."""
    missing = set()
    for item in scene.items:
        if isinstance(item, Text):
            for run in item.runs:
                style = STYLES[run.bold + 2 * run.italic]
                face = _face(item.family, style)
                missing.update((item.family, style, c) for c in set(run.text) - {" "} if not face.get_char_index(ord(c)))
    return missing


def test_the_check_sees_a_missing_glyph():
    """The control: the serif theme's ★3 box set in bold, as it once was (STIX General Bold has no ★)."""
    scene = load(ROOT / "gallery" / "resnet.ncd").scene(theme="serif")
    assert not lacking(scene)
    stars = [i for i in scene.items if isinstance(i, Text) and any("★" in r.text for r in i.runs)]
    assert stars, "resnet draws its convolutions as ★3 boxes"
    bold = [replace(i, runs=tuple(replace(r, bold=True) for r in i.runs)) for i in stars]
    assert ("STIXGeneral", "bold", "★") in lacking(replace(scene, items=bold))


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("path", FIGURES, ids=[f"{p.parent.name}/{p.stem}" for p in FIGURES])
def test_every_label_character_is_in_its_face(path, theme):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a page figure that shrinks says so; not this test's concern
        figure = load(path)
        missing = lacking(figure.scene(theme=theme)) | lacking(figure.scene(theme=theme, layout_preset="page"))
    assert not missing, f"{path.name} in the {theme} theme sets characters its fonts lack: {sorted(missing)}"
