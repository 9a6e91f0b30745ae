"""Stage 4, glyphs: what each box looks like, how wide it is, and its drawing.

Each op kind says how it is drawn (its ``glyph`` in :mod:`ncd_render.ops`): learned
maps are bold L boxes (a "+" for a bias), SoftMax a triangle, norms circles, strided
and transposed ★ trapezoids, collapsed components 3-D boxes, element-wise functions the paper's ➤f➤ mark above their tensor, sums a compact box
that the other operands enter from below, or from above where they run above it (or, when
the other operand runs between the first's wires, merge dots under the sign), and wiring regions (einsums, transposes,
renames) are routed by :mod:`.routing` and drawn by :mod:`.curves`. :func:`box_labels` and :func:`box_of` measure
boxes for the stages before; :func:`draw_glyphs` draws every box, region and gap.

>>> from ncd_render.api import load_text
>>> from ncd_render.style import load_theme, load_preset
>>> from ncd_render.layout.model import Style
>>> from ncd_render.layout.order import order
>>> d = load_text("axis m = 4\\naxis f = 8\\ninput X[m]\\nY = linear(X: m -> f) as L\\noutput Y\\n").diagram
>>> style, ordered = Style(d, load_theme("paper"), load_preset("paper")), order(d)
>>> labels = box_labels(style, ordered)
>>> [(op_id, "".join(run.text for run in label.runs)) for op_id, label in labels.items()]
[(1, 'L')]
"""
from __future__ import annotations

import re

from .. import ops
from ..records import record
from ..scene import Line, Path, Rect, Stroke
from ..text import shortened
from .bias import INSET, adds, bias_box, label_baseline, plus_label
from .branches import ENTRY, copy_widths, draw_entries, draw_merge, travel_width
from .gaps import draw_gap_ops
from . import level
from .heights import Heights, box_pad
from .model import (DECK_STEP, DEPTH_3D, MARK_ARROW, MERGE_TAIL, WIRING_SHAPES, Box, Column, Columns, Drawn, Ordered, Placed,
                    Span, Style, Wire, arrowhead_path, glyph, is_wiring, straight_through)
from .norms import CAP_HEIGHT, norm_outline
from .tandem import tight


def box_labels(style: Style, ordered: Ordered) -> dict:
    """Op id -> the label of its box (a set label), or None, for every op in a column."""
    return {placed.op.id: box_label(style, placed.op) for column in ordered.columns for placed in column.ops}


def box_label(style: Style, op):
    if is_wiring(op) and not hasattr(op, "inputs"):  # the layout's own permutations: no label
        return None
    shown = ops.of(op).label
    text = shown(op) if shown is not None else None
    if text is None:
        return None
    text, size, bold = text
    return style.text(shortened(text), style.theme.font.box_size * size, bold=bold)


def scale_label(style: Style, placed: Placed):
    """A scale written at a contraction's cup (``∗k^-1/2``; ``∗−1``, its ∗ the times sign a negative number's box
    label opens with, :func:`..ops.arith.scale_label`), or None."""
    if placed.scale is None:
        return None
    return style.text("∗" + placed.scale.label.removeprefix("×"), style.theme.font.box_size * 0.9, math=style.theme.font.math)


