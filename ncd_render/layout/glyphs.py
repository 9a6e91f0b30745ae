"""Stage 3, glyphs: what each box looks like, how wide it is, and its drawing.

Each op kind says how it is drawn (its ``glyph`` in :mod:`ncd_render.ops`): learned
maps are bold L boxes (a "+" for a bias), SoftMax a triangle, norms rounded,
element-wise functions the paper's ➤f➤ mark above their tensor, sums a compact box
that the other operands enter from below, and wiring regions (einsums, transposes,
renames) are routed by :mod:`.routing`.
"""
from __future__ import annotations

from dataclasses import replace

from ..scene import Line, Path, Rect, Stroke
from .. import ops
from .model import MARK_ARROW, MERGE_LIFT, MERGE_TAIL, _Column, _Placed, arrowhead_path, glyph, is_wiring
from .routing import ENTRY, copy_widths, draw_entries, draw_merge, draw_region, travel_width


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
        if shape == "join" and placed.within:  # the other operand's wires merge into the first's at dots
            return MERGE_TAIL + sum(copy_widths([y[w] for w in placed.through], [[y[w] for w in placed.consumed]], p.bend,
                                                self.tight(placed.through)))
        if shape == "join":
            travel = max(y[w] for w in placed.consumed) - y[placed.bottom]
            placed.entry = travel_width(travel, p.bend) + ENTRY * (len(placed.consumed) - 1)
            return placed.entry + max(12.0, ENTRY * len(placed.consumed) + 2, placed.label.width + 2 * p.box_pad_x)
        if shape == "softmax":
            return 0.9 * 2 * (self.box_pad(placed) + 0.5 * (max(y[w] for w in placed.through) - min(y[w] for w in placed.through)))
        if shape == "norm":
            return max(2 * self.box_pad(placed), placed.label.width + 8)
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
        if shape == "join" and placed.within:
            self.draw_merge(placed, body, overlay)
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
        if shape == "softmax":
            mid = (top + bottom) / 2
            body.append(Path((("M", x1, top), ("L", x1, bottom), ("L", x0, mid), ("Z",)), stroke, c.softmax_fill, role="box", ref=op.id))
        elif shape == "norm":
            body.append(Rect(x0, top, x1 - x0, bottom - top, stroke, c.norm_fill, radius=min(x1 - x0, bottom - top) / 2, role="box", ref=op.id))
        elif shape == "mark":  # ➤f➤: arrowheads into and out of a small box
            mid = (top + bottom) / 2
            body.append(arrowhead_path(x0 + MARK_ARROW, mid, c.wire))
            body.append(arrowhead_path(x1, mid, c.wire))
            x0, x1 = x0 + MARK_ARROW, x1 - MARK_ARROW
            body.append(Rect(x0, top, x1 - x0, bottom - top, stroke, c.box_fill, radius=1.5, role="box", ref=op.id))
        else:
            fill = c.learned_fill if op.learned else c.mask_fill if kind.fill == "mask" else c.box_fill
            if op.params.get("body"):  # a collapsed component: a box with a shadow
                body.append(Rect(x0 + 2.5, top - 2.5, x1 - x0, bottom - top, stroke, fill, radius=1.5, role="box.shadow", ref=op.id))
            elif op.params.get("per"):  # one map per index: a deck of boxes, behind to the lower right
                for k in (2, 1):
                    body.append(Rect(x0 + 1.8 * k, top + 1.8 * k, x1 - x0, bottom - top, stroke, fill, radius=1.5, role="box.shadow", ref=op.id))
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
            overlay.append(self._placed_text(plus, x1 - plus.width - 1.2, bottom - 1.2, "label.box", anchor="middle", ref=op.id))

    def draw_merge(self, placed: _Placed, body: list, overlay: list) -> None:
        """A sum whose other operand came back between its first operand's wires: each of its
        wires merges into its match at a dot (a copy, mirrored), the sign written above the top dot."""
        c, y = self.theme.colors, self.y
        targets, operands = [y[w] for w in placed.through], [y[w] for w in placed.consumed]
        body.append(Rect(placed.x0, min(targets) - 3, placed.x1 - placed.x0, max(targets) - min(targets) + 6, None, None,
                         role="region", ref=placed.op.id))
        items, cuts = draw_merge(placed.x1 - MERGE_TAIL, targets, operands, placed.x1 - placed.x0 - MERGE_TAIL,
                                 Stroke(c.wire, self.theme.strokes.wire), c.dot, self.tight(placed.through))
        body.extend(items)
        for i, at in cuts:
            self.wires[placed.through[i]].gaps.append((at, at))
        label, top = placed.label, min(cuts, key=lambda cut: targets[cut[0]])[1]
        overlay.append(self._placed_text(label, top - label.width / 2, min(targets) - MERGE_LIFT - label.descent, "label.box",
                                         anchor="middle", ref=placed.op.id))

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
