"""Lay a figure out part by part (:mod:`.chunks`), to be broken into rows and set on a page.

Each part is laid out alone; :mod:`.compose` breaks it into rows (:mod:`.rows`)
and :mod:`.arrange` sets the rows, in reading order, on the page (narrow ones
side by side). Where a part
hands tensors to the next, its output wires end in arrowheads and the next
part's input wires start with them, each tensor named at both ends.

>>> from ncd_render.api import load_text
>>> from ncd_render.style import load_preset, load_theme
>>> text = ('axis m = 4\\naxis t = 3\\ninput X[t m]\\nsection "A"\\n  Y = relu(X)\\nend\\n'
...         'section "B"\\n  Z = relu(Y)\\nend\\noutput Z\\n')
>>> parts = part_scenes(load_text(text).diagram, None, load_theme("paper"), load_preset("page"))
>>> [(len(p.by_role("arrow.continue.out")), len(p.by_role("arrow.continue.in"))) for p in parts]
[(2, 0), (0, 2)]
"""
from __future__ import annotations

import math
from dataclasses import replace
from types import MappingProxyType

from ..ir import Diagram
from ..records import replaced
from ..layout import drawn_once, layout
from ..scene import Line, Scene, Text
from ..style import Preset, Theme
from .arrange import BLOCK_GAP
from .arrows import ARROW, HALF, arrowheads
from .chunks import chunks
from .refs import Numbering, in_figure
from .relabel import clear_of_labels, end_label, label_of, labelled_near
from .rows import ROW_GAP
from .strands import stranded


def part_scenes(diagram: Diagram, depth: int | None, theme: Theme, preset: Preset, deep: bool = False,
                strands: bool = False, numbering: Numbering | None = None, width: float | None = None,
                sums: bool = False, titled: bool = False, cuts: dict | None = None,
                once: tuple[str, ...] | None = None) -> list[Scene] | None:
    """The parts of ``diagram`` laid out one by one, marked where tensors pass between them; None without parts
    (``deep``: sections split into their sections and repeats too, :func:`.chunks.chunks`; ``sums``: each
    sublayer with its residual sum, None where none has one; ``strands``: and
    their statements into strands, :mod:`.strands`, weighed for a page ``width`` points wide, ``titled`` as their
    sections go on, cut as ``cuts`` keeps). Their items
    name their ops as ``numbering``'s figure does (:mod:`.refs`; by default, as ``diagram`` does). Every part draws
    the axes the whole figure draws once (a batch) so too, ``once`` where the caller has them (else found here:
    :func:`ncd_render.layout.drawn_once` lays the figure out)."""
    numbering = numbering or Numbering(diagram)
    once = drawn_once(diagram) if once is None else once
    if strands:
        parts = stranded(diagram, depth, lambda d: _room(layout(d, theme, preset, part=True, through=once), width), titled, cuts)
    else:
        parts = chunks(diagram, depth, deep, sums)
    if not parts:
        return None
    scenes, handed = [], {}
    for k, part in enumerate(parts):
        taken = taking_in(part.diagram, handed)
        outputs = _names(part.diagram, part.diagram.outputs)
        handed_on = outputs & {n for later in parts[k + 1:] for n in _names(later.diagram, later.diagram.inputs)}
        scene = in_figure(layout(taken, theme, preset, part=True, ending=frozenset(outputs - handed_on), through=once), taken,
                          numbering)
        handed.update(handing_on(scene))
        handed_in = part.handed  # (by where it was made, not its name: a residual stream's X made again comes in)
        scenes.append(_marked(scene, handed_in, handed_on, k == 0, preset.label_pad))
    return scenes


def handing_on(scene: Scene) -> dict[str, tuple[str, ...]]:
    """The axes of each tensor a part's ``scene`` ends with, top to bottom as its wires end there."""
    x_end = max((x1 for _, _, x1, *_ in scene.wire_names), default=0.0)
    stacked: dict[str, list[str]] = {}
    for _, _, x1, label, _, runs in sorted(scene.wire_names, key=lambda n: n[0]):
        if x1 >= x_end - 0.5 and runs and abs(runs[-1][1] - x1) < 0.5 and runs[-1][2] is not None:
            stacked.setdefault("".join(r.text for r in runs[-1][2].runs), []).append(label.axis)
    return {name: tuple(axes) for name, axes in stacked.items()}


def taking_in(diagram: Diagram, handed: dict[str, tuple[str, ...]]) -> Diagram:
    """``diagram`` (a part) with each input an earlier part handed on (``handed``, :func:`handing_on`'s) taken in
    with its wires stacked as they were handed on: a tensor whose wires came out of one part x, y, h went into the
    next y, h, x, in its axes' order."""
    ops = []
    for op in diagram.ops:
        name, axes = (diagram.values[op.outputs[0]].name, diagram.values[op.outputs[0]].axes) if op.kind == "input" else (None, ())
        stacked = handed.get(name)
        if stacked and stacked != axes and sorted(stacked) == sorted(axes):
            op = replaced(op, params=MappingProxyType({**op.params, "stacked": stacked}))
        ops.append(op)
    return diagram if ops == diagram.ops else replace(diagram, ops=ops)


def _names(diagram: Diagram, values) -> set[str]:
    return {diagram.values[v].name for v in values}