def box_of(style: Style, wires: dict[int, Wire], placed: Placed, label, heights: Heights, x: float = 0.0) -> Box:
    """How wide ``placed``'s box is (with its label, a region's route, a sum's entry room),
    given the ``heights``, standing from ``x`` (a column's one box is placed as it is measured)."""
    op, p, shape, y = placed.op, style.preset, glyph(placed.op), heights.y

    def sized(label, width: float, route=None, entry: float = 0.0) -> Box:
        return Box(label, x, x + width, width, route, entry)

    if shape == "cap":
        return sized(label, width=p.min_region)
    if shape == "wiring":
        route = level.route(placed, wires, y, label=scale_label(style, placed), bend_factor=p.bend)
        if straight_through(placed, wires, y):  # a rename where nothing bends: only the labels change, past it
            return sized(label, width=route.width, route=route)
        return sized(label, width=max(p.min_region, route.width), route=route)
    if shape == "bar":
        return sized(label, width=8.0)
    if shape == "join" and placed.within:  # the other operand's wires merge into the first's at dots
        pairs = tight(style.diagram.tandems, [wires[w].axis for w in placed.through])
        widths = copy_widths([y[w] for w in placed.through], [[y[w] for w in placed.consumed]], p.forks, pairs)
        return sized(label, width=MERGE_TAIL + max(sum(widths), label.width + 10))  # room for the sign before the dots, clear of steep curves
    if shape == "join":  # room for the longest bend into the box, from below or above
        top, bottom = heights.box[op.id]
        travel = max(y[w] - bottom if y[w] >= top else top - y[w] for w in placed.consumed)
        entry = 0.0 if placed.between else travel_width(travel, p.forks) + ENTRY * (len(placed.consumed) - 1)
        return sized(label, width=entry + max(12.0, ENTRY * len(placed.consumed) + 2, label.width + 2 * p.box_pad_x), entry=entry)
    if shape == "softmax":
        return sized(label, width=0.9 * 2 * (box_pad(p, shape, label) + 0.5 * (max(y[w] for w in placed.through) - min(y[w] for w in placed.through))))
    if shape == "norm":  # a circle, or a capsule standing over many wires or lying round a wide label
        top, bottom = heights.box[op.id]
        return sized(label, width=norm_outline(p, label, bottom - top)[0])
    if shape == "mark":
        inner = 14.0 if label is None else label.width + 6
        return sized(label, width=inner + 2 * MARK_ARROW)
    if op.params.get("body"):
        top, bottom = heights.box[op.id]
        label = two_lines(style, label, bottom - top + 2 * p.box_pad_y)
    if adds(op):
        top, bottom = heights.box[op.id]
        return sized(label, width=bias_box(style, label, top, bottom, _lift(op, top, bottom))[0])
    return sized(label, width=max(p.min_box_width, (label.width if label else 0) + 2 * p.box_pad_x))


def _lift(op, top: float, bottom: float) -> float:
    """The most a box's short right end (a strided trapezoid's, see :func:`trapezoid`) raises its bias's "+"."""
    kind = ops.of(op)
    return 0.2 * (bottom - top) if kind.taper is not None and kind.taper(op) == "narrow" else 0.0


@record
class Stacked:
    """A box label set on two lines, one above the other, each centred."""

    lines: tuple
    width: float
    lead: float  # baseline to baseline


CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")


def two_lines(style: Style, label, height: float):
    """A component's CamelCase name broken at the capital that leaves its longer line shortest (the first
    line 4 letters or more, the second 3), as the paper's boxes break theirs, where the box (``height`` tall)
    holds two lines; else ``label``.

    >>> from ncd_render.api import load_text
    >>> from ncd_render.style import load_theme, load_preset
    >>> style = Style(load_text("axis m = 4\\ninput X[m]\\noutput X\\n").diagram, load_theme("paper"), load_preset("paper"))
    >>> label = style.text("MaskedAttention", 9.0, bold=True)
    >>> stacked = two_lines(style, label, 60.0)
    >>> ["".join(r.text for r in line.runs) for line in stacked.lines], stacked.width < label.width
    (['Masked', 'Attention'], True)
    >>> moe, swiglu = style.text("MoE", 9.0, bold=True), style.text("SwiGLU", 9.0, bold=True)
    >>> two_lines(style, label, 20.0) is label, two_lines(style, moe, 60.0) is moe, two_lines(style, swiglu, 60.0) is swiglu
    (True, True, True)
    """
    if label is None or len(label.runs) != 1 or not label.runs[0].bold:
        return label
    run = label.runs[0]
    # never "Mo" over "E", nor "Swi" over "GLU": the first line a word of four letters or more
    cuts = [m.start() for m in CAMEL.finditer(run.text) if 4 <= m.start() <= len(run.text) - 3]
    lead = 1.2 * run.size
    if not cuts or height < lead + label.ascent + label.descent + 4:
        return label
    options = [(style.text(run.text[:i], run.size, bold=True), style.text(run.text[i:], run.size, bold=True)) for i in cuts]
    lines = min(options, key=lambda pair: max(line.width for line in pair))
    return Stacked(lines, max(line.width for line in lines), lead)


