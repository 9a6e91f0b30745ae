"""Stage 5, compose: the scene, from the order, heights, x positions and drawn glyphs.

Wires are straight lines at their heights (less the stretches regions carry; pieces that
meet end to end drawn as one, :mod:`.joins`), labelled where they start (the figure's outputs where they end
too, as the paper labels them); sections become
rounded panels behind their columns; dashed separators run between the tensors of a tuple
(:mod:`.separators`); the inputs' and outputs' names stand beside their wires. A pure function of the stages before.

>>> from ncd_render.api import load_text
>>> from ncd_render.style import load_theme, load_preset
>>> from ncd_render.layout.model import Style
>>> from ncd_render.layout.order import order
>>> from ncd_render.layout.heights import heights
>>> from ncd_render.layout.glyphs import box_labels, draw_glyphs
>>> from ncd_render.layout.columns import place_columns
>>> d = load_text("axis m = 4\\ninput X[m]\\nY = relu(X)\\noutput Y\\n").diagram
>>> style, ordered = Style(d, load_theme("paper"), load_preset("paper")), order(d)
>>> labels = box_labels(style, ordered)
>>> high = heights(style, ordered, labels)
>>> laid = place_columns(style, ordered, high, labels)
>>> scene = compose(style, ordered, high, laid, draw_glyphs(style, ordered, high, laid))
>>> sorted({item.role for item in scene.items} & {"wire", "label.name", "label.axis"})
['label.axis', 'label.name', 'wire']
"""
from __future__ import annotations

from itertools import chain

from ..backdrop import backdrop
from ..errors import NcdError
from ..records import record, replaced
from ..scene import BBox, Line, Scene, Stroke, Text, extent, moved
from ..text import overline_bar
from .buckets import boxes_near, by_column
from .columns import name_label
from .heights import Heights
from .joins import Piece, joined
from .model import AGAIN, CONTINUE_ARROW, Columns, Drawn, Ordered, Style, arrowhead_path, entry_room
from .sections import draw_sections
from .separators import Separators
from .stretches import pieces as straight_pieces
from .tensor_names import tensor_runs


@record(slots=True)
class _Laid:
    """A wire with everything the stages found: its tensor, height and span."""

    id: int
    axis: str
    value: int
    labelled: bool
    start: tuple
    y: float
    x0: float
    x1: float
    gaps: tuple


RENAMED_NEAR = 2.0  # a renamed wire's label no farther than this many ems past the old name's is marked with an arrow
ARROW_GAP = 0.5  # pt: between that arrow and the new name
ID_ARROW_RUN = 9.0  # pt: the shortest first run of a wire of integer ids that takes its arrowhead
ID_ARROW = 5.0  # pt: that arrowhead's length
ID_NEAR = 24.0  # pt: the farthest that arrowhead's tip stands past where it clears the wire's label


def compose(style: Style, ordered: Ordered, heights: Heights, columns: Columns, drawn: Drawn) -> Scene:
    """The figure: sections, separators, wires, the drawn glyphs and every label, in points
    from its top left. Raises NcdError when there is nothing to draw."""
    return _Compose(style, ordered, heights, columns, drawn).run()


