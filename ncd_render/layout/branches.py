"""A copy's branches and a sum's operands: wires that fan out of a copy's dots (:func:`draw_copy`),
meet at a merge's dots (:func:`draw_merge`), or come up into a sum's box (:func:`draw_entries`),
each bend drawn as :func:`.routing.bend` draws the bends of a wiring region."""
from __future__ import annotations

from ..records import replaced
from ..scene import Circle, Line, Path, Stroke
from .routing import DOT_R, bend


STAGGER = 8.0  # between the dots of one copy, so a branch never crosses a wire at its dot


def copy_widths(sources: list[float], branches: list[list[float]], bend: float, tight: set[int] = frozenset()) -> list[float]:
    """Widths of a copy's branches, drawn one after another, the farthest first.

    ``sources`` are the copied wires' heights, ``branches`` the heights of each copy's
    wires; wires whose index is in ``tight`` (drawn in tandem with the next) share a dot's x.
    """
    stagger = max(dot_offsets(sources, branches[0], tight)) if branches else 0.0
    return [stagger + travel_width(max(abs(b - a) for a, b in zip(sources, ys)), bend) for ys in reversed(branches)]


def dot_offsets(sources: list[float], branch: list[float], tight: set[int] = frozenset()) -> list[float]:
    """How far past the copy's start each copied wire's dot stands. The wires whose copy
    lies below them (a prefix) take their dots from the lowest up, those whose copy lies
    above them from the highest down, so each branch leaves its dot before it crosses the
    copied wires; a branch nested between the wires splits both ways at once.

    >>> dot_offsets([0.0, 20.0], [40.0, 60.0]), dot_offsets([0.0, 40.0], [10.0, 20.0])
    ([8.0, 0.0], [0.0, 0.0])
    """
    n = len(sources)
    split = sum(1 for a, b in zip(sources, branch) if b > a)  # wires 0..split-1 bend down, the rest up
    offsets, step = [0.0] * n, 0.0
    for i in range(split - 2, -1, -1):
        step += 0.0 if i in tight else STAGGER
        offsets[i] = step
    step = 0.0
    for i in range(split + 1, n):
        step += 0.0 if i - 1 in tight else STAGGER
        offsets[i] = step
    return offsets


def draw_copy(x: float, sources: list[float], branches: list[list[float]], widths: list[float], stroke: Stroke,
              dot: str, tight: set[int] = frozenset()) -> tuple[list, list[float], list[tuple[int, float]]]:
    """Dots on the copied wires and a branch from each to its copy, one copy after
    another from x, the farthest first; the dot of the wire nearest the copies comes
    first (:func:`dot_offsets`), so each branch leaves its dot before it crosses the
    copied wires. Returns the items, where each branch's wires start, and (source, x) for
    every dot, where the copied wire is cut so that it ends and goes on at its dot."""
    items, starts, cuts = [], [0.0] * len(branches), []
    offsets = dot_offsets(sources, branches[0], tight) if branches else []
    for k, width in zip(range(len(branches) - 1, -1, -1), widths):
        end = x + width
        for i, (a, b) in enumerate(zip(sources, branches[k])):
            items.append(bend(x + offsets[i], a, end, b, stroke))
            cuts.append((i, x + offsets[i]))
            if i - 1 in tight:  # wires in tandem share one dot, drawn over both
                continue
            last = i
            while last in tight:
                last += 1
            mid, r = (a + sources[last]) / 2, DOT_R + (sources[last] - a) / 2
            items.append(Circle(x + offsets[i], mid, r, None, dot, role="dot"))
        starts[k] = end
        x = end
    return items, starts, cuts


def draw_merge(x1: float, targets: list[float], operands: list[float], width: float, stroke: Stroke, dot: str,
               tight: set[int] = frozenset()) -> tuple[list, list[tuple[int, float]]]:
    """A sum whose other operand runs between its first operand's wires (at ``targets``):
    each wire of the other (at ``operands``) bends into its match at a dot, the room
    ``width`` ending at ``x1``. It is a copy (:func:`draw_copy`) drawn right to left, so it
    crosses what the copy crossed and no more. Returns the items and (target, x) per dot.

    >>> items, cuts = draw_merge(30.0, [0.0, 40.0], [10.0, 20.0], 30.0, Stroke(), "#000")
    >>> sorted((round(i.cx), i.cy) for i in items if isinstance(i, Circle)), cuts
    ([(30, 0.0), (30, 40.0)], [(0, 30.0), (1, 30.0)])
    """
    items, _, cuts = draw_copy(0.0, targets, [operands], [width], stroke, dot, tight)
    return [_mirrored(item, x1) for item in items], [(i, x1 - at) for i, at in cuts]


def _mirrored(item, about: float):
    """``item`` reflected in the vertical line x = ``about``: its fields copied straight into a new
    item (:func:`~ncd_render.records.replaced`, as :mod:`ncd_render.scene` moves items)."""
    if isinstance(item, Circle):
        return replaced(item, cx=about - item.cx)
    if isinstance(item, Line):
        return replaced(item, x1=about - item.x1, x2=about - item.x2)
    return replaced(item, commands=tuple([_mirrored_command(cmd, about) for cmd in item.commands]))


def _mirrored_command(cmd: tuple, about: float) -> tuple:
    """One path command reflected in x = ``about``: x, y pairs after its letter."""
    if len(cmd) == 3:  # M, L
        return (cmd[0], about - cmd[1], cmd[2])
    if len(cmd) == 7:  # C
        return (cmd[0], about - cmd[1], cmd[2], about - cmd[3], cmd[4], about - cmd[5], cmd[6])
    return (cmd[0],) + tuple([about - v if k % 2 == 0 else v for k, v in enumerate(cmd[1:])])


ENTRY = 11.0  # between the operands that come up into a sum's box, so a wire they cross never meets two at once


def travel_width(travel: float, bend: float) -> float:
    """Room for a wire to bend ``travel`` points up or down: proportional for short
    bends, growing more slowly for long drops so a far branch does not widen the figure."""
    return max(8.0, min(bend * travel, 24 + 0.12 * travel) + 6)


def draw_entries(x0: float, box_x: float, bottom: float, heights: list[float], stroke: Stroke) -> list:
    """Wires at ``heights`` (top to bottom), below a box whose left edge is ``box_x``, each
    turning up into the box's bottom edge; wire j leaves its height at x0 + j·ENTRY and
    enters the box at box_x + 6 + j·ENTRY, so the bends nest and never cross."""
    items = []
    for j, y in enumerate(heights):
        xs, xe = x0 + ENTRY * j, box_x + 6 + ENTRY * j
        items.append(Path((("M", xs, y), ("C", xs + (xe - xs) * 0.65, y, xe, bottom + (y - bottom) * 0.35, xe, bottom)),
                          stroke, None, role="wire.bend"))
    return items
