"""Stage 4, compose: x positions left to right, then the scene.

Gaps hold the labels of the wires that start there and the copies, deletes, saves
and loads between columns; sections become rounded panels wide enough for their
titles; dashed separators run between the tensors of a tuple, clear of boxes.
"""
from __future__ import annotations

from collections import defaultdict

from ..errors import NcdError
from ..ir import Op
from ..scene import Line, Path, Rect, Scene, Stroke, Text
from ..text import indexed, overline_bar
from .model import SEPARATOR_CLEAR, _Order, _Placed, _Wire, arrowhead_path, _pieces, _subtract
from .routing import copy_widths, draw_copy


BUCKET = 64.0  # points of x per bucket of the obstacles a separator may run into


class Compose:
    def draw(self, final: _Order) -> Scene:
        p, c, s = self.p, self.theme.colors, self.theme.strokes
        y = self.y
        wire_stroke = Stroke(c.wire, s.wire)
        # x positions: inputs' names, then gaps and columns left to right
        names = [self._name_label(v) for v in self.d.inputs]
        x = max((n.width for n in names), default=0) + (p.label_pad * 2 if names else 0)
        for wid in self.input_wires:
            self.wires[wid].x0 = x
        fresh = list(self.input_wires)  # wires whose labels go in the next gap
        section_open: list[int] = []
        first_x: dict[int, float] = {}  # where each section's first column starts
        for column in self.columns:
            gap = self.gap_width(fresh, column)
            fresh = []
            path = list(self.d.section_path(column.section))
            opening = [sid for sid in path if sid not in section_open]
            closing = [sid for sid in section_open if sid not in path]
            x += gap + p.section_pad * (len(opening) + len(closing))
            x += max([0.0] + [self.title_room(sid) - (x - first_x[sid]) for sid in closing])
            for sid in opening:
                first_x[sid] = x
            column.x_pre = x
            if column.pre:
                column.x_pre = x - p.column_gap / 2 - self.gap_ops_width(column, y) - p.section_pad * len(opening)
                self.draw_gap_ops(column.pre, column.x_pre, y)
            section_open = path
            for placed in column.ops:
                placed.width = self.op_width(placed, y)
            width = max(placed.width for placed in column.ops)
            column.x0, column.x1 = x, x + width
            for placed in column.ops:
                placed.x0 = x + (width - placed.width) / 2
                placed.x1 = placed.x0 + placed.width
                for w in placed.consumed:
                    self.wires[w].x1 = placed.x0
                for w in placed.new:
                    self.wires[w].x0 = placed.x1
                fresh.extend(placed.new)
            column.label_room = self.label_room(fresh)
            x += width
        end_gap = self.gap_width(fresh, None) + p.section_pad * len(section_open)
        end_gap += max([0.0] + [self.title_room(sid) - (x + end_gap - first_x[sid]) for sid in section_open])
        if self.final_gap:
            self.draw_gap_ops(self.final_gap, x + end_gap, y)
            end_gap += self.gap_ops_width(None, y) + p.column_gap / 2
        x_end = x + end_gap
        for w in final:
            self.wires[w].x1 = x_end
        self.x_end = x_end

        background: list = []
        self.draw_sections(background, y)
        body: list = []
        overlay: list = []
        for column in self.columns:
            for placed in column.ops:
                self.draw_op(placed, body, overlay, column)
        obstacles = [i.bbox for i in body + self.gap_items if i.role in ("box", "box.shadow", "region")]
        self.draw_separators(background, final, obstacles)
        wires = [Line(a, w.y, b, w.y, wire_stroke, axis=w.axis, producer=w.start[1] if w.start[0] == "op" else None)
                 for w in self.wires.values() for a, b in _pieces(w) if b > a]
        dots = {(w.y, a) for w in self.wires.values() for a, b in w.gaps if a == b}  # where a wire ends at its copy dot
        wires, body = _joined(wires, body, dots)
        for w in self.wires.values():  # integer data: an arrowhead on the wire
            if self.d.values[w.value].dtype == "int" and w.x1 - w.x0 >= 9:  # however short the wire
                wires.append(arrowhead_path(w.x0 + min(18.0, w.x1 - w.x0 - 2), w.y, c.wire))
        labels = self.wire_labels()
        for name, v in zip(names, self.d.inputs):  # tensor names left of the inputs, right of the outputs
            ws = [w for w in self.input_wires if self.wires[w].start == ("input", self.d.producer(v).id)]
            if ws:
                labels.append(self._name_beside(name, ws, self.wires[ws[0]].x0 - p.label_pad - name.width, "end"))
        for v in self.d.outputs:
            ws = [w for w in final if self.wires[w].value == v]
            if ws:
                labels.append(self._name_beside(self._name_label(v), ws, x_end + p.label_pad, "start"))
        items = background + wires + self.gap_items + body + overlay + labels
        if not items:
            first = self.d.producer(self.d.inputs[0]).span if self.d.inputs else None
            raise NcdError("there is nothing to draw: no tensor has an axis and no box acts", first,
                           hint="give the inputs axes, e.g. input X[m]")
        x0 = min(i.bbox[0] for i in items) - p.margin
        y0 = min(i.bbox[1] for i in items) - p.margin
        x1 = max(i.bbox[2] for i in items) + p.margin
        y1 = max(i.bbox[3] for i in items) + p.margin
        scene = Scene(x1 - x0, y1 - y0, [], c.background if c.background != "none" else None, self.d.title)
        scene.items = [Rect(0, 0, x1 - x0, y1 - y0, None, scene.background, role="background")] if scene.background else []
        scene.items += Scene(0, 0, items).translated(-x0, -y0).items
        scene.wire_names = tuple((w.y - y0, w.x0 - x0, w.x1 - x0, self._placed_text(label, 0, 0, "label.axis", overline=bar, axis=w.axis), bar)
                                 for w in self.wires.values() if w.x1 > w.x0 for label, bar in [self.axis_label(w)] if label is not None)
        return scene

    def _name_label(self, value: int):
        return self._text(self.d.values[value].name, self.theme.font.name_size)

    def _placed_text(self, label, x, y, role, color=None, **facts) -> Text:
        """A label placed at x, y; ``facts`` are what it means (its op, anchor, overline, axis)."""
        return Text(x, y, label.runs, self.theme.font.family, color or self.theme.colors.text, label.width, label.ascent, label.descent,
                    role, **facts)

    def _name_beside(self, name, wires: list[int], x: float, anchor: str) -> Text:
        """A tensor's name at x, centred on its wires; ``anchor``: the end that meets them."""
        mid = (min(self.wires[w].y for w in wires) + max(self.wires[w].y for w in wires)) / 2
        return self._placed_text(name, x, mid + (name.ascent - name.descent) / 2, "label.name", anchor=anchor)

    def axis_label(self, wire: _Wire):
        group = self.d.tandems.get(wire.axis)
        if group is not None:  # axes in tandem share one bold label, on their first wire
            members = [a for a in self.d.values[wire.value].axes if self.d.tandems.get(a) == group]
            if members[0] != wire.axis:
                return None, False
            return self._text(group, self.theme.font.axis_size, bold=True, math=self.theme.font.math), self.d.axes[wire.axis].width
        axis = self.d.axes[wire.axis]
        # trailing digits read as an index: y2 is drawn y with subscript 2
        parts = [indexed(part) for part in axis.parts]
        return self._text("·".join(parts), self.theme.font.axis_size, math=self.theme.font.math), axis.width

    def label_room(self, fresh: list[int]) -> float:
        labels = [self.axis_label(self.wires[w])[0] for w in fresh if self.wires[w].labelled]
        widths = [label.width for label in labels if label is not None]
        return (max(widths) + 2 * self.p.label_pad + 2) if widths else 0.0

    def gap_width(self, fresh: list[int], column) -> float:
        """Room for the labels of the wires that start here, and for the gap's copies."""
        p = self.p
        need = self.label_room(fresh)
        extra = self.gap_ops_width(column, self.y) + p.column_gap / 2 if column is not None and column.pre else 0
        return max(p.column_gap, need) + extra

    def gap_op_width(self, placed: _Placed, y: dict) -> float:
        if placed.op.kind in ("save", "load"):
            return self.store_label(placed.op).width + 12
        if placed.op.kind == "delete":
            return 6.0
        return sum(copy_widths(*self.copy_heights(placed, y), self.p.bend, self.tight(placed.through)))

    def copy_heights(self, placed: _Placed, y: dict) -> tuple[list[float], list[list[float]]]:
        """A copy's source heights and, per branch, its wires' heights."""
        n = len(placed.through)
        return [y[w] for w in placed.through], [[y[w] for w in placed.new[k:k + n]] for k in range(0, len(placed.new), n)]

    def tight(self, wires: list[int]) -> set[int]:
        """Indices i of ``wires`` drawn in tandem with wire i + 1."""
        return {i for i, (a, b) in enumerate(zip(wires, wires[1:])) if self.tandem(a) is not None and self.tandem(a) == self.tandem(b)}

    def gap_ops_width(self, column, y) -> float:
        ops = column.pre if column is not None else self.final_gap
        return sum(self.gap_op_width(pl, y) + 4 for pl in ops)

    def store_label(self, op: Op):
        return self._text(op.params["store"], self.theme.font.name_size)

    def draw_gap_ops(self, ops: list[_Placed], x: float, y: dict) -> None:
        """The gap's copies, deletes, saves and loads, one after another from x."""
        c, s = self.theme.colors, self.theme.strokes
        stroke = Stroke(c.wire, s.wire)
        x -= 4
        for placed in ops:
            x += 4
            width = self.gap_op_width(placed, y)
            self.draw_gap_op(placed, x, width, y, c, s, stroke)
            x += width

    def draw_gap_op(self, placed: _Placed, x: float, width: float, y: dict, c, s, stroke) -> None:
        """One copy (dots and branches), delete (terminator), save or load (a named store)."""
        kind = placed.op.kind
        if kind == "delete":
            for w in placed.consumed:
                self.wires[w].x1 = x
                self.gap_items.append(Line(x, y[w] - 3.5, x, y[w] + 3.5, Stroke(c.wire, s.wire * 1.4), role="terminator"))
        elif kind in ("save", "load"):
            wires = placed.consumed or placed.new
            label = self.store_label(placed.op)
            mid = (min(y[w] for w in wires) + max(y[w] for w in wires)) / 2
            tip = x + 6 if kind == "save" else x + label.width + 10
            for w in wires:
                if kind == "save":
                    self.wires[w].x1 = tip - 5
                else:
                    self.wires[w].x0 = tip
                self.gap_items.append(arrowhead_path(tip, y[w], c.wire))
            lx = tip + 2 if kind == "save" else x
            self.gap_items.append(self._placed_text(label, lx, mid + (label.ascent - label.descent) / 2, "label.name",
                                                    anchor="start" if kind == "save" else "end", ref=placed.op.id))
        else:
            src = placed.through
            ys = [y[w] for w in src + placed.new]
            self.gap_items.append(Rect(x - 3, min(ys) - 3, width + 3, max(ys) - min(ys) + 6, None, None, role="region"))
            sources, branches = self.copy_heights(placed, y)
            tight = self.tight(src)
            items, starts, cuts = draw_copy(x, sources, branches, copy_widths(sources, branches, self.p.bend, tight), stroke, c.dot, tight)
            self.gap_items.extend(items)
            for i, at in cuts:
                self.wires[src[i]].gaps.append((at, at))
            n = len(src)
            for k, w in enumerate(placed.new):
                self.wires[w].x0 = starts[k // n]

    def draw_sections(self, out: list, y: dict) -> None:
        p, c = self.p, self.theme.colors
        spans: dict[int, list] = {}
        for column in self.columns:
            for sid in self.d.section_path(column.section):
                spans.setdefault(sid, []).append(column)
        for sid in sorted(spans, key=lambda s: self.d.sections[s].depth):
            section = self.d.sections[sid]
            cols = spans[sid]
            x0 = cols[0].x0 - p.section_pad
            x1 = cols[-1].x1 + cols[-1].label_room + p.section_pad
            nested = [s for s in spans if self.d.sections[s].parent == sid]
            for s in nested:
                x0 = min(x0, spans[s][0].x0 - p.section_pad * 2)
                x1 = max(x1, spans[s][-1].x1 + spans[s][-1].label_room + p.section_pad * 2)
            x1 = max(x1, x0 + self.title_room(sid))  # the title starts 4 pt in and ends 6 pt short of the edge
            top, bottom = y[("T", sid)], y[("B", sid)]
            fill = c.sections[sid % len(c.sections)]
            # a fused section is one kernel: a dashed border says its inside stays on chip
            border = Stroke(c.box_stroke, self.theme.strokes.separator, self.theme.strokes.dash) if section.fused else None
            out.append(Rect(x0, top, x1 - x0, bottom - top, border, fill, radius=4.0, role="section", opacity=c.section_opacity))
            if section.kind == "repeat":  # a repeated block sits between large brackets
                ink = Stroke(c.text, self.theme.strokes.box)
                for edge, hook in ((x0 + 2.5, 3.0), (x1 - 2.5, -3.0)):
                    out.append(Path((("M", edge + hook, top + 2.5), ("L", edge, top + 2.5), ("L", edge, bottom - 2.5),
                                     ("L", edge + hook, bottom - 2.5)), ink, None, role="bracket"))
            title = self.section_title(sid)
            out.append(self._placed_text(title, x0 + (7 if section.kind == "repeat" else 4), top + 2 + title.ascent, "label.title", c.title))

    def section_title(self, sid: int):
        section = self.d.sections[sid]
        suffix = " · one kernel" if section.fused else f" ×{section.times}" if section.kind == "repeat" else ""
        return self._text((section.title + suffix).strip(), self.theme.font.title_size, bold=section.kind == "repeat")

    def title_room(self, sid: int) -> float:
        """How far past its first column a section reaches so its title fits inside it."""
        return self.section_title(sid).width + (7 + 8 if self.d.sections[sid].kind == "repeat" else 4) + 6  # clear of the closing bracket

    def draw_separators(self, out: list, final: _Order, obstacles: list) -> None:
        """Dashed lines between the tensors of a tuple, wherever both run side by side,
        stopping clear of every box and wiring region at their height."""
        c, s = self.theme.colors, self.theme.strokes
        stroke = Stroke(c.separator, s.separator, s.dash)
        runs: dict[tuple[int, int], list[list[float]]] = defaultdict(list)
        for order, x0, x1 in self.stretches(final):
            for a, b in zip(order, order[1:]):
                # needed only where two tensors sit as close as a tuple's segments
                tight = self.wires[b].y - self.wires[a].y <= self.p.pitch + self.p.tensor_gap + 0.5
                if order.values[a] == order.values[b] or not tight:
                    continue
                lo = max(x0, self.wires[a].x0, self.wires[b].x0)
                hi = min(x1, self.wires[a].x1, self.wires[b].x1)
                if hi <= lo:
                    continue
                pair = runs[(a, b)]
                if pair and abs(pair[-1][1] - lo) < 1e-6:
                    pair[-1][1] = hi
                else:
                    pair.append([lo, hi])
        buckets: dict[int, list] = defaultdict(list)  # obstacles by the stretches of x they reach into
        for box in obstacles:
            for k in range(int((box[0] - SEPARATOR_CLEAR) // BUCKET), int((box[2] + SEPARATOR_CLEAR) // BUCKET) + 1):
                buckets[k].append(box)
        for (a, b), spans in sorted(runs.items()):
            sy = self.separator_y(a, b)
            for x0, x1 in spans:
                near = {box for k in range(int(x0 // BUCKET), int(x1 // BUCKET) + 1) for box in buckets.get(k, ())}
                blocked = [(bx0 - SEPARATOR_CLEAR, bx1 + SEPARATOR_CLEAR) for bx0, by0, bx1, by1 in near
                           if by0 - SEPARATOR_CLEAR <= sy <= by1 + SEPARATOR_CLEAR]
                for lo, hi in _subtract((x0, x1), blocked):
                    if hi - lo >= 6:
                        out.append(Line(lo, sy, hi, sy, stroke, role="separator"))

    def separator_y(self, a: int, b: int) -> float:
        ya, yb = self.wires[a].y, self.wires[b].y
        return ya + max(3.0, (yb - ya - self.axis_h - self.p.label_pad) / 2)

    def stretches(self, final: _Order):
        """(live wires, x from, x to) for each stretch of the figure where those wires run side by side."""
        x = min((w.x0 for w in self.wires.values()), default=0)
        for column in self.columns:
            yield column.gap_in, x, column.x_pre
            yield column.before, column.x_pre, column.x0
            busy = {w for pl in column.ops for w in pl.before + pl.after}
            extents = [(self.y[pl.top], self.y[pl.bottom]) for pl in column.ops]
            through = _Order([w for w in column.before if w not in busy], column.before.values)
            if through == [w for w in column.after if w not in busy]:
                for a, b in zip(through, through[1:]):
                    ys = self.separator_y(a, b)
                    if not any(top - 1 <= ys <= bottom + 1 for top, bottom in extents):
                        yield _Order([a, b], through.values), column.x0, column.x1
            x = column.x1
        yield final, x, self.x_end

    def wire_labels(self) -> list:
        p = self.p
        labels = []
        for wire in self.wires.values():
            if not wire.labelled or wire.x1 <= wire.x0:
                continue
            label, overline = self.axis_label(wire)
            if label is None:
                continue
            x = wire.x0 + p.label_pad + 1
            base = wire.y - p.label_pad
            labels.append(self._placed_text(label, x, base, "label.axis", overline=overline, axis=wire.axis))
            if overline:
                bx0, dy, bx1 = overline_bar(label, self.theme.font.family)
                labels.append(Line(x + bx0, base + dy, x + bx1, base + dy, Stroke(self.theme.colors.text, 0.6), role="label.overline"))
        return labels


def _joined(wires: list, body: list, dots: set) -> tuple[list, list]:
    """Straight pieces of one wire that meet end to end (a wire running on through a
    wiring region) drawn as one line, so no seam shows where they meet; pieces that
    meet at a copy's dot (in ``dots``, as (y, x)) stay apart."""
    level = [i for i in wires + body if isinstance(i, Line) and i.role in ("wire", "wire.bend") and i.y1 == i.y2]
    rows: dict = defaultdict(list)
    for line in level:
        rows[(line.y1, line.stroke)].append(line)
    joined, used = [], set()
    for (y, stroke), lines in sorted(rows.items(), key=lambda kv: kv[0][0]):
        lines.sort(key=lambda i: (min(i.x1, i.x2), max(i.x1, i.x2)))
        run = [lines[0]]
        for line in lines[1:] + [None]:
            meet = max(run[-1].x1, run[-1].x2)
            if line is not None and abs(min(line.x1, line.x2) - meet) < 1e-6 and (y, meet) not in dots:
                run.append(line)
                continue
            if len(run) > 1:
                used.update(id(i) for i in run)
                axes = {i.axis for i in run if i.axis is not None}  # pieces inside a wiring region name none
                producers = {i.producer for i in run} - {None}
                joined.append(Line(min(run[0].x1, run[0].x2), y, max(run[-1].x1, run[-1].x2), y, stroke,
                                   axis=axes.pop() if len(axes) == 1 else None, producer=producers.pop() if len(producers) == 1 else None))
            run = [line]
    return [i for i in wires if id(i) not in used] + joined, [i for i in body if id(i) not in used]
