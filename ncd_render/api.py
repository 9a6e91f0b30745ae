"""The Python API: load a diagram, draw it, save it.

>>> fig = load_text("axis m = 4\\ninput X[m]\\nY = relu(X)\\noutput Y\\n")
>>> fig.svg().startswith(b"<?xml")
True
>>> fig._repr_html_().startswith('<iframe sandbox="allow-scripts"')
True
>>> fig
<Figure 'untitled' from '<string>': 1 axes, 1 boxes; theme 'paper', layout 'paper'>
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from . import figure
from .errors import NcdError
from .figure import paused_gc
from .ir import build
from .sources import program_from_file, program_from_text


class Figure(figure.Figure):
    """A checked diagram ready to draw (:class:`ncd_render.figure.Figure`); in Jupyter it shows the
    browser view of ``ncd html``, its SVG where HTML cannot be shown."""

    def _repr_html_(self) -> str:
        """Jupyter's rich display: the browser view (hover cards, cost table, roofline) in a sandboxed frame."""
        from .serve.export import notebook_frame

        return notebook_frame(self.diagram, self.theme, self.layout)


def load(path: str | Path, depth: int | None = None, sizes: str | Mapping[str, int] | None = None,
         height: str | float | None = None, **style) -> Figure:
    """Parse and check a .ncd file (``sizes`` replaces axis sizes, as ``--sizes`` does: ``"y=4096,x=4096"`` or a dict;
    ``height``, as ``--height``: the most the figure may stand); ``style``: ``theme``, ``layout``, ``width``, ``wrap``,
    as the flags."""
    sizes = _sizes(sizes)
    with paused_gc():
        return Figure(build(program_from_file(path), depth=depth, sizes=sizes), page_height=height, **style)


def load_text(text: str, name: str = "<string>", depth: int | None = None, height: str | float | None = None,
              **style) -> Figure:
    """Parse and check .ncd source given as a string; the options as :func:`load`'s."""
    with paused_gc():
        return Figure(build(program_from_text(text, name), depth=depth), page_height=height, **style)


def render(source: str | Path, output: str | Path, depth: int | None = None, theme: str = "paper", layout: str = "paper",
           width: str | float | None = None, height: str | float | None = None, wrap: bool = False, dpi: float = 300,
           annotate_cost: bool = False, hw: str | None = None, dtype: str | None = None,
           sizes: str | Mapping[str, int] | None = None) -> Path:
    """Render a .ncd file to an output file in one call, with ``ncd render``'s options named as its flags (an unknown
    one is an error, not ignored): ``render("mha.ncd", "mha.pdf", layout="page", height="550pt")``. ``sizes``:
    ``"y=4096,x=4096"`` or a dict; ``hw`` and ``dtype`` go with ``annotate_cost=True``, as on the command line."""
    if not annotate_cost and (hw or dtype):
        raise NcdError("hw and dtype choose what annotate_cost shows", hint="add annotate_cost=True")
    figure = load(source, depth=depth, sizes=sizes, theme=theme, layout=layout, width=width, height=height, wrap=wrap)
    report = None
    if annotate_cost:  # (the cost model is imported only here, as by the command)
        from .cost import analyse, load_profile

        report = analyse(figure.diagram, load_profile(hw or "a100-80gb"), dtype or "bf16")
    return figure.render(output, cost=report, dpi=dpi)


def _sizes(sizes: str | Mapping[str, int] | None) -> Mapping[str, int] | None:
    """``sizes`` as a dict: a string read as ``--sizes`` reads it."""
    if isinstance(sizes, str):
        from .cost import parse_sizes

        return parse_sizes(sizes)
    if sizes is not None and not isinstance(sizes, Mapping):
        raise NcdError(f"sizes is a {type(sizes).__name__}, not a dict or a string", hint='for example sizes="y=4096,x=4096" '
                       'or sizes={"y": 4096, "x": 4096}')
    return sizes
