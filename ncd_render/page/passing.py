"""Wires that only pass through a row of a figure broken into rows (:mod:`.rows`), left out of it.

A tensor that waits (DeepSeek's values while the scores are computed, the encoder's output
while the decoder attends to itself) keeps its room in every row it waits through. Where
its wires lie at a row's top or bottom and nothing in the row touches them, the row leaves
them out: they end with an arrow and a label in one row and come back, labelled, in a later
one. An input that waits through the first row is left out of it whole, its name with it,
and comes in where it is used, named left of its wires: with arrowheads where it came in
with them (a part's input an earlier part made), else as the figure's inputs do, without
(they would say it came from an earlier row). A part's last row leaves out what only passes it to
be handed on to a later part (Q and V beside K's RoPE): it ends, named, in the row before.

>>> from ncd_render.scene import Line, Rect, Stroke, Text
>>> wire = lambda y: Line(0, y, 100, y, Stroke())
>>> name = lambda y: Text(-10, y + 2, (), "sans", "#000", 8, 6, 2, "label.name")  # centred on y
>>> items = [wire(10), Rect(40, 5, 10, 10, Stroke(), "#fff", role="box"), wire(30), name(10), name(30)]
>>> waiting = {}
>>> kept = drop_passing(items, None, _Cut(100, ((10,), (30,)), 8), 3, waiting)
>>> [i.y1 for i in kept if isinstance(i, Line)], list(waiting)
([10], [frozenset({30})])
>>> later = drop_passing([wire(10), wire(30)], _Cut(0, ((10,), (30,)), 8), None, 3, waiting)
>>> [(t.role, t.x) for t in later if isinstance(t, Text)], waiting
([('label.name', -19)], {})
"""
from __future__ import annotations

from collections import namedtuple
from dataclasses import replace

from ..layout.model import MARK_GAP
from ..scene import Line, Path, Text
from .arrows import tips
from .relabel import bar_over

NAME_REACH = 12.0  # an input's wires start this close to the right of its name
TANDEM = 6.0  # pt: two lines this close are one wire's, in tandem (4 pt apart in every layout that ships)
_Cut = namedtuple("_Cut", "x wires pad")  # a cut's x, wires (y first) and pad, as rows.Cut has them: for the examples


def drop_passing(items: list, before, after, label_pad: float, waiting: dict, kept: frozenset = frozenset()) -> list:
    """The row ``items`` between cuts ``before`` and ``after`` (None at the figure's start or end)
    without the wires at its top and bottom that only pass through it. ``waiting``: the names of
    inputs left out of earlier rows (and whether they came in with arrowheads), by the heights of their wires; a row
    where they come in sets the name left of their wires (and forgets it), a first row adds the inputs it leaves out.
    ``kept``: the heights of wires kept in every row (the axes every tensor has, passing the whole figure, which no box
    touches: left out, they came in nowhere)."""
    if kept:  # (what only passes a row is told by the wires the cuts either side carry: these, never)
        return drop_passing(items, *(cut if cut is None else replace(cut, wires=tuple(w for w in cut.wires if w[0] not in kept))
                                     for cut in (before, after)), label_pad, waiting)
    groups = None
    if after is None and before is None:
        drop = set()
    elif after is None:  # a part's last row: what only passes it to be handed on ends in the row before, named there
        drop = _whole(_handed_on(items, _passing(items, {y for y, *_ in before.wires})), before)
    elif before is None:
        carried = {y for y, *_ in after.wires}
        groups = [(n, levels) for n, levels in _inputs(items) if levels <= carried]
        through = set().union(*(levels for _, levels in groups))
        while True:  # an input leaves the first row whole or not at all
            drop = _passing(items, through)
            partial = {y for _, levels in groups for y in levels if levels & drop and not levels <= drop}
            if not partial:
                break
            through -= partial
    else:
        drop = _whole(_passing(items, {y for y, *_ in before.wires} & {y for y, *_ in after.wires}), before, after)
    out = _without(items, drop)
    if after is None and drop:  # (their names at the part's end go with them)
        ended = {id(n) for n in _ends_named(items, drop)}
        out = [i for i in out if id(i) not in ended]
    for n, levels in groups or ():
        if levels <= drop:
            out.remove(n)
            waiting[frozenset(levels)] = (n, bool(_heads(items, levels)))
    if before is not None:
        entering = {y for y, *_ in before.wires} - drop
        for levels in [k for k in waiting if k <= entering]:
            n, handed = waiting.pop(levels)
            if not handed:  # the figure's own input: no arrowheads, as if from an earlier row
                out = [i for i in out if id(i) not in {id(h) for h in _heads(out, levels)}]
            out.append(replace(n, x=before.x - before.pad - label_pad - n.width))
    return out


