"""The ncd command as a user runs it: outputs, exit codes, messages, atomic writes."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GALLERY = ROOT / "gallery"
MHA = ROOT / "gallery" / "mha.ncd"


def ncd(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "ncd_render", *map(str, args)], capture_output=True, text=True, cwd=cwd)


@pytest.mark.parametrize("suffix, magic", [(".svg", b"<?xml"), (".pdf", b"%PDF-"), (".png", b"\x89PNG")])
def test_render_writes_the_format_of_the_extension(tmp_path, suffix, magic):
    out = tmp_path / ("mha" + suffix)
    result = ncd("render", MHA, "-o", out)
    assert result.returncode == 0, result.stderr
    assert out.read_bytes().startswith(magic)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary files left


def test_a_figure_wider_than_a_page_says_what_its_labels_print_at_and_what_keeps_them(tmp_path):
    """Drawn at its natural size, DeepSeek-V3 is a 34.5 in strip: the file is written as asked, and a note
    says its 9 pt labels print at 1.7 pt once set at 6.5 in, and that --layout page keeps them whole.
    A figure that fits a page (MHA), a target width or a page layout gets no note."""
    out = tmp_path / "deepseek.svg"
    result = ncd("render", ROOT / "gallery" / "deepseek_v3.ncd", "-o", out)
    assert result.returncode == 0 and out.read_bytes() == (ROOT / "gallery" / "deepseek_v3.svg").read_bytes()
    width_in = float(re.search(r'width="([0-9.]+)pt"', out.read_text(encoding="utf-8")).group(1)) / 72
    assert result.stderr.startswith(f"note: the figure is {width_in:.2f}in wide") and width_in > 30
    shrunk = 9 * 6.5 / width_in  # 1.7 pt: 9 pt x 6.5 / 34.5; their subscripts (0.7 of them, as figure_metrics' smallest) 1.2 pt
    assert f"labels print at {shrunk:.1f} pt (their subscripts at {shrunk * 0.7:.1f} pt); --layout page" in result.stderr
    for args in ([MHA], [ROOT / "gallery" / "vit.ncd", "--layout", "page"]):
        quiet = ncd("render", *args, "-o", tmp_path / "f.svg")
        assert quiet.returncode == 0 and quiet.stderr == ""


def test_latex_notes_a_figure_wider_than_a_page_too(tmp_path):
    """ncd latex writes Mixtral's 21 in strip and its snippet as asked (--layout paper: with no layout asked for, it
    is set in rows), and notes where its labels end up."""
    result = ncd("latex", ROOT / "gallery" / "mixtral.ncd", "-o", tmp_path / "mixtral.pdf", "--layout", "paper")
    assert result.returncode == 0 and "\\includegraphics" in result.stdout
    wide = re.search(r"note: the figure is (2\d\.\d+)in wide", result.stderr)
    assert wide and f"labels print at {9 * 6.5 / float(wide.group(1)):.1f} pt (their subscripts" in result.stderr
    assert "note:" not in ncd("latex", MHA, "-o", tmp_path / "mha.pdf").stderr


def test_inputs_declared_in_an_order_that_crosses_far_more_are_noted(tmp_path, figure_metrics):
    """T joins the concatenation first, so it is drawn above E, but declared below it: the figure crosses 4 times and
    the note names the order that crosses none, which, declared so, draws with none and no note."""
    text = "axis u = 1 width\naxis n = 4 width\naxis t = 5 width\naxis m = 8\ninput {}\nZ = concat(T, E: u, n -> t)\noutput Z\n"
    for inputs, crossed, note in [("E[n m], T[u m]", 4, "note: the figure crosses 4 times; with its inputs declared in the order T, E "
                                   "it would cross 0\n"), ("T[u m], E[n m]", 0, "")]:
        (tmp_path / "c.ncd").write_text(text.format(inputs))
        result = ncd("render", tmp_path / "c.ncd", "-o", tmp_path / "c.svg")
        assert result.returncode == 0 and result.stderr == note
        assert figure_metrics.analyse(str(tmp_path / "c.svg"))[0]["crossings"] == crossed
    assert ncd("latex", tmp_path / "c.ncd", "-o", tmp_path / "c.pdf").stderr == f"wrote {tmp_path / 'c.pdf'}\n"


def test_a_statement_written_where_it_braids_the_figure_is_noted(tmp_path, figure_metrics):
    """Two heads' queries written before both their keys: each head's keys run past the other head's queries to
    meet their own, and the figure braids. The note names the statement to write earlier and where; written so,
    the figure crosses as few times as the note says, and says nothing more."""
    head = "axis y = 8 width\naxis x = 8 width\naxis m = 16\naxis k = 4\ninput X[y m]\nXk = rename(X: y -> x)\n"
    q1, q2 = "Q1 = linear(X: m -> k) as W_{Q1}\n", "Q2 = linear(X: m -> k) as W_{Q2}\n"
    k1, k2 = "K1 = linear(Xk: m -> k) as W_{K1}\n", "K2 = linear(Xk: m -> k) as W_{K2}\n"
    tail = "S1 = einsum(Q1, K1: y k, x k -> y x)\nS2 = einsum(Q2, K2: y k, x k -> y x)\noutput S1, S2\n"
    (tmp_path / "b.ncd").write_text(head + q1 + q2 + k1 + k2 + tail)
    result = ncd("render", tmp_path / "b.ncd", "-o", tmp_path / "b.svg")
    note = re.fullmatch(r"note: the figure crosses (\d+) times; with line 9 \(K1 = linear\(Xk: m -> k\) as W_\{K1\}\) "
                        r"written before line 8 it would cross (\d+)\n", result.stderr)
    assert result.returncode == 0 and note, result.stderr
    assert figure_metrics.analyse(str(tmp_path / "b.svg"))[0]["crossings"] == int(note.group(1))
    (tmp_path / "b.ncd").write_text(head + q1 + k1 + q2 + k2 + tail)
    result = ncd("render", tmp_path / "b.ncd", "-o", tmp_path / "b.svg")
    assert result.returncode == 0 and result.stderr == ""
    assert figure_metrics.analyse(str(tmp_path / "b.svg"))[0]["crossings"] == int(note.group(2)) < int(note.group(1))


def test_the_note_on_the_inputs_order_is_given_on_a_page_and_in_a_column_too(tmp_path):
    """The note was given only at natural size: a page's figure, its rows cut from the figure laid out whole, crossed
    as often, and said nothing (a UNet decoder's Z and Skip, swapped whole before their concatenation)."""
    (tmp_path / "c.ncd").write_text("axis u = 1 width\naxis n = 4 width\naxis t = 5 width\naxis m = 8\ninput E[n m], T[u m]\n"
                                    "Z = concat(T, E: u, n -> t)\noutput Z\n")
    for layout in ("page", "column"):
        result = ncd("render", tmp_path / "c.ncd", "--layout", layout, "-o", tmp_path / "c.svg")
        assert result.returncode == 0 and "the figure crosses 4 times; with its inputs declared in the order T, E" in result.stderr


def test_validate_summarises_a_good_file():
    result = ncd("validate", MHA)
    assert result.returncode == 0
    assert "ok: 5 axes, 8 boxes, 2 inputs, 1 output" in result.stdout


BAD = {
    "syntax": ("axis m = 4\ninput X[m]\nY = relu(X\noutput Y\n", "t.ncd:3:11: error: unexpected end of line"),
    "unknown axis": ("axis m = 4\ninput X[m q]\noutput X\n", "t.ncd:2:11: error: unknown axis 'q'"),
    "unknown function": ("axis m = 4\ninput X[m]\nY = rleu(X)\noutput Y\n", "did you mean 'relu'?"),
    "shape mismatch": ("axis m = 4\naxis n = 4\ninput A[m n], B[n m]\nC = A + B\noutput C\n", "every term needs the first one's axes [m n], in order; B has [n m]"),
    "empty spec": ("axis m = 4\ninput X[m]\nY = softmax(X: )\noutput Y\n", "t.ncd:3:5: error: softmax needs at least one axis"),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_input_fails_cleanly_and_writes_nothing(tmp_path, case):
    text, expected = BAD[case]
    (tmp_path / "t.ncd").write_text(text)
    result = ncd("render", "t.ncd", "-o", "out.svg", cwd=tmp_path)
    assert result.returncode == 2
    assert expected in result.stderr
    assert "^" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out.svg").exists()


def test_a_failed_run_leaves_an_existing_good_file_untouched(tmp_path):
    out = tmp_path / "fig.svg"
    assert ncd("render", MHA, "-o", out).returncode == 0
    good = out.read_bytes()
    (tmp_path / "bad.ncd").write_text("axis m = 4\ninput X[m]\nY = relu(Z)\noutput Y\n")
    result = ncd("render", tmp_path / "bad.ncd", "-o", out)
    assert result.returncode == 2 and "unknown tensor 'Z'" in result.stderr
    assert out.read_bytes() == good


def test_missing_output_folder_is_reported(tmp_path):
    result = ncd("render", MHA, "-o", tmp_path / "nowhere" / "fig.pdf")
    assert result.returncode == 2
    assert "folder" in result.stderr and "does not exist" in result.stderr and "Traceback" not in result.stderr


def test_unknown_output_format_and_missing_source(tmp_path):
    result = ncd("render", MHA, "-o", tmp_path / "fig.gif")
    assert result.returncode == 2 and ".svg, .pdf, .png" in result.stderr
    result = ncd("render", tmp_path / "absent.ncd", "-o", tmp_path / "fig.svg")
    assert result.returncode == 2 and "absent.ncd" in result.stderr and "Traceback" not in result.stderr


def test_unknown_theme_is_reported_with_the_choices(tmp_path):
    result = ncd("render", MHA, "-o", tmp_path / "f.svg", "--theme", "papr")
    assert result.returncode == 2 and "unknown theme 'papr'" in result.stderr and "paper" in result.stderr


def test_help_teaches_with_an_example():
    result = ncd("--help")
    assert result.returncode == 0 and "ncd render model.ncd -o model.svg" in result.stdout
    assert "Examples" in ncd("render", "--help").stdout


def imported_while(args: list[str]) -> set[str]:
    """The top-level packages, and ncd_render's subpackages, that running ``ncd ARGS`` imports."""
    code = (f"import sys\nfrom ncd_render.cli import main\n"
            f"try:\n    main({args!r})\nexcept SystemExit as e:\n    assert not e.code\n"
            "print(*{'.'.join(m.split('.')[:2 if m.startswith('ncd_render.') else 1]) for m in sys.modules})\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return set(result.stdout.split())


HEAVY = {"torch", "einops", "matplotlib", "networkx", "ncd_render.pytorch"}


def test_rendering_imports_neither_torch_nor_matplotlib_nor_networkx(tmp_path):
    assert imported_while(["render", str(MHA), "-o", str(tmp_path / "m.svg")]) & (HEAVY | {"ncd_render.cost"}) == set()
    assert imported_while(["render", str(MHA), "-o", str(tmp_path / "m.svg"), "--annotate-cost"]) & HEAVY == set()


def test_jupyter_display_is_svg():
    import ncd_render

    svg = ncd_render.load(MHA)._repr_svg_()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg


def test_the_command_ends_with_everything_it_printed_delivered(tmp_path):
    """``ncd`` ends its process without freeing its objects (ncd_render.console.leave): what it printed
    through a pipe still arrives whole, with the command's exit status, and the file it wrote is complete."""
    import json

    result = ncd("cost", ROOT / "gallery" / "deepseek_v3.ncd", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["kernels"]  # the whole document: a cut would not parse
    out = tmp_path / "deepseek.svg"
    assert ncd("render", ROOT / "gallery" / "deepseek_v3.ncd", "-o", out).returncode == 0
    assert out.read_text(encoding="utf-8").rstrip().endswith("</svg>")
    assert ncd("render", tmp_path / "missing.ncd", "-o", out).returncode == 2


def test_a_render_keeps_its_figure_and_scene_for_the_process_end_and_only_its_own(tmp_path):
    """``ncd render`` hands its figure and scene to ncd_render.console.outlive, so that they are not freed one by
    one as it returns (the process ends without freeing them); a later command's replace them."""
    from click.testing import CliRunner

    from ncd_render import console
    from ncd_render.cli import main
    from ncd_render.figure import Figure
    from ncd_render.scene import Scene

    for name in ("mha", "sdpa"):
        result = CliRunner().invoke(main, ["render", str(ROOT / "gallery" / f"{name}.ncd"), "-o", str(tmp_path / "x.svg")])
        assert result.exit_code == 0, result.output
        figure, scene = console._KEPT
        assert isinstance(figure, Figure) and isinstance(scene, Scene)
        assert figure.diagram.source.source.path.endswith(f"{name}.ncd")


def test_wrap_without_a_width_cuts_at_a_page_s_text_width(tmp_path):
    """``ncd render big.ncd -o big.svg --wrap`` in the paper layout, which has no width of its own: the figure was
    left whole (2,508 pt for DeepSeek-V3), and the note about its width was not printed either, as --wrap was given.
    It is now cut into strips as wide as a page's text, 6.5in, where the note says it is most often set."""
    out = tmp_path / "deepseek.svg"
    result = ncd("render", ROOT / "gallery" / "deepseek_v3.ncd", "-o", out, "--wrap")
    assert result.returncode == 0, result.stderr
    width = float(re.search(rb'<svg[^>]* width="([0-9.]+)pt"', out.read_bytes()).group(1))
    assert 300 < width <= 468.01



@pytest.mark.parametrize("args, said, hint", [
    (["render", "{mlp}", "-o", "{out}", "--page", "6.5in"], "error: ncd render: no such option '--page'", "did you mean '--layout page'?"),
    (["render", "{mlp}", "-o", "{out}", "--layot", "page"], "error: ncd render: no such option '--layot'", "did you mean '--layout'?"),
    (["render"], "error: ncd render: missing argument 'FILE'", "'ncd render --help' lists the options"),
    (["render", "{mlp}", "-o", "{out}", "--depth", "-1"], "error: ncd render: invalid value for '--depth': -1 must be at least 0", "--help"),
    (["rendr", "{mlp}"], "error: ncd: no such command 'rendr'", "did you mean 'render'?"),
    (["gallery", "biuld"], "error: ncd gallery: no such command 'biuld'", "did you mean 'build'?"),
    (["check", "{mlp}", "--bogus"], "error: ncd check: no such option '--bogus'", "'ncd check --help' lists the options"),
])
def test_a_command_line_mistake_is_one_paragraph_with_a_hint(tmp_path, args, said, hint):
    """Click's own report: a usage block, "Try ... --help", a blank line, 'Error: No such option '--page'. Did you mean
    '--dtype'?'. Every mistake on the command line reads as the others do, and a layout's name points to --layout."""
    result = ncd(*[str(a).format(mlp=GALLERY / "mlp.ncd", out=tmp_path / "f.svg") for a in args])
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines[0] == said and lines[1].startswith("hint: ") and hint in lines[1] and len(lines) == 2, result.stderr
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("args", [[], ["gallery"]])
def test_a_bare_command_group_prints_its_help_not_an_error(args):
    """Wrapping click's usage errors turned a bare 'ncd' into 'error: ncd: usage: ...' with the whole help inside."""
    result = ncd(*args)
    assert "Commands:" in result.stdout + result.stderr and "error:" not in result.stdout + result.stderr


def test_help_on_height_and_layout_says_what_they_do(tmp_path):
    """`ncd render --help` said --height works only "with a layout of rows", though it shrinks a paper figure too; and
    `ncd latex --help` showed `--layout [default: paper]`, though with no --layout a figure wider than a page is set in
    rows, and `--layout paper` keeps it one strip."""
    from click.testing import CliRunner

    from ncd_render.cli import main

    def flag_help(command: str, flag: str) -> str:
        shown = CliRunner().invoke(main, [command, "--help"]).output
        return " ".join(re.search(rf"\n  {flag} \S+(.*?)\n  -", shown, re.S).group(1).split())

    ncd("render", MHA, "-o", tmp_path / "tall.svg")
    ncd("render", MHA, "-o", tmp_path / "low.svg", "--height", "2in")  # (the paper layout: no rows)
    heights = [float(re.search(r'height="([\d.]+)pt"', (tmp_path / f"{n}.svg").read_text()).group(1)) for n in ("tall", "low")]
    assert heights[0] > 144 >= heights[1], heights
    height = flag_help("render", "--height")
    assert not height.startswith("With a layout of rows") and "any other layout shrinks a taller figure to it" in height
    wide = ROOT / "gallery" / "transformer.ncd"
    default = ncd("latex", wide, "-o", tmp_path / "a.pdf")
    paper = ncd("latex", wide, "-o", tmp_path / "b.pdf", "--layout", "paper")
    assert default.stdout != paper.stdout and "set in rows on a page" in default.stderr  # no --layout is not --layout paper
    layout = flag_help("latex", "--layout")
    assert "[default: paper]" not in layout and "set in rows on the page layout" in layout and "--layout paper keeps" in layout
