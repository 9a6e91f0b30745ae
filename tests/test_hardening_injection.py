"""Nothing a user writes reaches TeX, HTML or SVG unescaped or unchecked.

Colours must be #RRGGBB before they go into \\definecolor; TeX specials and
letters outside ASCII are escaped or mapped, so TikZ output is pure ASCII and
compiles (real pdflatex, through the conftest fixture); control characters are
rejected; gallery file names are encoded in index.html.
"""
from __future__ import annotations

import html.parser
import subprocess
import sys
from pathlib import Path

import pytest

import ncd_render
from ncd_render.errors import NcdError
from ncd_render.gallery import build_gallery
from ncd_render.render.svg import to_svg
from ncd_render.render.tikz import to_tikz
from ncd_render.scene import Line, Scene, Stroke, Text
from ncd_render.text import set_label

sys.path.insert(0, str(Path(__file__).parent))
from cli_runs import cli, ncd  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TINY = "axis m = 4\ninput X[m]\nY = relu(X)\noutput Y\n"
EVIL_COLOR = "#000000}\\input{/etc/hostname}\\definecolor{x}{HTML}{000000"


def compile_tex(program: str, folder: Path, body: str) -> str:
    """Compile a small article in ``folder`` with real pdflatex; returns its log."""
    (folder / "paper.tex").write_text("\\documentclass{article}\n\\usepackage{graphicx}\n\\usepackage{tikz}\n"
                                      f"\\begin{{document}}\n{body}\n\\end{{document}}\n")
    run = subprocess.run([program, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "paper.tex"],
                         cwd=folder, capture_output=True, text=True, timeout=180)
    log = (folder / "paper.log").read_text(errors="replace")
    assert run.returncode == 0, log[-3000:]
    return log


def theme_with(tmp_path: Path, key: str, value: str) -> Path:
    text = (ROOT / "themes" / "paper.toml").read_text()
    start = text.index("[colors]")
    line = text.index(f"\n{key} =", start) + 1
    end = text.index("\n", line)
    path = tmp_path / "evil.toml"
    path.write_text(text[:line] + f'{key} = "{value}"'.replace("\\", "\\\\") + text[end:])
    return path


