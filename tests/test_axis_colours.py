"""The axis-colour theme: one colour per axis through the figure, and colours a colour-blind reader tells apart.

Colour-blind safety is measured, not assumed: each palette colour is passed through the
Machado, Oliveira & Fernandes (2009) simulation of full protanopia, deuteranopia and tritanopia
(linear-RGB matrices), and every pair must stay at least MIN_DELTA_E apart in CIELAB (ΔE*76;
about 2.3 is a just-noticeable difference, 10+ reads as a different colour at a glance).
"""
from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from ncd_render.api import load
from ncd_render.scene import Line, Text
from ncd_render.style import load_theme

GALLERY = Path(__file__).resolve().parents[1] / "gallery"
MIN_DELTA_E = 15.0  # the palette's worst pair measures 16.1 (tritanopia)
MACHADO = {
    "protanopia": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216), (-0.003882, -0.048116, 1.051998)),
    "deuteranopia": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413), (-0.011820, 0.042940, 0.968881)),
    "tritanopia": ((1.255528, -0.076749, -0.178779), (-0.078411, 0.930809, 0.147602), (0.004733, 0.691367, 0.303900)),
}


def _linear(hex_colour: str) -> list[float]:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    return [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]


def _lab(linear: list[float]) -> tuple[float, float, float]:
    linear = [min(1.0, max(0.0, c)) for c in linear]
    xyz = [sum(m * c for m, c in zip(row, linear)) for row in
           ((0.4124, 0.3576, 0.1805), (0.2126, 0.7152, 0.0722), (0.0193, 0.1192, 0.9505))]
    f = [t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116 for t in (xyz[0] / 0.95047, xyz[1], xyz[2] / 1.08883)]
    return 116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])


def _simulated(hex_colour: str, matrix) -> tuple[float, float, float]:
    linear = _linear(hex_colour)
    return _lab([sum(m * c for m, c in zip(row, linear)) for row in matrix])


@pytest.mark.parametrize("vision", ["typical"] + list(MACHADO))
def test_palette_stays_apart_for_colour_blind_readers(vision):
    palette = load_theme("axes").colors.axes
    assert len(palette) >= 6
    matrix = MACHADO.get(vision, ((1, 0, 0), (0, 1, 0), (0, 0, 1)))
    seen = [_simulated(c, matrix) for c in palette]
    worst = min((sum((a - b) ** 2 for a, b in zip(p, q)) ** 0.5, i, j)
                for (i, p), (j, q) in itertools.combinations(enumerate(seen), 2))
    assert worst[0] >= MIN_DELTA_E, f"{vision}: {palette[worst[1]]} and {palette[worst[2]]} are {worst[0]:.1f} apart"


def test_the_control_palette_fails():
    """The check can fail: red and green, the classic confusion, are under 15 apart for a deuteranope."""
    red, green = _simulated("#D62728", MACHADO["deuteranopia"]), _simulated("#2CA02C", MACHADO["deuteranopia"])
    assert sum((a - b) ** 2 for a, b in zip(red, green)) ** 0.5 < MIN_DELTA_E


@pytest.mark.parametrize("name", ["mha", "transformer", "unet", "deepseek_v3"])
def test_every_axis_keeps_one_colour(name):
    scene = load(GALLERY / f"{name}.ncd", theme="axes").scene()
    palette = load_theme("axes").colors.axes
    by_axis: dict[str, set[str]] = {}
    for label in (i for i in scene.items if isinstance(i, Text) and i.role == "label.axis"):
        by_axis.setdefault("".join(r.text for r in label.runs), set()).add(label.color)
    for y, x0, x1, label, *_ in scene.wire_names:  # each wire's straight pieces, in its axis's colour
        axis = "".join(r.text for r in label.runs)
        for line in scene.items:
            if isinstance(line, Line) and line.role == "wire" and abs(line.y1 - y) < 0.01 and x0 <= (line.x1 + line.x2) / 2 <= x1:
                by_axis.setdefault(axis, set()).add(line.stroke.color)
    assert all(len(colours) == 1 for colours in by_axis.values()), {a: c for a, c in by_axis.items() if len(c) > 1}
    distinct = {next(iter(c)) for c in by_axis.values()}
    assert len(distinct) == min(len(by_axis), len(palette))  # different axes, different colours while the palette lasts
