"""Where to break a wide scene into rows, and which breaks to take: the cutting phase of :mod:`.rows`.

Every wire is a horizontal line, so a figure can be cut at any x that no box, bend or label
crosses (a *gap*); a few places in each gap are candidates (:class:`Cut`), each with its cost:
inside a section costs, at a section's edge saves, each wire carried on costs a little, and a
cut through a copy's branches costs a row for each branch past the first (the next row would
name one tensor again and again, its fan-out cut off from the boxes it feeds); just before such a
cut (no box between), a place through the labels of wires that go on is a candidate too, where it splits fewer copies
and the cuts chosen without such places split one (the row before hands the tensor on once, the copy's dot stands
with its consumers). The cuts are
chosen together (:class:`Gaps`, a shortest path over the candidates): each row costs ROW_COST
and its height, a first or last row narrower than a quarter of the width costs two rows more (a
widow: the transformer's encoder layer left its last norm and closing bracket alone in a row), and
of cuts that cost the same, the rows most alike in width win. Pure functions of the scene.

>>> from ncd_render.scene import Line, Rect, Scene, Stroke
>>> boxes = [Rect(x, 0, 10, 10, Stroke(), "#fff") for x in (10, 60, 110)]
>>> wide = Scene(130, 10, boxes + [Line(0, 5, 130, 5, Stroke())])
>>> [round(cut.x) for cut in choose_cuts(wide, 80, 3.0)]  # one box a row: two, with a cut's arrows, are wider than 80
[49, 81]
"""
from __future__ import annotations

from bisect import bisect_right
from copy import copy
from functools import cached_property

from ..layout.buckets import boxes_near, by_column
from ..records import record, replaced
from ..scene import Line, Rect, Scene
from ..wrap import splittable
from .arrows import ARROW
from .relabel import REACH, blocks, is_wire_label, labels_of
from .tighten import stretches

ROW_COST = 30.0   # one more row, in points of height (besides its own height)
WIDOW, WIDOW_SHARE = 2 * ROW_COST, 0.25  # a first or last row narrower than this share of the width: a widow, as two more rows
BLOCK_PAD = 2.0   # least distance from a cut to a box, bend or label
END_CLEAR = 3.0   # least distance from a cut to where a wire ends or starts (short of a bar, a wire ends in the gap before it)
PARTLY = "partly"  # rows name the tensors they take in where that leaves them narrow enough (:class:`Gaps`)
BOXES = ("box", "arrow", "pictogram")  # a row holds one of these at least: a row of copies or bends alone says nothing


@record
class Cut:
    """A place to break the figure, the wires that run on there, and what breaking there costs."""

    x: float
    wires: tuple  # (y, stroke, label Text or None, overline Line or None, tensor name Text or None), top to bottom
    cost: float
    pad: float  # room a row needs on either side of the cut for the labels and arrows
    named: float = 0.0  # and left of it, for the names of the tensors the next row takes in (0: none drawn)
    told: float = 0.0  # and right of it, for the same names where the row before hands them on and has room (0: none drawn)


def choose_cuts(scene: Scene, width: float, label_pad: float, gaps: Gaps | None = None, shrunk: bool = False) -> list[Cut]:
    """The cuts that keep every row within ``width`` at the least cost: each row costs ROW_COST plus
    its height (the page's height is what runs out), each cut its own cost (inside sections, wires
    carried on). Where no cuts keep every row that narrow (a box with what must stay beside it is
    wider), the cuts whose widest row is the narrowest that can be, at the least cost, so that what
    is shrunk to fit shrinks least; [] when the gaps allow no cut. ``shrunk``: the rows will be shrunk to
    fit (laid out for a larger page), so that a row's names of the tensors it hands on may not make it the widest."""
    gaps = gaps or Gaps(scene, label_pad)
    cuts = gaps.cheapest(width, shrunk)
    if cuts or gaps.least is None or gaps.least <= width:
        return cuts
    return gaps.cheapest(gaps.least + 0.01, True)


