"""What stands in the gaps between columns: copies (dots and branches), deletes
(terminators), saves and loads (a named store); their widths and their drawing.

A copy's branch is routed by :func:`.branches.draw_copy`; the gap's ops stand one after
another, 4 pt apart, but for a copy's branches, each tucked in after the one before (:func:`.branches.tucked`).

>>> from ncd_render.api import load_text
>>> from ncd_render.style import load_theme, load_preset
>>> from ncd_render.layout.model import Style
>>> from ncd_render.layout.order import order
>>> d = load_text("axis a = 2\\ninput X[a]\\nY = relu(X)\\nZ = X + Y\\noutput Z\\n").diagram
>>> style, ordered = Style(d, load_theme("paper"), load_preset("paper")), order(d)
>>> copy = ordered.columns[0].pre[0]
>>> [width > 0 for (width, _), step in measure_gap(style, ordered.wires, [copy], {w: 17.0 * w for w in ordered.wires})]
[True]
"""
from __future__ import annotations

from ..ir import Op
from ..scene import Line, Rect, Stroke, extent
from .model import Placed, Style, Wire, YOf, arrowhead_path
from .tandem import tight
from .branches import copy_widths, draw_copy, tucked


LOAD_ROOM = 6.0  # past a load's arrows, before the next gap op or the column's half gap: 2 in its width, 4 after it


def measure_gap(style: Style, wires: dict[int, Wire], gap: list[Placed], y: YOf) -> tuple:
    """Each of a gap's ops measured, for its room (:func:`gap_ops_width`) and its drawing (:func:`draw_gap_ops`):
    (its width, and a copy's (sources' heights, branches' heights, branches' widths, wires in tandem), else None)."""
    measured = []
    for placed in gap:
        if placed.op.kind in ("save", "load", "delete"):
            measured.append((store_width(style, wires, placed), None))
        else:
            sources, branches = copy_heights(placed, y)
            pairs = tight(style.diagram.tandems, [wires[w].axis for w in placed.through])
            widths = copy_widths(sources, branches, style.preset.forks, pairs)
            measured.append((sum(widths), (sources, branches, widths, pairs)))
    return tuple(zip(measured, _advances(measured, not style.rows)))


def _advances(measured: list, tuck: bool) -> list[float]:
    """From each of a gap's ops to the next: its width and 4 pt, but, if ``tuck``, where the next is another branch of
    the same wires, the way it went, as soon as it stands clear of it (:func:`.branches.tucked`)."""
    steps = [width + 4 for width, _ in measured]
    for k in range(len(measured) - 1 if tuck else 0):
        (_, copy), (_, after) = measured[k], measured[k + 1]
        if copy is not None and after is not None and len(copy[1]) == 1 and len(after[1]) == 1:
            steps[k] = tucked(copy, after, steps[k])
    return steps


def gap_ops_width(measured: tuple) -> float:
    """Room for a gap's ops (:func:`measure_gap`): each starts where the one before it let it, the last followed by 4 pt;
    none ends before one that started earlier."""
    x, end = 0.0, 0.0
    for (width, _), step in measured:
        end, x = max(end, x + width + 4), x + step
    return end


def label_room(style: Style, wires: dict[int, Wire], fresh: list[int]) -> float:
    """How far past their start the labels of the wires ``fresh`` reach, with the label pad before and
    after each (0 if none is labelled). A label set past a deck or a 3-D box's side (its clearance)
    takes that room out of the pad after it first: it keeps at least a pad's room to what follows."""
    pad, widths = style.preset.label_pad, []
    for w in fresh:
        label = style.axis_label(wires[w].axis, wires[w].value)[0] if wires[w].labelled else None
        if label is not None:
            widths.append(label.width + 2 * pad + 2 + max(0.0, style.label_clearance(wires[w]) - pad))
    return max(widths, default=0.0)


def entry_blocked(style: Style, ordered, y: list[float]) -> bool:
    """Whether a box of a page part's first column (no copy's dots before it) stands at the height of an input wire's
    label: the label, set past the arrowhead the page draws where the wire comes in, needs room for both before the
    box (GQA's output map read 'k g n' off three arrowheads, a g's tail on one)."""
    first = ordered.columns[0]
    if first.pre:
        return False
    pad, spans = style.preset.label_pad, []
    for placed in first.ops:
        ys = [y[w] for w in placed.before + placed.new]
        if ys:
            spans.append((min(ys) - pad, max(ys) + pad))
    for w in ordered.input_wires:
        if ordered.wires[w].labelled:
            top, bottom = y[w] - pad - 10.0, y[w]  # (the label's line above its wire, a generous ascent)
            if any(a < bottom and top < b for a, b in spans):
                return True
    return False


