"""Stage 3, glyphs: what each box looks like, how wide it is, and its drawing.

Each op kind says how it is drawn (its ``glyph`` in :mod:`ncd_render.ops`): learned
maps are bold L boxes (a "+" for a bias), SoftMax a triangle, norms circles,
strided and transposed ★ trapezoids, collapsed components 3-D boxes, element-wise functions the paper's ➤f➤ mark above their tensor, sums a compact box
that the other operands enter from below, and wiring regions (einsums, transposes,
renames) are routed by :mod:`.routing`.
"""
from __future__ import annotations

from dataclasses import replace

from ..scene import Line, Path, Rect, Stroke
from .. import ops
from .model import MARK_ARROW, _Column, _Placed, arrowhead_path, glyph, is_wiring
from .routing import ENTRY, draw_entries, draw_region, travel_width


class Glyphs:
    def label_for(self, placed: _Placed):
        if is_wiring(placed.op) and not hasattr(placed.op, "inputs"):  # the layout's own permutations: no label
            return None
        shown = ops.of(placed.op).label
        text = shown(placed.op) if shown is not None else None
        if text is None:
            return None
        text, size, bold = text
        return self._text(text, self.theme.font.box_size * size, bold=bold)

    def op_width(self, placed: _Placed, y: dict) -> float:
        op, p, shape = placed.op, self.p, glyph(placed.op)
        if shape == "cap":
            return p.min_region
        if shape == "wiring":
            placed.route = self.plan_route(placed, y)
            return max(p.min_region, placed.route.width)
        if shape == "bar":
            return 8.0
        if shape == "join":
            travel = max(y[w] for w in placed.consumed) - y[placed.bottom]
            placed.entry = travel_width(travel, p.bend) + ENTRY * (len(placed.consumed) - 1)
            return placed.entry + max(12.0, ENTRY * len(placed.consumed) + 2, placed.label.width + 2 * p.box_pad_x)
        if shape == "softmax":
            return 0.9 * 2 * (self.box_pad(placed) + 0.5 * (max(y[w] for w in placed.through) - min(y[w] for w in placed.through)))
        if shape == "norm":  # a circle, as wide as it is tall
            return norm_diameter(placed.label.width, y[placed.bottom] - y[placed.top], p.clearance)
        if shape == "mark":
            inner = 14.0 if placed.label is None else placed.label.width + 6
            return inner + 2 * MARK_ARROW
        w = (placed.label.width if placed.label else 0) + 2 * p.box_pad_x
        if op.params.get("bias"):
            w += self.theme.font.box_size * 0.35
        return max(p.min_box_width, w)

    def draw_op(self, placed: _Placed, body: list, overlay: list, column: _Column) -> None:
        op, p, c, s, f = placed.op, self.p, self.theme.colors, self.theme.strokes, self.theme.font
        shape = glyph(op)
        y = self.y
        stroke = Stroke(c.box_stroke, s.learned_box if op.learned else s.box)
        wire = Stroke(c.wire, s.wire)
        x0, x1 = placed.x0, placed.x1
        top, bottom = y[placed.top], y[placed.bottom]
        if is_wiring(op):
            body.append(Rect(x0, min(y[w] for w in placed.before + placed.new) - 2, x1 - x0,
                             max(y[w] for w in placed.before + placed.new) - min(y[w] for w in placed.before + placed.new) + 4, None, None, role="region", ref=op.id))
            self.draw_wiring(placed, body)
            return
        if shape == "bar":  # a view or a concatenation: the solid bar
            ys = [y[w] for w in placed.before + placed.new]
            body.append(Rect(x0 + 2.5, min(ys) - p.box_pad_y, 3.0, max(ys) - min(ys) + 2 * p.box_pad_y, None, c.box_stroke, role="box", ref=op.id))
            return
        if shape == "join":  # the other operands come up into the box from below
            entering = sorted(placed.consumed, key=lambda w: y[w])
            body.append(Rect(x0, bottom, placed.entry + 6 + ENTRY * len(entering), y[entering[-1]] - bottom + 2, None, None, role="region"))
            body.extend(draw_entries(x0, x0 + placed.entry, bottom, [y[w] for w in entering], Stroke(c.wire, s.wire)))
            for j, w in enumerate(entering):
                self.wires[w].x1 = x0 + ENTRY * j
            x0 += placed.entry
        # wires inside the box's span that it does not touch pass over it
        members = set(placed.members)
        order = column.before
        idx = [order.index(w) for w in placed.members if w in order]
        passing = [w for w in order[min(idx):max(idx) + 1] if w not in members] if idx else []
        kind = ops.of(op)
        inset = 0.0  # how far a trapezoid's short right end is cut in at its corners
        if shape == "softmax":
            mid = (top + bottom) / 2
            body.append(Path((("M", x1, top), ("L", x1, bottom), ("L", x0, mid), ("Z",)), stroke, c.softmax_fill, role="box", ref=op.id))
        elif shape == "norm":  # the paper's circle, bold when it learns a scale
            r, cx, cy = (x1 - x0) / 2, (x0 + x1) / 2, (top + bottom) / 2
            body.append(Rect(cx - r, cy - r, 2 * r, 2 * r, stroke, c.norm_fill, radius=r, role="box", ref=op.id))
        elif shape == "mark":  # ➤f➤: arrowheads into and out of a small box
            mid = (top + bottom) / 2
            body.append(arrowhead_path(x0 + MARK_ARROW, mid, c.wire))
            body.append(arrowhead_path(x1, mid, c.wire))
            x0, x1 = x0 + MARK_ARROW, x1 - MARK_ARROW
            body.append(Rect(x0, top, x1 - x0, bottom - top, stroke, c.box_fill, radius=1.5, role="box", ref=op.id))
        else:
            starred = kind.fill == "star" or "window" in op.params  # ★, or a map drawn with its ★ as one box
            fill = c.star_fill if starred else c.learned_fill if op.learned else c.mask_fill if kind.fill == "mask" else c.box_fill
            if op.params.get("body"):  # a collapsed component: the paper's 3-D box
                body.append(cuboid_faces(x0, top, x1, bottom, stroke, fill, op.id))
            elif op.params.get("per"):  # one map per index: a deck of boxes, behind to the lower right
                for k in (2, 1):
                    body.append(Rect(x0 + 1.8 * k, top + 1.8 * k, x1 - x0, bottom - top, stroke, fill, radius=1.5, role="box.shadow", ref=op.id))
            tapered = kind.taper(op) if kind.taper is not None else None
            if tapered:  # the paper's trapezoid: a stride narrows, a transposition widens
                short = [y[w] for w in (placed.after if tapered == "narrow" else placed.before)] or [(top + bottom) / 2]
                room = min(min(short) - top, bottom - max(short)) - 1.0  # the short end still holds its wires
                outline = trapezoid(x0, top, x1, bottom, tapered, room)
                body.append(Path(outline, stroke, fill, role="box", ref=op.id))
                inset = outline[2][2] - bottom if tapered == "narrow" else 0.0  # the bias's "+" stays inside the short end
            else:
                body.append(Rect(x0, top, x1 - x0, bottom - top, stroke, fill, radius=4.0 if shape == "join" else 1.5, role="box", ref=op.id))
        for w in passing:
            wy = self.wires[w].y
            overlay.append(Line(x0 - 1, wy, x1 + 1, wy, Stroke(c.halo, s.wire + 2.4), role="wire.halo"))
            overlay.append(Line(x0 - 1, wy, x1 + 1, wy, wire, role="wire.over"))
        if kind.pictogram is not None:
            cx, cy, r = (x0 + x1) / 2, (top + bottom) / 2, min(x1 - x0, bottom - top) * 0.3
            overlay.append(Path(tuple((cmd, cx + r * dx, cy + r * dy) for cmd, dx, dy in kind.pictogram), Stroke(c.text, 1.1), role="pictogram",
                                ref=op.id))
        elif placed.label is not None:
            lab = placed.label
            lx = (x0 + x1) / 2 - lab.width / 2
            if op.params.get("bias"):  # room for the bias's "+"
                lx -= f.box_size * 0.15
            ly = (top + bottom) / 2 + (lab.ascent - lab.descent) / 2 - 0.5
            overlay.append(self._placed_text(lab, lx, ly, "label.box", anchor="middle", ref=op.id))
        if op.params.get("bias"):
            plus = self._text("+", f.box_size * 0.7, bold=True)
            overlay.append(self._placed_text(plus, x1 - plus.width - 1.2, bottom - 1.2 + inset, "label.box",
                                             anchor="middle", ref=op.id))

    def draw_wiring(self, placed: _Placed, out: list) -> None:
        """Einsum and transposes: bends, cups (contractions) and merges (diagonals)."""
        op, c, s = placed.op, self.theme.colors, self.theme.strokes
        stroke = Stroke(c.wire, s.wire)
        y = self.y
        x0, x1 = placed.x0, placed.x1
        if glyph(op) == "cap":
            top, bottom = (y[w] for w in placed.new)
            out.append(Path((("M", x1, top), ("C", x0, top, x0, bottom, x1, bottom)), stroke, None, role="wire.bend"))
            return
        items, label_at = draw_region(placed.route, x0, x1, stroke, c.dot, Stroke(c.wire, s.wire * 1.4))
        out.extend(items)
        for w in placed.foreign:
            self.wires[w].gaps.append((x0, x1))
        label = self.scale_label(placed)
        if label is not None and label_at is not None:
            lx, ly = label_at
            text = self._placed_text(label, lx, ly + (label.ascent - label.descent) / 2, "label.box", anchor="middle")
            out.append(replace(text, ref=placed.scale.id))


DEPTH_3D = 3.0  # how far a component box's top and side faces reach, up and to the right


def norm_diameter(label_width: float, span: float, clearance: float) -> float:
    """A norm circle's diameter: its wires' span, wider for its label, never into the clearance around it.

    >>> norm_diameter(11.0, 10.0, 5.0), norm_diameter(30.0, 10.0, 5.0), norm_diameter(4.0, 40.0, 5.0)
    (14.0, 18.0, 40.0)
    """
    return max(span, min(label_width + 3.0, span + 2 * (clearance - 1.0)))


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
