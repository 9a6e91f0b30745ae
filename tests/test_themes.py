"""Built-in themes: each loads, draws every gallery diagram, and has the property it is named for."""
from __future__ import annotations

import io
import re
from dataclasses import fields
from pathlib import Path

import pytest

from ncd_render.api import load
from ncd_render.render import render_bytes
from ncd_render.style import Colors, load_theme

ROOT = Path(__file__).resolve().parents[1]
THEMES = sorted(p.stem for p in (ROOT / "themes").glob("*.toml"))
OKABE_ITO = {"#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000"}


def rgb(color: str) -> tuple[float, float, float]:
    color = color.lstrip("#")
    return tuple(int(color[i:i + 2], 16) / 255 for i in (0, 2, 4))


def luminance(color) -> float:
    """WCAG relative luminance of '#rrggbb' or an (r, g, b) tuple in 0..1."""
    channels = rgb(color) if isinstance(color, str) else color
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a, b) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def over(color: str, opacity: float, background: str) -> tuple[float, float, float]:
    return tuple(opacity * c + (1 - opacity) * b for c, b in zip(rgb(color), rgb(background)))


def saturation(color: str) -> float:
    r, g, b = rgb(color)
    return max(r, g, b) - min(r, g, b)


def colors_of(theme) -> list[str]:
    out = []
    for f in fields(Colors):
        value = getattr(theme.colors, f.name)
        out += [v for v in (value if isinstance(value, tuple) else (value,)) if isinstance(v, str) and v.startswith("#")]
    return out


def svg_colors(svg: bytes) -> set[str]:
    return {c.decode().upper() for c in re.findall(rb'(?:fill|stroke)="(#[0-9A-Fa-f]{6})"', svg)}


def test_every_builtin_theme_is_listed():
    assert {"paper", "mono", "colorblind", "dark"} <= set(THEMES)


@pytest.mark.parametrize("name", THEMES)
def test_theme_loads_and_is_readable(name):
    theme = load_theme(name)
    assert theme.name == name
    for color in colors_of(theme):
        assert re.fullmatch(r"#[0-9A-Fa-f]{6}", color), color
    background = theme.colors.background
    assert contrast(theme.colors.text, background) >= 7, "labels need AAA contrast on the page"
    assert contrast(theme.colors.wire, background) >= 4.5
    for section in theme.colors.sections:  # section titles and the labels inside sections stay readable
        under = over(section, theme.colors.section_opacity, background)
        assert contrast(theme.colors.text, under) >= 4.5, (section, under)
        assert contrast(theme.colors.title, under) >= 4.5, (section, under)
    for fill in (theme.colors.box_fill, theme.colors.learned_fill, theme.colors.norm_fill, theme.colors.mask_fill):
        assert contrast(theme.colors.text, fill) >= 4.5, fill


@pytest.mark.parametrize("name", THEMES)
def test_theme_draws_every_gallery_diagram(name, gallery_file):
    scene = load(gallery_file, theme=name).scene()
    svg = render_bytes(scene, "svg")
    theme = load_theme(name)
    used = svg_colors(svg)
    assert theme.colors.text.upper() in used and theme.colors.wire.upper() in used
    assert used <= {c.upper() for c in colors_of(theme)}, "every colour drawn comes from the theme"


def _png(path, theme):
    from PIL import Image

    return Image.open(io.BytesIO(render_bytes(load(path, theme=theme).scene(), "png", dpi=72))).convert("RGB")


def test_dark_is_light_ink_on_dark(gallery_file):
    import numpy as np

    theme = load_theme("dark")
    assert luminance(theme.colors.background) < 0.02
    assert luminance(theme.colors.text) > 0.7 and luminance(theme.colors.wire) > 0.6
    c = np.asarray(_png(gallery_file, "dark"), dtype=float) / 255
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    lum = lin @ np.array([0.2126, 0.7152, 0.0722])
    # mostly dark: the median pixel no lighter than the theme's lightest section panel (a figure can be
    # mostly panels: the transformer's, nested two deep); those are muted, under 0.09 of white
    panels = max(luminance(c) for c in theme.colors.sections)
    assert panels < 0.09 and np.median(lum) <= panels, "the rendered figure is mostly dark"
    assert (lum > 0.5).mean() > 0.005, "and has light ink on it"


def test_mono_has_no_colour(gallery_file):
    theme = load_theme("mono")
    assert all(saturation(c) == 0 for c in colors_of(theme)), [c for c in colors_of(theme) if saturation(c)]
    svg = render_bytes(load(gallery_file, theme="mono").scene(), "svg")
    assert all(saturation(c) == 0 for c in svg_colors(svg))
    import numpy as np

    pixels = np.asarray(_png(gallery_file, "mono"), dtype=int)
    assert (pixels.max(axis=2) - pixels.min(axis=2)).max() <= 2, "the raster is grey too"


def test_mono_tells_boxes_apart_by_stroke():
    theme = load_theme("mono")
    assert theme.colors.learned_fill == theme.colors.box_fill, "no fill carries meaning"
    assert theme.strokes.learned_box >= 1.8 * theme.strokes.box
    assert theme.strokes.dash, "tuple separators are dashed"
    scene = load(ROOT / "gallery" / "mha.ncd", theme="mono").scene()
    widths = {round(i.stroke.width, 2) for i in scene.by_role("box") if getattr(i, "stroke", None)}
    assert len(widths) >= 2, widths


def test_colorblind_uses_okabe_ito():
    theme = load_theme("colorblind")
    sections = [c.upper() for c in theme.colors.sections]
    assert set(sections) <= OKABE_ITO and len(set(sections)) == len(sections) >= 5
    assert {theme.colors.memory_bound.upper(), theme.colors.compute_bound.upper()} <= OKABE_ITO
    scene = load(ROOT / "gallery" / "mha.ncd", theme="colorblind").scene()
    fills = {s.fill.upper() for s in scene.by_role("section")}
    assert fills and fills <= OKABE_ITO


def test_a_copied_theme_can_be_edited(tmp_path):
    mine = tmp_path / "mine.toml"
    text = (ROOT / "themes" / "dark.toml").read_text()
    mine.write_text(text.replace('wire = "#d8d8d8"', 'wire = "#ff00ff"'))
    svg = render_bytes(load(ROOT / "gallery" / "sdpa.ncd", theme=str(mine)).scene(), "svg")
    assert "#FF00FF" in svg_colors(svg)
    assert "#D8D8D8" not in svg_colors(svg)


def test_a_folder_named_like_a_builtin_does_not_hide_it(tmp_path, monkeypatch):
    """A paper's sources often sit in a folder called paper/: running ncd beside it (theme and layout
    'paper' by default) read the folder as a theme file and failed. A bare built-in name is the built-in;
    a file of that name is still reached as a path, and a folder that is no built-in is refused clearly."""
    from ncd_render.errors import NcdError
    from ncd_render.style import load_preset

    monkeypatch.chdir(tmp_path)
    for name in ("paper", "slide", "mono"):
        (tmp_path / name).mkdir()
    assert load_theme("paper") == load_theme(str(ROOT / "themes" / "paper.toml"))
    assert load_theme("mono").name == "mono" and load_preset("slide").name == "slide"
    (tmp_path / "mine").write_text((ROOT / "themes" / "dark.toml").read_text())
    assert load_theme("mine").colors == load_theme("dark").colors  # a file without .toml, by its path
    (tmp_path / "drafts").mkdir()
    with pytest.raises(NcdError, match="unknown theme 'drafts' \\(that is a folder, not a .toml file\\)"):
        load_theme("drafts")