@pytest.mark.parametrize("suffix", ["tikz", "svg"])
def test_a_crafted_theme_colour_never_reaches_the_output(tmp_path, suffix):
    theme = theme_with(tmp_path, "wire", EVIL_COLOR)
    (tmp_path / "t.ncd").write_text(TINY)
    result = ncd("render", "t.ncd", "-o", f"out.{suffix}", "--theme", theme, cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"error: theme '{theme}' [colors]: colour 'wire' is" in result.stderr and "not #RRGGBB" in result.stderr
    assert not (tmp_path / f"out.{suffix}").exists()
    with pytest.raises(NcdError, match="not #RRGGBB"):
        ncd_render.load_text(TINY, theme=str(theme)).render(tmp_path / f"api.{suffix}")


def test_a_scene_built_in_python_cannot_smuggle_a_colour_into_tex():
    scene = Scene(20, 10, [Line(0, 5, 20, 5, Stroke(EVIL_COLOR))])
    with pytest.raises(NcdError, match="not #RRGGBB"):
        to_tikz(scene)


@pytest.mark.parametrize("title", ["Evil\r\\input{/etc/hostname}", "Bell\x07", "Line\u2028break", "Lone \ud800"])
def test_a_title_with_a_control_character_is_refused_by_every_renderer(title):
    scene = Scene(20, 10, [Line(0, 5, 20, 5, Stroke())], title=title)
    for render in (to_tikz, to_svg):
        with pytest.raises(NcdError, match="the title holds the control character U\\+"):
            render(scene)


def test_a_label_with_a_control_character_is_refused():
    label = set_label("x\x00y", "DejaVu Sans", 9)
    scene = Scene(20, 10, [Text(0, 5, label.runs, "DejaVu Sans", "#000000", label.width, label.ascent, label.descent)])
    for render in (to_tikz, to_svg):
        with pytest.raises(NcdError, match="U\\+0000 \\(NUL\\)"):
            render(scene)


SPECIAL = ('title "Réseau: 50% & $x$ {é} ~ ^ \\\\ # ß Ø ç ı 中"\n'
           "axis é = 4\naxis naïve = 2\ninput X[é naïve]\n"
           'section "Ünïcode & 100% {TeX}"\n  Y = linear(X: é -> é) as "ü~^\\\\#%&{}_ñ"\nend\noutput Y\n')


def test_non_ascii_names_and_tex_specials_compile_and_the_tikz_is_ascii(tmp_path, pdflatex_program):
    fig = ncd_render.load_text(SPECIAL, "special.ncd")
    fig.render(tmp_path / "fig.tikz")
    from ncd_render.latex import snippet

    compile_tex(pdflatex_program, tmp_path, snippet("fig.tikz", fig.diagram.title, fig.scene().width, "fig:x"))
    tikz = (tmp_path / "fig.tikz").read_bytes()
    assert tikz.isascii()
    assert r"$\acute{e}$" in tikz.decode() and r"$\mathit{na}\ddot{\imath}\mathit{ve}$" in tikz.decode()
    head = tikz.decode().splitlines()[0]
    assert head.startswith("% Reseau: 50% & $x$ {e} ~ ^ \\\\ # ? ? c ? ?: a neural circuit diagram")


def test_the_latex_command_takes_no_file_name_or_label_tex_cannot_read(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.ncd").write_text(TINY)
    for args in (["-o", "a}b.pdf"], ["-o", "my fig.pdf"], ["--label", "fig:}\\input{x}"]):
        result = cli("latex", "t.ncd", *args)
        assert result.exit_code == 2 and "cannot go into LaTeX as it is" in result.stderr, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.ncd"]
    (tmp_path / "my model.ncd").write_text(TINY)
    result = cli("latex", "my model.ncd", "-o", "fig.tikz")
    assert result.exit_code == 0 and r"\label{fig:my-model}" in result.stdout


class _Tags(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_a_gallery_file_name_cannot_inject_html(tmp_path):
    evil = '"><img src=x onerror=alert(1)>'
    (tmp_path / f"{evil}.ncd").write_text('title "<b>bold</b> & co"\n' + TINY)
    build_gallery(tmp_path, formats=("svg",))
    page = (tmp_path / "index.html").read_text()
    parser = _Tags()
    parser.feed(page)
    images = [attrs for tag, attrs in parser.tags if tag == "img"]
    assert len(images) == 1 and set(images[0]) == {"class", "src", "style", "alt"}  # the figure as it prints on a page
    assert images[0]["src"] == "%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E.page.svg"
    assert [t for t, _ in parser.tags if t not in ("html", "head", "meta", "title", "style", "body", "h1", "section", "h2", "img", "p", "a")] == []
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; co" in page and (tmp_path / f"{evil}.svg").exists()


def test_a_failing_gallery_diagram_leaves_every_file_as_it_was(tmp_path):
    (tmp_path / "a.ncd").write_text(TINY)
    (tmp_path / "a.svg").write_bytes(b"old")
    (tmp_path / "b.ncd").write_text(TINY.replace("relu(X)", "relu(Z)"))
    with pytest.raises(NcdError, match="unknown tensor 'Z'"):
        build_gallery(tmp_path, formats=("svg",))
    assert (tmp_path / "a.svg").read_bytes() == b"old" and not (tmp_path / "index.html").exists()


def test_a_file_name_s_escape_sequences_never_reach_the_terminal(tmp_path):
    """A file named with ESC ] 0 ; ... BEL (a terminal's title) and ESC [ 2 J (clear the screen): its errors printed
    the name raw, in the header of every message; it is written with escapes instead."""
    name = tmp_path / "x\x1b]0;PWNED\x07\x1b[2J.ncd"
    name.write_text("axis m = \n")
    run = subprocess.run([sys.executable, "-m", "ncd_render", "validate", str(name)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "\x1b" not in run.stderr + run.stdout and "\x07" not in run.stderr
    assert "x\\x1b]0;PWNED\\x07\\x1b[2J.ncd:1:10: error:" in run.stderr


def test_a_gallery_names_a_file_with_a_right_to_left_override_as_an_escape(tmp_path):
    (tmp_path / "a\u202egpj.ncd").write_text('title "T"\naxis m = 4\ninput X[m]\nY = relu(X)\noutput Y\n')
    build_gallery(tmp_path, formats=("svg",))
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "\u202e" not in page.split("<body")[1] and "a\\u202egpj.ncd" in page