def store_width(style: Style, wires: dict[int, Wire], placed: Placed) -> float:
    """The width of a delete (terminator), save or load (a named store)."""
    if placed.op.kind == "save":
        return store_label(style, placed.op).width + 12
    if placed.op.kind == "load":  # its wires start at its arrows, and their labels need the room a box's would
        return store_label(style, placed.op).width + 12 + max(0.0, label_room(style, wires, placed.new) - LOAD_ROOM - style.preset.column_gap / 2)
    return 6.0  # a delete


def copy_heights(placed: Placed, y: YOf) -> tuple[list[float], list[list[float]]]:
    """A copy's source heights and, per branch, its wires' heights."""
    src = placed.through
    n = len(src)
    return [y[w] for w in src], [[y[w] for w in placed.new[k:k + n]] for k in range(0, len(placed.new), n)]


def store_label(style: Style, op: Op):
    return style.text(op.params["store"], style.theme.font.name_size)


def draw_gap_ops(style: Style, gap: list[Placed], measured: tuple, x: float, y: YOf, spans: dict, out: list) -> None:
    """The gap's copies, deletes, saves and loads, one after another from x, into ``out``, as the
    columns stage measured them (:func:`measure_gap`); ``spans`` (wire -> its span, with x0, x1 and
    gaps) learn where wires end, start and pass a copy's dot."""
    regions: list[list[float]] = []  # the copies' (x0, y0, x1, y1): a branch tucked in under the one before shares its region
    for placed, ((width, copy), step) in zip(gap, measured):
        if copy is None:
            _draw_gap_op(style, placed, x, y, spans, out)
        else:
            ys = [y[w] for w in placed.through + placed.new]
            here = [x - 3, min(ys) - 3, x + width, max(ys) + 3]
            if regions and regions[-1][2] > here[0]:
                regions[-1] = [min(a, b) for a, b in zip(regions[-1][:2], here[:2])] + [max(a, b) for a, b in zip(regions[-1][2:], here[2:])]
            else:
                regions.append(here)
            _draw_copy_op(style, placed, x, width, copy, y, spans, out)
        x += step
    out.extend(Rect(x0, y0, x1 - x0, y1 - y0, None, None, role="region") for x0, y0, x1, y1 in regions)


def _draw_gap_op(style: Style, placed: Placed, x: float, y: YOf, spans: dict, out: list) -> None:
    """One delete (terminator), save or load (a named store)."""
    c, s = style.theme.colors, style.theme.strokes
    kind = placed.op.kind
    if kind == "delete":
        for w in placed.consumed:
            spans[w].x1 = x
            out.append(Line(x, y[w] - 3.5, x, y[w] + 3.5, Stroke(c.wire, s.wire * 1.4), role="terminator"))
    elif kind in ("save", "load"):
        ends = placed.consumed or placed.new
        label = store_label(style, placed.op)
        mid = (min(y[w] for w in ends) + max(y[w] for w in ends)) / 2
        tip = x + 6 if kind == "save" else x + label.width + 10
        glyph = []
        for w in ends:
            if kind == "save":
                spans[w].x1 = tip - 5
            else:
                spans[w].x0 = tip
            glyph.append(arrowhead_path(tip, y[w], c.wire))
        lx = tip + 2 if kind == "save" else x
        glyph.append(style.placed_text(label, lx, mid + (label.ascent - label.descent) / 2, "label.name",
                                       anchor="start" if kind == "save" else "end", ref=placed.op.id))
        # the name and its arrows are one glyph: an invisible region over both, which a page's rows do not cut
        x0, y0, x1, y1 = extent(glyph)
        out += glyph + [Rect(x0, y0, x1 - x0, y1 - y0, None, None, role="region", ref=placed.op.id)]


def _draw_copy_op(style: Style, placed: Placed, x: float, width: float, measured: tuple, y: YOf, spans: dict, out: list) -> None:
    """One copy: dots and branches; ``measured``: its (sources' heights, branches' heights, widths, wires in tandem)."""
    c, s = style.theme.colors, style.theme.strokes
    sources, branches, widths, pairs = measured
    src = placed.through
    items, starts, cuts = draw_copy(x, sources, branches, widths, Stroke(c.wire, s.wire), c.dot, pairs)
    out.extend(items)
    for i, at in cuts:
        spans[src[i]].gaps.append((at, at))
    n = len(src)
    for k, w in enumerate(placed.new):
        spans[w].x0 = starts[k // n]