def _handed_on(items: list, levels: set) -> set:
    """The heights among ``levels`` whose wires end in an arrowhead a part draws where it hands a tensor on to a later
    part (not the figure's outputs, which end the figure where they are)."""
    tips_out = {round(t, 2) for i in items if i.role == "arrow.continue.out" for t in tips(i)}
    return {y for y in levels if round(y, 2) in tips_out}


def _ends_named(items: list, levels: set) -> list[Text]:
    """The names right of the wires' ends that stand nearest a wire at one of ``levels``."""
    wires = [i for i in items if isinstance(i, Line) and i.role == "wire" and i.y1 == i.y2]
    end = max((max(w.x1, w.x2) for w in wires), default=0.0)
    heights = sorted({w.y1 for w in wires})
    names = [i for i in items if isinstance(i, Text) and i.role == "label.name" and i.x >= end - 0.5]
    middle = lambda n: n.y - (n.ascent - n.descent) / 2  # noqa: E731 (a name is centred on its wires)
    return [n for n in names if heights and min(heights, key=lambda y: abs(y - middle(n))) in levels]


def _heads(items: list, levels: set) -> list:
    """The arrowheads in ``items`` that bring in wires at ``levels`` (and no others)."""
    at = {round(y, 2) for y in levels}
    return [i for i in items if i.role == "arrow.continue.in" and all(round(t, 2) in at for t in tips(i))]


def carried(wires: tuple) -> list[tuple[float, object]]:
    """(height, the tensor's name or None) of each of a cut's ``wires`` (as :class:`.rows.Cut` has them), a tandem's
    second line, which names no tensor, carrying the first's.

    >>> t = object()
    >>> [name is t for _, name in carried(((10, None, None, None, t), (14, None, None, None, None), (30, None, None, None, None)))]
    [True, True, False]
    """
    out: list[tuple[float, object]] = []
    for y, *rest in wires:
        tensor = rest[3] if len(rest) > 3 else None
        if tensor is None and out and y - out[-1][0] <= TANDEM:
            tensor = out[-1][1]
        out.append((y, tensor))
    return out


def _whole(drop: set, *cuts) -> set:
    """``drop`` less the wires of each tensor (as the ``cuts`` name the tensors their wires carry) that keeps
    a wire in the row: a tensor passes a row whole or stays whole. A mark stands above its tensor's top wire
    only, and a box may act on some of a tensor's wires while the others pass it (broadcast): left out, the
    others would come back in a later row, and the row would show the mark, or the box, on part of the tensor.

    >>> t, s = object(), object()  # two tensors' names
    >>> sorted(_whole({10, 30, 40}, _Cut(0, ((10, None, None, None, t), (20, None, None, None, t), (30, None, None, None, s),
    ...                                        (40, None, None, None, s)), 8)))
    [30, 40]

    A tandem's second line (no label of its own, as ResNet's bold x is drawn) goes with the line above it:

    >>> x = object()  # its label
    >>> sorted(_whole({10, 14}, _Cut(0, ((10, None, x, None, t), (14, None, None, None, None), (30, None, x, None, t)), 8)))
    []
    """
    while True:
        partial = set()
        for cut in cuts:
            tensors: dict[int, set] = {}
            for y, tensor in carried(cut.wires):
                if tensor is not None:
                    tensors.setdefault(id(tensor), set()).add(y)
            partial.update(*(levels & drop for levels in tensors.values() if levels & drop and not levels <= drop))
        if not partial:
            return drop
        drop = drop - partial