def draw_glyphs(style: Style, ordered: Ordered, heights: Heights, columns: Columns) -> Drawn:
    """Every gap's copies, deletes and stores, every box and wiring region; and where each
    wire starts, ends and is carried by a region or cut at a dot."""
    y, wires = heights.y, ordered.wires
    spans = {w: Span() for w in wires}
    for w in ordered.input_wires:
        spans[w].x0 = columns.x_start
    gap_items: list = []
    for column, at in zip(ordered.columns, columns.columns):
        if column.pre:
            draw_gap_ops(style, column.pre, at.gap, at.x_pre, y, spans, gap_items)
        for placed in column.ops:
            box = columns.boxes[placed.op.id]
            for w in placed.consumed:
                spans[w].x1 = box.x0
            for w in placed.new:
                spans[w].x0 = box.x1
    if ordered.final_gap:
        draw_gap_ops(style, ordered.final_gap, columns.final_gap, columns.final_x, y, spans, gap_items)
    for w in ordered.final:
        spans[w].x1 = columns.x_end
    body: list = []
    overlay: list = []
    drawer = _Draw(style, ordered, heights, spans, columns.boxes)
    for column in ordered.columns:
        for placed in column.ops:
            drawer.draw_op(placed, body, overlay, column)
    return Drawn(body, overlay, gap_items, spans)


