"""Dashed tuple separators, on every gallery and corpus figure in the paper and page layouts: each
piece shows at least five dashes of its own pattern (a shorter piece between two boxes reads as
a scrap; a page's cut between rows leaves none either), and no two pieces at one height overlap (two pairs of wires that share the upper wire and
the height draw one line)."""
from pathlib import Path

import pytest

from ncd_render.api import load
from ncd_render.layout.separators import shortest

ROOT = Path(__file__).resolve().parents[1]
FIGURES = sorted((ROOT / "gallery").glob("*.ncd")) + sorted((ROOT / "tests" / "corpus").glob("*.ncd"))


def separators(source: Path, layout: str) -> list:
    return [i for i in load(source).scene(layout_preset=layout).items if i.role == "separator"]


@pytest.mark.parametrize("layout", ["paper", "page"])
@pytest.mark.parametrize("source", FIGURES, ids=[f"{p.parent.name}/{p.stem}" for p in FIGURES])
def test_separators_are_lines_not_scraps(source, layout):
    lines = separators(source, layout)
    short = [(round(s.x1, 1), round(s.y1, 1), round(s.x2 - s.x1, 1)) for s in lines if s.x2 - s.x1 < shortest(s.stroke.dash) - 1e-6]
    assert not short, f"{source.name} ({layout}): separators shorter than five dashes (x, y, length): {short}"
    by_height: dict[float, list] = {}
    for s in lines:
        by_height.setdefault(round(s.y1, 6), []).append((s.x1, s.x2))
    overlapping = [(y, a, b) for y, spans in by_height.items() for a, b in zip(sorted(spans), sorted(spans)[1:]) if b[0] < a[1] - 1e-6]
    assert not overlapping, f"{source.name} ({layout}): separators drawn over each other (y, one, the next): {overlapping}"


@pytest.mark.parametrize("layout", ["paper", "page"])
def test_a_separator_runs_on_under_a_bend_of_the_tensor_above(layout):
    """In scaled dot-product attention K's wires cross (k goes up to the cup, x̄ comes down), while V's run
    straight below: the dashed line between K and V goes on under the crossing, to where x̄ leaves. On a
    page the line runs nearer K's wires (12 pt apart, not 17), and still clear of the crossing's curves."""
    lines = sorted(separators(ROOT / "gallery" / "sdpa.ncd", layout), key=lambda s: s.y1)
    k_v = lines[-1]
    scene = load(ROOT / "gallery" / "sdpa.ncd").scene(layout_preset=layout)
    bends = [i for i in scene.items if i.role == "wire.bend" and getattr(i, "y1", None) == getattr(i, "y2", 0.0)]
    below_k = max(b.y1 for b in bends if b.y1 < k_v.y1)  # K's level wire within the region, right above the line
    assert k_v.x2 == pytest.approx(max(b.x2 for b in bends if b.y1 == below_k))
