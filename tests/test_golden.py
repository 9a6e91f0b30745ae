"""Golden files for each drawing primitive: the normalised SVG of a tiny diagram.

Numbers are compared within 0.05 pt, so a change a reader could see fails.
Regenerate after an intended change with NCD_UPDATE_GOLDEN=1, then look at the
PNGs before committing the new files.
"""
import os
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
    "save_load_repeat": 'input X[y m]\nsave X as C_1\nrepeat 2 "Block"\n  X = relu(X)\nend\nS = load(C_1)\nZ = X + S\noutput Z\n',
    "section_delete": 'input X[y m], U[x m]\nsection "Part"\n  Y = gelu(X)\nend\noutput Y\n',
    "unit_cap_snake": "input X[y m]\nU = unit(: y z)\nZ = einsum(X, U: y m, y z -> z m)\noutput Z\n",
}
NUMBER = re.compile(r"-?\d+\.?\d*")


def normalise(svg: str) -> tuple[str, list[float]]:
    """The SVG with every number replaced by '#', and the numbers."""
    return NUMBER.sub("#", svg), [float(n) for n in NUMBER.findall(svg)]


@pytest.mark.parametrize("name", sorted(PRIMITIVES))
def test_primitive_matches_its_golden_svg(name):
    svg = render_bytes(load_text(HEAD + PRIMITIVES[name], f"{name}.ncd").scene(), "svg").decode()
    path = GOLDEN / f"{name}.svg"
    if os.environ.get("NCD_UPDATE_GOLDEN"):
        path.write_text(svg)
        render_png = render_bytes(load_text(HEAD + PRIMITIVES[name]).scene(), "png", dpi=150)
        (GOLDEN / f"{name}.png").write_bytes(render_png)
    shape, numbers = normalise(svg)
    golden_shape, golden_numbers = normalise(path.read_text())
    assert shape == golden_shape, f"{name}: the SVG's structure changed (regenerate with NCD_UPDATE_GOLDEN=1 if intended)"
    worst = max((abs(a - b) for a, b in zip(numbers, golden_numbers)), default=0.0)
    assert worst <= 0.05, f"{name}: a coordinate moved by {worst:.2f} pt"
