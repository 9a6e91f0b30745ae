"""A LaTeX paper includes a PDF figure and a TikZ figure, through the snippets `ncd latex` prints.

pdflatex compiles it; pypdf reads the compiled pages back: every label is
there as text, in the expected font (DejaVu Sans inside the PDF figure, the
document's Computer Modern inside the TikZ one) at the expected size (the
theme's, or the shrunk size `ncd latex` warned about), and both figures are
exactly as wide as asked.

Skipped when pdflatex is missing, unless CI is set: then it fails.
"""
from __future__ import annotations

import math
import os
import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from ncd_render.api import load
from ncd_render.cli import main
from ncd_render.scene import Text
from ncd_render.sizing import SizeWarning

ROOT = Path(__file__).resolve().parents[1]
GALLERY = ROOT / "gallery"
TEX_PT = 72 / 72.27  # bp per TeX point


def pdflatex(program: str, folder: Path, body: str, preamble: str = "") -> tuple[Path, str]:
    """Compile a small article in ``folder``; returns the PDF and the log."""
    tex = folder / "paper.tex"
    tex.write_text("\\documentclass{article}\n\\usepackage{graphicx}\n\\usepackage{tikz}\n"
                   "\\setlength{\\textwidth}{6.5in}\\setlength{\\oddsidemargin}{0pt}\\setlength{\\evensidemargin}{0pt}\n"
                   f"{preamble}\n\\begin{{document}}\n{body}\n\\end{{document}}\n")
    run = subprocess.run([program, "-interaction=nonstopmode", "-halt-on-error", tex.name],
                         cwd=folder, capture_output=True, text=True, timeout=180)
    log = (folder / "paper.log").read_text(errors="replace") if (folder / "paper.log").exists() else run.stdout
    assert run.returncode == 0, log[-3000:]
    return folder / "paper.pdf", log


def text_runs(pdf: Path) -> list[list[tuple[str, str, float]]]:
    """Per page: (text, font name, size in bp) of every text chunk, inside included figures too."""
    pages = []
    for page in PdfReader(pdf).pages:
        runs = []

        def visit(text, cm, tm, font, size, runs=runs):
            if text.strip() and font is not None:
                a, b = tm[0] * cm[0] + tm[1] * cm[2], tm[0] * cm[1] + tm[1] * cm[3]
                c, d = tm[2] * cm[0] + tm[3] * cm[2], tm[2] * cm[1] + tm[3] * cm[3]
                runs.append((text.strip(), str(font.get("/BaseFont", "")).split("+")[-1], size * math.sqrt(abs(a * d - b * c))))

        page.extract_text(visitor_text=visit)
        pages.append(runs)
    return pages


def ncd_latex(folder: Path, source: Path, output: str, *options: str) -> tuple[str, str]:
    """Run `ncd latex` in ``folder``; returns (snippet, stderr)."""
    old = os.getcwd()
    os.chdir(folder)
    try:
        result = CliRunner().invoke(main, ["latex", str(source), "-o", output, *options])
    finally:
        os.chdir(old)
    assert result.exit_code == 0, result.output
    return result.stdout, result.stderr


def labels(scene):
    return [t for t in scene.items if isinstance(t, Text)]


def found(runs, text: str, font: re.Pattern, size: float, tol: float) -> bool:
    return any(text in t and font.fullmatch(f) and abs(s - size) <= tol for t, f, s in runs)


@pytest.fixture(scope="module")
def paper(pdflatex_program, tmp_path_factory):
    """The compiled paper: page 1 a PDF figure, page 2 a TikZ figure, page 3 a PDF figure that had to shrink."""
    folder = tmp_path_factory.mktemp("paper")
    sdpa_snippet, sdpa_err = ncd_latex(folder, GALLERY / "sdpa.ncd", "sdpa.pdf", "--layout", "column")
    tikz_snippet, _ = ncd_latex(folder, GALLERY / "mha.ncd", "mha.tikz", "--layout", "page")
    small_snippet, small_err = ncd_latex(folder, GALLERY / "vit.ncd", "vit-column.pdf", "--layout", "column", "--label", "fig:small")
    body = "\n\\clearpage\n".join([
        sdpa_snippet,
        "\\setbox0=\\hbox{\\input{mha.tikz}}\\typeout{NCD-TIKZ-WIDTH=\\the\\wd0}\n" + tikz_snippet,
        small_snippet,
    ])
    pdf, log = pdflatex(pdflatex_program, folder, body)
    shrunk = re.search(r"shrink to ([0-9.]+) pt", small_err)
    return {"pdf": pdf, "log": log, "pages": text_runs(pdf), "folder": folder, "sdpa_err": sdpa_err,
            "shrunk": float(shrunk.group(1)) if shrunk else None, "snippets": (sdpa_snippet, tikz_snippet, small_snippet)}


