"""TikZ output: exact text for small primitive diagrams (golden files), TeX labels, byte-stable output.

The golden files in tests/golden/tikz/ are regenerated only on request:
    NCD_UPDATE_GOLDEN=1 python3 -m pytest tests/test_latex_tikz.py
then look at the compiled figures before committing them.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from ncd_render.api import load, load_text
from ncd_render.render import render_bytes
from ncd_render.render.svg import _n
from ncd_render.render.tikz import tex_label, to_tikz
from ncd_render.scene import Circle, Line, Path as PathItem, Rect, Scene, Stroke, Text
from ncd_render.text import set_label

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).resolve().parent / "golden" / "tikz"
THEMES = sorted(p.stem for p in (ROOT / "themes").glob("*.toml"))
GALLERY = sorted((ROOT / "gallery").glob("*.ncd"))
FAMILY = "DejaVu Sans"
INK = "#1a1a1a"


def label(text, x, y, size=9.0, role="label.axis", bold=False, color=INK, **facts) -> Text:
    """A label as the layout makes one: a box's label kept put at its middle, others at their start."""
    lab = set_label(text, FAMILY, size, bold)
    facts.setdefault("anchor", "middle" if role == "label.box" else "start")
    return Text(x, y, lab.runs, FAMILY, color, lab.width, lab.ascent, lab.descent, role, **facts)


def overline(t: Text) -> Line:
    top = t.y - t.ascent * 0.72
    return Line(t.x, top, t.x + t.width, top, Stroke(INK, 0.6), role="label.overline")


def wires() -> Scene:
    """Two tensors: a width axis (x̄) and a depth axis, a dashed separator between them."""
    a, m = label("x", 10, 17, overline=True), label("m", 10, 42)
    wire = Stroke(INK, 0.9)
    return Scene(80, 50, [Line(5, 32, 75, 32, Stroke("#6b6b6b", 0.7, (3.0, 2.0)), role="separator"),
                          Line(5, 20, 75, 20, wire), Line(5, 45, 75, 45, wire), a, overline(a), m], title="Wires")


def learned_box() -> Scene:
    """A linear map with a bias: bold L with a subscript, a '+' in its corner, two box looks."""
    wire = Stroke(INK, 0.9)
    return Scene(90, 40, [Rect(0, 0, 90, 40, None, "#ffffff", role="background"), Line(0, 20, 90, 20, wire),
                          Rect(25, 8, 30, 24, Stroke(INK, 1.3), "#E8EEEB", radius=1.5),
                          Rect(62, 12, 16, 16, Stroke(INK, 0.9), "#ffffff", radius=1.5),
                          label("L_q", 32, 24, 10, "label.box", bold=True), label("+", 48, 30, 7, "label.box", bold=True),
                          label("\\sigma", 67, 24, 9, "label.box")], title="Learned box")


def contraction() -> Scene:
    """A cup (an inner product over k), a bend, a merge dot, a summed-out wire, a softmax triangle."""
    wire = Stroke(INK, 0.9)
    cup = PathItem((("M", 5, 10), ("C", 20, 10, 20, 35, 5, 35)), Stroke(INK, 0.9), None, role="wire.bend")
    return Scene(100, 70, [cup, PathItem((("M", 5, 50), ("C", 25, 50, 25, 20, 45, 20)), wire, None, role="wire.bend"),
                           Circle(45, 20, 2.1, None, INK), Line(45, 20, 60, 20, wire),
                           PathItem((("M", 80, 10), ("L", 80, 30), ("L", 64, 20), ("Z",)), Stroke(INK, 0.9), "#ffffff", role="box"),
                           Line(80, 20, 95, 20, wire), label("k^{-1/2}", 60, 62, 9, "label.box")], title="Contraction")


def section() -> Scene:
    """A translucent section with a title that needs escaping, names on both sides."""
    return Scene(120, 50, [Rect(20, 4, 80, 42, None, "#C5BEDF", radius=4.0, role="section", opacity=0.6),
                           label("Top-k & 50% mix_1", 24, 12, 8, "label.title", color="#333333"),
                           Line(15, 30, 105, 30, Stroke(INK, 0.9)), label("Xq", 2, 33, 9, "label.name", anchor="end"),
                           label("Y", 108, 33, 9, "label.name")], title="Section: 50% & more")


