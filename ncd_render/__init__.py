"""ncd-render: neural circuit diagrams from a text DSL.

    >>> import ncd_render
    >>> fig = ncd_render.load_text("axis m = 4\\ninput X[m]\\nY = relu(X)\\noutput Y\\n")
    >>> fig.diagram.ops[1].kind
    'elementwise'

Pipeline: parse (text -> syntax tree) -> ir (checked wire/box graph) ->
layout (scene of geometry) -> render (SVG, PDF, PNG). The torch and cost
branches read the IR; rendering never imports torch.
"""
from .api import Figure, load, load_text, render
from .errors import NcdError

__all__ = ["Figure", "NcdError", "load", "load_text", "render"]
__version__ = "0.1.0"
