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

__all__ = ["Figure", "NcdError", "from_module", "load", "load_text", "render"]


def from_module(module, *inputs, **options):
    """Import a torch module as a diagram (``ncd_render.importer.from_module``; imports torch)."""
    from .importer import from_module as imported

    return imported(module, *inputs, **options)
__version__ = "0.1.0"