class _Compose:
    """The compose stage's working state, private to one call of :func:`compose`."""

    def __init__(self, style: Style, ordered: Ordered, heights: Heights, columns: Columns, drawn: Drawn):
        self.style, self.d, self.theme, self.p = style, style.diagram, style.theme, style.preset
        self.columns, self.xs, self.heights, self.drawn = ordered.columns, columns.columns, heights, drawn
        self.final, self.input_wires, self.x_end = ordered.final, ordered.input_wires, columns.x_end
        self.axis_h = style.axis_h
        self.ops_by_id: dict | None = None  # op id -> op (:meth:`ops`)
        self.named: dict[tuple, tuple] = {}  # (id of a label, overlined, axis) -> (the label, its Text at the origin)
        self.wires: dict[int, _Laid] = {}
        for w, wire in ordered.wires.items():
            span = drawn.spans[w]
            self.wires[w] = _Laid(w, wire.axis, wire.value, wire.labelled, wire.start, heights.y[w], span.x0, span.x1, span.gaps)

    def run(self) -> Scene:
        p, c, s = self.p, self.theme.colors, self.theme.strokes
        final, x_end = self.final, self.x_end
        wire_stroke = Stroke(c.wire, s.wire)
        names = [name_label(self.style, v) for v in self.d.inputs]
        sections: list = []
        draw_sections(self.style, self.columns, self.xs, self.heights.section, sections)
        body, overlay, gap_items = self.drawn.body, self.drawn.overlay, self.drawn.gap_items
        boxes, regions = _boxes_and_regions(body)
        regions += [i.bbox for i in gap_items if i.role == "region"]
        separators = Separators(self.wires, self.columns, self.xs, self.heights.box, x_end, p, self.axis_h,
                                s.dash, self.d.through).lines(final, boxes + regions, regions, (body, gap_items),  # obstacles in any order
                                              [i.bbox for i in sections if i.role == "section"])
        pieces, dots, arrows = self.wire_pieces(wire_stroke, boxes)
        pieces, body = joined(pieces, body, dots)
        standing = [i.bbox for i in chain(sections, body) if i.role in ("bracket", "arrow")]  # (a mark's arrowheads)
        heads = [i.bbox for i in body if i.role == "arrow"]  # (a mark's: a label past a part's arrowhead keeps clear of them)
        labels, named = self.wire_labels(boxes + heads, separators, standing)
        ins = []  # tensor names left of the inputs, right of the outputs
        for name, v in zip(names, self.d.inputs):
            ws = [w for w in self.input_wires if self.wires[w].start == ("input", self.d.producer(v).id)]
            if ws:
                ins.append((name, ws, self.wires[ws[0]].x0 - p.label_pad - name.width, "end"))
        outs = [(name_label(self.style, v), ws, x_end + p.label_pad, "start")
                for v in self.d.outputs for ws in [[w for w in final if self.wires[w].value == v]] if ws]
        tensor_names = self._names_apart(ins) + self._names_apart(outs)
        # items made elsewhere, or few, are copied into place at the end; the wires, separators and axis labels
        # (most of what this stage draws) are made once, in place, from their positions laid out here
        made = (sections, arrows, gap_items, body, overlay, tensor_names)
        sides = [extent(chain(*made))] if any(made) else []
        sides += [_level_extent(lines) for lines in (separators, pieces) if lines] + ([_label_extent(labels)] if labels else [])
        if not sides:
            first = self.d.producer(self.d.inputs[0]).span if self.d.inputs else None
            raise NcdError("there is nothing to draw: no tensor has an axis and no box acts", first,
                           hint="give the inputs axes, e.g. input X[m]")
        lefts, tops, rights, bottoms = zip(*sides)
        x0, y0 = min(lefts) - p.margin, min(tops) - p.margin
        x1, y1 = max(rights) + p.margin, max(bottoms) + p.margin
        dx, dy = -x0, -y0
        scene = Scene(x1 - x0, y1 - y0, [], c.background if c.background != "none" else None, self.d.title)
        separator = Stroke(c.separator, s.separator, s.dash)
        items = scene.items = backdrop(x1 - x0, y1 - y0, scene.background)  # built up in place: no copy of all items
        items += moved(sections, dx, dy)
        # Line's fields in order (x1, y1, x2, y2, stroke, role, axis, producer): passed by keyword, they cost a fifth more
        items += [Line(a + dx, y + dy, b + dx, y + dy, separator, "separator") for a, b, y in separators]
        items += [Line(a + dx, y + dy, b + dx, y + dy, stroke, "wire", axis, producer) for a, b, y, stroke, axis, producer in pieces]
        items += moved(chain(arrows, gap_items, body, overlay), dx, dy)
        items += self.axis_labels(labels, dx, dy)
        items += moved(tensor_names, dx, dy)
        tensors = tensor_runs(self.style, self.columns, self.xs, self.wires, final, self.x_end, -x0) if self.p.rows else {}  # only a page's row breaks name tensors
        scene.wire_names = tuple((w.y - y0, w.x0 - x0, w.x1 - x0, self.name_text(label, bar, w.axis), bar, tensors.get(w.id, ()))
                                 for w, label, bar in named)
        scene.through = tuple(w.y - y0 for w in self.wires.values() if w.value == self.d.through) if self.d.through is not None else ()
        return scene

    def name_text(self, label, bar: bool, axis: str) -> Text:
        """A wire's label at the origin, for ``Scene.wire_names``: one (frozen) Text for all the wires that show
        the same label, not one each. The cache holds the label too, so no other label takes its id."""
        key = (id(label), bar, axis)
        found = self.named.get(key)
        if found is None:
            found = self.named[key] = (label, self.style.placed_text(label, 0, 0, "label.axis", overline=bar, axis=axis))
        return found[1]

    def _name_beside(self, name, x: float, anchor: str, mid: float) -> Text:
        """A tensor's name at x, centred on height ``mid``; ``anchor``: the end that meets its wires."""
        return self.style.placed_text(name, x, mid + (name.ascent - name.descent) / 2, "label.name", anchor=anchor)

    def _names_apart(self, entries: list[tuple]) -> list[Text]:
        """The names (name, wires, x, anchor) of tensors on one side, each centred on its wires, unless a name
        placed before it is there: a tensor nested between another's wires (a copy's branch, made at the end)
        keeps the middle, and the one around it moves to the nearest of its own wires where no name stands.
        The tightest tensors are placed first; the names come back in the order given."""
        placed: dict[int, Text] = {}
        for k in sorted(range(len(entries)), key=lambda k: _reach(self.wires, entries[k][1])):
            name, wires, x, anchor = entries[k]
            ys = sorted(self.wires[w].y for w in wires)
            mid = (ys[0] + ys[-1]) / 2
            tries = [self._name_beside(name, x, anchor, at) for at in [mid] + sorted(ys, key=lambda y: abs(y - mid))]
            free = (t for t in tries if not any(_overlaps(t.bbox, other.bbox) for other in placed.values()))
            placed[k] = next(free, tries[0])  # no free height: centred, as ever
        return [placed[k] for k in range(len(entries))]

    def wire_pieces(self, stroke: Stroke, boxes: list) -> tuple[list[Piece], set, list]:
        """Each wire's straight pieces (its life less its gaps), where one ends at its copy's dot (y, x), and
        an arrowhead on each wire of integer or boolean data (``boxes``: the boxes' extents, one of which may read
        the ids where the wire runs on under it): one pass over the wires."""
        pieces, dots, arrows, values = [], set(), [], self.d.values
        ids = any(v.dtype != "real" for v in values.values())  # token ids or flags anywhere: else no wire takes an arrowhead
        for w in self.wires.values():
            producer = w.start[1] if w.start[0] == "op" else None
            first_run = None  # the wire's first straight run
            if w.gaps:
                for a, b in straight_pieces(w.x0, w.x1, w.gaps):
                    if b > a:
                        pieces.append(Piece(a, b, w.y, stroke, w.axis, producer))
                        first_run = first_run or (a, b)
                dots.update((w.y, a) for a, b in w.gaps if a == b)
            elif w.x1 > w.x0:
                pieces.append(Piece(w.x0, w.x1, w.y, stroke, w.axis, producer))
                first_run = (w.x0, w.x1)
            if not ids:
                continue
            if self.holds_ids(w):
                # on its first straight run, where it still carries the ids: just short of the box that reads them
                # (or the copy's dot or bend that ends the run), clear of the wire's label; in a layout of rows, which may
                # cut a long run, within ID_NEAR of its label (a mask waiting across rows took it by a row's end, beside
                # the row's own arrow)
                a, b = first_run or (0.0, 0.0)
                b = min([b] + [box[0] for box in boxes if box[1] <= w.y <= box[3] and a < box[0] < b])  # up to a box it runs under
                label = self.style.axis_label(w.axis, w.value)[0] if w.labelled and w.x0 == a else None
                clear = a + (self.p.label_pad + 2 + label.width if label is not None else 0.0) + ID_ARROW  # a tip past its label
                tip = min(max(b - 6.0, clear), b - 1.5, clear + ID_NEAR if self.p.rows else b)  # just short of the box it runs into
                if b - a >= ID_ARROW_RUN and tip - ID_ARROW >= a:
                    arrows.append(arrowhead_path(tip, w.y, self.theme.colors.wire, ID_ARROW, role="arrow.ids"))  # (no box: page.cuts)
        return pieces, dots, arrows

    def wire_labels(self, boxes: list, separators: list = (), standing: list = ()) -> tuple[list[tuple], list[tuple]]:
        """(label, x, baseline, its overline bar or None, axis) of each labelled wire's axis label above it,
        just past its start; one that would touch a box (a wire that starts just below a box's corner) moves
        right past the box, where the wire runs on. The bar: (x from, y, x to) from the label's start.
        Second, (wire, label, overlined) of every wire drawn that has a label, shown or not, for ``Scene.wire_names``.
        ``separators``: the dashed lines (x from, x to, y), and ``standing``: the extents of repeats' brackets and marks'
        arrowheads, which an output's label at its end keeps clear of."""
        p = self.p
        labels, named, near, renamed = [], [], by_column(boxes), []
        for wire in self.wires.values():
            if wire.x1 <= wire.x0:
                continue
            label, overline = self.style.axis_label(wire.axis, wire.value)
            if label is None:
                continue
            named.append((wire, label, overline))
            if not wire.labelled:
                continue
            x = wire.x0 + p.label_pad + 1 + self.style.label_clearance(wire)
            base = wire.y - p.label_pad
            top, bottom = base - label.ascent - (1.0 if overline else 0.0), base + label.descent
            if self.style.part and wire.start[0] == "input" and not self.holds_ids(wire):  # past the arrowhead a page may
                # draw there (page.flow), where that leaves it clear of every box (an id wire's own arrowhead follows its label)
                clear = _past_boxes(x + entry_room(p), top, bottom, label.width + 0.5, wire.x1 - p.label_pad, near, p.label_pad)
                spot = (clear, top, clear + label.width + 0.5, bottom)  # (to within half a point of a box: the page had it room)
                if not any(_overlaps(spot, b) for b in boxes_near(near, spot[0], spot[2])):
                    x = clear  # (past a mark's arrowhead standing there: RWKV's ȳ under R's σ)
            x = _past_boxes(x, top, bottom, label.width, wire.x1 - p.label_pad, near, p.label_pad)
            if wire.start[0] == "copy" and any(_overlaps((x, top, x + label.width, bottom), b) for b in boxes_near(near, x, x + label.width)):
                continue  # a branch labelled for the norm on it (layout._named_where_normalised), where there is room
            labels.append((label, x, base, overline_bar(label, self.theme.font.family) if overline else None, wire.axis))
            if wire.start[0] == "op" and self.ops()[wire.start[1]].kind == "rename":
                renamed.append((len(labels) - 1, wire.x1 - p.label_pad))
        for k, end in renamed:
            labels[k] = self.arrowed(labels, k, end, near)
        return labels + self.end_labels(labels, near, separators, standing), named

    def arrowed(self, labels: list[tuple], k: int, end: float, boxes: dict) -> tuple:
        """``labels[k]``, a renamed wire's, after an arrow where it would stand just past the old name's label on
        that wire ("ȳ →x̄"): beside it, the two read as a tensor's two axes (a rename of an input's axis at once).
        The name stays where it stood and the arrow goes before it, over the old wire's end, where the old label leaves
        room (else the label reaches on, as far as ``end``, clear of the boxes, ``boxes``, :func:`by_column`'s); as it was
        where it would still run into one ("→d" into the LN just after it; "→ȳ" ran into a copy's dot just after it)."""
        label, x, base, bar, axis = labels[k]
        near = RENAMED_NEAR * self.theme.font.axis_size
        old = [a + t.width for j, (t, a, b, *_) in enumerate(labels) if j != k and abs(b - base) < 0.01 and 0 <= x - (a + t.width) <= near]
        if not old:
            return labels[k]
        arrow = self.style.text("→", self.theme.font.axis_size)
        shift = arrow.width + ARROW_GAP
        runs = arrow.runs + tuple(replaced(r, dx=r.dx + shift) for r in label.runs)
        label = replaced(label, runs=runs, width=label.width + shift, ascent=max(label.ascent, arrow.ascent),
                         descent=max(label.descent, arrow.descent))
        x = max(min(x - shift, end - label.width), max(old) + self.p.label_pad)  # (its name where it stood, where there is room)
        spot = (x, base - label.ascent - (1.0 if bar else 0.0), x + label.width, base + label.descent)
        if any(_overlaps(spot, b) for b in boxes_near(boxes, spot[0], spot[2])):
            spot = (max(old) + self.p.label_pad, spot[1], max(old) + self.p.label_pad + label.width, spot[3])
            if any(_overlaps(spot, b) for b in boxes_near(boxes, spot[0], spot[2])):
                return labels[k]
            x = spot[0]
        return label, x, base, bar and (bar[0] + shift, bar[1], bar[2] + shift), axis

    def ops(self) -> dict:
        """Op id -> op, made when first asked (whether a wire holds ids, starts at a rename)."""
        if self.ops_by_id is None:
            self.ops_by_id = {op.id: op for op in self.d.ops}
        return self.ops_by_id

    def end_labels(self, labels: list[tuple], near: dict, separators, standing: list = ()) -> list[tuple]:
        """:meth:`wire_labels`' labels for the figure's output wires at their ends, as the paper labels them, where
        they were labelled no nearer than AGAIN before it and the end leaves room clear of every box (``near``,
        :func:`by_column`'s), separator, repeat's bracket and mark's arrowhead (``standing``; a part's ends: before
        the arrowhead a page may draw there; a page's transformer layer ends in a norm just before its bracket, no
        room for its outputs' m; a ReLU's mark above an output's end stood on its ȳ). A part's output that ends the
        figure (``style.ending``) has no arrowhead after it; one whose labels do not all find room there gets none
        (Mixtral's residual sum, ending a page, labelled its ȳ and not its wider m)."""
        p, out = self.p, []
        dashed = [(a, y - 0.5, b, y + 0.5) for a, b, y in separators if b > self.x_end - AGAIN]  # (those that reach the end)
        arrow = CONTINUE_ARROW + 1 if self.style.part else 0.0
        cramped = set()  # the part's outputs ending the figure with a label that found no room
        for w in self.final:
            wire = self.wires[w]
            ends = self.d.values[wire.value].name in self.style.ending
            end = self.x_end - p.label_pad - (0.0 if ends else arrow)
            label, overline = self.style.axis_label(wire.axis, wire.value)
            if label is None or wire.x1 < self.x_end - 0.5:
                continue
            x, base = end - label.width, wire.y - p.label_pad
            spot = (x - 1, base - label.ascent - (1.0 if overline else 0.0) - 1, end + 1, base + label.descent + 1)  # (boxes' ink)
            if any(b == base and a < end + AGAIN and x - AGAIN < a + t.width for t, a, b, *_ in labels):
                continue
            if x < wire.x0 + p.label_pad or any(_overlaps(spot, box) for box in chain(boxes_near(near, spot[0], spot[2]), dashed, standing)):
                if ends:
                    cramped.add(wire.value)
                continue
            out.append((label, x, base, overline_bar(label, self.theme.font.family) if overline else None, wire.axis, wire.value))
        return [entry[:5] for entry in out if entry[5] not in cramped]

    def holds_ids(self, wire: _Laid) -> bool:
        """Whether ``wire`` carries integer ids or flags where it starts (it gets an arrowhead of its own)."""
        values = self.d.values
        first = _first_value(self.ops(), values, wire)
        return values[wire.value].dtype != "real" or first is not None and values[first].dtype != "real"

    def axis_labels(self, labels: list[tuple], dx: float, dy: float) -> list:
        """The axis labels (:meth:`wire_labels`) moved by (dx, dy): each a Text, then its overline's bar."""
        out = []
        for label, x, base, bar, axis in labels:
            out.append(self.style.placed_text(label, x + dx, base + dy, "label.axis", overline=bar is not None, axis=axis))
            if bar is not None:
                bx0, by, bx1 = bar
                out.append(Line((x + bx0) + dx, (base + by) + dy, (x + bx1) + dx, (base + by) + dy,
                                Stroke(self.theme.colors.text, 0.6), role="label.overline"))
        return out


