"""Golden files for each drawing primitive: the normalised SVG of a tiny diagram, and its PNG.

SVG numbers are compared within 0.05 pt, so a change a reader could see fails.
The PNG (cairosvg at 150 dpi, our PNG and PDF path) is compared with pillow, on
white, after a BLUR px Gaussian blur: at most PIXELS pixels may differ by more
than BIG (0-255, largest channel). How that was chosen, on the ten primitives
(cairo 1.16, cairosvg 2.9, FreeType 2.12, DejaVu 2.37): changes no reader sees
put at most 69 pixels past BIG (every SVG number +0.05 pt: 42; the whole figure
moved 0.1 pt: 44; drawn at 151 dpi and resampled to 150, which changes every
anti-aliased edge: 69), while labels 1 pt lower put at least 304 there and a
changed fill colour at least 733. A missing wire or character is left to the
SVG comparison. Other cairo or FreeType versions were not tried.

Regenerate after an intended change with NCD_UPDATE_GOLDEN=1 (never under CI),
then look at the PNGs before committing the new files.
"""
import io
import re
from pathlib import Path

import pytest

from ncd_render.api import load_text
from ncd_render.render import render_bytes

GOLDEN = Path(__file__).parent / "golden"
HEAD = "axis y = 3 width\naxis x = 5 width\naxis m = 4\naxis k = 2\naxis h = 2\naxis i = 3\naxis z = 3 width\n"
PRIMITIVES = {
    "linear_broadcast": "input X[y m]\nY = linear(X: m -> k h) with bias as L_1\noutput Y\n",
    "einsum_cup_merge": "input Q[y k h], K[x k h]\nS = einsum(Q, K: y k h, x k h -> y x h)\noutput S\n",
    "transpose": "input K[x k h]\nT = rearrange(K: x k h -> k x h)\noutput T\n",
    "view": "input X[y k h]\nF = rearrange(X: y k h -> y (k h))\noutput F\n",
    "copy_add": "input X[y m]\nH = relu(X)\nZ = X + H\noutput Z\n",
    "softmax_norm_scale": "input S[y x]\nS = S * k^-1/2\nP = softmax(S: x)\nN = layernorm(P: x) with affine\noutput N\n",
    "convolution_star": "input X[x m]\nB = unfold(X: x -> z i) with stride=2, padding=1\nY = linear(B: i m -> k) as L\noutput Y\n",
    "convolution_compact": ("convolutions compact\ninput X[x m]\nB = unfold(X: x -> x i) with padding=1\nY = linear(B: i m -> k) with bias\n"
                            "P = unfold(Y: x -> z h) with kernel=2, stride=2, padding=1\nP = max(P: h)\nT = linear(P: k -> m h)\n"
                            "Y = fold(T: z h -> x) with kernel=2, stride=2, padding=1, output_padding=1\noutput Y\n"),
    "save_load_repeat": 'input X[y m]\nsave X as C_1\nrepeat 2 "Block"\n  X = relu(X)\nend\nS = load(C_1)\nZ = X + S\noutput Z\n',
    "section_delete": 'input X[y m], U[x m]\nsection "Part"\n  Y = gelu(X)\nend\noutput Y\n',
    "unit_cap_snake": "input X[y m]\nU = unit(: y z)\nZ = einsum(X, U: y m, y z -> z m)\noutput Z\n",
}
NUMBER = re.compile(r"-?\d+\.?\d*")
DPI = 150
BLUR = 1.5
BIG = 40
PIXELS = 100


def normalise(svg: str) -> tuple[str, list[float]]:
    """The SVG with every number replaced by '#', and the numbers."""
    return NUMBER.sub("#", svg), [float(n) for n in NUMBER.findall(svg)]


def scene_of(name: str):
    return load_text(HEAD + PRIMITIVES[name], f"{name}.ncd").scene()


def pixels_apart(png: bytes, golden: bytes) -> int:
    """How many pixels differ by more than BIG after the blur; a size more than 1 px off fails."""
    from PIL import Image, ImageChops, ImageFilter

    def page(data):
        image = Image.open(io.BytesIO(data)).convert("RGBA")
        white = Image.new("RGBA", image.size, "white")
        white.alpha_composite(image)
        return white.convert("RGB")

    a, b = page(png), page(golden)
    assert abs(a.width - b.width) <= 1 and abs(a.height - b.height) <= 1, f"the PNG is {a.size}, its golden {b.size}"
    box = (0, 0, min(a.width, b.width), min(a.height, b.height))  # a size rounded the other way loses an edge row
    a, b = (im.crop(box).filter(ImageFilter.GaussianBlur(BLUR)) for im in (a, b))
    red, green, blue = ImageChops.difference(a, b).split()
    return sum(ImageChops.lighter(ImageChops.lighter(red, green), blue).histogram()[BIG + 1:])


@pytest.mark.parametrize("name", sorted(PRIMITIVES))
def test_primitive_matches_its_golden_svg_and_png(name, update_golden):
    scene = scene_of(name)
    svg, png = render_bytes(scene, "svg"), render_bytes(scene, "png", dpi=DPI)
    path = GOLDEN / f"{name}.svg"
    if update_golden:
        path.write_bytes(svg)
        path.with_suffix(".png").write_bytes(png)
    shape, numbers = normalise(svg.decode())
    golden_shape, golden_numbers = normalise(path.read_text())
    assert shape == golden_shape, f"{name}: the SVG's structure changed (regenerate with NCD_UPDATE_GOLDEN=1 if intended)"
    worst = max((abs(a - b) for a, b in zip(numbers, golden_numbers)), default=0.0)
    assert worst <= 0.05, f"{name}: a coordinate moved by {worst:.2f} pt"
    apart = pixels_apart(png, path.with_suffix(".png").read_bytes())
    assert apart <= PIXELS, f"{name}: {apart} pixels of the PNG differ from its golden (at most {PIXELS} may)"


def test_png_comparison_catches_labels_moved_1pt():
    """The control: the primitive whose labels change fewest pixels, with every label 1 pt lower, must fail."""
    import cairosvg

    svg = render_bytes(scene_of("copy_add"), "svg")
    moved = re.sub(rb'(<tspan[^>]*? y=")([-0-9.]+)', lambda m: m.group(1) + str(float(m.group(2)) + 1).encode(), svg)
    assert moved != svg
    assert pixels_apart(cairosvg.svg2png(bytestring=moved, dpi=DPI), (GOLDEN / "copy_add.png").read_bytes()) > PIXELS
