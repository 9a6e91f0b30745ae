"""The Python API: it pauses the cyclic garbage collector while it works, and always restores it; its
one-call render takes the command's options."""
import gc
import re
from pathlib import Path

import pytest

import ncd_render
from ncd_render import figure as core

TEXT = "axis m = 4\ninput X[m]\nY = relu(X)\noutput Y\n"


def test_drawing_pauses_the_collector_and_restores_it(monkeypatch):
    seen = []
    real = core.layout
    monkeypatch.setattr(core, "layout", lambda *args, **kwargs: seen.append(gc.isenabled()) or real(*args, **kwargs))
    figure = ncd_render.load_text(TEXT)
    figure.svg()
    assert seen == [False] and gc.isenabled()
    with pytest.raises(ncd_render.NcdError):
        ncd_render.load_text("input X[q]\noutput X\n")
    assert gc.isenabled()


def test_a_callers_pause_is_left_as_it_was():
    gc.disable()
    try:
        ncd_render.load_text(TEXT).svg()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_render_in_one_call_takes_the_commands_options(tmp_path):
    """``render(..., layout="page")`` sets the figure on a page (6.5in, 468pt wide), as ``ncd render --layout page``;
    an option it does not take is an error, never silently the default."""
    gallery = Path(__file__).resolve().parents[1] / "gallery"
    ncd_render.render(gallery / "transformer.ncd", tmp_path / "t.svg", layout="page")
    assert 'width="468pt"' in (tmp_path / "t.svg").read_text()
    with pytest.raises(TypeError):
        ncd_render.render(gallery / "mha.ncd", tmp_path / "m.svg", layout_preset="page")


@pytest.mark.filterwarnings("ignore::ncd_render.sizing.SizeWarning")
def test_render_in_one_call_takes_every_option_of_ncd_render(tmp_path):
    """``render(..., height="550pt")`` raised TypeError, though the README said it takes ``ncd render``'s options: it
    takes each of them, named as the flag, and draws what the command draws."""
    from click.testing import CliRunner

    from ncd_render.cli import main

    gallery = Path(__file__).resolve().parents[1] / "gallery"
    flags = {"depth": "0", "theme": "mono", "layout": "column", "width": "229.5pt", "height": "3in", "dpi": "150",
             "hw": "h100-sxm", "dtype": "fp8", "sizes": "y=4096,x=4096"}
    ncd_render.render(gallery / "mha.ncd", tmp_path / "api.svg", annotate_cost=True, wrap=False,
                      **{k: int(v) if k in ("depth", "dpi") else v for k, v in flags.items()})
    cli = CliRunner().invoke(main, ["render", str(gallery / "mha.ncd"), "-o", str(tmp_path / "cli.svg"),
                                    "--annotate-cost"] + [w for k, v in flags.items() for w in (f"--{k}", v)])
    assert cli.exit_code == 0, cli.output
    assert (tmp_path / "api.svg").read_bytes() == (tmp_path / "cli.svg").read_bytes()
    drawn = float(re.search(r'height="([0-9.]+)pt"', (tmp_path / "api.svg").read_text()).group(1))
    assert drawn <= 216 and ncd_render.load(gallery / "mha.ncd", layout="column", height="3in").scene().height <= 216
    assert ncd_render.load(gallery / "mha.ncd", layout="column").scene().height > 300  # (3in binds: it is 4.69in)
    with pytest.raises(ncd_render.NcdError, match="annotate_cost"):
        ncd_render.render(gallery / "mha.ncd", tmp_path / "m.svg", hw="h100-sxm")


def test_a_figure_renders_with_the_layout_named_as_elsewhere(tmp_path):
    """``fig.render("a.svg", layout="page")`` and ``bogus_option=5`` drew byte for byte what no option drew: its keyword
    was ``layout_preset`` and anything else was dropped. It takes ``layout=``, as load() and render() do, and refuses
    what it does not take, naming what it takes."""
    from ncd_render.errors import NcdError

    source = Path(__file__).resolve().parents[1] / "gallery" / "transformer.ncd"
    fig = ncd_render.load(source)
    fig.render(tmp_path / "page.svg", layout="page")
    assert 'width="468pt"' in (tmp_path / "page.svg").read_text()  # a page's text width, 6.5in
    assert (tmp_path / "page.svg").read_bytes() == ncd_render.load(source, layout="page").svg()
    assert fig.svg(layout="page") == (tmp_path / "page.svg").read_bytes()
    for wrong, close in [({"layout_preset": "page"}, "did you mean 'layout'?"), ({"bogus_option": 5}, None)]:
        with pytest.raises(NcdError) as raised:
            fig.render(tmp_path / "wrong.svg", **wrong)
        assert isinstance(raised.value, TypeError)
        message = str(raised.value)
        assert message.startswith(f"Figure.render() takes no option '{next(iter(wrong))}'")
        assert (close in message) if close else "did you mean" not in message
        assert "hint: its options: theme, layout, width, cost, dpi" in message
        assert not (tmp_path / "wrong.svg").exists()
    with pytest.raises(TypeError):
        fig.svg(layout_preset="page")


def test_load_reads_sizes_written_as_render_takes_them():
    """``load("sdpa.ncd", sizes="y=4096,x=4096")`` raised a bare ValueError, though the README says sizes may be a
    string as render()'s are: it is read as ``--sizes`` is, and a list is a clear error."""
    from ncd_render.errors import NcdError

    sdpa = Path(__file__).resolve().parents[1] / "gallery" / "sdpa.ncd"
    axes = ncd_render.load(sdpa, sizes="y=4096,x=4096").diagram.axes
    assert (axes["y"].size, axes["x"].size) == (4096, 4096)
    given = ncd_render.load(sdpa, sizes={"y": 4096, "x": 4096}).diagram.axes
    assert {a: x.size for a, x in axes.items()} == {a: x.size for a, x in given.items()}
    for wrong, said in [("y=4096,x", "'x' is not AXIS=N"), (["y", 4096], "sizes is a list, not a dict or a string")]:
        with pytest.raises(NcdError, match=re.escape(said)):
            ncd_render.load(sdpa, sizes=wrong)


def test_the_readme_says_what_a_figure_shows_in_a_notebook():
    """The README said `fig` "displays the SVG in a notebook"; Jupyter shows its rich HTML first, the browser view
    in a sandboxed frame, and the SVG only where HTML cannot be shown."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    (comment,) = re.findall(r"^fig +# (.*)$", readme, re.M)
    fig = ncd_render.load_text(TEXT)
    assert fig._repr_html_().startswith("<iframe sandbox=") and "<svg" in fig._repr_svg_()
    assert "browser view" in comment and "sandboxed frame" in comment and "displays the SVG" not in comment
