"""Fit a diagram to a page at its theme's label size, the way the paper's figures do.

At each depth, from the diagram as written to components collapsed one level
deeper each time (``--depth``, each collapsed component's definition after the
overview, "Name =" above its body; a component that only adds a step or two to another,
by those steps, :mod:`.variants`), four tiers are tried, the first that fits wins:

1. the figure as it is, broken into rows at semantic boundaries (:mod:`.rows`), or, where it
   fits uncut, laid out as it is on its own;
2. its top-level parts laid out one by one (:mod:`.flow`), their rows set in shelves: first each
   sublayer with the residual sum right after it (:func:`.chunks.split_parts`' ``sums``), then alone;
3. the same, a section's own sections and repeats laid out as parts too;
4. every piece (the figure, its parts, each definition) cut into rows at the page's
   width or a fraction of it, the blocks set in shelves or newspaper columns
   (:mod:`.arrange`): of the arrangements that fit, the one that reads in order (fewest blocks
   that start above one they follow, or stand left of it on its line, :func:`.arrange.inversions`),
   then the shortest; each definition titled above its body or, as the paper writes "Name = ...", beside it.

A tier that fits but reads out of order is kept only where no later tier at its depth (or, for strands, no later
arrangement of them) fits in order; another depth, laid out anew, is not tried for it.

A row that goes on from the row before names the tensors it takes in, left of their arrows, and
titles again each section it goes on with, marked continued: first all tiers with the names, then
all without (the names widen a row); the tier that fits is set again with the titles, kept where
the legend of sizes still fits below them (the titles make a row taller; the sizes are nowhere else).

When nothing fits at any depth, the same at each depth with every section's statements cut into
strands (:mod:`.strands`: DeepSeek's router, routed and shared experts each a part of their own).
Only when nothing fits then is the figure shrunk: all of the above is tried again on a page 1.05 to
3 times as large (the least of :data:`LARGER`, steps of 5%, that fits, found by bisection), so rows are cut at the width the shrunk
figure has room for, not narrower; where not even that fits, the pieces cut for the page are set in
shelves or columns on a page 1.05 to 2 times as large, the arrangement that reads in order and shrinks
least (:func:`.arrange.least_shrunk`). :func:`ncd_render.sizing.fit_to` announces the shrinking with a warning.

>>> from ncd_render.api import load_text
>>> from ncd_render.style import load_preset, load_theme
>>> text = "axis y = 4 width\\naxis m = 8\\ninput X[y m]\\n" + "".join(f"X = relu(X) as R_{i}\\n" for i in range(30)) + "output X\\n"
>>> scene = page_scene(load_text(text).diagram, load_theme("paper"), load_preset("page"), 468, 648)
>>> scene.width <= 468, scene.height <= 648, len(scene.by_role("arrow.continue")) > 0
(True, True, True)
"""
from __future__ import annotations

import math
import warnings
from itertools import product

from ..ir import Diagram
from ..layout import drawn_once
from ..records import replaced
from ..scene import Scene
from ..sizing import SizeWarning
from ..style import Preset, Theme
from ..wrap import stack_rows
from .arrange import BLOCK_GAP, best_places, least_shrunk, placed
from .blocks import inked, with_title
from .continued import SHORT, continued, one_mark
from .cuts import PARTLY, Gaps, choose_cuts
from .depths import depths_to_try, overview_at, pieces_at, same_drawing
from .endroom import with_room
from .flow import part_scenes
from .legend import legend
from .refs import Numbering
from .relabel import said_once
from .rows import ROW_GAP, rows_cut_at

DEFINITION_GAP = 12.0  # between the figure and its legend
ROW_WIDTHS = (1.0, 0.8, 0.65, 0.5)  # in the last tier, each piece's rows are cut at one of these fractions of the page's width
LARGER = tuple(round(1.05 ** k, 3) for k in range(1, 24))  # what must shrink is laid out on a page this much larger, then shrunk to fit
MOST_CHOICES = 512  # more combinations than this: only the widest and the narrowest cut of each piece are tried


