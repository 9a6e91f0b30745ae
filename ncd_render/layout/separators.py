"""The dashed lines between the tensors of a tuple (the paper's Fig. 5), for the compose stage.

Two wires side by side that belong to different tensors, close enough to read as one bundle,
get a dashed line between them wherever both run level, stopping clear of every box and
wiring region at its height. Where one of the two wires runs into a wiring region (or out of
one) that keeps to its side of the line, and the other wire runs on, the line runs on across the
region as far as the region's curves keep to that wire's height, as the paper's separators follow
a tuple until its tensors meet; where both wires run into one region, the line goes on into it up to
the first curve that comes to its height (SDPA's Q and K, up to their cup). A piece shorter than five dashes reads as a scrap, not as a line,
and is left out.

>>> from ncd_render.api import load_text
>>> from ncd_render.style import load_theme, load_preset
>>> from ncd_render.layout import layout
>>> fig = load_text('''axis y = 4
... axis x = 5
... axis k = 3
... input Q[y k], K[x k], V[x k]
... S = einsum(Q, K: y k, x k -> y x)
... O = einsum(S, V: y x, x k -> y k)
... output O''').diagram
>>> scene = layout(fig, load_theme("paper"), load_preset("paper"))
>>> [round(line.x2 - line.x1) for line in scene.items if line.role == "separator"]  # Q | K up to Q·K's cup; K | V on, under it
[27, 47]
"""
from __future__ import annotations

from collections import defaultdict
from itertools import chain, pairwise

from ..scene import wire_ends
from .buckets import boxes_near, by_column
from .dashes import ON, in_the_way, length, level, shortest, union
from .model import MARK_ROOM, SEPARATOR_CLEAR
from .stretches import subtract

INF = float("inf")
LABEL_CLEAR = 1.5  # the least a separator lowered under a box keeps above the label below it
END_LABEL = 20.0  # a line lowered this near the figure's end keeps clear of the end labels of the outputs below it
STEP = 2 * SEPARATOR_CLEAR  # two pieces of a line at different heights this near each other read as one line, stepped
REGION_PAD = 3.0  # the most a wiring region's extent reaches past its curves, above and below (glyphs, gaps)