def test_snippets_are_figures_with_the_diagram_titles_as_captions(paper):
    sdpa, tikz, small = paper["snippets"]
    assert "\\includegraphics{sdpa.pdf}" in sdpa and "\\caption{Scaled dot-product attention}" in sdpa
    assert "\\begin{figure}" in sdpa and "\\label{fig:sdpa}" in sdpa
    assert "\\input{mha.tikz}" in tikz and "\\begin{figure*}" in tikz, "6.5in does not fit a column"
    assert "\\label{fig:small}" in small
    assert "warning" not in paper["sdpa_err"], "sdpa fits a column at full label size"
    assert paper["shrunk"] is not None, "ViT does not fit a column: ncd latex must say so"
    assert len(PdfReader(paper["pdf"]).pages) == 3


def test_pdf_figure_labels_are_text_in_dejavu_at_the_theme_size(paper):
    runs = paper["pages"][0]
    scene = load(GALLERY / "sdpa.ncd").scene(layout_preset="column")
    assert labels(scene)
    for label in labels(scene):
        for run in label.runs:
            for part in re.findall(r"[−∗]|[^−∗]+", run.text):  # cairo sets the minus and the asterisk operator apart
                font = re.compile(r"DejaVuSans" + ("-Bold" if run.bold else ""))
                assert found(runs, part, font, run.size, 0.02), (part, run.size, runs)
    assert {r.runs[0].size for r in labels(scene) if r.role == "label.axis"} == {9.0}
    assert found(runs, "Scaled dot-product attention", re.compile(r"CMR10"), 10 * TEX_PT, 0.02), "the caption"


def test_pdf_figure_is_exactly_the_column_width(paper):
    page = PdfReader(paper["pdf"]).pages[0]
    forms = [x.get_object() for x in page["/Resources"]["/XObject"].values()]
    widths = [float(f["/BBox"][2]) - float(f["/BBox"][0]) for f in forms if f.get("/Subtype") == "/Form"]
    assert any(abs(w - 234.0) < 0.01 for w in widths), widths


def test_tikz_figure_labels_are_in_the_documents_fonts(paper):
    runs = paper["pages"][1]
    assert runs and not any("DejaVu" in f for _, f, _ in runs), "no DejaVu: the labels are TeX"
    scene = load(GALLERY / "mha.ncd").scene(layout_preset="page")
    axis = {t.runs[0].text for t in labels(scene) if t.role == "label.axis"}
    assert axis
    for letter in axis:  # single-letter axis names: math italic at the theme's 9 pt
        assert found(runs, letter, re.compile(r"CMMI9"), 9 * TEX_PT, 0.02), (letter, runs)
    assert found(runs, "¯", re.compile(r"CMR9"), 9 * TEX_PT, 0.02), "width axes carry a bar accent"
    assert found(runs, "L", re.compile(r"CMBX10"), 10 * TEX_PT, 0.02), "learned boxes: bold L at 10 pt"
    for sub in "QKVO":
        assert found(runs, sub, re.compile(r"CMMI7"), 7 * TEX_PT, 0.02), f"L_{sub}: subscript at 7 pt"
    assert found(runs, "1", re.compile(r"CMR6"), 6 * TEX_PT, 0.02), "k^{-1/2}: the exponent in script size"
    title = "".join(t for t, f, s in runs if f == "CMR8")
    assert "Attention," in title and "heads" in title, "section titles are text at 8 pt"


def test_tikz_figure_is_exactly_as_wide_as_asked(paper):
    width = re.search(r"NCD-TIKZ-WIDTH=([0-9.]+)pt", paper["log"])
    assert width and float(width.group(1)) * TEX_PT == pytest.approx(468.0, abs=0.02)


def test_a_shrunk_figure_has_the_label_size_it_warned_about(paper):
    runs = paper["pages"][2]
    size = paper["shrunk"]
    assert size < 9.0
    with pytest.warns(SizeWarning, match="shrink to"):  # (less than ncd latex's: the caption's room is not kept here)
        scene = load(GALLERY / "vit.ncd").scene(layout_preset="column")
    for letter in {t.runs[0].text for t in labels(scene) if t.role == "label.axis"}:
        assert found(runs, letter, re.compile(r"DejaVuSans"), size, 0.051), (letter, size)
    assert not found(runs, "m", re.compile(r"DejaVuSans"), 9.0, 0.02), "no label kept 9 pt"


def test_authors_restyle_every_figure_from_the_preamble(pdflatex_program, tmp_path):
    (tmp_path / "fig.tikz").write_bytes(_tikz(GALLERY / "sdpa.ncd"))
    plain, _ = pdflatex(pdflatex_program, tmp_path, "\\input{fig.tikz}")
    assert b"1 0 0 RG" not in _content(plain)
    red, _ = pdflatex(pdflatex_program, tmp_path, "\\input{fig.tikz}", "\\tikzset{ncd overrides/.style={ncd wire/.append style={draw=red}}}")
    assert b"1 0 0 RG" in _content(red), "the wires are stroked red"


