"""The Python API pauses the cyclic garbage collector while it works, and always restores it."""
import gc

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
