"""docs/latex.md, run: its sample snippet is what `ncd latex` prints, its subfigure recipe and its `\\input` line
compile in a stock article with nothing overfull, and `ncd latex --help` names every format it writes.

The compiling tests are skipped when pdflatex is missing, unless CI is set: then they fail.
"""
from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from ncd_render.cli import main
from ncd_render.latex import FIGURE_FORMATS

sys.path.insert(0, str(Path(__file__).parent))
from test_latex_compile import GALLERY, ROOT, ncd_latex  # noqa: E402

DOCS = (ROOT / "docs" / "latex.md").read_text()


def blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, re.S)


def section(title: str) -> str:
    return DOCS.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def stock_article(pdflatex_program: str, folder: Path, body: str, packages: str = "graphicx") -> str:
    """Compile ``body`` in a stock ``\\documentclass{article}`` (345 pt text); returns the log."""
    (folder / "doc.tex").write_text(f"\\documentclass{{article}}\n\\usepackage{{{packages}}}\n\\begin{{document}}\n"
                                    f"{body}\n\\end{{document}}\n")
    run = subprocess.run([pdflatex_program, "-interaction=nonstopmode", "-halt-on-error", "doc.tex"], cwd=folder,
                         capture_output=True, text=True, timeout=300)
    log = (folder / "doc.log").read_text(errors="replace")
    assert run.returncode == 0, log[-3000:]
    return log


def test_the_sample_snippet_is_what_ncd_latex_prints(tmp_path):
    """It said MHA was '3.25in wide and 4.85in tall' and kept its labels' size: it was 4.69in, scaled to 88%. (MHA fits
    a column at full size since its long section title may take two lines; the sample is ViT's, which shrinks.)"""
    shutil.copy(GALLERY / "vit.ncd", tmp_path / "model.ncd")
    snippet, err = ncd_latex(tmp_path, tmp_path / "model.ncd", "model.pdf", "--layout", "column")
    sample = blocks(DOCS, "latex")[0]
    assert sample == snippet  # (it showed comments, '% the diagram's title', that ncd latex never prints)
    said = DOCS.split(sample)[0].rsplit("```", 1)[0].rsplit("\n\n", 1)[1]
    for number in re.findall(r"\d+\.\d+in|\d+%|\d+\.\d pt", said):
        assert number in err, (number, err)


def test_the_subfigure_recipe_compiles_with_nothing_overfull(pdflatex_program, tmp_path):
    text = section("Subfigures")
    commands, figure = blocks(text, "sh")[0].splitlines(), blocks(text, "latex")[0]
    for command in commands:
        words = shlex.split(command)
        assert words[:2] == ["ncd", "latex"]
        _, err = ncd_latex(tmp_path, ROOT / words[2], Path(words[2]).stem + ".pdf", *words[3:])  # (its default -o)
        assert "warning" not in err, err
    log = stock_article(pdflatex_program, tmp_path, figure, "graphicx,subcaption")
    assert "Overfull \\hbox" not in log and "Float too large" not in log, log[-3000:]


def test_an_input_as_documented_does_not_overflow_at_a_paragraphs_start(pdflatex_program, tmp_path):
    """`\\input{fig.tikz}` at a paragraph's start was indented by \\parindent: 'Overfull \\hbox (14.99pt too wide)'."""
    line = re.search(r"`(\\noindent\\input\{fig\.tikz\})`", section("TikZ output")).group(1)
    ncd_latex(tmp_path, GALLERY / "mha.ncd", "fig.tikz", "--layout", "page", "--width", "345pt")
    log = stock_article(pdflatex_program, tmp_path, f"Text.\n\n{line}\n\nText.", "tikz")
    assert "Overfull \\hbox" not in log, log[-3000:]
    log = stock_article(pdflatex_program, tmp_path, "Text.\n\n\\input{fig.tikz}\n\nText.", "tikz")
    assert "Overfull \\hbox (14.99" in log  # (what the docs say happens without it)


def test_help_names_every_format_ncd_latex_writes(tmp_path):
    """`ncd latex --help` named .pdf and .tikz for -o; .png works too, and the docs say so."""
    shown = " ".join(CliRunner().invoke(main, ["latex", "--help"]).output.split())
    assert all(f".{fmt}" in shown for fmt in FIGURE_FORMATS), shown
    refused = CliRunner().invoke(main, ["latex", str(GALLERY / "mlp.ncd"), "-o", str(tmp_path / "fig.svg")])
    assert refused.exit_code == 2 and all(f".{fmt}" in refused.output for fmt in FIGURE_FORMATS), refused.output


def test_the_packages_the_docs_install_are_those_ci_installs():
    """The docs' apt-get line lacked poppler-utils, which .ci/run installs: without pdffonts and pdftotext the
    typography and LaTeX read-back tests skip, unseen."""
    ci = (ROOT / ".ci" / "run").read_text()
    installed = set(re.search(r"apt-get install (.*?)(?:>|$)", ci.replace("\\\n", " "), re.S).group(1).split())
    documented = set(re.search(r"apt-get install (.*)", section("What the tests need")).group(1).split())
    assert {p for p in installed if not p.startswith("-")} == {p for p in documented if not p.startswith("-")}
