"""Outputs within their limits: PNG pixels and resolution, PDF and TikZ sizes, stdout, the figure's repr.

A figure that cannot be made is refused before drawing with one paragraph
naming the output, exit status 2, and no file written (docs/limits.md).
"""
from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

import ncd_render
from ncd_render.errors import NcdError
from ncd_render.render import render_bytes

sys.path.insert(0, str(Path(__file__).parent))
from cli_runs import cli, ncd, refused  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MHA = ROOT / "gallery" / "mha.ncd"
TINY = "axis m = 4\ninput X[m]\nY = relu(X)\noutput Y\n"


@pytest.mark.parametrize("args, message", [
    (["--width", "2000in"], "a PNG 2000.00in wide at 300 dpi would be 600,000 pixels wide; the limit is 32,767 pixels a side"),
    (["--dpi", "1e5"], re.compile(r"at 100000 dpi would be [\d,]+ x [\d,]+ pixels")),
    (["--dpi", "inf"], "the resolution must be a number from 10 to 100,000 dpi, not inf"),
    (["--dpi", "nan"], "the resolution must be a number from 10 to 100,000 dpi, not nan"),
    (["--dpi", "1e308"], "the resolution must be a number from 10 to 100,000 dpi, not 1e+308"),  # (overflowed the pixel count)
    (["--dpi", "1e308", "--width", "1in"], "the resolution must be a number from 10 to 100,000 dpi, not 1e+308"),
])
def test_a_png_cairo_cannot_make_is_refused_and_the_old_file_kept(tmp_path, args, message):
    out = tmp_path / "fig.png"
    out.write_bytes(b"good")
    refused(cli("render", MHA, "-o", out, *args), message)
    assert out.read_bytes() == b"good" and sorted(p.name for p in tmp_path.iterdir()) == ["fig.png"]


@pytest.mark.parametrize("args, message", [
    (["--width", "1in", "--dpi", "6000"], "cairo could not draw a PNG 72pt x"),  # (FreeType fails on the labels)
])
def test_a_png_within_the_limits_that_cairo_fails_to_draw_is_an_error(tmp_path, args, message):
    """Within the limits, beyond what cairo draws: a traceback (CairoError, ValueError), now an error, the old file kept.
    In a process of its own: after FreeType's failure, cairo's font cache in that process can fail later PNGs too."""
    out = tmp_path / "fig.png"
    out.write_bytes(b"good")
    refused(ncd("render", MHA, "-o", out, *args), message)
    assert out.read_bytes() == b"good" and sorted(p.name for p in tmp_path.iterdir()) == ["fig.png"]


def test_the_png_width_is_checked_before_the_source_is_read(tmp_path):
    refused(cli("render", tmp_path / "missing.ncd", "-o", tmp_path / "fig.png", "--width", "2000in"), "600,000 pixels wide")


def test_a_ten_thousand_statement_diagram_is_refused_as_png_before_drawing(tmp_path):
    lines = ["axis m = 4", "input X0[m]"] + [f"X{k + 1} = relu(X{k})" for k in range(10_000)] + ["output X10000"]
    scene = ncd_render.load_text("\n".join(lines) + "\n", "long.ncd").scene()
    with pytest.raises(NcdError, match=r"fig.png: a PNG [\d.]+in x [\d.]+in at 300 dpi would be [\d,]+ x [\d,]+ pixels"):
        render_bytes(scene, "png", tmp_path / "fig.png")
    with pytest.raises(NcdError, match="the resolution must be a number from 10 to 100,000 dpi, not nan"):
        ncd_render.load_text(TINY).render(tmp_path / "fig.png", dpi=float("nan"))
    assert not (tmp_path / "fig.png").exists()


def test_pdf_and_tikz_larger_than_their_formats_allow_are_refused(tmp_path):
    # cairo wrote an empty 859-byte page for a PDF over 2^23 pt; TeX stops at 16,383pt
    refused(cli("render", MHA, "-o", tmp_path / "fig.pdf", "--width", "200000in"), "fig.pdf: the figure is 200,000.0in",
            "PDF output can be at most 116,508.4in")
    refused(cli("render", MHA, "-o", tmp_path / "fig.tikz", "--width", "300in"), "TikZ output can be at most 226.7in")
    assert list(tmp_path.iterdir()) == []
    refused(cli("render", MHA, "-o", tmp_path / "fig.svg", "--width", "9" * 400 + "in"), "is too large")