class Gaps:
    """The candidate cuts of a scene as the nodes of a path from its start to its end (a row runs from
    one node to a later one), and ``least``, the narrowest its widest row can be (None: no row holds
    a drawn thing). None of it depends on the width the scene is cut at."""

    def __init__(self, scene: Scene, label_pad: float, named: bool | str = True, through_labels: bool = False, spare: bool = False):
        # named: each row names the tensors it takes in (True), or those rows do that are not too wide so (PARTLY);
        # spare: with the places through labels just before a copy's dots too (:func:`_candidates`), taken only where the
        # cuts chosen without them split a copy (:meth:`cheapest`)
        self.partly = named == PARTLY
        self.candidates = sorted(_candidates(scene, label_pad, bool(named), through_labels, spare), key=lambda c: c.x)
        splits = not spare and not through_labels and any(_copies_split(c.wires) for c in self.candidates)
        self.spare_of = (scene, label_pad, named, through_labels) if splits else None  # (:attr:`spare`, found when asked)
        self.spare_steps: tuple = ()  # what a copy of these places did to them (named_partly, unnamed), done to its spare too
        # the first and last row run from the ink's left edge and to its right edge (a row is cut to its ink); a row
        # from the start to the end, uncut, is the scene, margins and all
        start = min((i.bbox[0] for i in scene.items if i.role != "background"), default=0.0)
        end = max((i.bbox[2] for i in scene.items if i.role != "background"), default=scene.width)
        self.xs = [start] + [c.x for c in self.candidates] + [end]
        self.whole = scene.width
        self.pads = [0.0] + [c.pad for c in self.candidates] + [0.0]  # a row's end at each node
        self.starts = [0.0] + [c.pad + c.named for c in self.candidates] + [0.0]  # a row's start: its tensors named too
        self.names = [0.0] + [c.named for c in self.candidates] + [0.0]  # the width of those names (at a row's end too)
        self.costs = [0.0] + [c.cost for c in self.candidates] + [0.0]
        self.levels = [()] + [tuple(w[0] for w in c.wires) for c in self.candidates] + [()]
        self.solid = sorted(((i.bbox[0] + i.bbox[2]) / 2, i.bbox[1], i.bbox[3]) for i in scene.items
                            if not splittable(i) and not stretches(i) and i.role != "background")
        self.drawn = sorted((i.bbox[0] + i.bbox[2]) / 2 for i in scene.items if i.role in BOXES)  # a row holds one at least
        self.before = [bisect_right(self.drawn, x) for x in self.xs]  # drawn things up to each node
        inf = float("inf")
        self.spans = [(min(ys, default=inf), max(ys, default=-inf)) for ys in self.levels]  # each node's wires, top and bottom
        # the top and bottom of what cannot be cut between each node and the one before it (the nodes go left to right:
        # every candidate lies right of the first thing drawn and left of the scene's right edge)
        centres = [c for c, _, _ in self.solid]
        self.between = [(inf, -inf)]
        for a, b in zip(self.xs, self.xs[1:]):
            run = self.solid[bisect_right(centres, a):bisect_right(centres, b)]
            self.between.append((min((t for _, t, _ in run), default=inf), max((u for _, _, u in run), default=-inf)))

    @cached_property
    def spare(self) -> Gaps | None:
        """These places with those through labels just before a copy's dots too (:func:`_candidates`), or None where
        none splits a copy or none is added; found only where the cuts chosen split one (:meth:`cheapest`)."""
        if self.spare_of is None:
            return None
        spared = Gaps(*self.spare_of, spare=True)
        if len(spared.candidates) <= len(self.candidates):
            return None
        for step in self.spare_steps:
            spared = getattr(spared, step)()
        return spared

    def named_partly(self) -> Gaps:
        """These places to cut, for rows named only where they stay narrow enough so (:data:`PARTLY`)."""
        partly = copy(self)
        partly.partly = True
        _step(partly, self, "named_partly")
        return partly

    def unnamed(self) -> Gaps:
        """These places to cut, for rows that name none of the tensors they take in (``named`` False): the same
        candidates (only their names' widths depend on it), with no room for names."""
        bare = copy(self)
        bare.__dict__.pop("least", None)  # (found from the rows' widths, which the names widened)
        bare.partly = False
        bare.candidates = [replaced(c, named=0.0, told=0.0) for c in self.candidates]
        bare.starts = [0.0] + [c.pad + c.named for c in bare.candidates] + [0.0]
        bare.names = [0.0] * len(self.xs)
        _step(bare, self, "unnamed")
        return bare

    def holds_drawn(self, i: int, j: int) -> bool:
        """Whether the row from node ``i`` to node ``j`` holds a box, arrow or pictogram."""
        return self.before[j] != self.before[i]

    def row_width(self, i: int, j: int) -> float:
        """The width of the row from node ``i`` to node ``j``, with the labels and arrows at its ends."""
        if i == 0 and j == len(self.xs) - 1:
            return self.whole
        return self.xs[j] - self.xs[i] + self.starts[i] + self.pads[j]

    @cached_property
    def least(self) -> float | None:
        """The least width of the widest row over every way to cut (a minimax path, found only when
        asked: no cuts fit); None when no row holds a drawn thing."""
        end = len(self.xs) - 1
        most = self._short_rows()  # the widest row of one way to cut: no row of the best is wider
        if most is None:
            return None
        least: dict[int, float] = {0: 0.0}
        for i in range(end):
            if i in least:
                for j in range(i + 1, end + 1):
                    if self.xs[j] - self.xs[i] > most:
                        break
                    if self.holds_drawn(i, j):
                        w = max(least[i], self.row_width(i, j))
                        if w < least.get(j, float("inf")):
                            least[j] = w
        return least.get(end)

    def _short_rows(self) -> float | None:
        """The widest row when each row ends at the first node past its first drawn thing (the
        last row runs to the end); None when nothing is drawn past the start."""
        xs, drawn, end = self.xs, self.drawn, len(self.xs) - 1
        path, i = [0], 0
        while True:
            k = bisect_right(drawn, xs[i])  # the first drawn thing past node i
            if k == len(drawn):
                break
            i = bisect_right(xs, drawn[k], i + 1)  # the first node past it
            if i > end:
                break
            path.append(i)
        if len(path) < 2:
            return None
        path[-1] = end  # the rows past the last drawn thing join the last row
        return max(self.row_width(a, b) for a, b in zip(path, path[1:]))

    def cheapest(self, width: float, shrunk: bool = False) -> list[Cut]:
        """The cuts, every row within ``width``, of the least cost (a shortest path over the candidates); [] when there
        are none. Named :data:`PARTLY`, where no cuts keep every row that narrow with the names of the tensors each
        takes in, the rows that would be too wide with them are drawn without them (the others keep theirs)."""
        cuts = self._cheapest(width, False, shrunk) or (self._cheapest(width, True, shrunk) if self.partly else [])
        if any(_copies_split(c.wires) for c in cuts) and self.spare is not None:  # (only then: more places to cut can
            return self.spare.cheapest(width, shrunk) or cuts  # set the blocks otherwise, a column of GQA a row taller)
        return cuts

    def _cheapest(self, width: float, bare: bool, shrunk: bool = False) -> list[Cut]:
        """:meth:`cheapest`, ``bare``: with rows drawn without names where they would be too wide with them (each
        costs as much as another row); ``shrunk``: :func:`choose_cuts`'s."""
        xs, starts, pads, spans, before, costs, between = self.xs, self.starts, self.pads, self.spans, self.before, self.costs, self.between
        names = self.names if bare else [0.0] * len(xs)
        end = len(xs) - 1
        # node -> (cost, the rows' squared room left, node before, row unnamed): of cuts that cost the same (a chain of
        # like boxes), the one whose rows are most alike in width (40 maps broke 6 | 12 | 11 | 11: each row reached
        # back as far as it could, the first left with what remained)
        best: dict[int, tuple[float, float, int | None, bool]] = {0: (0.0, 0.0, None, False)}
        for i in range(len(xs) - 1):
            if i not in best:
                continue
            top, bottom = spans[i]
            for j in range(i + 1, len(xs)):
                wide = xs[j] - xs[i] + starts[i] + pads[j] if i or j < end else self.whole  # the row's width (:meth:`row_width`)
                if wide - names[i] > width:  # too wide even unnamed
                    break
                t, b = between[j]  # the row grows to take in what lies before xs[j]
                top, bottom = t if t < top else top, b if b > bottom else bottom
                if before[j] == before[i]:  # it holds nothing drawn
                    continue
                t, b = spans[j]
                unnamed = wide > width
                cost = round(best[i][0] + ROW_COST * (2 if unnamed else 1) + max(0.0, (b if b > bottom else bottom) - (t if t < top else top))
                             + costs[j] + (WIDOW if (i == 0 or j == end) and (i or j < end) and wide < width * WIDOW_SHARE else 0.0), 6)
                # (with the names it may hand on; rows to be shrunk hand them on where a row is narrower than the widest,
                # and are left as they come)
                room = 0.0 if shrunk else best[i][1] + ((width - wide - self.names[j]) / width) ** 2
                if j not in best or (cost, room) < best[j][:2]:
                    best[j] = (cost, room, i, unnamed)
        if end not in best:
            return []
        # a row hands its tensors on by name where it is named and the names leave it within the width, or, where the rows
        # will be shrunk to fit, no wider than the widest row (they cost no width: a figure shrinks no more for them)
        rows, node = [], end
        while node:
            *_, before, unnamed = best[node]
            rows.append((before, node, unnamed, self.row_width(before, node) - (names[before] if unnamed else 0.0)))
            node = before
        widest = max(w for *_, w in rows) if shrunk else width
        told = {j: 0.0 if unnamed or w + self.names[j] > widest else self.names[j] for _, j, unnamed, w in rows}
        path, (*_, node, unnamed) = [], best[end]
        while node:
            cut = self.candidates[node - 1]
            path.append(replaced(cut, named=0.0 if unnamed else cut.named, told=told[node]))
            *_, node, unnamed = best[node]
        return path[::-1]


