"""The serif math theme: STIX (shipped with matplotlib) in every output, axis names in math italic.

A browser must draw the SVG with the embedded STIX subset (checked in headless Chromium against
cairosvg, which uses the same font files through fontconfig; a control without the embedded
fonts must differ), a PDF must embed the fonts (pdffonts) and read back as text (pdftotext),
and the same input must give the same bytes.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ncd_render.api import load
from ncd_render.render import render_bytes
from ncd_render.render.fontembed import register_for_cairo
from ncd_render.scene import Text

sys.path.insert(0, str(Path(__file__).parent))
from test_browser import FRACTION_TOL, MEAN_TOL, browser_png, cairo_png, difference  # noqa: E402

MHA = Path(__file__).resolve().parents[1] / "gallery" / "mha.ncd"


def _scene():
    return load(MHA, theme="serif", layout="page").scene()


def test_axis_names_are_math_italic_and_function_names_upright():
    scene = _scene()
    axes = [i for i in scene.items if i.role == "label.axis"]
    boxes = [i for i in scene.items if isinstance(i, Text) and i.role not in ("label.axis", "label.legend")]
    def text(label):
        return "".join(run.text for run in label.runs)

    # as TeX sets math: letters italic, digits and signs upright (h in h_1 leans, 1 does not)
    assert axes and all(run.italic == run.text[0].isalpha() for label in axes for run in label.runs)
    legend = [run for i in scene.items if i.role == "label.legend" for run in i.runs]  # "k", "= ", "m", " / ", "h", " = 64"
    assert any(r.text[0].isalpha() for r in legend) and any(r.text.strip().startswith("=") for r in legend)
    assert all(run.italic == run.text[0].isalpha() for run in legend)
    scales = [label for label in boxes if text(label).startswith("∗")]
    names = [label for label in boxes if label not in scales]
    assert names and not any(run.italic for label in names for run in label.runs)
    assert [(run.text, run.italic) for label in scales for run in label.runs] == [("∗", False), ("k", True), ("−1/2", False)]
    assert {label.family for label in axes + boxes} == {"STIXGeneral"}


def test_svg_carries_its_fonts_and_is_byte_stable():
    first, second = render_bytes(_scene(), "svg"), render_bytes(_scene(), "svg")
    assert first == second
    faces = re.findall(rb'@font-face\{font-family:"STIXGeneral";font-style:(\w+);font-weight:(\w+)', first)
    assert (b"italic", b"normal") in faces and (b"normal", b"normal") in faces
    assert len(first) < 120_000  # subsets, not the 450 kB fonts


def test_pdf_embeds_stix_and_reads_back(tmp_path):
    for tool in ("pdffonts", "pdftotext"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} (poppler-utils) is not installed")
    pdf = tmp_path / "mha.pdf"
    pdf.write_bytes(render_bytes(_scene(), "pdf"))
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in fonts.splitlines()[2:]]
    assert any("STIXGeneral-Italic" in r[0] for r in rows), fonts
    assert all(r[-5] == "yes" for r in rows), f"a font is not embedded:\n{fonts}"  # the emb column
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    for word in ("Xq", "Xkv", "Attention", "Sizes"):
        assert word in text, text


def test_chromium_draws_the_embedded_stix(chromium, tmp_path):
    scene = _scene()
    svg = render_bytes(scene, "svg")
    register_for_cairo(scene)  # as to_pdf and to_png do: cairosvg finds STIX through fontconfig
    w, h = round(scene.width * 4 / 3), round(scene.height * 4 / 3)
    mean, fraction = difference(browser_png(chromium, svg, w, h, tmp_path), cairo_png(svg, w, h))
    assert mean <= MEAN_TOL and fraction <= FRACTION_TOL, (mean, fraction)
    installed = shutil.which("fc-list") and subprocess.run(["fc-list", ":family=STIXGeneral"], capture_output=True, text=True).stdout.strip()
    if installed:
        return  # with STIX installed system-wide the control below proves nothing
    # the control: no embedded fonts, and a fallback that looks nothing like STIX (a Times clone such as
    # Nimbus Roman, Chromium's default serif where urw-base35 is installed, draws nearly the same glyphs)
    bare = re.sub(rb"<style[^>]*>.*?</style>", b"", svg, flags=re.S).replace(b'font-family="STIXGeneral"', b'font-family="STIXGeneral, DejaVu Sans"')
    (tmp_path / "control").mkdir()
    mean_bare, fraction_bare = difference(browser_png(chromium, bare, w, h, tmp_path / "control"), cairo_png(svg, w, h))
    print(f"with the fonts: mean {mean:.2f}, fraction {fraction:.4f}; without: mean {mean_bare:.2f}, fraction {fraction_bare:.4f}")
    assert mean_bare > MEAN_TOL or fraction_bare > FRACTION_TOL, "Chromium draws the same without the embedded fonts"


def test_a_tandem_named_with_digits_is_labelled_with_its_index_as_the_legend_has_it():
    """`tandem x2 = h2 w2` labelled its wires with a bold 'x2' all on the line, while the legend printed x with
    subscript 2, as every axis's trailing digits are (f2 is f with subscript 2)."""
    from ncd_render.api import load_text
    scene = load_text("axis h2 = 4 width\naxis w2 = 4 width\naxis c = 3\ntandem x2 = h2 w2\ninput X[h2 w2 c]\n"
                      "Y = relu(X)\noutput Y\n").scene()
    (tandem,) = [i for i in scene.items if i.role == "label.axis" and i.runs[0].bold]
    assert [(r.text, r.bold) for r in tandem.runs] == [("x", True), ("2", False)] and tandem.runs[1].dy > 0


SCALED = ["attention_scores", "flash_attention", "mha", "mixtral", "sdpa"]


@pytest.mark.parametrize("name", SCALED)
def test_a_scale_at_a_cup_stands_clear_of_the_labels_after_it(name):
    """'∗k^-1/2' ended 5 pt before the next wire's label on its baseline, and read as one expression: '∗k^-1/2 x̄'."""
    scene = load(Path(__file__).resolve().parents[1] / "gallery" / f"{name}.ncd").scene()
    texts = [i for i in scene.items if isinstance(i, Text)]
    scales = [t for t in texts if "".join(r.text for r in t.runs).startswith("∗")]
    assert scales
    for scale in scales:
        after = [t.bbox[0] - scale.bbox[2] for t in texts if t is not scale and abs(t.y - scale.y) < 5 and t.bbox[0] >= scale.bbox[2] - 0.5]
        assert min(after, default=99) >= 9.0, after


def test_a_negative_scale_at_a_cup_is_written_with_one_times_sign():
    """``einsum(...) * -1`` was written '∗×−1' at its cup: the ∗ and the × a negative scale's box opens with."""
    from ncd_render.api import load_text
    text = "axis y = 8 width\naxis x = 8 width\naxis k = 4\ninput A[y k], B[x k]\nT = einsum(A, B: y k, x k -> y x) * -1\noutput T\n"
    labels = ["".join(r.text for r in i.runs) for i in load_text(text, "n.ncd").scene().items if isinstance(i, Text)]
    assert "∗−1" in labels and not any("×" in label for label in labels), labels