def _room(scene: Scene, width: float | None = None) -> float:
    """The room a part takes on a page ``width`` points wide, with the gaps around it: a part wider than the page
    is cut into rows, each about as tall as the part and as wide as the page.

    >>> _room(Scene(100.0, 50.0, []), 468.0) < _room(Scene(470.0, 50.0, []), 468.0) / 2  # one row, or two
    True
    """
    rows = math.ceil(scene.width / width) if width and scene.width > width else 1
    return (min(scene.width, width or scene.width) + BLOCK_GAP) * (scene.height + ROW_GAP) * rows


def _marked(scene: Scene, handed_in: set[str], handed_on: set[str], first: bool, label_pad: float) -> Scene:
    """Arrowheads where the part's outputs go on to a later part (not where they are only the figure's
    outputs), each wire labelled there, and where tensors from an earlier part come in."""
    names = scene.wire_names
    if not names:
        return scene
    x_end = max(x1 for _, _, x1, *_ in names)
    x_start = min(x0 for _, x0, *_ in names)
    labels = [i for i in scene.items if isinstance(i, Text) and i.role == "label.name"]
    inputs, outputs = [i for i in labels if i.x < x_start], [i for i in labels if i.x > x_end - 0.5]
    marks, ink = [], _ink(scene)
    axis_labels = [i for i in scene.items if i.role == "label.axis"]  # (what end_label looks among, found once)
    out = [(y, x1) for y, x0, x1, *_ in names
           if handed_on and x1 >= x_end - 0.5 and (not outputs or _name_at(outputs, y) in handed_on)]
    into = [(y, x0) for y, x0, *_ in names if not first and x0 <= x_start + 0.5 and _name_at(inputs, y) in handed_in]
    partners = _partners(scene, {y for y, *_ in names})
    for x1 in sorted({x1 for _, x1 in out}):
        marks += arrowheads(x1, [(v, ink) for y, at in out if at == x1 for v in partners(y, x1, end=True)], "arrow.continue.out")
    for y, x1 in out:  # each labelled there, as a row's end labels its wires,
        label = end_label(axis_labels + marks, *label_of(y, x1 - 0.5, names)[:2], x1, y, label_pad)
        if label and not _clear(label[0], scene.items):
            label = _left_of_marks(label, scene.items, y, x_start, label_pad)
            if label and labelled_near(axis_labels + marks, label[0], label[0].x, label[0].y):
                label = []  # (labelled just before it: a box's output label)
        if label:  # where nothing stands (a part's end kept no room for it)
            marks += label
    for x0 in sorted({x0 for _, x0 in into}):
        marks += arrowheads(x0 + ARROW, [(v, ink) for y, at in into if at == x0 for v in partners(y, x0, end=False)], "arrow.continue.in")
    items = clear_of_labels(scene.items + marks, [x_start, x_end]) if marks else scene.items  # (a tuple's separator ran on under them)
    return Scene(scene.width, scene.height, items, scene.background, scene.title, names, scene.through)


def _partners(scene: Scene, named: set[float]):
    """``partners(y, x, end)``: the height ``y`` of a named wire, and of each unnamed wire that ends (starts) at ``x`` beside
    it, closer than an arrowhead is high: a tandem pair names one wire of two, and took the part's arrowhead on that
    one alone (a squeeze-and-excitation block's x̄: its head on the upper wire, the lower one bare)."""
    wires = [i for i in scene.items if i.role == "wire" and isinstance(i, Line) and abs(i.y1 - i.y2) < 1e-6]

    def partners(y: float, x: float, end: bool) -> list[float]:
        return [y] + sorted({w.y1 for w in wires if abs((max(w.x1, w.x2) if end else min(w.x1, w.x2)) - x) < 0.5
                             and 0 < abs(w.y1 - y) < 2 * HALF and w.y1 not in named})
    return partners


def _left_of_marks(label: list, items: list, y: float, start: float, label_pad: float) -> list:
    """``label`` (a Text and its overline) moved left of the marks standing over its wire's end (XCiT's y^-1/2 over
    K's, which left K's ȳ unsaid), where nothing else is in its way and it stays right of ``start``; [] where not."""
    for _ in range(4):  # past the mark's right arrowhead, its box, its left arrowhead, then clear
        hits = _touching(label[0], items)
        if not hits:
            return label if label[0].bbox[0] > start else []
        if not all(b[3] < y for b in hits):  # (not a mark above the wire: a box on it, a label)
            return []
        dx = min(b[0] for b in hits) - label_pad - label[0].bbox[2]
        label = [replaced(i, x=i.x + dx) if isinstance(i, Text) else replaced(i, x1=i.x1 + dx, x2=i.x2 + dx) for i in label]
    return []


def _clear(text: Text, items: list) -> bool:
    """Whether ``text`` touches none of ``items`` but wires and panels."""
    return not _touching(text, items)


def _touching(text: Text, items: list) -> list[tuple]:
    """The extents of ``items`` (but wires and panels) that ``text`` touches, to within a point."""
    x0, y0, x1, y1 = text.bbox
    return [i.bbox for i in items if i.role not in ("wire", "section", "background", "separator")
            and i.bbox[0] < x1 + 1 and x0 - 1 < i.bbox[2] and i.bbox[1] < y1 + 1 and y0 - 1 < i.bbox[3]]


def _name_at(labels: list[Text], y: float) -> str | None:
    """The input tensor whose name is centred nearest the wire at height ``y``."""
    if not labels:
        return None
    nearest = min(labels, key=lambda t: abs(t.y - (t.ascent - t.descent) / 2 - y))
    return "".join(r.text for r in nearest.runs)


def _ink(scene: Scene) -> str:
    return next((i.stroke.color for i in scene.items if i.role == "wire" and getattr(i, "stroke", None)), "#1a1a1a")