PRIMITIVES = {"wires": wires, "learned_box": learned_box, "contraction": contraction, "section": section}


def need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{tool} is missing; CI must install it "
                        "(apt-get install -y texlive-latex-base texlive-pictures texlive-latex-recommended)")
        pytest.skip(f"{tool} is not installed")
    return path


@pytest.mark.parametrize("name", sorted(PRIMITIVES))
def test_golden(name, update_golden):
    data = to_tikz(PRIMITIVES[name]()).decode()
    golden = GOLDEN / f"{name}.tikz"
    if update_golden:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(data)
    assert golden.exists(), f"no golden file {golden}; create it with NCD_UPDATE_GOLDEN=1"
    assert data == golden.read_text(), f"{golden.name} changed; if intended, regenerate with NCD_UPDATE_GOLDEN=1 and look at it"


def test_golden_files_compile(tmp_path):
    need("pdflatex")
    for name in PRIMITIVES:
        shutil.copy(GOLDEN / f"{name}.tikz", tmp_path / f"{name}.tikz")
    body = "\n\n".join(f"\\input{{{name}.tikz}}" for name in sorted(PRIMITIVES))
    _compile(tmp_path, body)


def _compile(folder: Path, body: str) -> str:
    (folder / "doc.tex").write_text(f"\\documentclass{{article}}\n\\usepackage{{tikz}}\n\\begin{{document}}\n{body}\n\\end{{document}}\n")
    run = subprocess.run([need("pdflatex"), "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
                         cwd=folder, capture_output=True, text=True, timeout=300)
    log = (folder / "doc.log").read_text(errors="replace")
    assert run.returncode == 0, log[-3000:]
    return log


@pytest.mark.parametrize("text, role, expected", [
    ("x", "label.axis", "$x$"), ("k·h", "label.axis", r"$k{\cdot}h$"), ("seq", "label.axis", r"$\mathit{seq}$"),
    ("L_q", "label.box", r"$\mathbf{L}_{q}$"), ("W^{O}", "label.box", "$W^{O}$"), ("k^-1/2", "label.box", "$k^{-1/2}$"),
    ("GELU", "label.box", r"$\mathrm{GELU}$"), ("\\sigma", "label.box", r"$\sigma$"), ("Xkv", "label.name", r"$\mathit{Xkv}$"),
    ("50% of a_b & c", "label.title", r"50\% of a\textsubscript{b} \& c"), ("\\sigma mix", "label.title", r"\ensuremath{\sigma} mix"),
    ("ch", "label.legend", r"$\mathit{ch}$"), ("= m / h = 64", "label.legend", "$=m/h=64$"),  # TeX spaces the relations
    # a space alone in a script, or before one: '^{\}' and '\^{b}' (a text accent in math), and pdflatex stopped
    ("a^ b", "label.box", r"$a^{\ }b$"), ("a ^b", "label.box", r"$a\ ^{b}$"),
])
def test_tex_labels(text, role, expected):
    bold = text.startswith("L_")
    assert tex_label(label(text, 0, 0, role=role, bold=bold)) == expected


@pytest.mark.parametrize("text, expected", [
    ("\\sigma_\\alpha", r"$\mbox{\boldmath$\sigma$}_{\alpha}$"), ("Ŵ_é", r"$\mbox{\boldmath$\hat{\mathbf{W}}$}_{\acute{e}}$"),
    ("W + b2", r"$\mathbf{W}\ \mbox{\boldmath$+$}\ \mathbf{b}\mbox{\boldmath$2$}$"), ("L_Q", r"$\mathbf{L}_{Q}$"),
])
def test_a_bold_label_is_bold_past_ascii_letters(text, expected):
    """σ_α and Ŵ_é on learned boxes lost their bold in TikZ (a paper's author): \\mathbf sets ASCII letters only;
    Greek, accented letters, signs and digits are set in math's bold version."""
    assert tex_label(label(text, 0, 0, 10, "label.box", bold=True)) == expected


def test_bold_greek_and_accents_compile_in_bold_fonts(tmp_path):
    need("pdflatex")
    boxes = [label(t, 10, 20 + 20 * k, 10, "label.box", bold=True) for k, t in enumerate(("\\sigma_\\alpha", "Ŵ_é"))]
    (tmp_path / "fig.tikz").write_bytes(to_tikz(Scene(60, 70, boxes)))
    _compile(tmp_path, r"\input{fig.tikz}")
    fonts = subprocess.run([need("pdffonts"), "doc.pdf"], cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    assert "CMMIB10" in fonts and "CMBX10" in fonts and "CMMI10" not in fonts, fonts  # bold σ and Ŵ; no light one


def test_overlined_axis_labels_become_bars():
    scene = wires()
    tikz = to_tikz(scene).decode()
    assert r"{$\bar{x}$}" in tikz and "{$m$}" in tikz
    assert tikz.count(r"\bar") == 1 and "overline" not in tikz.split(r"\begin{tikzpicture}")[1], "the stroke is folded into the label"
    assert tex_label(label("xy", 0, 0), overline=True) == r"$\overline{\mathit{xy}}$"


def test_the_legend_of_sizes_names_axes_as_the_wires_do():
    """The page's legend was set as text: h = 32, upright, a width axis's bar lost; now as the wires' labels."""
    tikz = to_tikz(load(ROOT / "gallery" / "vit.ncd", layout="page").scene()).decode()
    legend = [line for line in tikz.splitlines() if line.startswith(r"\node[ncd legend label")]
    assert r"{$\bar{t}$}" in "".join(legend) and r"{$=m/h=64$}" in "".join(legend)
    assert not [line for line in legend if "$" not in line]


def test_styles_are_in_one_block_and_every_command_uses_them():
    tikz = to_tikz(learned_box()).decode()
    head, picture = tikz.split(r"\begin{tikzpicture}[ncd]")
    defined = set(re.findall(r"^  (ncd[^/]*)/\.style=", head, re.M))
    used = set(re.findall(r"\\(?:path|node)\[(ncd[^,\]]*)", picture))
    assert used and used <= defined, used - defined
    assert "#" not in picture and "draw=" not in picture and "fill=" not in picture, "no colour outside the block"
    assert r"\definecolor{ncd-box-fill}{HTML}{E8EEEB}" in head, "a colour without a theme key is named after its role"
    assert r"\tikzset{ncd overrides/.try}" in head


def test_colours_are_named_after_the_theme_keys_the_scene_carries():
    """paper's text, wires and box strokes share one hex; each keeps its own name, so each restyles apart."""
    head = render_bytes(load("gallery/mha.ncd").scene(), "tikz").decode().split(r"\begin{tikzpicture}")[0]
    colours = dict(re.findall(r"\\definecolor\{([^}]*)\}\{HTML\}\{([0-9A-F]{6})\}", head))
    assert colours["ncd-learned-fill"] == "E8EEEB" and colours["ncd-softmax-fill"] == colours["ncd-background"] == "FFFFFF"
    assert colours["ncd-text"] == colours["ncd-wire"] == colours["ncd-box-stroke"] == "1A1A1A"
    assert re.search(r"ncd wire/\.style=\{draw=ncd-wire,", head) and re.search(r"ncd box/\.style=\{draw=ncd-box-stroke,", head)


@pytest.mark.parametrize("theme", THEMES)
def test_gallery_tikz_is_byte_stable_and_complete(theme, gallery_file):
    figure = load(gallery_file, theme=theme)
    first = render_bytes(figure.scene(), "tikz")
    assert first == render_bytes(load(gallery_file, theme=theme).scene(), "tikz")
    text = first.decode()
    scene = figure.scene()
    texts = [i for i in scene.items if isinstance(i, Text)]
    assert text.count(r"\node[") + text.count(r"\path[ncd sign]") == len(texts)  # (a box's sign alone is drawn)
    assert text.count(r"\bar{") + text.count(r"\overline{") == len(scene.by_role("label.overline"))
    assert f"\\useasboundingbox (0,0) rectangle ({_n(scene.width)},{_n(scene.height)});" in text


def test_every_gallery_diagram_compiles_in_every_theme(tmp_path):
    need("pdflatex")
    inputs = []
    for theme in THEMES:
        for path in GALLERY:
            name = f"{path.stem}-{theme}.tikz"
            (tmp_path / name).write_bytes(render_bytes(load(path, theme=theme).scene(), "tikz"))
            inputs.append(f"\\input{{{name}}}\\par")
    log = _compile(tmp_path, "\n".join(inputs))
    assert "Undefined control sequence" not in log and "Missing $" not in log


def test_pdf_and_tikz_files_are_byte_stable(tmp_path):
    from click.testing import CliRunner

    from ncd_render.cli import main

    outputs = []
    for k in range(2):
        for suffix in ("pdf", "tikz"):
            out = tmp_path / f"{k}.{suffix}"
            result = CliRunner().invoke(main, ["render", str(ROOT / "gallery" / "mha.ncd"), "-o", str(out), "--width", "6.5in"])
            assert result.exit_code == 0, result.output
            outputs.append(out.read_bytes())
    assert outputs[0] == outputs[2] and outputs[1] == outputs[3]
    assert outputs[0].startswith(b"%PDF") and outputs[1].startswith(b"% Multi-head attention")


def test_an_upper_case_tikz_name_is_input_not_included_as_graphics():
    """`ncd latex -o fig.TIKZ` wrote TikZ (the format is told from the suffix in any case) but printed
    \\includegraphics{fig.TIKZ}, which pdflatex stops at: 'Unknown graphics extension: .TIKZ'."""
    from ncd_render.latex import snippet
    text = snippet("figs/fig.TIKZ", "A title", 200.0, "fig:a")
    assert r"\input{figs/fig.TIKZ}" in text and r"\usepackage{tikz}" in text and "includegraphics" not in text


def test_the_document_s_own_tikz_styles_do_not_reach_into_a_figure(tmp_path):
    """A paper's preamble restyling every node, path or picture: each label framed in red, the geometry halved under
    labels set at full size (a reviewer's paper). The figure keeps its size and draws no red."""
    need("pdftoppm")
    (tmp_path / "fig.tikz").write_bytes(render_bytes(load(ROOT / "gallery" / "mlp.ncd").scene(), "tikz"))
    measure = (r"\newsavebox\fig\sbox\fig{\input{fig.tikz}}\typeout{SIZE \the\wd\fig\space\the\ht\fig}"
               r"\noindent\usebox\fig")
    sizes = []
    for preamble in ("", r"\tikzset{every node/.style={draw=red, fill=red!20}, every path/.style={draw=red},"
                         r" every picture/.style={scale=0.5}}"):
        log = _compile(tmp_path, preamble + measure)
        sizes.append(re.search(r"SIZE (\S+) (\S+)", log).groups())
    assert sizes[0] == sizes[1], sizes
    subprocess.run([need("pdftoppm"), "-png", "-r", "72", "doc.pdf", "page"], cwd=tmp_path, check=True)
    from PIL import Image

    image = Image.open(next(tmp_path.glob("page*.png"))).convert("RGB")
    red = sum(n for n, (r, g, b) in image.getcolors(1 << 24) if r > 150 and g < 100 and b < 100)
    assert red == 0


def test_letters_tikz_cannot_set_are_named_in_a_warning(tmp_path):
    """A box labelled "注意 🚀" came out of TikZ as "?? ?" and nothing said so; Greek and accented letters set as TeX."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from cli_runs import ncd

    source = tmp_path / "cjk.ncd"
    source.write_text('axis m = 4\ninput X[m]\nY = linear(X: m -> m) as "注意 🚀"\nZ = linear(Y: m -> m) as "σé"\noutput Z\n', encoding="utf-8")
    result = ncd("render", source, "-o", tmp_path / "cjk.tikz")
    assert result.returncode == 0
    assert "warning: the TikZ output cannot set 注 意 🚀 (pdflatex's fonts lack them): they print as '?'" in result.stderr
    assert "σ" not in result.stderr.split("cannot set")[1] and (tmp_path / "cjk.tikz").exists()
    assert "warning" not in ncd("render", source, "-o", tmp_path / "cjk.svg").stderr


SIGNS = "axis m = 4\ninput A[m], B[m]\nC = A + B\nD = C * B\nE = D - A\nF = linear(E: m -> m) with bias\noutput F\n"


def _beside_pdf(folder: Path, scene: Scene, dpi: int = 576) -> list:
    """``scene`` as its PDF draws it and as its TikZ compiles on a page of the same size: two greyscale images."""
    from PIL import Image

    (folder / "fig.pdf").write_bytes(render_bytes(scene, "pdf"))
    (folder / "fig.tikz").write_bytes(render_bytes(scene, "tikz"))
    _compile(folder, rf"\pdfpagewidth={_n(scene.width)}bp \pdfpageheight={_n(scene.height)}bp \hoffset=-1in \voffset=-1in"
                     r" \oddsidemargin=0pt \topmargin=0pt \headheight=0pt \headsep=0pt \noindent\input{fig.tikz}")
    for name in ("fig", "doc"):
        subprocess.run([need("pdftoppm"), "-r", str(dpi), "-gray", "-singlefile", f"{name}.pdf", name], cwd=folder, check=True)
    return [Image.open(folder / f"{name}.pgm") for name in ("fig", "doc")]


def _ink_box(folder: Path, scene: Scene, margin: float = 20.0, dpi: int = 576) -> tuple:
    """Where the compiled TikZ of ``scene`` has ink, in bp from the picture's top left corner (set ``margin`` in)."""
    from PIL import Image

    (folder / "fig.tikz").write_bytes(render_bytes(scene, "tikz"))
    m = _n(margin)
    _compile(folder, rf"\pdfpagewidth={_n(scene.width + 2 * margin)}bp \pdfpageheight={_n(scene.height + 2 * margin)}bp"
                     rf" \hoffset=-1in \voffset=-1in \oddsidemargin={m}bp \topmargin={m}bp \headheight=0pt \headsep=0pt"
                     r" \noindent\input{fig.tikz}")
    subprocess.run([need("pdftoppm"), "-r", str(dpi), "-gray", "-singlefile", "doc.pdf", "doc"], cwd=folder, check=True)
    box = Image.open(folder / "doc.pgm").point(lambda v: 255 if v < 128 else 0).getbbox()
    return tuple(v * 72 / dpi - margin for v in box)


def _ink(image, box: tuple, dpi: int = 576) -> int:
    """How much ink ``image`` has inside ``box`` (bp)."""
    return sum((255 - v) * n for v, n in enumerate(image.crop(tuple(round(v * dpi / 72) for v in box)).histogram()))


def _apart(image, other, box: tuple, dpi: int = 576) -> float:
    """How much two images differ inside ``box`` (bp), as a share of the second's ink there."""
    from PIL import ImageChops

    crops = [i.crop(tuple(round(v * dpi / 72) for v in box)) for i in (image, other)]
    return sum(v * n for v, n in enumerate(ImageChops.difference(*crops).histogram())) / _ink(other, box, dpi)


@pytest.mark.parametrize("theme", ["paper", "serif"])
def test_a_box_s_sign_is_as_large_heavy_and_placed_as_the_pdf_s(tmp_path, theme):
    """Set in the document's font, a sum's + and a product's × were thin, and a bias's + larger, thin and on its
    box's bottom edge (a paper's author): each sign has the PDF's ink, in the PDF's place."""
    need("pdflatex")
    scene = load_text(SIGNS, theme=theme).scene()
    signs = [t for t in scene.items if isinstance(t, Text) and t.role == "label.box" and "".join(r.text for r in t.runs) in "+×−"]
    assert len(signs) == 4
    pdf, tikz = _beside_pdf(tmp_path, scene)
    off = []
    for sign in signs:
        run = sign.runs[0]
        x, y = sign.x + run.dx, sign.y + run.dy
        box = (x, y - 0.75 * run.size, x + 0.85 * run.size, y + 0.05 * run.size)  # the glyph's ink, and no more
        if _apart(tikz, pdf, box) > 0.25:  # (0.03 to 0.12 apart now; 0.45 to 0.94 in TeX's fonts)
            off.append((run.text, run.size, round(_apart(tikz, pdf, box), 2)))
    assert not off, off


def test_a_label_is_set_no_wider_than_the_room_to_the_picture_s_edge(tmp_path):
    """The picture's bounding box is fixed, so TeX never saw a name in Computer Modern, wider than DejaVu's, run 3bp
    past it into the margin (X_in; UNet's input, 1.4bp: a paper's author). Every label now stays inside it."""
    need("pdflatex")
    left, right = label("X_in", 0, 14, role="label.name", anchor="end"), label("Y_out", 0, 14, role="label.name")
    left, right = replace(left, x=14.0 - left.width), replace(right, x=69.5 - right.width)  # DejaVu's fit, TeX's are wider
    scene = Scene(70, 20, [Line(16, 10, 54, 10, Stroke(INK, 0.9)), left, right])
    x0, _, x1, _ = _ink_box(tmp_path, scene)
    assert x0 > -0.1 and x1 < scene.width + 0.1, (x0, x1)