def page_scene(diagram: Diagram, theme: Theme, preset: Preset, width: float, height: float | None,
               extra: list[list[Scene]] = ()) -> Scene:
    """``diagram`` laid out to fit ``width`` x ``height`` points without shrinking, where rows and
    collapsing allow; otherwise laid out the same way on the least larger page it fits, of
    :data:`LARGER` (rows cut at that page's width: a figure that must shrink anyway is cut no more
    than the shrunk page needs), for the caller to shrink, with a warning. ``extra``: one more piece
    set after the definitions, as its ways to be set (each a list of blocks; the cost table, :mod:`.costs`)."""
    scene = _page_scene(diagram, theme, preset, width, height, extra)
    return one_mark(replaced(scene, items=said_once(scene.items)))


def _page_scene(diagram: Diagram, theme: Theme, preset: Preset, width: float, height: float | None, extra) -> Scene:
    page = _Page(diagram, theme, preset, extra, width)
    tried = {}  # each set of blocks once, by (sizes, first, follows), for the last resort
    scene = page.fit_either(width, height, tried)
    if scene is not None:
        size = f"{width / 72:.2f}in" + (f" x {height / 72:.2f}in" if height else "")
        wider = "a wider --width" + (" or a taller --height" if height else "")
        if page.unnamed:
            warnings.warn(SizeWarning(f"to fit {size} at full size, the rows do not name the tensors they hand on "
                                      f"and take in (their axes stay labelled); {wider} keeps the names"), stacklevel=4)
        if page.untitled:
            with_legend = " with its legend of sizes" if scene.by_role("legend") else ""
            warnings.warn(SizeWarning(f"to fit {size} at full size{with_legend}, the rows that go on with a section "
                                      f"do not title it again; {wider} keeps the titles"), stacklevel=4)
        if preset.legend and height and not scene.by_role("legend") and legend(diagram, theme, width) is not None:
            warnings.warn(SizeWarning(f"to fit {size} at full size, the figure goes without its legend of sizes, "
                                      f"which has no room below it; a taller --height keeps the legend"), stacklevel=4)
        return scene
    lo, hi = 0, len(LARGER) - 1  # the least of LARGER that fits (the larger, the more room: fewer rows)
    page.shrunk = page.in_order = True  # read in order, where any larger page allows: it shrinks anyway, and a column that
    best = page.fit_either(width * LARGER[hi], height and height * LARGER[hi], {}, names=(True,))  # shrank a step less
    if best is None:  # set a LLaMA layer's strands out of order (K's RoPE before W_K, the SiLU before W_gate)
        page.in_order = False
        best = page.fit_either(width * LARGER[hi], height and height * LARGER[hi], {}, names=(True,))
    if best is None:  # not even on the largest: none smaller is tried (Swin's page, each tried both ways, took 3x as long)
        return least_shrunk(tried, width, height, ROW_GAP)
    while lo < hi:
        mid = (lo + hi) // 2
        scene = page.fit_either(width * LARGER[mid], height and height * LARGER[mid], {}, names=(True,))  # shrunk anyway: named
        if scene is None:
            lo = mid + 1
        else:
            hi, best = mid, scene
    return best


