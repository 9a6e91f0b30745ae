"""Lay a diagram out: a pure function from the IR to a :class:`~ncd_render.scene.Scene`.

The layout is a pipeline of four stages, one module each, over one working state:
:mod:`.order` (columns and wire order), :mod:`.heights` (a constraint solve),
:mod:`.glyphs` (boxes and wiring regions, routed by :mod:`.routing`) and
:mod:`.compose` (x positions and the scene); :func:`choose_copies` picks how copies
branch off by counting the crossings each choice commits to.

Composition runs left to right in columns; the wires of the live tensors are
stacked top to bottom. Every wire keeps one height for its whole life, so it
is a horizontal line; it bends only inside wiring regions (einsum cups and
merges, transposes, copies). Heights come from one longest-path pass over a
DAG of "at least this far below" constraints between neighbouring wires and
the boxes and sections around them, which keeps the figure as compact as the
rules allow, in time linear in the number of wires and boxes.

>>> from ncd_render.parse import parse
>>> from ncd_render.ir import build
>>> from ncd_render.style import load_theme, load_preset
>>> d = build(parse("axis y = 4 width\\naxis m = 8\\ninput X[y m]\\nY = relu(X)\\noutput Y\\n"))
>>> scene = layout(d, load_theme("paper"), load_preset("paper"))
>>> [item.role for item in scene.items if item.role in ("arrow", "box")]  # ReLU's ➤f➤ mark, on no wire
['arrow', 'arrow', 'box']
"""
from __future__ import annotations

import itertools

from ..ir import Diagram
from ..scene import Scene
from ..style import Preset, Theme
from ..text import set_label
from .colours import colour_axes
from .compose import Compose
from .glyphs import Glyphs
from .heights import Cycle, Heights
from .model import EXHAUSTIVE, _Column, _Wire, is_wiring

PLAIN = (frozenset(), frozenset(), frozenset())  # every copy branches off where used, below its source
SIDES = ("below", "above", "inside")
from .order import Ordering

__all__ = ["layout", "choose_copies", "is_wiring"]


def layout(diagram: Diagram, theme: Theme, preset: Preset) -> Scene:
    """Place every wire, box and label of ``diagram``; returns a scene in points."""
    chosen = choose_copies(diagram, theme, preset)
    try:
        scene = _Layout(diagram, theme, preset, chosen).run()
    except Cycle:
        if chosen == PLAIN:
            raise
        # a branch sent above its source can pull a wire both into and out of a section: draw
        # the order as swept instead (found by bench/fuzz.py; the gallery never needs it)
        scene = _Layout(diagram, theme, preset, PLAIN).run()
    return colour_axes(scene, theme.colors.axes) if theme.colors.axes else scene


def choose_copies(diagram: Diagram, theme: Theme, preset: Preset, budget: int = 40_000) -> tuple[frozenset, frozenset, frozenset]:
    """How each copy branches off: where used or all at once; below its source, above it,
    or nested between its wires (which spreads the source's wires apart, so among equal
    crossings the fewest nested win). With few copies every choice is tried; otherwise,
    from the best choice that treats every copy alike, passes of one-copy changes, each
    kept only when it scores better, until a pass changes nothing. Either stops after
    about ``budget`` op visits (each trial visits every op once), so the choice never
    depends on the machine's speed. An order where a sum's other operand runs partly
    between its wires is never chosen. Returns (eager, above, inside)."""
    def score(choice) -> tuple[float, int]:
        trial = _Layout(diagram, theme, preset, choice)
        trial.order()
        return (trial.crossings() if trial.drawable() else float("inf")), len(choice[2])

    trials = max(8, budget // max(1, len(diagram.ops)))
    copies = [op.id for op in diagram.ops if op.kind == "copy"]
    best = PLAIN
    fewest = score(best)
    if 6 ** len(copies) <= EXHAUSTIVE:  # few copies: try every choice (the first found of the best wins)
        candidates = (_choice(dict(zip(copies, combo))) for combo in itertools.product(range(6), repeat=len(copies)))
    else:  # many copies: start from the best of the uniform choices (every copy the same way)
        candidates = None
        for k in (4, 5, 2, 3, 1):  # nested first: it crosses the fewest wherever sums come back
            if not fewest[0]:
                break
            trials -= 1
            uniform = _choice(dict.fromkeys(copies, k))
            best, fewest = min((best, fewest), (uniform, score(uniform)), key=lambda pair: pair[1])
    while fewest[0] and trials > 0:
        improved = False
        for trial in candidates or _one_copy_changes(best, copies):
            if not fewest[0] or trials <= 0:
                break
            trials -= 1
            n = score(trial)
            if n < fewest:
                best, fewest, improved = trial, n, True
                if candidates is None:
                    break  # look again around the new best
        if candidates is not None or not improved:
            break
    return best


def _choice(states: dict[int, int]) -> tuple[frozenset, frozenset, frozenset]:
    """(eager, above, inside) from each copy's state: bit 0 eager, state // 2 its side (:data:`SIDES`)."""
    return tuple(frozenset(c for c, k in states.items() if test(k)) for test in (lambda k: k & 1, lambda k: k // 2 == 1, lambda k: k // 2 == 2))


def _one_copy_changes(choice: tuple[frozenset, frozenset, frozenset], copies: list[int]):
    eager, above, inside = choice
    states = {c: (c in eager) + 2 * (1 if c in above else 2 if c in inside else 0) for c in copies}
    for c in copies:
        for k in range(6):
            if k != states[c]:
                yield _choice({**states, c: k})


class _Layout(Ordering, Heights, Glyphs, Compose):
    """The working state the stages share: wires, columns and height constraints."""

    def __init__(self, diagram: Diagram, theme: Theme, preset: Preset, choice: tuple = PLAIN):
        self.d, self.theme, self.p = diagram, theme, preset
        # copies whose branches all leave at once; that branch upwards; that branch between their wires
        self.eager, self.above, self.inside = choice
        self.wires: dict[int, _Wire] = {}
        self.wire_of: dict[tuple[int, str], int] = {}  # (value, axis) -> wire
        self.columns: list[_Column] = []
        self.edges: dict[tuple, float] = {}
        self.nodes: set = set()
        self.gap_items: list = []  # copies and deletes, drawn between columns
        f = theme.font
        self.axis_h = self._text("x", f.axis_size).ascent + f.axis_size * 0.25

    # -- helpers -------------------------------------------------------------
    def _text(self, text: str, size: float, bold: bool = False, math: bool = False):
        return set_label(text, self.theme.font.family, size, bold, math=math)

    def new_wire(self, value: int, axis: str, start: tuple, labelled: bool = True) -> int:
        wid = len(self.wires)
        self.wires[wid] = _Wire(wid, axis, value, labelled=labelled, start=start)
        self.wire_of[(value, axis)] = wid
        return wid

    def value_wires(self, value: int) -> list[int]:
        return [self.wire_of[(value, a)] for a in self.d.values[value].axes]

    def alias(self, value: int, wires: list[int]) -> None:
        for a, w in zip(self.d.values[value].axes, wires):
            self.wire_of[(value, a)] = w
            self.wires[w].value = value

    def edge(self, a, b, weight: float) -> None:
        self.nodes.update((a, b))
        if self.edges.get((a, b), float("-inf")) < weight:
            self.edges[(a, b)] = weight

    def run(self) -> Scene:
        final = self.order()
        self.heights(final)
        return self.draw(final)
