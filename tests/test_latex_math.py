"""Math labels in SVG and PDF: bold learned symbols, subscripts below and exponents above the baseline,
overlined width axes, and every font embedded in the PDF."""
from __future__ import annotations

import re

import pytest
from pypdf import PdfReader

from ncd_render.api import load_text
from ncd_render.render import render_bytes

SOURCE = """title "Math labels"
axis y = 16 width
axis m = 32
axis k = 8
input X[y m]
H = linear(X: m -> k) with bias as L_{q}
Z = H * k^-1/2
output Z
"""


@pytest.fixture(scope="module")
def scene():
    return load_text(SOURCE).scene()


def pdf_glyphs(pdf: bytes) -> list[tuple[str, str, float, float]]:
    """(text, font, size, baseline y in PDF points, upwards) of each text chunk."""
    import io

    out = []

    def visit(text, cm, tm, font, size):
        if text.strip() and font is not None:
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            out.append((text.strip(), str(font.get("/BaseFont", "")).split("+")[-1], size * abs(tm[3] * cm[3]), y))

    PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
    return out


def test_svg_sets_runs_with_sizes_weights_and_shifts(scene):
    svg = render_bytes(scene, "svg").decode()
    bold_l = re.search(r'<tspan font-size="10" font-weight="bold" x="[0-9.]+" y="([0-9.]+)">L</tspan>', svg)
    sub_q = re.search(r'<tspan font-size="7" x="[0-9.]+" y="([0-9.]+)">q</tspan>', svg)
    assert bold_l and sub_q
    assert float(sub_q.group(1)) - float(bold_l.group(1)) == pytest.approx(2.5, abs=0.01), "subscript 0.25 em down"
    base_k = re.search(r'<tspan font-size="9" x="[0-9.]+" y="([0-9.]+)">k</tspan><tspan font-size="6.3" x="[0-9.]+" y="([0-9.]+)">−1/2</tspan>', svg)
    assert base_k and float(base_k.group(1)) - float(base_k.group(2)) == pytest.approx(3.78, abs=0.01), "exponent 0.42 em up"


def test_width_axes_are_overlined(scene):
    overlines = scene.by_role("label.overline")
    labels = [t for t in scene.by_role("label.axis") if "".join(r.text for r in t.runs) == "y"]
    assert len(overlines) == len(labels) >= 1
    for line, label in zip(overlines, labels):
        size = label.runs[0].size
        assert line.y1 == line.y2 and label.y - label.ascent - 0.2 * size <= line.y1 < label.y - 0.5 * label.ascent, "just above the letters"
        assert (line.x1, line.x2) == pytest.approx((label.x, label.x + label.width))


def test_pdf_places_the_same_runs_with_embedded_fonts(scene):
    pdf = render_bytes(scene, "pdf")
    glyphs = pdf_glyphs(pdf)
    by_text = {t: (f, s, y) for t, f, s, y in glyphs}
    assert by_text["L"][0] == "DejaVuSans-Bold" and by_text["L"][1] == pytest.approx(10)
    assert by_text["q"][0] == "DejaVuSans" and by_text["q"][1] == pytest.approx(7)
    assert by_text["L"][2] - by_text["q"][2] == pytest.approx(2.5, abs=0.01), "q sits below L's baseline"
    assert by_text["1/2"][2] - by_text["k"][2] == pytest.approx(3.78, abs=0.01), "the exponent sits above"
    fonts = [f for page in PdfReader(__import__("io").BytesIO(pdf)).pages
             for f in page["/Resources"]["/Font"].values()]
    assert fonts
    for font in fonts:
        font = font.get_object()
        descriptor = (font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font)["/FontDescriptor"]
        assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), f"{font['/BaseFont']} is not embedded"