class _Page:
    """The pieces of a diagram at each depth, laid out once (they do not depend on the page's size, but for the
    strands, weighed for the page's own ``width``, larger pages after it included), and the tiers that set them on a page."""

    def __init__(self, diagram: Diagram, theme: Theme, preset: Preset, extra: list[list[Scene]], width: float):
        self.diagram, self.theme, self.preset, self.extra, self.width = diagram, theme, preset, extra, width
        self.numbering = Numbering(diagram)  # each piece's items name their ops as the figure does (:mod:`.refs`)
        self.definitions: dict = {}  # each component's laid-out body, from one depth to the next
        self.overviews: dict | None = None  # depth -> the diagram drawn at that depth (:meth:`depths`)
        self.pieces: dict = {}  # depth -> its pieces (:func:`.depths.pieces_at`)
        self.once: dict = {}  # depth -> the axes its overview draws once, which every part of it draws so (:meth:`once_at`)
        self.strands: dict = {}  # (depth, titled) -> the overview's strands (:mod:`.strands`), or None
        self.strand_cuts: dict = {}  # depth -> where each part is cut into strands, weighed once for both
        # by the id of a piece's scene (the scenes are kept here, in pieces and strands, so no id is reused)
        self.gaps: dict = {}  # (id, named, through labels) -> the scene's places to cut (:class:`.cuts.Gaps`)
        self.rows: dict = {}  # (id, titled, x and names' width of each cut) -> its rows cut there (widths near each other cut alike)
        self.made: dict = {}  # each row made so far (:func:`.rows.rows_cut_at`'s ``made``)
        self.cuts: dict = {}  # (id of the scene's gaps, width, shrunk) -> the cuts chosen there (:func:`.cuts.choose_cuts`)
        self.through_labels = False  # rows may be cut through the labels of wires that go on (:mod:`.relabel`)
        self.sources: dict = {}  # id -> each scene cut so far (the keys of gaps), for :meth:`labels_in_the_way`
        self.in_the_way: bool | None = None
        self.unnamed = False  # the scene fit_either gave last is one whose rows do not name the tensors they take in
        self.untitled = False  # ... or do not title again the sections they go on with (no room for the titles)
        self.went_on = False  # the last arrangement asked to title sections again had rows that go on with one
        self.bare: list = []  # the tiers of strands set untitled where the titled ones go on with a section
        self.shrunk = False  # the page is laid out larger, to be shrunk to fit (:func:`.cuts.choose_cuts`)
        self.order = 0  # how many blocks the arrangement :meth:`arranged` gave last sets out of reading order
        self.in_order = False  # only an arrangement that reads in order fits (a page laid out larger, to be shrunk)

    def fit_either(self, width: float, height: float | None, tried: dict, names: tuple = (True, PARTLY, False)) -> Scene | None:
        """:meth:`fit` with rows cut only where no label stands; where nothing fits so, with rows that may also be
        cut through the labels of wires that go on (each cut labels them again: :mod:`.relabel`), which leaves
        room to cut a dense figure (BERT's attention) that was otherwise shrunk. Only then: a figure cut there has
        more rows than it needs where it fits without, and more places to cut can choose cuts that fit worse. Not where
        no label stands in the way of a cut: that would only lay out the same rows again."""
        for through in (False, True):
            if through and not self.labels_in_the_way():
                break
            self.through_labels = through
            scene = self.fit(width, height, tried, names)
            if scene is not None:
                return scene
        return None

    def labels_in_the_way(self) -> bool:
        """Whether a label stands in the way of a place to cut one of the scenes cut so far (every piece, at every depth,
        once the page has been tried at its own size), found once; the places to cut through labels are kept for the
        rows that are then cut there."""
        if self.in_the_way is None:
            self.in_the_way = False
            for (key, named, through), gaps in list(self.gaps.items()):
                if not through:
                    other = self.places_to_cut(self.sources[key], named, True)
                    self.in_the_way |= [c.x for c in other.candidates] != [c.x for c in gaps.candidates]
        return self.in_the_way

    def fit(self, width: float, height: float | None, tried: dict, names: tuple = (True, PARTLY, False)) -> Scene | None:
        """The first tier, at the first depth, that fits ``width`` x ``height``: of the tiers at that depth, the first that
        reads in order (:func:`.arrange.inversions`; a page read in order though cut further reads better), else the
        first that fits; None when none fits. ``names``:
        whether rows name the tensors they take in, in the order tried (:func:`.cuts.choose_cuts`); in each
        tier, rows title again the sections they go on with where that leaves room for the legend of sizes."""
        diagram, theme, preset = self.diagram, self.theme, self.preset
        defined, fallback = {}, None
        box = legend(diagram, theme, width) if preset.legend and height is not None else None
        room = height - box.height - DEFINITION_GAP if box is not None else height  # for the titles: the legend below them
        for depth, overview in self.depths().items():
            if depth not in self.pieces:
                self.pieces[depth] = pieces_at(overview, depth, theme, preset, self.definitions, self.numbering, self.once_at(depth))
            whole, summed, parts, deep_summed, deep = self.pieces[depth]
            defined[depth] = whole[1]
            uncut = whole if whole[0][0].width <= width + 0.01 else None  # (the whole figure fits uncut)
            # as it is, uncut; part by part (each part on its rows, as the paper draws them); in rows; then every width and
            # arrangement; each with the tensors named where a row takes them in from the row before, then, as a row so
            # named is wider, named only in the rows not too wide so, then without those names (an arrangement that was
            # tried already is not tried again)
            tiers = ([uncut], [summed], [parts], [deep_summed], [deep], [whole], [whole, summed, parts, deep_summed, deep])
            for named in names:
                for tier, fractions in zip(tiers, ((1.0,),) * 6 + (ROW_WIDTHS,)):
                    scene = self.arranged(tier, fractions, width, height, tried, named, False)
                    if scene is not None:
                        fallback = self.kept(fallback, (scene, tier, fractions, named))
                        if not fallback[-1]:
                            return self.chosen(fallback, width, room, height)
            if fallback is not None and not self.in_order:  # (another depth is not tried for an order that reads better:
                return self.chosen(fallback, width, room, height)  # each is laid out anew)
        for depth, titled in defined.items():  # nothing fits: sections drawn branch by branch (:mod:`.strands`), the
            # strands of a section after its first titled as it goes on, else (where that does not fit) untitled
            for again in (True, False):
                if (depth, again) not in self.strands:
                    self.strands[depth, again] = part_scenes(self.overviews[depth], depth, theme, preset, strands=True, numbering=self.numbering,
                                                             once=self.once_at(depth),
                                                             width=self.width, titled=again, cuts=self.strand_cuts.setdefault(depth, {}))
                strands = self.strands[depth, again]
                # its rows at the page's width are kept for the last resort; not the narrower ones (too many to shrink each)
                tier = None if strands is None else [(list(strands), titled)]
                if tier is not None and not again and any(i.role == "label.title" and i.runs[-1].text.endswith(SHORT)
                                                          for s in self.strands.get((depth, True)) or () for i in s.items):
                    self.bare.append(tier)  # (its strands leave a section's titles out: said, as rows' are)
                for named in names:
                    for fractions, seen in (((1.0,), tried if not again else {}), (ROW_WIDTHS, {})):
                        scene = None if tier is None else self.arranged(tier, fractions, width, height, seen, named, False)
                        if scene is not None:
                            fallback = self.kept(fallback, (scene, tier, fractions, named))
                            if not fallback[-1]:
                                return self.chosen(fallback, width, room, height)
        return None if fallback is None or self.in_order else self.chosen(fallback, width, room, height)

    def kept(self, fallback: tuple | None, found: tuple) -> tuple:
        """``found`` ((scene, tier, fractions, named), just arranged) with how many blocks it sets out of reading order,
        or ``fallback``, the first found, where ``found`` too reads out of order."""
        return found + (self.order,) if fallback is None or not self.order else fallback

    def chosen(self, found: tuple, width: float, room: float | None, height: float | None) -> Scene:
        """The scene of ``found`` (:meth:`kept`): its tier again, the sections rows go on with titled, where that fits too,
        with the legend; noting whether its rows name what they take in."""
        scene, tier, fractions, named, _ = found
        self.unnamed = named is False
        bare = any(t is tier for t in self.bare)
        again = self.arranged(tier, fractions, width, room, {}, named)
        if again is not None:
            self.untitled = bare
            return self.legended(again, width, height)
        with_legend = self.legended(scene, width, height)
        if with_legend is scene and room != height and self.went_on:  # no room for the legend anyway: the titles, where they
            # fit without it (the transformer's page dropped its layers' titles for a legend it then had no room for)
            again = self.arranged(tier, fractions, width, height, {}, named)
            if again is not None:
                return again
        self.untitled = self.went_on or bare  # (titles dropped for the legend: said, as names dropped are)
        return with_legend

    def depths(self) -> dict:
        """Each depth to try (:func:`.depths.depths_to_try`) and the diagram drawn there, less a depth that draws what an
        earlier one drew (the depth the diagram was built at, or one below its deepest call): its pieces,
        tiers and strands would all be laid out and tried again, to the same end."""
        if self.overviews is None:
            self.overviews = {}
            for depth in depths_to_try(self.diagram):
                overview = overview_at(self.diagram, depth)
                if not any(same_drawing(overview, seen) for seen in self.overviews.values()):
                    self.overviews[depth] = overview
        return self.overviews

    def once_at(self, depth: int | None) -> tuple[str, ...]:
        """The axes the overview at ``depth`` draws once (:func:`ncd_render.layout.drawn_once`), found once for its
        pieces and strands: each finding lays the whole overview out."""
        if depth not in self.once:
            self.once[depth] = drawn_once(self.depths()[depth])
        return self.once[depth]

    def legended(self, scene: Scene, width: float, height: float | None) -> Scene:
        """``scene`` with the legend of sizes below it, where the layout asks for one (:func:`_with_legend`)."""
        return _with_legend(scene, self.diagram, self.theme, width, height) if self.preset.legend else scene

    def arranged(self, tier: list, fractions: tuple[float, ...], width: float, height: float | None, tried: dict,
                 named: bool | str = True, titled: bool = True) -> Scene | None:
        """The pieces of ``tier`` (each (the overview's [scene], [(title, definition)]), or None), cut
        into rows at ``fractions`` of ``width`` and set on the page the way that reads in order, then is
        shortest; None when none fits. Each set of blocks is kept in ``tried``, and tried once.
        ``named``, ``titled``: a row names the tensors it takes in, titles the sections it goes on with.
        The ``extra`` piece (the cost table) is set after the definitions."""
        best = None  # ((blocks read out of order, height, area), blocks, places) of the best arrangement that fits
        pieces = []
        for overview, defined in (p for p in tier if p is not None):
            options = [self.row_options(s, width, fractions, named, titled) for s in overview]
            options += [[[with_title(name, _stacked(rows, s), self.theme, beside)] for rows in self.row_options(s, width, fractions, named, titled)
                         for beside in (False, True)] for name, s in defined]
            options += [list(self.extra)] if self.extra else []
            pieces.append((overview, options))
        if titled:
            self.went_on = any(continued(block) for _, options in pieces for option in options for rows in option for block in rows)
            if not self.went_on:
                return None  # no row goes on with a titled section: the same blocks as untitled
        for overview, options in pieces:
            for choice in _choices(options):
                blocks = [block for rows in choice for block in rows]
                first = sum(len(rows) for rows in choice[:len(overview)])  # the overview's blocks; then definitions
                follows = frozenset(first + sum(len(r) for r in choice[len(overview):len(overview) + n]) + k
                                    for n, rows in enumerate(choice[len(overview):]) for k in range(1, len(rows)))
                key = (tuple((b.width, b.height) for b in blocks), first, follows)
                if key in tried:
                    continue
                tried[key] = blocks
                found = best_places(list(key[0]), width, height, first, follows, ROW_GAP)
                if found is not None and (best is None or found[0] < best[0]):
                    best = (found[0], blocks, found[1])
        if best is None:
            return None
        self.order = best[0][0]
        return placed(with_room(best[1], best[2], self.preset.label_pad), best[2], best[1][0])

    def row_options(self, scene: Scene, width: float, fractions: tuple[float, ...], named: bool | str = True,
                    titled: bool = True) -> list[list[Scene]]:
        """The different ways ``scene`` breaks into rows at ``fractions`` of ``width``, widest first. Each
        scene's gaps, and its rows at each set of cuts, are found once."""
        options, seen = [], set()
        for fraction in fractions:
            at = width if fraction == 1.0 else (width - BLOCK_GAP) * fraction
            gaps = self.places_to_cut(scene, named, self.through_labels)
            cuts = self.cuts.get((id(gaps), at, self.shrunk)) if scene.width > at else []
            if cuts is None:  # (each tier, the titled rows of the tier chosen, and each width fraction 1.0 ask again)
                cuts = self.cuts[id(gaps), at, self.shrunk] = choose_cuts(scene, at, self.preset.label_pad, gaps, self.shrunk)
            cut_at = (id(scene), titled, *((c.x, c.named, c.told) for c in cuts))  # (rows named partly are often named whole)
            rows = self.rows.get(cut_at)
            if rows is None:
                rows = self.rows[cut_at] = [inked(r) for r in rows_cut_at(scene, cuts, self.preset.label_pad, titled, self.made)]
            key = tuple((round(r.width, 1), round(r.height, 1)) for r in rows)
            if key not in seen:
                seen.add(key)
                options.append(rows)
        return options

    def places_to_cut(self, source: Scene, named: bool | str, through: bool) -> Gaps:
        """``source``'s places to cut (:class:`.cuts.Gaps`), found once for each way rows are named and each
        ``through``; only those of rows named whole are searched for: rows named :data:`.cuts.PARTLY`, or not
        at all, are cut at the same places (:meth:`.cuts.Gaps.named_partly`, :meth:`.cuts.Gaps.unnamed`)."""
        gaps = self.gaps.get((id(source), named, through))
        if gaps is None:
            if named is True:
                gaps = Gaps(source, self.preset.label_pad, True, through)
            else:
                whole = self.places_to_cut(source, True, through)
                gaps = whole.named_partly() if named == PARTLY else whole.unnamed()
            self.sources[id(source)] = source
            self.gaps[id(source), named, through] = gaps
        return gaps


