"""Advice on the file from the layout: another order to declare its inputs in, or to write its statements in, where it
crosses far fewer wires.

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

So too a statement: boxes that share a column stand top to bottom as the file writes them, and a tensor
written between two that meet lies in their way (two heads' queries written before both their keys
braid the keys between them). Tried here: each statement written earlier, before another of its section
that it does not depend on, in a figure of :data:`MOST_STATEMENTS` at most; the best is the note's.

>>> d = load_text("axis y = 4 width\\naxis x = 4 width\\naxis m = 8\\naxis k = 2\\ninput X[y m]\\n"
...               "Xk = rename(X: y -> x)\\nQ1 = linear(X: m -> k)\\nQ2 = linear(X: m -> k)\\n"
...               "K1 = linear(Xk: m -> k)\\nK2 = linear(Xk: m -> k)\\nS1 = einsum(Q1, K1: y k, x k -> y x)\\n"
...               "S2 = einsum(Q2, K2: y k, x k -> y x)\\noutput S1, S2\\n").diagram
>>> moved, before, fewest, base = better_statement(d, load_theme("paper"), load_preset("paper"))
>>> moved.span.line, before.span.line, fewest < base  # K1 written before Q2
(9, 8, True)
"""
from __future__ import annotations

import itertools
from dataclasses import replace
from functools import cached_property

from ..ir import Diagram, Op
from ..style import Preset, Theme
from . import as_drawn
from .choice import choose_drawing
from .report import crossings, lower_bound

MOST_INPUTS = 3  # every order of more would take too long to try on each render
MOST_OPS = 400
MOST_STATEMENTS = 16  # every statement moved earlier, in a figure of more, would take too long to try on each render
MOST_TRIES = 8  # each a whole layout: linear attention's render took 0.5 s, 1.6 s with 60 tries and 0.8 s with 8


def crossing_note(diagram: Diagram, theme: Theme, preset: Preset, whole: bool = False) -> str | None:
    """The note ``ncd render`` gives where another order of the inputs (:func:`better_inputs`), or else one statement
    written earlier (:func:`better_statement`), crosses far fewer wires; None where none does. ``whole``: the figure
    is set in rows, cut from it laid out whole, whose crossings are counted."""
    lead = "laid out whole, before it is set in rows, " if whole else ""
    counted = _Counted(diagram, theme, preset)  # (the figure laid out once for both)
    found = better_inputs(diagram, theme, preset, counted)
    if found:
        names, fewest, base = found
        return f"{lead}the figure crosses {base} times; with its inputs declared in the order {', '.join(names)} it would cross {fewest}"
    moved = better_statement(diagram, theme, preset, counted)
    if moved:
        statement, before, fewest, base = moved
        line = statement.span.line
        return (f"{lead}the figure crosses {base} times; with line {line} ({statement.span.source.line(line).strip()}) "
                f"written before line {before.span.line} it would cross {fewest}")
    return None


def better_inputs(diagram: Diagram, theme: Theme, preset: Preset, counted: _Counted | None = None) -> tuple[tuple[str, ...], int, int] | None:
    """(the inputs' names in the order that crosses fewest, its crossings, the crossings as declared) when that
    order saves two crossings and a fifth of them at least; None otherwise, and for a figure set in rows or
    strips (whose parts cross on their own), more than :data:`MOST_INPUTS` inputs or :data:`MOST_OPS` boxes,
    or inputs declared after a statement. ``counted``: the figure's crossings, where :func:`crossing_note` asks twice."""
    kinds = [op.kind == "input" for op in diagram.ops]
    count = sum(kinds)
    if preset.rows or preset.wrap or not 2 <= count <= MOST_INPUTS or len(diagram.ops) > MOST_OPS or any(kinds[count:]):
        return None
    declared = diagram.ops[:count]
    counted = counted or _Counted(diagram, theme, preset)
    if not counted.may_save:
        return None
    base = counted.base
    best = (base, declared)
    for inputs in itertools.permutations(declared):
        if list(inputs) != declared and best[0]:
            n = _crossings(replace(diagram, ops=list(inputs) + diagram.ops[count:]), theme, preset)
            best = min(best, (n, list(inputs)), key=lambda found: found[0])
    fewest, inputs = best
    if base - fewest < _saving(base):
        return None
    return tuple(diagram.values[op.outputs[0]].name for op in inputs), fewest, base