def _step(made: Gaps, source: Gaps, step: str) -> None:
    """``made``, ``source`` copied and changed by its method ``step``: its spare places changed the same way, when found."""
    made.spare_steps = source.spare_steps + (step,)
    made.__dict__.pop("spare", None)
    if "spare" in source.__dict__:
        made.__dict__["spare"] = source.spare and getattr(source.spare, step)()


def _drawn(item) -> bool:
    """A box, dot, bend or bracket: something a row must hold besides wires, their labels and arrows."""
    return not splittable(item) and not item.role.startswith(("label", "arrow.continue", "region"))


def _candidates(scene: Scene, label_pad: float, named: bool = True, through_labels: bool = False, spare: bool = False) -> list[Cut]:
    """A few cuts in every gap between blocked x ranges, each with its cost; ``named``: a row that
    starts at one names the tensors it takes in; ``through_labels``: a cut may go through the label of
    a wire that goes on there (the cut labels it again: :mod:`.relabel`). Without it, ``spare``: a cut may also go through
    such labels only just before a place to cut that splits a copy's branches (:func:`_copies_split`), no box
    between, where the cut through them does not: the row before hands that tensor on once, its dot in the next row."""
    out = _cuts(scene, label_pad, named, through_labels)
    if through_labels or not spare or not any(_copies_split(c.wires) for c in out):
        return out
    # a cut through a copy's branches, just past its dot, where the labels of the wires that go on stand before the dot:
    # the places through those labels are offered too (each lets the row hand the tensor on once, the dot standing with
    # its consumers); where the next place past one splits copies it does not (linear attention handed Q on twice)
    # with no box between them (a cut before the boxes too moves those to the next row)
    out.sort(key=lambda c: c.x)
    xs = [c.x for c in out]
    drawn = sorted((i.bbox[0] + i.bbox[2]) / 2 for i in scene.items if i.role in BOXES)
    for cut in _cuts(scene, label_pad, named, True):  # (out grows as it goes: xs is the places it had, what k indexes)
        k = bisect_right(xs, cut.x)
        if ((k == 0 or xs[k - 1] != cut.x) and k < len(xs) and _copies_split(out[k].wires) > _copies_split(cut.wires)
                and bisect_right(drawn, cut.x) == bisect_right(drawn, xs[k])):
            out.append(cut)
    return out