def _passing(items: list, through: set) -> set:
    """The heights in ``through`` of the wires at the row's top and bottom that nothing in it touches
    (no box, dot or bend), from the top, then from the bottom, while wires only pass; none when all would go."""
    touched = set()
    for i in items:
        if i.role in ("wire", "separator", "section", "arrow.continue.in", "arrow.continue.out") or i.role.startswith("label"):
            continue
        _, top, _, bottom = i.bbox
        touched.update(y for y in through if top - 0.5 <= y <= bottom + MARK_GAP + 0.5)  # a mark stands just above its tensor
    levels = sorted({i.y1 for i in items if isinstance(i, Line) and i.role == "wire"})
    drop = set()
    for order in (levels, levels[::-1]):
        for y in order:
            if y not in through or y in touched or _bends_at(items, y):
                break
            drop.add(y)
    return set() if len(drop) == len(levels) else drop


def _without(items: list, drop: set) -> list:
    """``items`` without the wires at heights ``drop``, their arrows, axis labels and the separators beyond the wires kept."""
    if not drop:
        return list(items)
    kept = sorted({i.y1 for i in items if isinstance(i, Line) and i.role == "wire"} - drop)
    lo, hi = min(kept), max(kept)

    def dropped(i) -> bool:
        if isinstance(i, Line) and i.role in ("wire", "separator") and i.y1 == i.y2:
            return i.y1 in drop or not lo <= i.y1 <= hi
        if i.role.startswith("arrow.continue"):
            return any(abs(t - y) < 0.01 for t in tips(i) for y in drop)
        if i.role == "label.axis":  # a label's baseline just above its wire
            return any(y - 12 < i.y <= y + 0.01 for y in drop) and not any(y - 12 < i.y <= y + 0.01 for y in kept)
        return False

    out = [i for i in items if not dropped(i)]
    kept_items = {id(i) for i in out}
    gone = [i.bbox for i in items if i.role == "label.axis" and id(i) not in kept_items]
    # an overline's bar goes with the label under it (a slide's labels stand taller than a page's: its bar sat
    # more than 12 pt above the wire, and stayed when the label went)
    return [i for i in out if not (i.role == "label.overline" and any(bar_over(b, i) for b in gone))]


def _inputs(items: list) -> list[tuple[Text, set]]:
    """Each input name in the row and the heights of the wires that start right of it (each wire to the name nearest it)."""
    names = [i for i in items if isinstance(i, Text) and i.role == "label.name"]
    starts = {}
    for w in (i for i in items if isinstance(i, Line) and i.role == "wire" and i.y1 == i.y2):
        x0 = min(w.x1, w.x2)
        starts[w.y1] = min(starts.get(w.y1, x0), x0)
    groups = {id(n): (n, set()) for n in names}
    for y, x0 in starts.items():
        beside = [n for n in names if 0 <= x0 - n.bbox[2] <= NAME_REACH]
        if beside:
            nearest = min(beside, key=lambda n: abs(n.y - (n.ascent - n.descent) / 2 - y))
            groups[id(nearest)][1].add(y)
    return [(n, levels) for n, levels in groups.values() if levels]


def _bends_at(items: list, y: float) -> bool:
    return any(isinstance(i, Path) and not i.role.startswith("arrow.continue") and i.stroke is not None
               and any(abs(c[-1] - y) < 0.01 for c in i.commands if len(c) > 2) for i in items)