def _tikz(path: Path) -> bytes:
    from ncd_render.render import render_bytes

    return render_bytes(load(path).scene(), "tikz")


def _content(pdf: Path) -> bytes:
    return b"".join(page.get_contents().get_data() for page in PdfReader(pdf).pages)


def test_a_page_tall_figure_leaves_room_for_its_caption(pdflatex_program, tmp_path):
    """DeepSeek-V3 set on a page filled the layout's 9in, and with its caption the float was too large for a 9in text
    block ('Float too large for page by 34pt'): ncd latex keeps half an inch of the page for the caption."""
    snippet, _ = ncd_latex(tmp_path, GALLERY / "deepseek_v3.ncd", "ds.pdf", "--layout", "page")
    snippet = snippet.replace("\\caption{", "\\caption{A caption of two lines under the figure, as a paper's would be, "
                                            "long enough to run on to a second line of text in a 6.5in column: ")
    _, log = pdflatex(pdflatex_program, tmp_path, snippet, preamble="\\setlength{\\textheight}{9in}")
    assert "Float too large" not in log


@pytest.mark.parametrize("output", ["vit.pdf", "vit.tikz"])
def test_a_figure_wider_than_the_page_is_set_in_rows_unless_a_layout_is_asked_for(pdflatex_program, tmp_path, output):
    """A new user's `ncd latex f.ncd -o f.tikz` of a GPT-2 block wrote it at its natural 14.6in: 'Overfull \\hbox'
    by 500 pt and more in a 6.5in text, with only a note. With no layout asked for, a figure wider than a page's
    text is set in rows on the page layout, and a note says so; --layout paper keeps the strip, overfull."""
    snippet, err = ncd_latex(tmp_path, GALLERY / "vit.ncd", output)
    assert "it is set in rows on a page (--layout page)" in err
    _, log = pdflatex(pdflatex_program, tmp_path, snippet)
    assert "Overfull \\hbox" not in log
    snippet, err = ncd_latex(tmp_path, GALLERY / "vit.ncd", output, "--layout", "paper")
    assert "set in rows" not in err
    _, log = pdflatex(pdflatex_program, tmp_path, snippet)
    assert "Overfull \\hbox" in log


def test_a_scaled_tikz_figure_takes_every_font_size_it_asks_for_with_fix_cm(pdflatex_program, tmp_path):
    """SDPA at 1.5in asks for labels of 3.1 pt: Computer Modern comes in steps from 5 pt, so LaTeX set them at
    5 pt, 51 "Font Warning"s and labels past their boxes (a tester's paper). The snippet and docs/latex.md say to
    load fix-cm before \\documentclass; with it, every size is set as asked."""
    snippet, _ = ncd_latex(tmp_path, GALLERY / "sdpa.ncd", "sdpa.tikz", "--width", "1.5in")
    assert "\\RequirePackage{fix-cm}" in snippet
    logs = []
    for first in ("", "\\RequirePackage{fix-cm}\n"):
        (tmp_path / "fonts.tex").write_text(first + "\\documentclass{article}\n\\usepackage{tikz}\n\\begin{document}\n"
                                            "\\input{sdpa.tikz}\n\\end{document}\n")
        run = subprocess.run([pdflatex_program, "-interaction=nonstopmode", "-halt-on-error", "fonts.tex"],
                             cwd=tmp_path, capture_output=True, text=True, timeout=180)
        assert run.returncode == 0, run.stdout[-2000:]
        logs.append((tmp_path / "fonts.log").read_text(errors="replace"))
    assert "Font Warning" in logs[0]  # (without it: the trouble this guards against is real)
    assert "Font Warning" not in logs[1]


def test_a_captions_typographic_punctuation_prints_as_typed_and_lost_letters_are_said(pdflatex_program, tmp_path):
    """A title's dashes came out as math minus signs and its curly quotes as '?' in the caption `ncd latex` wrote, and
    nothing said so where the figure was a PDF (which draws them): TeX's ligatures set them, and a letter no pdflatex
    font has is warned about whatever the figure's format."""
    (tmp_path / "dashes.ncd").write_text('title "Encoder–decoder — Abbott’s “NCD” … 注"\naxis m = 4\ninput X[m]\nY = relu(X)\noutput Y\n')
    snippet, err = ncd_latex(tmp_path, tmp_path / "dashes.ncd", "dashes.pdf")
    assert "warning: the caption cannot set 注" in err
    pdf, _ = pdflatex(pdflatex_program, tmp_path, snippet)
    assert "Figure 1: Encoder–decoder — Abbott’s “NCD” . . . ?" in PdfReader(pdf).pages[0].extract_text()
