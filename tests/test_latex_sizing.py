"""Exact figure widths: --width and the layout presets' width; labels keep their size or the shrink is reported."""
from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from ncd_render.api import load
from ncd_render.cli import main
from ncd_render.errors import NcdError
from ncd_render.scene import Text
from ncd_render.sizing import SizeWarning, fit_scene, parse_length

ROOT = Path(__file__).resolve().parents[1]
MHA = ROOT / "gallery" / "mha.ncd"
SDPA = ROOT / "gallery" / "sdpa.ncd"


@pytest.mark.parametrize("text, points", [("3.25in", 234.0), ("8.5cm", 240.94), ("85mm", 240.94), ("241pt", 240.1),
                                          ("234bp", 234.0), ("19.5pc", 233.12), ("312px", 234.0), (" 6.5 IN ", 468.0), (".5in", 36.0)])
def test_lengths(text, points):
    assert parse_length(text) == pytest.approx(points, abs=0.01)


@pytest.mark.parametrize("text, says", [("3 furlongs", "unknown unit 'furlongs'"), ("3.25", "no unit"), ("wide", "cannot read"),
                                        ("0in", "greater than zero"), ("-3in", "greater than zero"), ("0.2in", "too small for a figure"), ("3.25inch", "unknown unit")])
def test_bad_lengths_are_ncd_errors(text, says):
    with pytest.raises(NcdError) as error:
        parse_length(text)
    assert says in str(error.value) and "hint: " in str(error.value)


def test_bad_width_on_the_command_line_exits_2(tmp_path):
    out = tmp_path / "fig.pdf"
    for command in (["render", str(MHA), "-o", str(out)], ["latex", str(MHA), "-o", str(out)]):
        result = CliRunner().invoke(main, [*command, "--width", "3 furlongs"])
        assert result.exit_code == 2, result.output
        assert "unknown unit 'furlongs'" in result.output and "hint: " in result.output and "Traceback" not in result.output
        assert not out.exists()


def axis_sizes(scene) -> set[float]:
    return {round(t.runs[0].size, 3) for t in scene.items if isinstance(t, Text) and t.role == "label.axis"}


def test_a_narrow_figure_keeps_its_label_size_and_is_centred():
    natural = load(SDPA).scene()
    with warnings.catch_warnings():
        warnings.simplefilter("error", SizeWarning)  # no warning: nothing shrinks
        fitted = load(SDPA).scene(width="6.5in")
    assert fitted.width == pytest.approx(468.0) and fitted.height == pytest.approx(natural.height)
    assert axis_sizes(fitted) == axis_sizes(natural) == {9.0}
    x0 = min(i.bbox[0] for i in fitted.items if i.role != "background")
    x1 = max(i.bbox[2] for i in fitted.items if i.role != "background")
    assert x0 == pytest.approx(468.0 - x1, abs=0.01), "centred"
    background = fitted.by_role("background")
    assert background and background[0].bbox == pytest.approx((0, 0, 468.0, fitted.height))


def test_a_wide_figure_shrinks_and_says_to_what():
    natural = load(MHA).scene()
    assert natural.width > 234
    with pytest.warns(SizeWarning) as caught:
        fitted = load(MHA).scene(width="3.25in")
    expected = 9.0 * 234.0 / natural.width
    assert fitted.width == pytest.approx(234.0)
    assert axis_sizes(fitted) == {round(expected, 3)}
    message = str(caught[0].message)
    assert f"shrink to {expected:.1f} pt" in message and "--depth" not in message  # (MHA has no component to collapse)


def test_the_preset_width_and_the_option():
    column = load(SDPA).scene(layout_preset="column")
    assert column.width == pytest.approx(234.0)
    page = load(SDPA).scene(layout_preset="column", width="6.5in")  # the option wins over the preset
    assert page.width == pytest.approx(468.0)
    assert load(SDPA).scene(layout_preset="page").width == pytest.approx(468.0)


def test_the_slide_preset_has_larger_labels_on_a_16_9_canvas():
    with warnings.catch_warnings():
        warnings.simplefilter("error", SizeWarning)
        slide = load(SDPA).scene(layout_preset="slide")
    assert (slide.width, slide.height) == pytest.approx((720.0, 405.0))
    assert axis_sizes(slide) == {14.4}


def test_fit_never_enlarges():
    scene = load(SDPA).scene()
    fitted, fit = fit_scene(scene, width=scene.width * 3, label_size=9)
    assert fit.scale == 1 and fit.label_size == 9 and axis_sizes(fitted) == {9.0}


def test_cli_render_width_sets_the_pdf_page(tmp_path):
    out = tmp_path / "fig.pdf"
    result = CliRunner().invoke(main, ["render", str(SDPA), "-o", str(out), "--width", "8cm"])
    assert result.exit_code == 0, result.output
    box = PdfReader(out).pages[0].mediabox
    assert float(box.width) == pytest.approx(8 / 2.54 * 72, abs=0.05)
    assert "warning" not in result.output


def test_cli_render_reports_the_shrink(tmp_path):
    """With the size its subscripts print at, the smallest text: a tester measured 4.3 pt where the warning said 6.1."""
    result = CliRunner().invoke(main, ["render", str(ROOT / "gallery" / "vit.ncd"), "-o", str(tmp_path / "fig.svg"), "--layout", "column"])
    assert result.exit_code == 0
    found = re.search(r"warning: .*9 pt labels shrink to ([0-9.]+) pt \(their subscripts to ([0-9.]+) pt\)", result.output)
    assert found and float(found.group(2)) == pytest.approx(0.7 * float(found.group(1)), abs=0.06)