def _choices(options: list[list]):
    """Every combination of one option per piece; when there are more than :data:`MOST_CHOICES`, the first
    and the last option of each (the widest and the narrowest cut), every combination of those while they
    are few enough, else every piece alike and each piece alone the other way: a model of many layers
    written out has some forty pieces, and 2^40 combinations.

    >>> from itertools import islice
    >>> len(list(_choices([[1, 2, 3]] * 5))), len(list(islice(_choices([[1, 2]] * 40), 1000)))
    (243, 82)
    """
    if math.prod(map(len, options)) <= MOST_CHOICES:
        return product(*options)
    ends = [o[:1] + o[-1:] if len(o) > 1 else o for o in options]
    if math.prod(map(len, ends)) <= MOST_CHOICES:
        return product(*ends)
    return _one_apart(ends)


def _one_apart(ends: list[list]):
    """Each piece's first option, then each piece's last option with the others' first; the same from the last."""
    for base, other in ((0, -1), (-1, 0)):
        yield tuple(o[base] for o in ends)
        for k, o in enumerate(ends):
            if len(o) > 1:
                yield tuple(p[other] if j == k else p[base] for j, p in enumerate(ends))


def _stacked(rows: list[Scene], like: Scene) -> Scene:
    return rows[0] if len(rows) == 1 else stack_rows([r.items for r in rows], like, ROW_GAP)


def _fits(scene: Scene, width: float, height: float | None) -> bool:
    return scene.width <= width + 0.01 and (height is None or scene.height <= height + 0.01)


def _with_legend(scene: Scene, diagram: Diagram, theme: Theme, width: float, height: float | None) -> Scene:
    """``scene`` with the legend of sizes below it, when the page has room for it: no wider than the figure where the
    page has the height for its lines (a legend the page's width, under a figure half as wide, left the figure off
    the page's middle and spread its entries apart), else as wide as the page."""
    for room in dict.fromkeys((min(scene.width, width), width)):
        box = legend(diagram, theme, room)
        if box is None:
            return scene
        below = stack_rows([[i for i in scene.items if i.role != "background"], box.items], scene, DEFINITION_GAP)
        below.wire_names = scene.wire_names
        if _fits(below, width, height):
            return below
    return scene