def better_statement(diagram: Diagram, theme: Theme, preset: Preset, counted: _Counted | None = None) -> tuple[Op, Op, int, int] | None:
    """(a statement, the statement it would be written before, the crossings so, the crossings as written) where
    writing one statement earlier, just before another of its section that it does not depend on, saves two
    crossings and a fifth of them at least (the most saved); None otherwise, and for a figure set in rows or strips,
    or of more than :data:`MOST_STATEMENTS` statements (the :data:`MOST_TRIES` shortest moves are tried at most)."""
    statements = [op for op in diagram.ops if op.span is not None and op.kind not in _NOT_STATEMENTS]
    if preset.rows or preset.wrap or not 2 <= len(statements) <= MOST_STATEMENTS:
        return None
    counted = counted or _Counted(diagram, theme, preset)
    if not counted.may_save:
        return None
    base = counted.base
    best, tries = (base, None, None), 0
    pairs = sorted(((s, t) for k, s in enumerate(statements) for t in statements[:k]),
                   key=lambda pair: statements.index(pair[0]) - statements.index(pair[1]))  # the nearest moves first
    for s, t in pairs:
        ops = _moved(diagram.ops, s, t)
        if ops is None:
            continue
        n = _crossings(replace(diagram, ops=ops), theme, preset)
        best = min(best, (n, s, t), key=lambda found: found[0])
        tries += 1
        if tries == MOST_TRIES or not best[0]:
            break
    fewest, s, t = best
    if s is None or base - fewest < _saving(base):
        return None
    return s, t, fewest, base


_NOT_STATEMENTS = ("input", "copy", "delete", "save", "load", "output")


def _moved(ops: list[Op], s: Op, t: Op) -> list[Op] | None:
    """``ops`` with ``s`` just before ``t`` (earlier, in one section), the copies it reads from that stand between
    brought along before it; None where ``s`` reads what is made after ``t`` stands (or stands in another section)."""
    if s.section != t.section:
        return None
    at = {op.id: k for k, op in enumerate(ops)}
    made = {v: op for op in ops for v in op.outputs}
    brought = []
    for v in s.inputs:
        op = made[v]
        if at[op.id] >= at[t.id]:
            if op.kind != "copy" or at[made[op.inputs[0]].id] >= at[t.id]:
                return None
            brought.append(op)
    rest = [op for op in ops if op is not s and op not in brought]
    k = rest.index(t)
    return rest[:k] + brought + [s] + rest[k:]


class _Counted:
    """A figure's crossings as laid out (``base``), counted when first asked, and whether they exceed the fewest any
    order could leave (:func:`.report.lower_bound`, which holds for every order) by enough to save (``may_save``)."""

    def __init__(self, diagram: Diagram, theme: Theme, preset: Preset):
        self.diagram, self.theme, self.preset = diagram, theme, preset

    @cached_property
    def drawn(self):
        """:func:`.choice.choose_drawing`'s (diagram, choice, order) for the figure as drawn."""
        return choose_drawing(as_drawn(self.diagram))

    @cached_property
    def base(self) -> int:
        return crossings(self.drawn[2])

    @cached_property
    def may_save(self) -> bool:
        """(The bound of the diagram drawn, its batch drawn once where it is: :mod:`.through`.)"""
        return self.base - lower_bound(self.drawn[0]) >= _saving(self.base)


def _saving(base: int) -> float:
    """The fewest crossings another order must save, of ``base``, to be worth a note: two, and a fifth of them."""
    return max(2, base / 5)


def _crossings(diagram: Diagram, theme: Theme, preset: Preset) -> int:
    """The crossings of ``diagram`` laid out as :func:`ncd_render.layout.layout` lays it out."""
    return crossings(choose_drawing(as_drawn(diagram))[2])