def test_a_bare_number_is_read_as_the_unit_it_most_likely_has():
    """'--width 229.5', as LaTeX prints a column width, was asked 'did you mean 229.5in?'."""
    for text, meant in (("3.25", "3.25in"), ("229.5", "229.5pt")):
        with pytest.raises(NcdError) as error:
            parse_length(text)
        assert f"did you mean '{meant}'?" in str(error.value)


TRANSFORMER = ROOT / "gallery" / "transformer.ncd"


@pytest.mark.parametrize("command", ["latex", "render"])
def test_height_sets_the_most_a_figure_in_rows_may_stand(command, tmp_path):
    """A stock two-column article's text is 550 pt tall: the docs' --width 229.5pt figure stood 8.5in and LaTeX said
    'Float too large for page'. --height is the most the figure (with its caption, for ncd latex) may take."""
    out = tmp_path / "fig.pdf"
    result = CliRunner().invoke(main, [command, str(TRANSFORMER), "-o", str(out), "--layout", "column", "--width", "229.5pt",
                                       "--height", "550pt"])
    assert result.exit_code == 0, result.output
    box = PdfReader(out).pages[0].mediabox
    room = 550 - (36 if command == "latex" else 0)  # (ncd latex keeps room for a caption of three lines)
    assert float(box.width) <= 229.5 + 0.05 and float(box.height) <= room + 0.05, (box.width, box.height)
    assert float(box.height) > 0.9 * room  # the height binds (a page 5% larger at a time is tried, then shrunk to fit)
    # the warning names what it fit: the height where that binds, else the width alone (a box 0.9 pt wider tipped it)
    assert re.search(r"to fit 3\.18in( x 7\.[16]\din)? it is scaled", result.output), result.output


def test_height_limits_a_figure_drawn_at_its_natural_size(tmp_path):
    out = tmp_path / "fig.pdf"
    result = CliRunner().invoke(main, ["render", str(MHA), "-o", str(out), "--height", "2in"])
    assert result.exit_code == 0, result.output
    assert float(PdfReader(out).pages[0].mediabox.height) == pytest.approx(144, abs=0.05)
    assert "to fit 2.00in tall it is scaled to" in result.output
    result = CliRunner().invoke(main, ["render", str(MHA), "-o", str(out), "--height", "9in"])
    assert float(PdfReader(out).pages[0].mediabox.height) < 300 and "warning" not in result.output  # no taller canvas


def test_the_snippet_of_a_figure_scaled_down_says_so(tmp_path):
    """It said 'include it unscaled, so its labels keep their size' under a figure shrunk to 59%."""
    result = CliRunner().invoke(main, ["latex", str(TRANSFORMER), "-o", str(tmp_path / "fig.pdf"), "--layout", "column"])
    assert result.exit_code == 0, result.output
    assert "scaled to" in result.output and "it was scaled down to fit, so its labels print smaller" in result.output
    assert "keep their size" not in result.output.split("scaled down to fit")[0]  # (its first line said so, above it)
    result = CliRunner().invoke(main, ["latex", str(SDPA), "-o", str(tmp_path / "fig.pdf"), "--layout", "column"])
    assert "scaled down" not in result.output and "keep their size" in result.output


def test_a_wrapped_figure_that_must_shrink_is_not_told_to_wrap(tmp_path):
    result = CliRunner().invoke(main, ["latex", str(MHA), "-o", str(tmp_path / "fig.pdf"), "--width", "3.25in", "--wrap"])
    assert result.exit_code == 0 and "wrapped into" in result.output and "scaled to" in result.output, result.output
    assert "--wrap" not in result.output.split("scaled to")[1].split("\n")[0]


def test_the_advice_for_a_shrunk_figure_names_only_what_would_change_it(tmp_path):
    """The snippet told every figure scaled down to use "--depth 0" (MHA has no component, transformer.ncd says
    'depth 0' already: the same bytes) and "--layout page" (already on it). The warning and the snippet name only what
    changes the figure, and the warning says it in Python's words too."""
    def latex(source, *options):
        result = CliRunner().invoke(main, ["latex", str(source), "-o", str(tmp_path / "fig.pdf"), *options])
        assert result.exit_code == 0 and "scaled to" in result.stderr, result.output
        return result.stdout, result.stderr

    snippet, err = latex(MHA, "--width", "3.25in")
    assert "--depth" not in snippet + err and "--wrap" in snippet and "(from Python: layout='column' or 'page', wrap=True" in err
    snippet, err = latex(TRANSFORMER, "--layout", "page", "--width", "345pt", "--height", "550pt")
    assert "--layout page" not in snippet + err and "--depth" not in snippet + err and "a taller --height" in snippet
    snippet, err = latex(TRANSFORMER, "--layout", "column")
    assert "--layout page (a page's 6.5in" in snippet and "layout='page'" in err and "--depth" not in snippet + err
    drawn_open = tmp_path / "open.ncd"
    drawn_open.write_text(TRANSFORMER.read_text().replace("\ndepth 0\n", "\n"))
    snippet, err = latex(drawn_open, "--width", "3in")
    assert "--depth 0" in snippet and "depth=0" in err


@pytest.mark.parametrize("theme, noted", [("dark", True), ("paper", False), ("mono", False), ("serif", False), ("colorblind", False)])
def test_a_paper_s_figure_on_a_dark_background_gets_a_note(theme, noted, tmp_path):
    """A reviewer set --theme dark, made for slides, in a paper: a black slab on a white page, and no word said."""
    result = CliRunner().invoke(main, ["latex", str(SDPA), "-o", str(tmp_path / "fig.pdf"), "--theme", theme])
    assert result.exit_code == 0, result.output
    assert ("draws on a dark background" in result.output) == noted