def test_png_files_carry_their_resolution():
    fig = ncd_render.load(MHA)
    for dpi in (72, 300, 600):
        png = fig.scene()
        image = Image.open(io.BytesIO(render_bytes(png, "png", dpi=dpi)))
        assert image.info["dpi"] == pytest.approx((dpi, dpi), abs=0.01)
        assert image.size[0] == round(png.width * dpi / 72)
        image.load()  # the chunk's CRC is right: Pillow reads the file to the end


def test_latex_includes_a_png_at_the_size_it_advises(tmp_path, pdflatex_program):
    # the snippet says "include it unscaled"; without a pHYs chunk pdflatex took 72 dpi and set it 4.2x too large
    result = ncd("latex", MHA, "-o", "fig.png", "--layout", "column", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "include it unscaled" in result.stdout
    (tmp_path / "paper.tex").write_text("\\documentclass{article}\n\\usepackage{graphicx}\n\\begin{document}\n"
                                        "\\sbox0{\\includegraphics{fig.png}}\\typeout{WIDTH=\\the\\wd0}\n\\end{document}\n")
    run = subprocess.run([pdflatex_program, "-interaction=nonstopmode", "-halt-on-error", "paper.tex"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stdout[-2000:]
    width_pt = float(run.stdout.split("WIDTH=")[1].split("pt")[0])
    assert width_pt * 72 / 72.27 == pytest.approx(3.25 * 72, abs=0.5)


@pytest.mark.parametrize("command", [["validate", MHA], ["compile", MHA], ["cost", MHA], ["latex", MHA, "-o", "fig.pdf"],
                                     ["--version"], ["--help"], ["render", "--help"]])
def test_stdout_on_a_full_disk_is_an_error_not_a_traceback(tmp_path, command):
    (tmp_path / "g").mkdir()
    (tmp_path / "g" / "a.ncd").write_text(TINY)
    with open("/dev/full", "w") as full:
        result = ncd(*command, cwd=tmp_path, stdout=full)
    assert result.returncode == 2, result.stderr
    assert result.stderr.rstrip().endswith("error: cannot write to standard output: No space left on device\n"
                                           "hint: redirect it to a file on a disk with room, or use -o where the command has it")
    assert "Traceback" not in result.stderr and "Exception ignored" not in result.stderr
    assert not (tmp_path / "fig.pdf").exists()  # ncd latex wrote its figure, then failed on the snippet: half a result


@pytest.mark.parametrize("command, written", [(["gallery", "build", "g"], "g/a.svg"), (["html", MHA, "-o", "m.html"], "m.html"),
                                              (["compile", MHA, "-o", "m.py"], "m.py")])
def test_a_command_whose_result_is_a_file_says_so_on_stderr(tmp_path, command, written):
    """With stdout full, `ncd html`, `compile -o` and `gallery build` wrote their files, then failed on 'wrote ...' and
    exited 2: a success reported as a failure. That line is a note, on stderr, as `ncd latex`'s is."""
    (tmp_path / "g").mkdir()
    (tmp_path / "g" / "a.ncd").write_text(TINY)
    with open("/dev/full", "w") as full:
        result = ncd(*command, cwd=tmp_path, stdout=full)
    assert result.returncode == 0 and result.stderr.startswith("wrote "), result.stderr
    assert (tmp_path / written).stat().st_size > 0


def test_the_repr_of_a_figure_is_one_short_line():
    body = "".join(f"X{k + 1} = relu(X{k})\n" for k in range(500))
    fig = ncd_render.load_text('title "Long chain"\naxis m = 4\ninput X0[m]\n' + body + "output X500\n", "chain.ncd")
    assert repr(fig) == "<Figure 'Long chain' from 'chain.ncd': 1 axes, 500 boxes; theme 'paper', layout 'paper'>"
    assert repr(ncd_render.load_text(TINY, "x" * 500)).count("x") < 70


def test_a_pdf_too_small_to_size_and_a_folder_that_refuses_new_files_are_errors(tmp_path):
    """Tracebacks a tester found: a PDF scaled to a hundredth of a point (cairo: 'The SVG size is undefined'), and
    an output folder the access check passes but that takes no new file (/proc: mkstemp outside the try)."""
    with pytest.raises(NcdError, match="too small for PDF output to draw"):  # (the command line refuses such a width first)
        ncd_render.load(MHA).render(tmp_path / "tiny.pdf", width=0.01)
    assert list(tmp_path.iterdir()) == []
    if Path("/proc").is_dir():
        refused(cli("render", MHA, "-o", "/proc/ncd-test.svg"), "cannot write '/proc/ncd-test.svg'")


@pytest.mark.parametrize("command", [["compile", "{src}", "-o", "{src}"], ["html", "{src}", "-o", "{src}"],
                                     ["import", "{model}:make", "-o", "{ncd}"], ["render", "{svg}", "-o", "{svg}"],
                                     ["latex", "{tikz}", "-o", "{tikz}"], ["cost", "{svg}", "--plot", "{svg}"],
                                     ["cost", "{src}", "--hw", "{hw}", "--plot", "{hw}"],
                                     ["render", "{src}", "--theme", "{theme}", "-o", "{theme}"],
                                     ["latex", "{src}", "--layout", "{layout}", "-o", "{layout}"],
                                     ["html", "{src}", "--hw", "{hwpage}", "-o", "{hwpage}"],
                                     ["gallery", "build", "{folder}", "--theme", "{gtheme}"],
                                     ["gallery", "build", "{folder}", "--layout", "{glayout}"]])
def test_no_command_writes_over_the_file_it_reads(tmp_path, command):
    """`ncd compile m.ncd -o m.ncd` and `ncd html` replaced the diagram with Python or HTML, and `ncd import
    m.check.py:make -o m.ncd` its module with the pairing; --apply alone refused. A diagram named m.svg or m.tikz was
    replaced by `render` and `latex`, and by a chart from `cost --plot`, as was a hardware profile named as the chart, or
    as `ncd html`'s page, and a theme or layout named as the figure (by `gallery build` too). Each refuses now, writing
    nothing."""
    src, model = tmp_path / "m.ncd", tmp_path / "m.check.py"
    src.write_text(TINY)
    (tmp_path / "m.svg").write_text(TINY)
    (tmp_path / "m.tikz").write_text(TINY)
    (tmp_path / "gpu.svg").write_text((ROOT / "ncd_render" / "cost" / "profiles" / "a100-80gb.toml").read_text())
    (tmp_path / "gpu.html").write_text((ROOT / "ncd_render" / "cost" / "profiles" / "a100-80gb.toml").read_text())
    (tmp_path / "th.svg").write_text((ROOT / "themes" / "paper.toml").read_text())  # (read again after the write, the
    (tmp_path / "lay.pdf").write_text((ROOT / "layouts" / "column.toml").read_text())  # theme had become the figure)
    (tmp_path / "m.page.svg").write_text((ROOT / "themes" / "paper.toml").read_text())  # what a gallery draws m.ncd's
    (tmp_path / "m.page.pdf").write_text((ROOT / "layouts" / "column.toml").read_text())  # page figure to
    model.write_text("import torch\n\ndef make():\n    return torch.nn.ReLU(), (torch.randn(2, 3),)\n")
    args = [a.format(src=src, model=model, ncd=src, svg=tmp_path / "m.svg", tikz=tmp_path / "m.tikz", hw=tmp_path / "gpu.svg",
                     hwpage=tmp_path / "gpu.html", theme=tmp_path / "th.svg", layout=tmp_path / "lay.pdf", folder=tmp_path,
                     gtheme=tmp_path / "m.page.svg", glayout=tmp_path / "m.page.pdf") for a in command]
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    refused(cli(*args), "it is the file this reads, which it would replace")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_import_writes_where_it_was_asked_though_the_module_changes_folder(tmp_path, monkeypatch):
    """A module whose FUNC changes the working folder (to its own) made `ncd import sub/x.check.py:make -o x.ncd` write
    x.ncd and its pairing, x.check.py, in that folder: over the module itself."""
    pytest.importorskip("torch")
    (tmp_path / "sub").mkdir()
    module = tmp_path / "sub" / "x.check.py"
    module.write_text("import os, torch\n\ndef make():\n    os.chdir(os.path.dirname(os.path.abspath(__file__)))\n"
                      "    return torch.nn.Linear(4, 4), (torch.randn(2, 4),)\n")
    source = module.read_bytes()
    monkeypatch.chdir(tmp_path)
    result = ncd("import", "sub/x.check.py:make", "-o", "x.ncd", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert module.read_bytes() == source and (tmp_path / "x.ncd").exists() and (tmp_path / "x.check.py").exists()
    assert ncd("check", "x.ncd", cwd=tmp_path).returncode == 0


def test_a_file_name_that_is_not_utf8_is_written_into_source_and_pages(tmp_path):
    """A diagram named with a byte that is not UTF-8 (bad\\xff.ncd, as a Latin-1 system names files): `ncd compile`
    and `ncd gallery build` wrote the name into a docstring and an index page, and ended in a UnicodeEncodeError
    traceback. The source says U+FFFD there, and the page links to the file by its bytes."""
    import os

    folder = tmp_path / "g"
    folder.mkdir()
    name = os.fsdecode(b"bad\xff")
    (folder / f"{name}.ncd").write_text(TINY)
    result = ncd("compile", folder / f"{name}.ncd", "-o", tmp_path / "m.py")
    assert result.returncode == 0, result.stderr
    namespace = {}
    exec(compile((tmp_path / "m.py").read_text(encoding="utf-8"), "m.py", "exec"), namespace)
    assert "bad\ufffd.ncd" in namespace["__doc__"]
    result = ncd("gallery", "build", folder)
    assert result.returncode == 0, result.stderr
    assert 'href="bad%FF.svg"' in (folder / "index.html").read_text(encoding="utf-8")


def test_a_chart_and_a_fused_copy_never_share_a_file(tmp_path):
    """`ncd cost m.ncd --apply x.svg --plot x.svg` said 'wrote x.svg' twice: the chart replaced the fused copy."""
    refused(cli("cost", MHA, "--apply", tmp_path / "x.svg", "--plot", tmp_path / "x.svg"), "--apply and --plot both name")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", [["render", "{src}", "-o", "{out}"], ["latex", "{src}", "-o", "{out}"],
                                     ["compile", "{src}", "-o", "{out}"], ["html", "{src}", "-o", "{out}"]])
def test_an_output_named_as_a_folder_is_refused(tmp_path, command):
    """`-o x.svg/` wrote a file named x.svg: the slash, which names a folder, was dropped (a tester's)."""
    src = tmp_path / "m.ncd"
    src.write_text(TINY)
    out = {"render": "x.svg/", "latex": "x.pdf/", "compile": "x.py/", "html": "x.html/"}[command[0]]
    refused(cli(*[a.format(src=src, out=f"{tmp_path}/{out}") for a in command]), "a name ending in '/' names a folder")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.ncd"]


def test_import_checks_both_files_it_writes_before_writing_either(tmp_path):
    """With the pairing's path a folder, ncd import wrote the diagram, then failed on the pairing: half a result."""
    model = tmp_path / "model.py"
    model.write_text("import torch\n\ndef make():\n    return torch.nn.ReLU(), (torch.randn(2, 3),)\n")
    (tmp_path / "out" / "m.check.py").mkdir(parents=True)
    refused(cli("import", f"{model}:make", "-o", tmp_path / "out" / "m.ncd"), "it is a folder")
    assert not (tmp_path / "out" / "m.ncd").exists()


@pytest.mark.parametrize("command", [["compile", "{src}", "-o", "{out}"], ["html", "{src}", "-o", "{out}"],
                                     ["cost", "{src}", "--suggest", "--apply", "{out}"], ["render", "{src}", "-o", "{out}"]])
def test_a_pipe_or_device_given_as_the_output_is_refused_not_replaced(tmp_path, command):
    """`ncd compile -o /dev/null`, `html -o` and `cost --apply`, run as root, put a file where /dev/null was and
    said 'wrote' (a tester's machine lost /dev/null and /dev/full): a pipe (as a device) is refused, and stays."""
    import os
    import stat

    src = tmp_path / "m.ncd"
    src.write_text(TINY)
    out = tmp_path / ("fig.svg" if command[0] == "render" else "out")
    os.mkfifo(out)
    refused(cli(*[a.format(src=src, out=out) for a in command]), "it is not a file but a device, pipe or socket")
    assert stat.S_ISFIFO(out.stat().st_mode)


def test_a_read_only_output_is_refused_not_replaced(tmp_path):
    """A read-only file was replaced by a writable one: a rename needs only the folder's permission."""
    src, out = tmp_path / "m.ncd", tmp_path / "m.py"
    src.write_text(TINY)
    out.write_text("# mine\n")
    out.chmod(0o444)
    refused(cli("compile", src, "-o", out), "it is read-only")
    assert out.read_text() == "# mine\n" and oct(out.stat().st_mode & 0o777) == "0o444"


def test_a_file_written_again_keeps_its_mode(tmp_path):
    src, out = tmp_path / "m.ncd", tmp_path / "m.py"
    src.write_text(TINY)
    out.write_text("# old\n")
    out.chmod(0o600)
    assert cli("compile", src, "-o", out).returncode == 0
    assert out.read_text() != "# old\n" and oct(out.stat().st_mode & 0o777) == "0o600"


def test_a_pdf_is_the_same_bytes_in_every_time_zone(tmp_path):
    """cairo dated the PDF in local time: D:20000101000000+05'30 in India, Z in London, the same input."""
    import os

    made = []
    for zone in ("UTC", "Asia/Kolkata", "America/New_York"):
        out = tmp_path / f"{zone.replace('/', '_')}.pdf"
        run = subprocess.run([sys.executable, "-m", "ncd_render", "render", str(MHA), "-o", str(out)],
                             env={**os.environ, "TZ": zone}, capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
        made.append(out.read_bytes())
    assert made[0] == made[1] == made[2]
    assert b"/CreationDate (D:20000101000000Z)" in made[0]


@pytest.mark.parametrize("args, status", [(["validate", MHA], 2), (["compile", MHA], 2), (["render", MHA, "-o", "{tmp}/f.svg"], 0)])
def test_a_closed_stdout_is_an_error_where_a_command_writes_to_it(tmp_path, args, status):
    """`ncd validate m.ncd >&-` raised AttributeError ('NoneType' has no 'flush') with status 1; a command that
    writes its result to a file has nothing to say on stdout, and succeeds."""
    import os

    run = subprocess.run([sys.executable, "-m", "ncd_render", *[str(a).format(tmp=tmp_path) for a in args]],
                         stderr=subprocess.PIPE, text=True, timeout=120, preexec_fn=lambda: os.close(1))
    assert run.returncode == status, run.stderr
    assert "Traceback" not in run.stderr
    assert status == 0 or "cannot write to standard output: it is closed" in run.stderr


@pytest.mark.parametrize("closed", [True, False])
def test_an_error_keeps_its_status_when_stderr_cannot_take_its_message(tmp_path, closed):
    """With stderr closed (2>&-) or full (2>/dev/full), an error exited 1, from a traceback nobody saw; a note that
    could not be written failed a command whose work was done."""
    import os

    def stderr_gone():
        if closed:
            os.close(2)
        else:
            os.dup2(os.open("/dev/full", os.O_WRONLY), 2)

    for args, status in ((["validate", tmp_path / "missing.ncd"], 2), (["render", ROOT / "gallery" / "deepseek_v3.ncd", "-o", tmp_path / "d.svg"], 0)):
        run = subprocess.run([sys.executable, "-m", "ncd_render", *map(str, args)], stdout=subprocess.PIPE, text=True,
                             timeout=300, preexec_fn=stderr_gone)
        assert run.returncode == status, args
    assert (tmp_path / "d.svg").exists()


@pytest.mark.parametrize("command, length, message", [
    (["render", MHA, "-o", "{out}.svg", "--width"], "0.0000001pt", "the width '0.0000001pt' is too small for a figure"),
    (["render", MHA, "-o", "{out}.svg", "--layout", "page", "--height"], "1pt", "the height '1pt' is too small for a figure"),
    (["render", MHA, "-o", "{out}.svg", "--width"], "-3in", "the width '-3in' must be greater than zero"),
    (["latex", MHA, "-o", "{out}.pdf", "--height"], "0.6in", "the height '0.6in' leaves 7pt for the figure under its caption"),
    (["latex", MHA, "-o", "{out}.pdf", "--layout", "page", "--height"], "0.4in", "the height '0.4in' is too small"),
])
def test_a_length_too_small_for_any_figure_is_refused_before_any_work(tmp_path, command, length, message):
    """--width 0.0000001pt drew a figure with its labels at 0.0 pt and exited 0; ncd latex --height 0.4in --layout page
    laid the transformer out for 33 s, then said 'the figure would be 468pt x -7.2pt' and advised a larger --width;
    --width -3in 'cannot be read'."""
    args = [str(a).replace("{out}", str(tmp_path / "fig")) for a in command] + [length]
    refused(cli(*args), message)
    assert list(tmp_path.iterdir()) == []


def test_latex_with_a_height_but_no_layout_sets_a_wide_figure_in_rows_and_says_it_once(tmp_path):
    """ncd latex --height without --layout measured the figure's width fitted to the height: a raw Python warning
    ('cli.py:249: SizeWarning ...'), the transformer kept as one 27.68in strip, and a snippet saying to include it
    unscaled."""
    result = cli("latex", ROOT / "gallery" / "transformer.ncd", "-o", tmp_path / "t.pdf", "--height", "5in")
    assert result.exit_code == 0, result.output
    assert "SizeWarning" not in result.output and "cli.py" not in result.output
    assert "it is set in rows on a page" in result.output and "27.68in wide and" not in result.output


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc, a folder that passes the access check but takes no file")
def test_cost_refuses_a_chart_it_cannot_write_before_printing_its_report(tmp_path):
    """ncd cost --plot /proc/x.png printed its whole report, then failed: 'cannot write ...: No such file or directory'."""
    result = ncd("cost", ROOT / "gallery" / "mlp.ncd", "--plot", "/proc/ncd-test.png")
    assert result.returncode == 2 and "folder '/proc' takes no new files" in result.stderr, result.stderr
    assert result.stdout == ""
