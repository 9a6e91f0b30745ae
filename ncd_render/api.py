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

from pathlib import Path

from . import figure
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


def load(path: str | Path, depth: int | None = None, sizes: dict[str, int] | None = None, **style) -> Figure:
    """Parse and check a .ncd file (``sizes`` replaces axis sizes, as ``--sizes`` does)."""
    with paused_gc():
        return Figure(build(program_from_file(path), depth=depth, sizes=sizes), **style)


def load_text(text: str, name: str = "<string>", depth: int | None = None, **style) -> Figure:
    """Parse and check .ncd source given as a string."""
    with paused_gc():
        return Figure(build(program_from_text(text, name), depth=depth), **style)


def render(source: str | Path, output: str | Path, depth: int | None = None, theme: str = "paper", layout: str = "paper",
           width: str | float | None = None, wrap: bool = False, dpi: float = 300) -> Path:
    """Render a .ncd file to an output file in one call, with ``ncd render``'s options (an unknown one is an
    error, not ignored): ``render("mha.ncd", "mha.pdf", layout="page")``."""
    return load(source, depth=depth, theme=theme, layout=layout, width=width, wrap=wrap).render(output, dpi=dpi)
