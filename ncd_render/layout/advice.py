"""Advice on the file from the layout: another order to declare its inputs in, where it crosses far fewer wires.

The inputs stand top to bottom in the order the file declares them, and the figure keeps that order (an
input tuple's order is the model's signature); so where a tensor joins, meets or is added to one declared
above another that lies between, the wires cross to meet. Tried here: every other order of two or three
inputs, each laid out as the figure is; ``ncd render`` prints the best as a note when it saves wires.

>>> from ncd_render.api import load_text
>>> from ncd_render.style import load_theme, load_preset
>>> d = load_text("axis u = 1 width\\naxis n = 4 width\\naxis t = 5 width\\naxis m = 8\\ninput E[n m], T[u m]\\n"
...               "Z = concat(T, E: u, n -> t)\\noutput Z\\n").diagram
>>> better_inputs(d, load_theme("paper"), load_preset("paper"))  # T joins first: it belongs above E
(('T', 'E'), 0, 4)
"""
from __future__ import annotations

import itertools
from dataclasses import replace

from ..ir import Diagram
from ..style import Preset, Theme
from . import as_drawn
from .choice import choose_drawing
from .compact import compact
from .report import crossings, lower_bound

MOST_INPUTS = 3  # every order of more would take too long to try on each render
MOST_OPS = 400


def better_inputs(diagram: Diagram, theme: Theme, preset: Preset) -> tuple[tuple[str, ...], int, int] | None:
    """(the inputs' names in the order that crosses fewest, its crossings, the crossings as declared) when that
    order saves two crossings and a fifth of them at least; None otherwise, and for a figure set in rows or
    strips (whose parts cross on their own), more than :data:`MOST_INPUTS` inputs or :data:`MOST_OPS` boxes,
    or inputs declared after a statement."""
    kinds = [op.kind == "input" for op in diagram.ops]
    count = sum(kinds)
    if preset.rows or preset.wrap or not 2 <= count <= MOST_INPUTS or len(diagram.ops) > MOST_OPS or any(kinds[count:]):
        return None
    declared = diagram.ops[:count]
    base = _crossings(diagram, theme, preset)
    if base - lower_bound(compact(diagram)) < _saving(base):  # no order can save enough (the bound holds for every order)
        return None
    best = (base, declared)
    for inputs in itertools.permutations(declared):
        if list(inputs) != declared and best[0]:
            n = _crossings(replace(diagram, ops=list(inputs) + diagram.ops[count:]), theme, preset)
            best = min(best, (n, list(inputs)), key=lambda found: found[0])
    fewest, inputs = best
    if base - fewest < _saving(base):
        return None
    return tuple(diagram.values[op.outputs[0]].name for op in inputs), fewest, base


def _saving(base: int) -> float:
    """The fewest crossings another order must save, of ``base``, to be worth a note: two, and a fifth of them."""
    return max(2, base / 5)


def _crossings(diagram: Diagram, theme: Theme, preset: Preset) -> int:
    """The crossings of ``diagram`` laid out as :func:`ncd_render.layout.layout` lays it out."""
    return crossings(choose_drawing(as_drawn(diagram))[2])
