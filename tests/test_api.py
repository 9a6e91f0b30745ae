"""The Python API: it pauses the cyclic garbage collector while it works, and always restores it; its
one-call render takes the command's options."""
import gc
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
