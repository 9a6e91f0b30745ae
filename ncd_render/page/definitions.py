"""A collapsed component's definition as a diagram of its own ("Attention = ...").

When a model is drawn with its components as single boxes, the paper draws
each component once more, beside or below, with its body laid out: inputs are
the component's parameters, outputs what it returns. This module builds that
diagram from the same parsed program, so a definition is checked exactly as
the component is where it is used.

>>> from ncd_render.parse import parse
>>> from ncd_render.ir import build
>>> text = "axis m = 4\\nblock F(X[y m])\\n  Y = relu(X)\\n  return Y\\nend\\naxis t = 3\\ninput A[t m]\\nB = F(A)\\noutput B\\n"
>>> overview = build(parse(text), depth=0)
>>> collapsed_blocks(overview)
['F']
>>> [op.kind for op in definition(overview.source, "F").ops if op.kind not in ("input", "output")]
['elementwise']
"""
from __future__ import annotations

from dataclasses import replace

from ..ir import Diagram, build
from ..parse import AxisDecl, Block, CheckSizes, Convolutions, Depth, Input, Output, Program, Repeat, Return, Section, Tandem, Title


def collapsed_blocks(diagram: Diagram) -> list[str]:
    """The components drawn as single boxes in ``diagram``, in the order first met."""
    names: list[str] = []
    for op in diagram.ops:
        if op.kind == "call" and op.params["block"] not in names:
            names.append(op.params["block"])
    return names


def local_axes(program: Program, block: Block) -> list[str]:
    """The component's own axis names (Attention(Xq[y m], ...): y), to be declared without a size, in order."""
    declared = {s.name for s in program.statements if isinstance(s, AxisDecl)}
    local = []
    for param in block.params:
        for ref in param.axes:
            axis = str(ref)
            if axis not in declared and axis not in local and axis.isidentifier():
                local.append(axis)
    return local


def definition(program: Program, name: str, depth: int | None = 0) -> Diagram:
    """The body of component ``name`` as a diagram; its own component calls collapse below ``depth``."""
    block = next(s for s in program.statements if isinstance(s, Block) and s.name == name)
    local = local_axes(program, block)
    kept = [s for s in program.statements if isinstance(s, (AxisDecl, Tandem, Block, Convolutions))]
    body = list(_returns_as_outputs(block.body))
    statements = ([Title(name, block.span)] + [AxisDecl(a, None, False, block.span) for a in local] + kept
                  + [Input(block.params, block.span)] + body)
    return build(replace(program, statements=tuple(s for s in statements if not isinstance(s, (Depth, CheckSizes)))), depth=depth)


def _returns_as_outputs(statements) -> tuple:
    """A component's body as a diagram of its own: each ``return`` an ``output``, one inside a section or repeat too."""
    return tuple(Output(s.names, s.span) if isinstance(s, Return)
                 else replace(s, body=_returns_as_outputs(s.body)) if isinstance(s, (Section, Repeat)) else s
                 for s in statements)
