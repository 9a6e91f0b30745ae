"""Stage 2, heights: one longest-path pass over "at least this far below" constraints.

Neighbouring wires keep a pitch (wider between tensors), boxes enclose their
wires with the wires around them clear, sections enclose every wire they use.
The constraints form a DAG; the lowest height each node may take is its height,
except where :mod:`.settle` then moves nodes down: a copy's branches drop, where there
is room, to the box they feed, a sublayer above its residual stream comes down to it,
marks come onto their tensors, and boxes' tops come down to what they hold.
:func:`heights` is a pure function from the order (and the boxes' labels) to the
height of every wire and of every box's and section's edges.

>>> from ncd_render.api import load_text
>>> from ncd_render.style import load_theme, load_preset
>>> from ncd_render.layout.model import Style
>>> from ncd_render.layout.order import order
>>> d = load_text("axis a = 2\\naxis b = 3\\ninput X[a b]\\nY = softmax(X: b)\\noutput Y\\n").diagram
>>> style, ordered = Style(d, load_theme("paper"), load_preset("paper")), order(d)
>>> y = heights(style, ordered, {placed.op.id: None for column in ordered.columns for placed in column.ops}).y
>>> y[1] - y[0] == style.preset.pitch  # a's wire, then b's a pitch below
True
"""
from __future__ import annotations

from collections import defaultdict
from itertools import pairwise

from ..records import record
from .curves import DOT_R
from .model import MARK_GAP, MARK_ROOM, WIRING_SHAPES, Column, Ordered, Style, _Order, glyph, is_wiring
from .parallel import one_above_another, own_ops
from .sections import title_height
from .settle import settle

INF = float("inf")


class Cycle(AssertionError):
    """The height constraints contradict each other: a bug in the layout, never the user's."""


@record
class Heights:
    """Stage 2's result, in points: the height of every wire (``y``, by wire id: the order stage
    numbers the wires 0, 1, ...) and the heights of every box's top and bottom edges (``box``, by op
    id) and of every section's (``section``, by section id)."""

    y: list[float]
    box: dict[int, tuple[float, float]]
    section: dict[int, tuple[float, float]]


def heights(style: Style, ordered: Ordered, labels: dict, under_titles: frozenset = frozenset()) -> Heights:
    """Every wire's and box's height: the least that keeps every constraint. ``labels``:
    op id -> its box's label (a set label, or None); ``under_titles``: (section, nested section)
    pairs whose nested panel starts below the other's title (:func:`.sections.under_titles`).
    Raises :class:`Cycle` on a layout bug."""
    return _Solve(style, ordered, labels, under_titles).run()


def box_pad(preset, shape: str, label) -> float:
    """Half the height a one-wire box drawn as ``shape`` (its op's :func:`~.model.glyph`) needs, or the
    pad around several wires; ``label``: the box's set label, or None."""
    if shape == "softmax":
        return preset.box_pad_y + 1.5
    if shape == "mark":
        return (label.ascent + label.descent) / 2 + 2 if label is not None else 5.0
    h = label.ascent + label.descent if label is not None else 0
    return max(preset.box_pad_y, h / 2 + 3)


def _source_start(column: Column, placed, made: dict) -> float:
    """Where a box that holds none of the wires before its column (a source's: a learned tensor's,
    whose wires start there) stands among the boxes beside it: just below the nearest wire above
    its own that was there before, or that a box before it in the column made (``made``: wire ->
    where its box starts)."""
    before, after = column.before, column.after
    if placed.new and placed.new[0] in after.values:
        for w in reversed(after[:after.index(placed.new[0])]):
            if w in before.values:
                return before.index(w) + 0.5
            if w in made:
                return made[w] + 0.5
        return -0.5
    return len(before)