class _Draw:
    """The glyph stage's working state, private to one call of :func:`draw_glyphs`."""

    def __init__(self, style: Style, ordered: Ordered, heights: Heights, spans: dict, boxes: dict):
        self.style, self.d, self.theme, self.p = style, style.diagram, style.theme, style.preset
        self.ordered_wires, self.y, self.edges = ordered.wires, heights.y, heights.box
        self.wires, self.boxes = spans, boxes  # self.wires: each wire's span
        c, s = self.theme.colors, self.theme.strokes
        self.box, self.learned, self.wire = Stroke(c.box_stroke, s.box), Stroke(c.box_stroke, s.learned_box), Stroke(c.wire, s.wire)
        self.halo, self.pictogram = Stroke(c.halo, s.wire + 2.4), Stroke(c.text, 1.1)
        self.plus = plus_label(style)  # a bias's sign, in its box's corner

    def tight(self, wires: list[int]) -> set[int]:
        return tight(self.d.tandems, [self.ordered_wires[w].axis for w in wires])

    def scale_label(self, placed: Placed):
        return scale_label(self.style, placed)

    def draw_op(self, placed: Placed, body: list, overlay: list, column: Column) -> None:
        op, p, c = placed.op, self.p, self.theme.colors
        shape, box = glyph(op), self.boxes[op.id]
        y = self.y
        stroke, wire = self.learned if op.learned else self.box, self.wire
        x0, x1 = box.x0, box.x1
        if shape in WIRING_SHAPES:  # is_wiring(op), read from the shape already found
            ys = [y[w] for w in placed.before + placed.new]
            body.append(Rect(x0, min(ys) - 2, x1 - x0, max(ys) - min(ys) + 4, None, None, role="region", ref=op.id))
            self.draw_wiring(placed, body)
            return
        if shape == "bar":  # a view or a concatenation: the solid bar
            ys = [y[w] for w in placed.before + placed.new]
            body.append(Rect(x0 + 2.5, min(ys) - p.box_pad_y, 3.0, max(ys) - min(ys) + 2 * p.box_pad_y, None, c.box_stroke, role="box", ref=op.id))
            return
        if shape == "join" and placed.within:
            self.draw_merge(placed, body, overlay)
            return
        top, bottom = self.edges[op.id]
        if shape == "join":  # the other operands come up into the box from below, or down into it from above
            width = box.entry + 6 + ENTRY * len(placed.consumed)
            outside = [] if placed.between else placed.consumed  # (or, between the first's wires, into its left edge)
            below = sorted((w for w in outside if y[w] >= top), key=lambda w: y[w])
            above = sorted((w for w in outside if y[w] < top), key=lambda w: -y[w])  # the nearest first: the bends nest
            for entering, edge in ((below, bottom), (above, top)):
                if not entering:
                    continue
                far = y[entering[-1]]
                body.append(Rect(x0, min(edge, far - 2), width - ENTRY * (len(placed.consumed) - len(entering)), abs(far - edge) + 2,
                                 None, None, role="region"))
                body.extend(draw_entries(x0, x0 + box.entry, edge, [y[w] for w in entering], wire))
                for j, w in enumerate(entering):
                    self.wires[w].x1 = x0 + ENTRY * j
            x0 += box.entry
        params, kind = op.params, ops.of(op)
        inset = 0.0  # how far a trapezoid's short right end is cut in at its corners
        if shape == "softmax":
            mid = (top + bottom) / 2
            body.append(Path((("M", x1, top), ("L", x1, bottom), ("L", x0, mid), ("Z",)), stroke, c.softmax_fill, role="box", ref=op.id))
        elif shape == "norm":  # the paper's circle, bold when it learns a scale; stretched to a capsule where it must
            w, h = norm_outline(p, box.label, bottom - top)
            cy = (top + bottom) / 2
            body.append(Rect(x0, cy - h / 2, w, h, stroke, c.norm_fill, radius=min(w, h) / 2, role="box", ref=op.id))
        elif shape == "mark":  # ➤f➤: arrowheads into and out of a small box
            mid = (top + bottom) / 2
            body.append(arrowhead_path(x0 + MARK_ARROW, mid, c.wire))
            body.append(arrowhead_path(x1, mid, c.wire))
            x0, x1 = x0 + MARK_ARROW, x1 - MARK_ARROW
            body.append(Rect(x0, top, x1 - x0, bottom - top, stroke, c.box_fill, radius=1.5, role="box", ref=op.id))
        else:
            starred = kind.fill == "star" or "compact" in params  # ★, or a map drawn with its ★ as one box
            fill = c.star_fill if starred else c.learned_fill if op.learned else c.mask_fill if kind.fill == "mask" else c.box_fill
            if params.get("body"):  # a collapsed component: the paper's 3-D box
                body.append(cuboid_faces(x0, top, x1, bottom, stroke, fill, op.id))
            elif params.get("per"):  # one map per index: a deck of boxes, behind to the lower right
                for k in (2, 1):
                    body.append(Rect(x0 + DECK_STEP * k, top + DECK_STEP * k, x1 - x0, bottom - top, stroke, fill, radius=1.5, role="box.shadow", ref=op.id))
            tapered = kind.taper(op) if kind.taper is not None else None
            if tapered:  # the paper's trapezoid: a stride narrows, a transposition widens
                short = [y[w] for w in (placed.after if tapered == "narrow" else placed.before)] or [(top + bottom) / 2]
                room = min(min(short) - top, bottom - max(short)) - 1.0  # the short end still holds its wires
                outline = trapezoid(x0, top, x1, bottom, tapered, room)
                body.append(Path(outline, stroke, fill, role="box", ref=op.id))
                inset = outline[2][2] - bottom if tapered == "narrow" else 0.0  # the bias's "+" stays inside the short end
            else:
                body.append(Rect(x0, top, x1 - x0, bottom - top, stroke, fill, radius=4.0 if shape == "join" else 1.5, role="box", ref=op.id))
        for w in passing_wires(column.before, placed.members):
            overlay.append(Line(x0 - 1, y[w], x1 + 1, y[w], self.halo, role="wire.halo"))
            overlay.append(Line(x0 - 1, y[w], x1 + 1, y[w], wire, role="wire.over"))
        bias = adds(op)
        if kind.pictogram is not None:
            cx, cy, r = (x0 + x1) / 2, (top + bottom) / 2, min(x1 - x0, bottom - top) * 0.3
            overlay.append(Path(tuple((cmd, cx + r * dx, cy + r * dy) for cmd, dx, dy in kind.pictogram), self.pictogram, role="pictogram",
                                ref=op.id))
        elif isinstance(box.label, Stacked):
            mid = (top + bottom) / 2
            for k, lab in enumerate(box.label.lines):
                ly = mid + (k - 0.5) * box.label.lead + (lab.ascent - lab.descent) / 2 - 0.5
                overlay.append(self.style.placed_text(lab, (x0 + x1) / 2 - lab.width / 2, ly, "label.box", anchor="middle", ref=op.id))
        elif box.label is not None:
            lab = box.label
            lx = x0 + bias_box(self.style, lab, top, bottom)[1] if bias else (x0 + x1) / 2 - lab.width / 2  # (off the "+")
            ly = (top + bottom) / 2 + CAP_HEIGHT * lab.ascent / 2 if shape == "norm" else label_baseline(top, bottom, lab)
            overlay.append(self.style.placed_text(lab, lx, ly, "label.box", anchor="middle", ref=op.id))  # (a norm's capitals centred)
        if bias:
            plus = self.plus
            overlay.append(self.style.placed_text(plus, x1 - plus.width - INSET, bottom - INSET + inset, "label.box", anchor="middle",
                                                  ref=op.id))

    def draw_merge(self, placed: Placed, body: list, overlay: list) -> None:
        """A sum whose other operand came back between its first operand's wires: each of its
        wires merges into its match at a dot (a copy, mirrored), the sign written between the dots
        it came back between, where it costs the figure no height."""
        c, y, box = self.theme.colors, self.y, self.boxes[placed.op.id]
        targets, operands = [y[w] for w in placed.through], [y[w] for w in placed.consumed]
        body.append(Rect(box.x0, min(targets) - 3, box.x1 - box.x0, max(targets) - min(targets) + 6, None, None,
                         role="region", ref=placed.op.id))
        items, cuts = draw_merge(box.x1 - MERGE_TAIL, targets, operands, box.x1 - box.x0 - MERGE_TAIL,
                                 self.wire, c.dot, self.tight(placed.through))
        body.extend(items)
        for i, at in cuts:
            self.wires[placed.through[i]].gaps.append((at, at))
        # the sign stands in the mouth the operand came back through, just before the dots nearest it
        split = sum(1 for t in targets if t < operands[0])
        x, mid = box.x1 - MERGE_TAIL, (targets[split - 1] + targets[split]) / 2
        label = box.label
        overlay.append(self.style.placed_text(label, x - label.width - 4, mid + (label.ascent - label.descent) / 2, "label.box",
                                         anchor="middle", ref=placed.op.id))

    def draw_wiring(self, placed: Placed, out: list) -> None:
        """Einsum and transposes: bends, cups (contractions) and merges (diagonals)."""
        op, c, s = placed.op, self.theme.colors, self.theme.strokes
        stroke = self.wire
        y, box = self.y, self.boxes[placed.op.id]
        x0, x1 = box.x0, box.x1
        if glyph(op) == "cap":
            top, bottom = (y[w] for w in placed.new)
            out.append(Path((("M", x1, top), ("C", x0, top, x0, bottom, x1, bottom)), stroke, None, role="wire.bend"))
            return
        items, label_at = level.draw(box.route, x0, x1, stroke, c.dot, Stroke(c.wire, s.wire * 1.4))
        out.extend(items)
        for w in placed.foreign:
            self.wires[w].gaps.append((x0, x1))
        label = self.scale_label(placed)
        if label is not None and label_at is not None:
            lx, ly = label_at
            out.append(self.style.placed_text(label, lx, ly + (label.ascent - label.descent) / 2, "label.box", anchor="middle",
                                              ref=placed.scale.id))