class Separators:
    """The separators of one figure: ``wires`` by id (each with ``y``, ``x0``, ``x1``), the ordered
    ``columns`` and their ``xs``, each box's (top, bottom) by op id, the figure's right end, the preset
    (its ``pitch``, ``tensor_gap``, ``label_pad``), the axis labels' height and the theme's dash pattern."""

    def __init__(self, wires: dict, columns: list, xs: list, box_heights, x_end: float, preset, axis_h: float,
                 dash: tuple[float, ...], through: int | None = None):
        self.wires, self.columns, self.xs, self.box, self.x_end = wires, columns, xs, box_heights, x_end
        self.through = through  # the tensor of the axes every tensor has (:mod:`.through`): part of each, parted from none
        self.p, self.axis_h, self.shortest = preset, axis_h, shortest(dash)
        self.pairs: dict[tuple[int, int], tuple | None] = {}  # wires side by side -> their separator (:meth:`pair`)
        self.regions: list = []  # the wiring regions' extents and the items drawn, as :meth:`lines` is given them,
        self.drawn: tuple = ()   # indexed when first asked (:meth:`across`, :meth:`drawn_in`)
        self.starts = self.ends = self.ink = None
        self.lowered: dict[tuple[int, int], tuple] = {}  # the pairs whose line runs lower, under a box: their height and runs before

    def lines(self, final, obstacles: list, regions: list, drawn: tuple[list, ...],
              panels: list = ()) -> list[tuple[float, float, float]]:
        """(x from, x to, y) of every separator; ``obstacles`` are the extents of boxes and wiring regions,
        ``regions`` those of the wiring regions alone, ``drawn`` the lists of items the glyphs drew (the
        regions' curves among them), ``final`` the order of the wires at the right end; ``panels`` the sections'
        extents: a separator within :data:`.dashes.PANEL_CLEAR` of a panel's top or bottom edge is left out where it runs
        along it (the edge parts the tensors already; a dashed line 4 pt under it read as a stray)."""
        pairs = self.pairs
        self.regions, self.drawn = regions, drawn
        for order, values, x0, x1 in self.stretches(final):
            for pair in pairwise(order):
                if not self.parted(values, pair):
                    continue
                found = self.pair(pair)
                if found is None:
                    continue
                lo, hi, _, runs = found
                if x0 >= lo:
                    lo = x0
                if x1 <= hi:
                    hi = x1
                if hi <= lo:
                    continue
                if runs and abs(runs[-1][1] - lo) < ON:
                    runs[-1][1] = hi
                else:
                    runs.append([lo, hi])
        # pieces by height: two pairs that share a wire and a height (the other wire crossed for another under
        # it) draw one line; obstacles by the stretches of x they reach into
        at: dict[float, list] = {}
        buckets = by_column(obstacles, SEPARATOR_CLEAR)
        region_set = set(regions)
        drawn = sorted(pair for pair, found in pairs.items() if found is not None and found[3])
        for pair in drawn:
            self.below_boxes(pair, buckets, region_set)
            self.above_marks(pair, buckets, region_set)
        pieces = {pair: self.pieces(pair, buckets, panels) for pair in drawn}
        self.carry_lowered(drawn, pieces, lambda pair, sy=None: self.pieces(pair, buckets, panels, sy))
        for pair in drawn:
            at.setdefault(pairs[pair][2], []).extend(pieces[pair])
        level(at, buckets, panels, self.p.pitch / 2)
        least = self.shortest
        lines = [(lo, hi, sy) for sy, pieces in at.items() for lo, hi in (union(pieces) if len(pieces) > 1 else pieces)]
        return [line for line in _one_per_gap(lines, self.p.pitch) if line[1] - line[0] >= least]

    def below_boxes(self, pair: tuple[int, int], buckets: dict, regions: set) -> None:
        """Lower the separator of ``pair`` under the boxes on its upper wire that reach down past it (a learned
        scale on a tensor's lowest wire), where there is room above the lower wire's label: it stopped at each
        such box, a line broken in two, read as two separators."""
        lo, hi, sy, spans = self.pairs[pair]
        a, b = self.wires[pair[0]], self.wires[pair[1]]
        x0, x1 = spans[0][0], spans[-1][1]  # (and between its runs: they stop at the boxes on its wires)
        near = [box for box in set(boxes_near(buckets, x0 - ON, x1 + ON))  # (on the upper wire alone: not a sum's box of both)
                if box[1] < a.y < box[3] and not box[1] < b.y < box[3] and box not in regions]
        on = [(bx0, bx1, by1) for bx0, by0, bx1, by1 in near if bx0 < x1 and x0 < bx1]
        # the boxes its upper wire starts or ends at (an SE gate's L_1 and L_2): the line goes on under them too, to meet
        # the next pair's, where it is lowered (it stopped at each, and read as a wire into it)
        at_ends = [(bx0, bx1, by1) for bx0, by0, bx1, by1 in near
                   if abs(bx0 - a.x1) < ON and self.in_column(bx0, bx1, x1, True) or abs(bx1 - a.x0) < ON and self.in_column(bx0, bx1, x0, False)]
        reach = max((by1 for *_, by1 in on + at_ends), default=None)
        room = self.room_above(b, spans[-1][1])
        if reach is None or reach + SEPARATOR_CLEAR <= sy or reach + SEPARATOR_CLEAR > room:
            return
        runs = [list(spans[0])]  # the runs a box on the upper wire alone parted now go on under it
        for start, end in spans[1:]:
            if any(bx0 - SEPARATOR_CLEAR <= runs[-1][1] + ON and start - ON <= bx1 + SEPARATOR_CLEAR for bx0, bx1, _ in on):
                runs[-1][1] = end
            else:
                runs.append([start, end])
        for bx0, bx1, _ in at_ends:
            if abs(bx0 - a.x1) < ON:
                runs[-1][1] = bx1
            else:
                runs[0][0] = bx0
        self.pairs[pair] = (lo, hi, (reach + SEPARATOR_CLEAR + room) / 2, runs)
        self.lowered[pair] = (sy, spans)

    def room_above(self, b, until: float = -INF) -> float:
        """The lowest a separator may run over wire ``b``: above its label, or, where it has none (a copy's branch),
        clear of the wire itself; an output's wire takes a label at the figure's end, where the line reaches
        (``until``) within :data:`END_LABEL` of it (V's x̄, a copy's branch, lost it to the line lowered under W_K)."""
        labelled = b.labelled or b.x1 >= self.x_end - ON and until >= self.x_end - END_LABEL
        return b.y - self.axis_h - self.p.label_pad - LABEL_CLEAR if labelled else b.y - 2 * SEPARATOR_CLEAR

    def pieces(self, pair: tuple[int, int], buckets: dict, panels, sy: float | None = None) -> list[tuple[float, float]]:
        """The pieces of ``pair``'s line at its height (or at ``sy``): its runs, carried on across the regions it passes
        under (:meth:`across`), less what stands in their way (:func:`in_the_way`)."""
        sy = self.pairs[pair][2] if sy is None else sy
        spans = [list(run) for run in self.pairs[pair][3]]
        passed = self.across(pair, spans, sy)
        return [piece for x0, x1 in spans for piece in subtract((x0, x1), in_the_way(buckets, panels, x0, x1, sy, passed))]

    def carry_lowered(self, drawn: list, pieces: dict, pieces_of) -> None:
        """Set the lines :meth:`below_boxes` lowered that meet under their boxes at one height, the lowest of theirs, and
        carry them on at it into the lines of ``drawn`` that go on from them, a piece within :data:`STEP` of theirs
        (``pieces``: each pair's, changed in place; ``pieces_of``: a pair's at the height it has, or one given). Where one of those
        goes on at another height (raised over a mark), or one has no room for the line (its lower wire's label, or a
        box, in the way), every line joined to them is set back as it was: a line lowered in part stepped up and down
        beside T5's W_k. (Two lowered under a box and a sum beside it, 0.1 pt apart, were set back for that alone.)"""
        def beside(p, q) -> bool:  # a piece of q that is drawn, within STEP of one of p's
            return any(b1 - b0 >= self.shortest and a0 - STEP <= b1 and b0 - STEP <= a1 for a0, a1 in pieces[p] for b0, b1 in pieces[q])

        def under_one_box(p, q) -> bool:
            return any(a0 - ON <= b1 and b0 - ON <= a1 for a0, a1 in self.pairs[p][3] for b0, b1 in self.pairs[q][3])

        done = set()
        for root in list(self.lowered):
            if root in done:
                continue
            old = self.lowered[root][0]
            group, work = {root}, [root]
            while work:  # the lines that meet it: lowered under a box by it, or going on from it
                pair = work.pop()
                for other in drawn:
                    if other in group or not (other[0] == pair[0] or other[1] == pair[1] or abs(self.pairs[other][2] - old) < ON):
                        continue
                    if under_one_box(pair, other) if other in self.lowered else beside(pair, other):
                        group.add(other)
                        work.append(other)
            done |= group
            lowered = [p for p in group if p in self.lowered]
            sy = max(self.pairs[p][2] for p in lowered)
            fits = all(p in self.lowered or abs(self.pairs[p][2] - old) < ON for p in group) and all(
                sy <= self.room_above(self.wires[p[1]], self.pairs[p][3][-1][1]) + ON for p in group)
            moved = {}
            for p in sorted(group) if fits else ():
                if abs(self.pairs[p][2] - sy) < ON:
                    continue
                moved[p] = pieces_of(p, sy)
                fits = p in self.lowered or length(moved[p]) >= length(pieces[p]) - ON  # (no box in its way lower down)
                if not fits:
                    break
            for p in group:
                lo, hi, *_ = self.pairs[p]
                if fits and p in moved:
                    self.pairs[p], pieces[p] = (lo, hi, sy, self.pairs[p][3]), moved[p]
                elif not fits and p in self.lowered:
                    self.pairs[p] = (lo, hi) + self.lowered[p]
                    pieces[p] = pieces_of(p)

    def in_column(self, bx0: float, bx1: float, x: float, starts: bool) -> bool:
        """Whether the box from ``bx0`` to ``bx1`` stands in the column that ``starts`` (or, not ``starts``, ends) at
        ``x``: a narrower box than its column's widest stands in from the column's edges, where a run stops."""
        return any(abs((at.x0 if starts else at.x1) - x) < ON and at.x0 - ON <= bx0 and bx1 <= at.x1 + ON for at in self.xs)

    def above_marks(self, pair: tuple[int, int], buckets: dict, regions: set) -> None:
        """Raise the separator of ``pair`` over the marks on its lower tensor that reach up past it (➤GELU➤ on a
        split's second half), midway between them and the upper wire, where that keeps it clear of both: it
        stopped at each, in pieces too short to draw, and the two tensors read as one."""
        lo, hi, sy, spans = self.pairs[pair]
        a, b = self.wires[pair[0]], self.wires[pair[1]]
        x0, x1 = spans[0][0], spans[-1][1]
        tops = [by0 for bx0, by0, bx1, by1 in set(boxes_near(buckets, x0, x1))
                if a.y < by0 < sy + SEPARATOR_CLEAR and by1 < b.y and bx0 < x1 and x0 < bx1 and (bx0, by0, bx1, by1) not in regions]
        if tops and min(tops) - a.y >= 2 * SEPARATOR_CLEAR:
            self.pairs[pair] = (lo, hi, (a.y + min(tops)) / 2, spans)
            self.lowered.pop(pair, None)  # (raised, after all)

    def across(self, pair: tuple[int, int], spans: list, sy: float) -> list[tuple]:
        """Carry the separator of ``pair`` on across a wiring region one of its wires runs into at the end of
        its last run (or comes out of, at the start of its first) while the region's curves keep to that wire's
        side of the line, clear of it, and the other wire runs on: a tuple's tensors are still side by side where
        one of them bends and crosses within itself. The line runs as far as those curves keep to that wire's
        height (``sy``, the line's). Returns the regions passed under, which do not stop the line (their curves are clear of it)."""
        if self.starts is None:  # a wire ends or starts at its region's edge: both are the column's x, to the bit
            self.starts, self.ends = defaultdict(list), defaultdict(list)
            for r in self.regions:
                self.starts[r[0]].append(r)
                self.ends[r[2]].append(r)
        a, b = self.wires[pair[0]], self.wires[pair[1]]
        last, first = spans[-1], spans[0]
        passed = []
        for wire, other, above in ((a, b, True), (b, a, False)):
            # (the other wire runs on, or into the same region: there its curves say how far the line goes)
            if wire.x1 in self.starts and abs(last[1] - wire.x1) < ON and other.x1 > wire.x1 - ON:
                xs = self.under(self.starts[wire.x1], wire.y, sy, above, passed, True)
                last[1] = max(last[1], min(max(xs, default=wire.x1), other.x1 if other.x1 > wire.x1 + ON else INF))
            if wire.x0 in self.ends and abs(first[0] - wire.x0) < ON and other.x0 < wire.x0 + ON:
                xs = self.under(self.ends[wire.x0], wire.y, sy, above, passed, False)
                first[0] = min(first[0], max(min(xs, default=wire.x0), other.x0 if other.x0 < wire.x0 - ON else -INF))
        return passed

    def under(self, regions: list, y: float, line: float, above: bool, passed: list, ahead: bool) -> list[float]:
        """Of ``regions`` (wiring regions a wire at height ``y`` runs into, ``ahead``, or out of), those whose curves
        keep to the wire's side of a separator at height ``line``, ``above`` it or below, at least SEPARATOR_CLEAR
        from it, added to ``passed``; returns the x positions where their curves meet height ``y``: the ends
        of their level lines there and of their bends that start or stop there. A region whose curves come to the
        line only further on is passed as far as SEPARATOR_CLEAR short of the first of them (SDPA's K crosses
        within itself under Q's k before Q's k comes down to its cup: the paper's line runs on to the cup)."""
        xs = []
        for region in regions:
            if not region[1] <= y <= region[3]:
                continue  # it does not reach the wire
            items = self.drawn_in(region)
            if not items:
                continue
            near = [i for i in items if i[1] - SEPARATOR_CLEAR < line < i[3] + SEPARATOR_CLEAR]  # its curves at the line
            if not near:
                if above and max(i[3] for i in items) + SEPARATOR_CLEAR > line or not above and min(i[1] for i in items) - SEPARATOR_CLEAR < line:
                    continue
                passed.append(region)
                xs += [x for *_, item in items for x, at in wire_ends(item) if abs(at - y) < ON]
                continue
            stop = min(i[0] for i in near) - SEPARATOR_CLEAR if ahead else max(i[2] for i in near) + SEPARATOR_CLEAR
            if stop > region[0] if ahead else stop < region[2]:
                passed.append(region)
                xs.append(stop)
        return xs

    def drawn_in(self, region: tuple) -> list[tuple]:
        """The curves and lines drawn within ``region``, each as (x0, y0, x1, y1, item)."""
        if self.ink is None:
            self.ink = by_column([(*item.bbox, item) for item in chain.from_iterable(self.drawn) if item.role == "wire.bend"])
        x0, y0, x1, y1 = region
        return [b for b in boxes_near(self.ink, x0, x1) if x0 - ON <= b[0] and b[2] <= x1 + ON and y0 - ON <= b[1] and b[3] <= y1 + ON]

    def parted(self, values, pair: tuple[int, int]) -> bool:
        """Whether a separator may part the two wires of ``pair`` (``values``: each wire's tensor): not one tensor's
        wires, nor the wire of the axes every tensor has, which is part of each."""
        a, b = values[pair[0]], values[pair[1]]
        return a != b and self.through not in (a, b)

    def pair(self, pair: tuple[int, int]) -> tuple | None:
        """Wires ``pair`` (a just above b) side by side: (the stretch of x where both live, their separator's
        height, its runs, found as the stretches come), worked out when they first meet and kept in ``self.pairs``
        for every other stretch they share; None where they sit too far apart to need one, farther than a
        tuple's segments, unless one op made both (a split's halves: a glyph on the lower one spread them, and
        they read as one tensor of four axes)."""
        found = self.pairs.get(pair, False)
        if found is False:
            wa, wb = self.wires[pair[0]], self.wires[pair[1]]
            found = None
            over_mark = max(0.0, MARK_ROOM - self.p.clearance)  # (the more the heights keep where a mark stands between)
            if wb.y - wa.y <= self.p.pitch + self.p.tensor_gap + over_mark + 0.5 or (wa.start == wb.start and wa.start[0] == "op"):
                found = (max(wa.x0, wb.x0), min(wa.x1, wb.x1), wa.y + max(3.0, (wb.y - wa.y - self.axis_h - self.p.label_pad) / 2), [])
            self.pairs[pair] = found
        return found

    def stretches(self, final):
        """(live wires, the tensor of each, x from, x to) for each stretch of the figure where those wires
        run side by side; stretches of no width (a column with nothing in its gap) are left out. Across a
        column, each pair of wires that passes its boxes untouched, close enough to need a separator
        (:meth:`pair`) and clear of the boxes at its height, is a stretch of its own."""
        x = min((w.x0 for w in self.wires.values()), default=0)
        for column, at in zip(self.columns, self.xs):
            before = column.before
            if at.x_pre > x:
                yield column.gap_in, column.gap_in.values, x, at.x_pre
            if at.x0 > at.x_pre:
                yield before, before.values, at.x_pre, at.x0
            x = at.x1
            if len(before) < 2 or at.x1 <= at.x0:  # no two wires, or no room, to pass the column's boxes
                continue
            busy = set()  # (a mark leaves its wires in place: a separator over it is weighed with the boxes, above_marks)
            for pl in column.ops:
                if not pl.over:
                    busy.update(pl.consumed, pl.through, pl.new)
            through = [w for w in before if w not in busy]
            if len(through) < 2 or through != [w for w in column.after if w not in busy]:
                continue
            values, extents = before.values, None
            for pair in pairwise(through):
                if not self.parted(values, pair):
                    continue
                found = self.pair(pair)
                if found is None:  # too far apart for one
                    continue
                if extents is None:
                    extents = [self.box[pl.op.id] for pl in column.ops if not pl.over]
                ys = found[2]
                for top, bottom in extents:  # a plain loop: a generator for any() costs more than the test, per column
                    if top - 1 <= ys <= bottom + 1:
                        break
                else:
                    yield pair, values, at.x0, at.x1
        yield final, final.values, x, self.x_end


def _one_per_gap(lines: list[tuple[float, float, float]], pitch: float) -> list[tuple[float, float, float]]:
    """``lines`` (x from, x to, y) with each that runs on beside a later one less than ``pitch`` above or below it
    stopped where that one starts: two such lines part one gap between two tensors, each found for another pair
    (the keys' x̄ under N's m, then under Q's, two dashes 3 pt apart under W_Q, one on the label of x̄).

    >>> _one_per_gap([(10.0, 60.0, 30.0), (40.0, 90.0, 27.0), (0.0, 90.0, 50.0)], 17.0)
    [(10.0, 40.0, 30.0), (40.0, 90.0, 27.0), (0.0, 90.0, 50.0)]
    """
    out = []
    for lo, hi, y in lines:
        later = [b_lo for b_lo, b_hi, b_y in lines if lo < b_lo < hi and abs(b_y - y) < pitch]
        out.append((lo, min([hi] + later), y))
    return out