class _Solve:
    """The heights stage's working state, private to one call of :func:`heights`."""

    def __init__(self, style: Style, ordered: Ordered, labels: dict, under_titles: frozenset = frozenset()):
        self.style, self.d, self.theme, self.p = style, style.diagram, style.theme, style.preset
        self.behind = style.behind  # op id -> how far a deck or a 3-D box's faces reach past its box
        self.under_titles = under_titles
        self.wires, self.columns, self.labels = ordered.wires, ordered.columns, labels
        self.final, self.final_steps = ordered.final, ordered.final_steps
        self.axis_h = style.axis_h
        title = style.text("Ag", self.theme.font.title_size)
        self.title_h = title.ascent + title.descent
        # the constraint graph's nodes are numbered, so that its rows and heights are lists: wire w is node w (the
        # order stage numbers the wires 0, 1, ...), then each section's top and bottom, then each box's
        self.below: list[dict[int, float]] = [{} for _ in self.wires]  # node a -> {node b: the most b must lie below a}
        self.box: dict[int, int] = {}  # op id -> its box's top node (its bottom is the next)
        self.ops = {op.id: op for op in self.d.ops}
        self.liftable: set[int] = set()  # the top nodes of boxes that may stand above the figure's top (:meth:`solve`)
        self.section = {sid: self.add_top_bottom() for sid in self.d.sections}  # -> its top node
        # order.order shares an order only between consecutive moments, which are constrained one after
        # another: only the order constrained last can come again (any other repeat would only cost time)
        self.last = None  # the order constrained last
        self.tandem_of = {w: style.diagram.tandems.get(wire.axis) for w, wire in self.wires.items()} if style.diagram.tandems else {}
        p = self.p
        self.pitches = (p.pitch, p.pitch + p.tensor_gap, p.tandem_pitch)  # within a tensor, between tensors, in tandem

    def add_top_bottom(self) -> int:
        """Two new nodes, a box's or section's top and bottom edges; returns the top's number (the bottom's is the next)."""
        first = len(self.below)
        self.below += ({}, {})
        return first

    def run(self) -> Heights:
        for column in self.columns:
            self.constrain_list(column.gap_in)
            for order in column.gap_steps:
                self.constrain_list(order)
            self.constrain_column(column)
        for order in self.final_steps:
            self.constrain_list(order)
        self.constrain_list(self.final)
        self.constrain_sections()
        y = self.solve()
        settle(y, self.below, self.wires, self.columns, self.box, self.section, self.p.pitch)
        edges = {sid: (y[n], y[n + 1]) for sid, n in self.section.items()}
        boxes = {op: (y[n], y[n + 1]) for op, n in self.box.items()}
        del y[len(self.wires):]
        return Heights(y, boxes, edges)

    def edge(self, a, b, weight: float) -> None:
        row = self.below[a]
        if row.get(b, -INF) < weight:
            row[b] = weight

    def constrain_list(self, order: _Order) -> None:
        """Neighbouring wires a pitch apart, wider between tensors, closer in tandem
        (the hottest loop of the stage: :meth:`edge` inlined)."""
        if order is self.last:  # the same order again: its edges are there
            return
        self.last = order
        values, below, tandem = order.values, self.below, self.tandem_of.get
        pitch, apart, tandem_pitch = self.pitches
        for a, b in pairwise(order):
            if values[a] != values[b]:
                weight = apart
            elif tandem(a) is not None and tandem(a) == tandem(b):
                weight = tandem_pitch
            else:
                weight = pitch
            row = below[a]
            if row.get(b, -INF) < weight:
                row[b] = weight

    def constrain_column(self, column: Column) -> None:
        p = self.p
        self.constrain_list(column.before)
        self.constrain_list(column.after)
        # ops that leave every wire in its place (norms, marks) enclose their boxes once: the same edges twice
        orders = (column.before,) if column.after == column.before else (column.before, column.after)
        boxes = []  # (where the box starts in column.before, its top node, its bottom node)
        for placed in column.ops:
            op = placed.op
            top = self.box[op.id] = self.add_top_bottom()
            bottom = top + 1
            shape = glyph(op)
            if placed.over:  # a mark: just above its tensor's top wire, below the wire above that
                wire = placed.over[0]
                self.edge(top, bottom, 2 * box_pad(p, shape, self.labels[op.id]))
                self.edge(bottom, wire, MARK_GAP)
                for order in orders:
                    k = order.index(wire)
                    if k:  # (below another tensor's wire: room for the dashed line between them, over the mark)
                        apart = order.values[order[k - 1]] != order.values[wire]
                        self.edge(order[k - 1], top, max(p.clearance, MARK_ROOM) if apart else p.clearance)
                boxes.append((column.before.index(wire), top, bottom))
                continue
            pad = 0.0 if shape in WIRING_SHAPES else box_pad(p, shape, self.labels[op.id])
            origin = self.wires[min(placed.before, key=column.before.index)].start if placed.before else None
            if origin and origin[0] == "op" and is_wiring(self.ops[origin[1]]):
                self.liftable.add(top)
            pads = (pad, pad)
            if placed.within:  # a sum drawn as merges: room for the dots
                pads = (DOT_R + 1, DOT_R + 1)
            start = None
            for order, span in zip(orders, _spans(orders, placed.members)):
                if span is not None:
                    self.enclose(order, *span, top, bottom, *pads, p.clearance, p.clearance)
                    if order is column.before:
                        start = span[0]
            if start is None:  # (rare: a source's box; the boxes before it in the column made what `made` maps)
                made = {w: b[0] for pl, b in zip(column.ops, boxes) for w in pl.new}
                start = _source_start(column, placed, made)
            boxes.append((start, top, bottom))
            if placed.anchor is not None and placed.new:  # new wires start no higher than the wires they replace
                self.edge(placed.anchor, placed.new[0], 0.0)
                if op.kind == "rename":  # each wire of a rename's, as it only names some anew: they go on straight
                    for old, new in zip(placed.consumed, placed.new):
                        self.edge(old, new, 0.0)
                elif op.kind == "einsum":  # an axis that goes on in the same place among the wires after it goes on no
                    # higher than it came in (Mixtral's g and n, 0.8 pt higher past Q.K on a page, jogged where they
                    # could run straight)
                    for new in placed.new:
                        at = column.after.index(new)
                        old = column.before[at] if at < len(column.before) else None
                        if old in placed.consumed and self.wires[old].axis == self.wires[new].axis:
                            self.edge(old, new, 0.0)
        if len(boxes) > 1:  # boxes side by side in one column keep apart
            boxes.sort(key=lambda b: b[0])
            for (_, _, b1), (_, t2, _) in zip(boxes, boxes[1:]):
                self.edge(b1, t2, p.clearance)

    def enclose(self, order, lo, hi, top, bottom, pad_top, pad_bottom, gap_above, gap_below) -> None:
        """Wires order[lo..hi] lie inside (top, bottom); their neighbours outside. ``order`` is
        constrained (:meth:`constrain_list`): each of its wires lies below the one before it, so the
        top need only be above the first and the bottom below the last (an edge to each wire between
        would move no height, nor the room :mod:`.settle` finds)."""
        self.edge(top, order[lo], pad_top)
        self.edge(order[hi], bottom, pad_bottom)
        if lo > 0:
            self.edge(order[lo - 1], top, gap_above)
        if hi + 1 < len(order):
            self.edge(bottom, order[hi + 1], gap_below)

    def constrain_sections(self) -> None:
        """A section is one rectangle over its columns: every wire it uses, and every
        wire that runs between those, is inside it in all of its columns."""
        p = self.p
        columns_of: dict[int, list[Column]] = defaultdict(list)
        for column in self.columns:
            if column.section is not None:  # (long figures: most columns are in no section)
                for sid in column.sections_of(self.d):
                    columns_of[sid].append(column)
        stacked: dict[int, dict[int, tuple]] = {}  # a parallel section -> id(order) -> its span there (:mod:`.parallel`)
        for sid, columns in columns_of.items():
            orders = [o for k, col in enumerate(columns) for o in ((col.gap_in,) if k else ()) + (col.before, col.after)]
            own = own_ops(self.d, sid)
            held = {w for col in columns for pl in col.ops if own(pl) for w in pl.before + pl.after + pl.over}
            # and every wire of each tensor its boxes read or make, the axes they broadcast over too (a router's W_g on
            # X's m: X's ȳ passed above the panel, its title between ȳ and m, and X's name floated in the gap)
            for col in columns:  # (a norm reads and makes on the wires through it: it consumes none and makes none)
                read = {col.before.values[w] for pl in col.ops if own(pl) for w in pl.before}
                made = {col.after.values[w] for pl in col.ops if own(pl) for w in pl.after}
                held.update(w for w in col.before if col.before.values[w] in read)
                held.update(w for w in col.after if col.after.values[w] in made)
            # a copy made inside the section branches off there: its source's wires are the section's too (a wire
            # passing above a norm and branching down would otherwise cross the section's title)
            held.update(w for col in columns for pl in col.pre if pl.op.kind == "branch" and sid in self.d.section_path(pl.op.copy.section)
                        for w in pl.before + pl.after)
            spans = _spans(orders, held)
            title_h = max(self.title_h, title_height(self.style, sid))  # (a long title on two lines in a layout of rows)
            top_pad = title_h + 4 + p.label_pad + self.axis_h  # the title, then room for wire labels
            top = self.section[sid]
            bottom = top + 1
            parent = self.d.sections[sid].parent
            if parent is not None:  # a nested panel ends inside the one around it
                self.edge(bottom, self.section[parent] + 1, p.section_pad / 2)
            if (parent, sid) in self.under_titles:  # its panel starts below the title of the one around it
                self.edge(self.section[parent], top, max(self.title_h, title_height(self.style, parent)) + 4)
            for column in columns:
                for placed in filter(own, column.ops):
                    # a norm's circle may reach past its box's edges, into the clearance, for a wide label
                    # (norms.norm_diameter): the panel still holds it
                    edge = max(p.section_pad / 2, p.clearance) if glyph(placed.op) == "norm" else p.section_pad / 2
                    box, behind = self.box[placed.op.id], self.behind.get(placed.op.id, 0.0)
                    above = bool(placed.op.params.get("body"))  # (what stands behind it: a 3-D box's faces above, a deck below)
                    self.edge(top, box, title_h + 2 + edge + (behind if above else 0.0))
                    self.edge(box + 1, bottom, edge + (0.0 if above else behind))
            for order, span in zip(orders, spans):
                if span is not None:
                    self.enclose(order, *span, top, bottom, top_pad, p.section_pad,
                                 p.clearance + 2, p.clearance + self.axis_h)
            if sid in self.d.stacks:
                stacked[sid] = {id(order): span for order, span in zip(orders, spans) if span is not None}
        self.stack_panels(stacked)

    def stack_panels(self, stacked: dict[int, dict[int, tuple]]) -> None:
        """Parallel sections in one column stand one panel above the next, a clearance apart (:func:`.parallel.one_above_another`;
        where their wires interleave, :class:`Cycle`, for :func:`ncd_render.layout.layout` to draw them one after another)."""
        pairs = one_above_another(stacked)
        if pairs is None:
            raise Cycle("parallel sections' wires interleave")
        for upper, lower in pairs:
            self.edge(self.section[upper] + 1, self.section[lower], self.p.clearance + 2)

    def solve(self) -> list[float]:
        """Each node's height: the longest path to it (the nodes taken in any order that keeps
        each after those above it: a height is the most of its own, whatever the order). The top
        of a box that holds wires coming out of a wiring region, with nothing above it, pushes
        nothing: it stands just above its wires, up past the figure's top line where they run
        there (the key-padding mask on the scores), so that they go on level with the wires they
        came from rather than step down by the box's pad."""
        below = self.below
        indegree = [0] * len(below)
        for row in below:
            for m in row:
                indegree[m] += 1
        y = [0.0] * len(below)
        ready = [n for n, k in enumerate(indegree) if not k]
        free = {top for top in self.liftable if not indegree[top]}
        done = 0
        while ready:
            n = ready.pop()
            done += 1
            at = y[n]
            for m, w in below[n].items():
                if at + w > y[m] and n not in free:
                    y[m] = at + w
                left = indegree[m] - 1
                indegree[m] = left
                if not left:
                    ready.append(m)
        if done != len(below):
            raise Cycle("layout constraints form a cycle")  # a bug in layout, never a user error
        for top in free:
            y[top] = min((y[m] - w for m, w in below[top].items()), default=0.0)
        return y


def _spans(orders, members) -> list[tuple[int, int] | None]:
    """Per order of ``orders``, the first and last place of ``members`` and of every wire that runs
    between them in any of the orders (None where none is): what one rectangle over all those
    moments must hold."""
    inside = set(members)
    while True:
        spans, grown = [], False
        for order in orders:
            idx = [i for i, w in enumerate(order) if w in inside]
            if not idx:
                spans.append(None)
                continue
            lo, hi = idx[0], idx[-1]
            if hi - lo + 1 != len(idx):  # wires between them that are not inside yet (an order holds each wire once)
                inside.update(order[lo:hi + 1])
                grown = True
            spans.append((lo, hi))
        if not grown:
            return spans