def passing_wires(order: list[int], held: list[int]) -> list[int]:
    """The wires of ``order`` (top to bottom) between the first and the last of ``held`` that are not
    held: they pass over the box that holds ``held``.

    >>> passing_wires([1, 2, 3, 4, 5], [4, 2, 9]), passing_wires([1, 2, 3], [1, 2])
    ([3], [])
    """
    places = [i for i, w in enumerate(order) if w in held]
    if not places or places[-1] - places[0] + 1 == len(places):  # none, or no wire between them that is not the box's
        return []
    return [w for w in order[places[0]:places[-1] + 1] if w not in held]


def trapezoid(x0: float, top: float, x1: float, bottom: float, taper: str, room: float) -> tuple:
    """A box's outline with one end shorter, by at most ``room`` at each corner: ``narrow`` at the
    right (a stride), ``widen`` at the left (a transposition).

    >>> [cmd[1:] for cmd in trapezoid(0, 0, 20, 40, "narrow", 20.0)][:4]
    [(0, 0.0), (20, 6.0), (20, 34.0), (0, 40.0)]
    >>> trapezoid(0, 0, 20, 40, "widen", 4.0)[0]
    ('M', 0, 4.0)
    """
    inset = max(0.0, min(0.2 * (bottom - top), 0.3 * (x1 - x0), room))
    left, right = (0.0, inset) if taper == "narrow" else (inset, 0.0)
    return (("M", x0, top + left), ("L", x1, top + right), ("L", x1, bottom - right), ("L", x0, bottom - left), ("Z",))


def cuboid_faces(x0: float, top: float, x1: float, bottom: float, stroke: Stroke, fill, ref=None) -> Path:
    """The top and right faces of a 3-D box whose front is (x0, top)-(x1, bottom), behind it up and to the right."""
    d = DEPTH_3D
    return Path((("M", x0, top), ("L", x0 + d, top - d), ("L", x1 + d, top - d), ("L", x1 + d, bottom - d), ("L", x1, bottom),
                 ("L", x1, top), ("Z",), ("M", x1, top), ("L", x1 + d, top - d)), stroke, fill, role="box.shadow", ref=ref)
