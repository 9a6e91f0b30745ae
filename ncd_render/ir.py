"""The diagram as a checked wire/box graph: the one model every backend reads.

``build(program)`` resolves names, checks every shape, expands components,
and makes copies explicit (the builder is :mod:`ncd_render.irbuild`), giving a
:class:`~ncd_render.diagram.Diagram`:

* ``values``: tensors, each a tuple of axis names (its wires, top to bottom);
* ``ops``: boxes in composition order; each consumes and produces values and
  knows the axes it ``acts`` on and the axes it is ``broadcast`` over;
* ``graph``: the same as a networkx MultiDiGraph (ops are nodes, values edges),
  built on first use, so drawing never imports networkx;
* ``full``: when components are drawn collapsed, the diagram with every call
  expanded, which torch and the cost model run (they never read the syntax tree).

Every value is consumed exactly once (copies are ``copy`` ops and unused
values end in ``delete`` ops), which is what makes the diagram a string
diagram that can be laid out wire by wire.

>>> from ncd_render.parse import parse
>>> d = build(parse("axis y = 3 width\\naxis m = 4\\naxis k = 2\\ninput X[y m]\\nH = linear(X: m -> k) with bias\\noutput H\\n"))
>>> op = d.ops[1]
>>> op.kind, op.acts, op.broadcast, d.values[op.outputs[0]].axes
('linear', (('m',),), ('y',), ('y', 'k'))
"""
from __future__ import annotations

from typing import Mapping

from . import parse as ast
from .diagram import Axis, Diagram, Op, Section, Value
from .irbuild import Builder
from .program import check_program

__all__ = ["Axis", "Diagram", "Op", "Section", "Value", "build"]


def build(program: ast.Program, depth: int | None = None, sizes: Mapping[str, int] | None = None,
          toggle: frozenset[tuple[int, int]] = frozenset()) -> Diagram:
    """Check ``program`` and build its diagram.

    ``depth`` collapses component calls nested deeper than it into single
    boxes (0: every call is one box; None: everything expanded).
    ``toggle`` holds the (line, column) of component calls drawn the other way
    round from what ``depth`` says: expanded instead of collapsed, or collapsed
    instead of expanded (the browser view's click on a component).
    ``sizes`` replaces the sizes of axes declared with a number (or with no
    size) before derived axes such as ``axis k = m / h`` are computed.

    >>> from ncd_render.parse import parse
    >>> build(parse("axis m = 8\\naxis k = m / 2\\ninput X[m]\\noutput X\\n"), sizes={"m": 64}).axes["k"].size
    32
    """
    check_program(program)
    depth = program.depth if depth is None else depth
    builder = Builder(program, depth, dict(sizes or {}), frozenset(toggle))
    diagram = builder.run()
    if builder.collapsed:  # the expanded diagram on demand
        diagram.expand = lambda: Builder(program, None, dict(sizes or {})).run()
    return diagram

