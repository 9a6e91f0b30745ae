"""Lay a diagram out: a pure function from the IR to a :class:`~ncd_render.scene.Scene`.

The layout is a pipeline of small stages, each a pure function passing frozen data
(:mod:`.model`) to the next, imports flowing one way:

1. :func:`.order.order`: columns and the order of the live wires in each
   (:func:`choose_copies` first picks how copies branch off, by the crossings each
   choice commits to, counted column by column as :func:`.report.crossings` counts them,
   so a trial that has crossed more than the best so far is swept no further);
2. :func:`.heights.heights`: a constraint solve for every wire's and box's height
   (after :func:`.glyphs.box_labels` sets the boxes' labels);
3. :func:`.columns.place_columns`: x positions, left to right;
4. :func:`.glyphs.draw_glyphs`: boxes, wiring regions (routed by :mod:`.routing`) and
   the gaps' copies and stores (:mod:`.gaps`), and where each wire is drawn;
5. :func:`.compose.compose`: wires, sections, separators and labels, the scene.

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
from .colours import colour_axes
from .compact import compact
from .columns import place_columns
from .compose import compose
from .glyphs import box_labels, draw_glyphs
from .heights import Cycle, heights
from .model import EXHAUSTIVE, Ordered, Style, is_wiring
from .order import NONE_CHOSEN, order
from .report import column_crossings, column_drawable

INF = float("inf")
PLAIN = NONE_CHOSEN  # every copy branches off where used, below its source
SIDES = ("below", "above", "inside")
__all__ = ["layout", "choose_copies", "is_wiring"]


def layout(diagram: Diagram, theme: Theme, preset: Preset, explicit: bool = False) -> Scene:
    """Place every wire, box and label of ``diagram``; returns a scene in points. Convolutions are
    drawn as one ★k box where the file asks for it (:mod:`.compact`) unless ``explicit``."""
    diagram = diagram if explicit else compact(diagram)
    style = Style(diagram, theme, preset)
    chosen, ordered = _choose(diagram, theme, preset)
    try:
        scene = _pipeline(style, ordered)
    except Cycle:
        if chosen == PLAIN:
            raise
        # a branch sent above its source can pull a wire both into and out of a section: draw
        # the order as swept instead (found by bench/fuzz.py; the gallery never needs it)
        scene = _pipeline(style, order(diagram, PLAIN))
    return colour_axes(scene, theme.colors.axes) if theme.colors.axes else scene


def choose_copies(diagram: Diagram, theme: Theme, preset: Preset, budget: int = 40_000) -> tuple[frozenset, frozenset, frozenset]:
    """How each copy branches off: where used or all at once; below its source, above it,
    or nested between its wires (which spreads the source's wires apart, so among equal
    crossings the fewest nested win). With few copies every choice is tried; otherwise,
    from the best choice that treats every copy alike, passes of one-copy changes, each
    kept only when it scores better, until a pass changes nothing. Either stops after
    about ``budget`` op visits (each trial visits every op once), so the choice never
    depends on the machine's speed. An order where a sum's other operand runs partly
    between its wires is never chosen, nor nesting on a page's rows or a wrapped figure's
    strips. Returns (eager, above, inside)."""
    return _choose(diagram, theme, preset, budget)[0]


def _choose(diagram: Diagram, theme: Theme, preset: Preset, budget: int = 40_000):
    """:func:`choose_copies`' choice and the order it scored (kept, so the layout need not sweep it again)."""
    scored = {}  # the order of the best choice so far (order() is pure: the same choice gives the same order)

    def score(choice, cap: float = INF) -> tuple[float, int] | None:
        """(crossings, branches nested) of ``choice``'s order, or None once its sweep has crossed more
        than ``cap`` (every column's count is at least 0): a choice that cannot win is swept no further."""
        seen = [0]

        def tally(column, wires) -> bool:
            seen[0] += column_crossings(column, wires) if column_drawable(column) else INF
            return seen[0] > cap

        trial = order(diagram, choice, tally)
        if trial is None:
            return None
        n = seen[0] + sum(placed.crossed for placed in trial.final_gap), len(choice[2])
        if not scored or n < scored["n"]:
            scored.update(n=n, choice=choice, order=trial)
        return n

    trials = max(8, budget // max(1, len(diagram.ops)))
    copies = [op.id for op in diagram.ops if op.kind == "copy"]
    # a page's rows (or a wrapped figure's strips) each stand as tall as their highest bundle:
    # there a branch never nests, which would spread its source over the whole block
    states = 4 if preset.rows or preset.wrap else 6
    best = PLAIN
    if states ** len(copies) <= EXHAUSTIVE:  # few copies: try every choice (the first found of the best wins)
        fewest = score(best)
        candidates = (_choice(dict(zip(copies, combo))) for combo in itertools.product(range(states), repeat=len(copies)))
    else:  # many copies: start from the best of the uniform choices (every copy the same way)
        candidates = None
        uniforms = [_choice(dict.fromkeys(copies, k)) for k in (4, 5, 2, 3, 1)[6 - states:]]  # nested first: it crosses the fewest wherever sums come back
        # the first uniform is swept before the plain order, only so that the plain order's sweep can stop as soon as
        # it crosses more (the plain order still wins ties, as the first tried)
        first = score(uniforms[0])
        fewest = score(best, first[0])
        if fewest is None or first < fewest:
            best, fewest = uniforms[0], first
        trials -= 1
        for uniform in uniforms[1:]:
            if not fewest[0]:
                break
            trials -= 1
            n = score(uniform, fewest[0])
            if n is not None and n < fewest:
                best, fewest = uniform, n
    while fewest[0] and trials > 0:
        improved = False
        for trial in candidates or _one_copy_changes(best, copies, states):
            if not fewest[0] or trials <= 0:
                break
            trials -= 1
            n = score(trial, fewest[0])
            if n is not None and n < fewest:
                best, fewest, improved = trial, n, True
                if candidates is None:
                    break  # look again around the new best
        if candidates is not None or not improved:
            break
    return best, scored["order"] if scored["choice"] == best else order(diagram, best)


def _choice(states: dict[int, int]) -> tuple[frozenset, frozenset, frozenset]:
    """(eager, above, inside) from each copy's state: bit 0 eager, state // 2 its side (:data:`SIDES`)."""
    return tuple(frozenset(c for c, k in states.items() if test(k)) for test in (lambda k: k & 1, lambda k: k // 2 == 1, lambda k: k // 2 == 2))


def _one_copy_changes(choice: tuple[frozenset, frozenset, frozenset], copies: list[int], states: int = 6):
    eager, above, inside = choice
    now = {c: (c in eager) + 2 * (1 if c in above else 2 if c in inside else 0) for c in copies}
    for c in copies:
        for k in range(states):
            if k != now[c]:
                yield _choice({**now, c: k})


def _pipeline(style: Style, ordered: Ordered) -> Scene:
    labels = box_labels(style, ordered)
    high = heights(style, ordered, labels)
    laid = place_columns(style, ordered, high, labels)
    return compose(style, ordered, high, laid, draw_glyphs(style, ordered, high, laid))