def _cuts(scene: Scene, label_pad: float, named: bool, through_labels: bool) -> list[Cut]:
    """:func:`_candidates`, through labels where ``through_labels`` and nowhere else."""
    movable = is_wire_label if through_labels else (lambda i: False)
    blocked = sorted((i.bbox[0] - BLOCK_PAD, i.bbox[2] + BLOCK_PAD) for i in scene.items if not splittable(i) and not movable(i))
    labels = [i for i in scene.items if movable(i)]
    gaps, reach = [], None
    for x0, x1 in blocked:
        if reach is not None and x0 > reach:
            gaps.append((reach, x0))
        reach = x1 if reach is None else max(reach, x1)
    sections = [i for i in scene.items if isinstance(i, Rect) and i.role == "section"]
    wires = [i for i in scene.items if isinstance(i, Line) and i.role == "wire" and i.y1 == i.y2]
    ends = sorted({x for w in wires for x in (w.x1, w.x2)})
    # filed by x, so that each cut looks at the wires and labels near it (a 3,000-box chain weighed every wire and
    # label of the figure at each of its thousands of cuts: quadratic, minutes)
    wires_at = by_column([(min(w.x1, w.x2), w.y1, max(w.x1, w.x2), w.y1, w) for w in wires])
    labels_at = by_column([(*label.bbox, label) for label in labels], REACH)
    # a row holds at least one drawn thing: no cut among the input names before the first box or after the last
    drawn = [i.bbox for i in scene.items if _drawn(i)]
    first, last = min((b[2] for b in drawn), default=0.0), max((b[0] for b in drawn), default=scene.width)
    gaps = [(max(g0, first), min(g1, last)) for g0, g1 in gaps if min(g1, last) > max(g0, first)]
    out, wire_label = [], labels_of(scene.wire_names)
    for g0, g1 in gaps:
        edges = [e + d for sec in sections for e, d in ((sec.x, -3.0), (sec.x + sec.w, 3.0)) if g0 + 4 < e + d < g1 - 4]
        for x in sorted({(g0 + g1) / 2, g0 + (g1 - g0) / 4, g1 - (g1 - g0) / 4, *edges}):
            k = bisect_right(ends, x - END_CLEAR)
            if k < len(ends) and ends[k] < x + END_CLEAR:
                continue  # between a wire's end and the bar it enters: the wire would end, uncarried, at the cut
            here = boxes_near(wires_at, x, x)
            running = sorted({(w.y1, w.stroke) for *_, w in here if min(w.x1, w.x2) < x < max(w.x1, w.x2)}, key=lambda t: t[0])
            if blocks([label for *_, label in boxes_near(labels_at, x, x)], x, {y for y, _ in running}, label_pad):
                continue
            carried = tuple((y, stroke, *wire_label(y, x)) for y, stroke in running)
            inside = sum(1 for s in sections if s.x < x < s.x + s.w)
            edge = any(min(abs(s.x - x), abs(s.x + s.w - x)) <= (g1 - g0) / 2 + 1 for s in sections)
            cost = 12.0 * inside - (12.0 if edge else 0.0) + 2.0 * len(carried) + ROW_COST * _copies_split(carried)
            widest = max((t.width for _, _, t, _, _ in carried if t is not None), default=0.0)
            names = max((t.width + label_pad for *_, t in carried if t is not None), default=0.0) if named else 0.0
            out.append(Cut(x, carried, cost, widest + 2 * label_pad + ARROW + 2, names, names))
    return out


def _copies_split(carried: tuple) -> int:
    """How many of the runs of wires ``carried`` on at a cut carry a tensor carried on already (a copy's
    branches that have not reached their boxes): the next row would name it again and again, its
    fan-out cut off from the boxes it feeds."""
    names = []
    for _, _, _, _, tensor in carried:
        name = None if tensor is None else "".join(r.text for r in tensor.runs)
        if not names or names[-1][1] is not tensor:
            names.append((name, tensor))
    seen = [n for n, _ in names if n is not None]
    return len(seen) - len(set(seen))
