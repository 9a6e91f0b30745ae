"""The SVG looks the same in a real browser (headless Chromium) as through cairosvg (our PNG/PDF path).

Both render the SVG at its CSS pixel size (1 pt = 4/3 px) on white; after a
1 px Gaussian blur (which forgives anti-aliasing and hinting) the images
must agree: mean absolute difference at most MEAN_TOL (0-255 scale, largest
channel) and at most FRACTION_TOL of the pixels differing by more than 40.
Measured on the gallery (Chromium 150, cairo 1.16): mean <= 1.8, fraction
<= 0.0023, both worst on long labels whose hinted advances add up. A control
moves every label 1.5 pt and must fail the same check.

Skipped when chromium is missing, unless CI is set: then it fails.
"""
from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import pytest

from ncd_render.api import load
from ncd_render.render import render_bytes

MHA = Path(__file__).resolve().parents[1] / "gallery" / "mha.ncd"

MEAN_TOL = 3.0
FRACTION_TOL = 0.005
BLUR = 1.0
BIG = 40


def browser_png(chromium: str, svg: bytes, width: int, height: int, folder):
    from PIL import Image

    (folder / "fig.svg").write_bytes(svg)
    page = folder / "page.html"
    page.write_text('<!DOCTYPE html><html><head><meta charset="utf-8"><style>html,body{margin:0;padding:0;overflow:hidden;'
                    f'background:#fff}}img{{display:block;width:{width}px;height:{height}px}}</style></head>'
                    '<body><img src="fig.svg"></body></html>')
    shot = folder / "shot.png"
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={folder / 'profile'}", f"--screenshot={shot}", f"--window-size={width},{height}",
                    "--hide-scrollbars", "--force-device-scale-factor=1", page.as_uri()],
                   check=True, capture_output=True, timeout=120)
    return Image.open(shot).convert("RGB")


def cairo_png(svg: bytes, width: int, height: int):
    import cairosvg
    from PIL import Image

    image = Image.open(io.BytesIO(cairosvg.svg2png(bytestring=svg, output_width=width, output_height=height))).convert("RGBA")
    page = Image.new("RGBA", image.size, "white")
    page.alpha_composite(image)
    return page.convert("RGB")


def difference(a, b) -> tuple[float, float]:
    """(mean absolute difference, fraction of pixels differing by more than BIG), after a slight blur."""
    import numpy as np
    from PIL import ImageFilter

    assert a.size == b.size, (a.size, b.size)
    pa = np.asarray(a.filter(ImageFilter.GaussianBlur(BLUR)), dtype=float)
    pb = np.asarray(b.filter(ImageFilter.GaussianBlur(BLUR)), dtype=float)
    d = np.abs(pa - pb).max(axis=2)
    return float(d.mean()), float((d > BIG).mean())


def _svg_and_size(path, theme="paper"):
    scene = load(path).scene(theme=theme)
    return render_bytes(scene, "svg"), round(scene.width * 4 / 3), round(scene.height * 4 / 3)


@pytest.mark.parametrize("theme", ["paper", "dark"])
def test_browser_matches_cairosvg(chromium, gallery_file, theme, tmp_path):
    svg, w, h = _svg_and_size(gallery_file, theme)
    browser = browser_png(chromium, svg, w, h, tmp_path)
    assert browser.size == (w, h)
    mean, fraction = difference(browser, cairo_png(svg, w, h))
    print(f"{gallery_file.stem} {theme}: mean {mean:.2f}, fraction {fraction:.5f}")
    assert mean <= MEAN_TOL and fraction <= FRACTION_TOL, (mean, fraction)


def test_comparison_catches_moved_labels(chromium, tmp_path):
    """The control: the same figure with every label 1.5 pt to the right must not pass."""
    svg, w, h = _svg_and_size(MHA)
    moved = re.sub(rb'(<tspan[^>]*? x=")([-0-9.]+)', lambda m: m.group(1) + str(float(m.group(2)) + 1.5).encode(), svg)
    assert moved != svg
    mean, fraction = difference(browser_png(chromium, svg, w, h, tmp_path), cairo_png(moved, w, h))
    print(f"moved labels: mean {mean:.2f}, fraction {fraction:.5f}")
    assert mean > MEAN_TOL or fraction > FRACTION_TOL, (mean, fraction)