def _first_value(ops: dict, values: dict, w: _Laid) -> int | None:
    """The tensor wire ``w`` carries where it starts (``ops``: op id -> op; its ``value`` is the last it
    carries: token ids' wire runs on past the embedding, broadcast, as the embedded tensor's), or None
    for a permutation's wire."""
    kind, op_id = w.start
    op = ops.get(op_id) if kind in ("copy", "input", "op", "load") else None
    if op is None:
        return None
    if kind == "copy":
        return op.inputs[0]
    return next((v for v in op.outputs if w.axis in values[v].axes), None)


def _boxes_and_regions(body: list) -> tuple[list[BBox], list[BBox]]:
    """The extents of the boxes (and what stands behind them) and of the wiring regions among ``body``, in one pass."""
    boxes, regions = [], []
    for item in body:
        role = item.role
        if role == "box" or role == "box.shadow":
            boxes.append(item.bbox)
        elif role == "region":
            regions.append(item.bbox)
    return boxes, regions


def _level_extent(lines: list[tuple]) -> BBox:
    """The box around level lines given as (x from, x to, y, ...), x from never right of x to."""
    ys = [line[2] for line in lines]
    return min([line[0] for line in lines]), min(ys), max([line[1] for line in lines]), max(ys)


def _label_extent(labels: list[tuple]) -> BBox:
    """The box around axis labels (:meth:`_Compose.wire_labels`) and their bars, as their Texts and Lines measure."""
    boxes = [(x, base - label.ascent, x + label.width, base + label.descent) for label, x, base, _, _ in labels]
    for label, x, base, bar, _ in labels:
        if bar is not None:
            a, b, y = x + bar[0], x + bar[2], base + bar[1]
            boxes.append((min(a, b), y, max(a, b), y))
    lefts, tops, rights, bottoms = zip(*boxes)
    return min(lefts), min(tops), max(rights), max(bottoms)


def _reach(wires: dict, ws: list[int]) -> float:
    """How far apart a tensor's top and bottom wires are."""
    ys = [wires[w].y for w in ws]
    return max(ys) - min(ys)


def _overlaps(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _past_boxes(x: float, top: float, bottom: float, width: float, limit: float, near: dict, pad: float) -> float:
    """Where a label ``width`` wide, from ``top`` to ``bottom``, starts at or right of ``x`` touching no box of
    ``near`` (:func:`by_column`): ``pad`` past each box it would touch; ``x`` when that ends past ``limit``.

    >>> _past_boxes(10.0, 0.0, 8.0, 5.0, 100.0, by_column([(0.0, 6.0, 12.0, 20.0)]), 3.0)
    15.0
    """
    at = x
    for _ in range(4):  # boxes in a row: past each in turn
        label = (at, top, at + width, bottom)
        hit = next((b for b in boxes_near(near, at, label[2]) if _overlaps(label, b)), None)
        if hit is None:
            return at if at + width <= limit else x
        at = hit[2] + pad
    return x
