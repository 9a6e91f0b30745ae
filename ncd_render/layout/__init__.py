"""Lay a diagram out: a pure function from the IR to a :class:`~ncd_render.scene.Scene`.

The layout is a pipeline of small stages, each a pure function passing frozen data
(:mod:`.model`) to the next, imports flowing one way:

1. :func:`.order.order`: columns (planned by :mod:`.plan`; parallel sections share them, one above the other,
   :mod:`.parallel`) and the order of the live wires in each
   (:func:`.choice.choose_copies` first picks how copies branch off, by the crossings each
   choice commits to, counted column by column as :func:`.report.crossings` counts them,
   so a trial that has crossed more than the best so far is swept no further);
2. :func:`.heights.heights`: a constraint solve for every wire's and box's height
   (after :func:`.glyphs.box_labels` sets the boxes' labels), then moves down of what hangs
   too high (:mod:`.settle`); a box that it leaves far taller
   than its own wires need has its results bent to their heights just after it, and the order
   and heights are found again (:mod:`.bends`);
3. :func:`.columns.place_columns`: x positions, left to right;
4. :func:`.glyphs.draw_glyphs`: boxes, wiring regions (routed by :mod:`.routing`, drawn by :mod:`.curves`) and
   the gaps' copies and stores (:mod:`.gaps`; copies' branches and sums' operands drawn by
   :mod:`.branches`), and where each wire is drawn;
5. :func:`.compose.compose`: wires, sections, separators and labels, the scene.

Composition runs left to right in columns; the wires of the live tensors are
stacked top to bottom. Every wire keeps one height for its whole life, so it
is a horizontal line; it bends only inside wiring regions (einsum cups and
merges, transposes, copies). Heights come from one longest-path pass over a
DAG of "at least this far below" constraints between neighbouring wires and
the boxes and sections around them, which keeps the figure as compact as the
rules allow, in time linear in the number of wires and boxes; a copy's branch
then drops to the box it feeds, so that box stands by its results.

>>> from ncd_render.parse import parse
>>> from ncd_render.ir import build
>>> from ncd_render.style import load_theme, load_preset
>>> d = build(parse("axis y = 4 width\\naxis m = 8\\ninput X[y m]\\nY = relu(X)\\noutput Y\\n"))
>>> scene = layout(d, load_theme("paper"), load_preset("paper"))
>>> [item.role for item in scene.items if item.role in ("arrow", "box")]  # ReLU's ➤f➤ mark, on no wire
['arrow', 'arrow', 'box']
"""
from __future__ import annotations

from dataclasses import replace

from ..errors import NcdError
from ..ir import Diagram
from ..records import replaced
from ..scene import Scene
from ..style import Preset, Theme
# the stages are called through their modules (order.order, ...): imported by name, a stage
# function would hide its module behind the package's attribute of the same name
from . import compact, compose, heights, order, parallel
from .bends import tall_boxes
from .choice import PLAIN, choose_copies, choose_drawing
from .colours import colour_axes
from .columns import place_columns
from .glyphs import box_labels, draw_glyphs
from .heights import Cycle
from .model import Ordered, Style, is_wiring
from .report import check_crossings
from .scalars import scalars_on_wires
from .through import through_axes
from .sections import under_titles

__all__ = ["layout", "choose_copies", "is_wiring"]


def layout(diagram: Diagram, theme: Theme, preset: Preset, explicit: bool = False, part: bool = False,
           ending: frozenset = frozenset(), rows: bool = False, through: tuple[str, ...] | None = None) -> Scene:
    """Place every wire, box and label of ``diagram``; returns a scene in points. Convolutions are
    drawn as one ★k box where the file asks for it (:mod:`.compact`) unless ``explicit``. ``part``:
    the diagram is one part of a page, whose wires end with room for the arrowhead a page draws
    where they go on in a later part (:mod:`ncd_render.page.flow`), but for its outputs named in ``ending``, which end
    the figure. ``rows``: it is a page's piece, cut into rows and pressed (:mod:`ncd_render.page.tighten`), as a part
    is: parallel sections one after another, as written (the page sets them in parts of its own), not one above the
    other in shared columns (:mod:`.parallel`); and a copy's branches one after another, not tucked in
    (:func:`.branches.tucked`: pressed, they knotted). ``through``: the axes to draw once, passing the whole figure
    (:mod:`.through`): a part draws those the whole figure draws so (:func:`drawn_once`), none by default;
    else, by default, those that save crossings."""
    check_crossings(diagram)
    rows = rows or part  # (stacked in one part, every branch to them crossed the wires they read: the page of
    # convolutions stood twice as tall)
    drawn = as_drawn(diagram, explicit, stacked=not rows)
    through = () if part and through is None else through
    try:
        scene = _laid(drawn, theme, preset, part, ending, rows, through)
    except Cycle:  # (raised only where it stacked parallel sections)
        # parallel sections whose wires interleave in a shared column: drawn one after another, as written
        scene = _laid(as_drawn(diagram, explicit, stacked=False), theme, preset, part, ending, rows, through)
    return colour_axes(scene, theme.colors.axes) if theme.colors.axes else scene


def _laid(diagram: Diagram, theme: Theme, preset: Preset, part: bool, ending: frozenset, rows: bool,
          through: tuple[str, ...] | None) -> Scene:
    """:func:`layout`'s scene of ``diagram`` as drawn; raises :class:`~.heights.Cycle` where parallel sections
    stacked in shared columns find no heights, for :func:`layout` to draw them one after another."""
    diagram, chosen, ordered = choose_drawing(diagram, through)
    style = Style(diagram, theme, preset, part, ending, rows)
    try:
        return _pipeline(style, ordered, lambda bends: order.order(diagram, chosen, bends=bends))
    except Cycle:
        if diagram.stacks:
            raise
        # a branch sent above its source can pull a wire both into and out of a section: draw
        # the order as swept instead (found by bench/fuzz.py; the gallery never needs it)
        scene = _as_swept(style, diagram) if chosen != PLAIN else None
        if scene is None:  # (a fused section opened inside another and a wire read long after it: bench/fuzz.py's)
            raise NcdError("ncd-render could not lay this diagram out: the heights its wires need form a cycle, a bug in "
                           "the layout, not in the file", hint="report it with the .ncd file; closing each section before "
                           "the next opens may draw it") from None
    return scene


def _as_swept(style: Style, diagram: Diagram) -> Scene | None:
    """The scene of ``diagram`` in the order as swept, every copy branching off where used; None where its heights cycle too."""
    try:
        return _pipeline(style, order.order(diagram, PLAIN), lambda bends: order.order(diagram, PLAIN, bends=bends))
    except Cycle:
        return None


def as_drawn(diagram: Diagram, explicit: bool = False, stacked: bool = True) -> Diagram:
    """``diagram`` as the layout draws it: its convolutions one ★k box where the file asks (:mod:`.compact`) unless
    ``explicit``, a tensor with no axes on a wire of one (:mod:`.scalars`), and, if ``stacked``, parallel sections
    one above the other (:mod:`.parallel`)."""
    drawn = scalars_on_wires(diagram if explicit else compact.compact(diagram))
    return parallel.stack(drawn) if stacked else drawn


def drawn_once(diagram: Diagram) -> tuple[str, ...]:
    """The axes that ``diagram``, laid out whole, draws once, passing the whole figure (:mod:`.through`): those a
    page's parts draw so too.

    >>> from ncd_render.api import load_text
    >>> text = "axis b = 2\\naxis m = 3\\naxis z = 2\\ninput H[b m], E[b z]\\nMu = linear(H: m -> z)\\nLv = linear(H: m -> z)\\n"
    >>> drawn_once(load_text(text + "S = exp(Lv)\\nZ = S * E\\nZ = Z + Mu\\noutput Z, Lv\\n").diagram)  # a VAE's sampling over a batch
    ('b',)
    """
    if not through_axes(diagram):  # (most figures: nothing to lay out)
        return ()
    drawn = choose_drawing(as_drawn(diagram))[0]
    return drawn.values[drawn.through].axes if drawn.through is not None else ()


def _pipeline(style: Style, ordered: Ordered, bent) -> Scene:
    """The stages after the order; ``bent(ops)``: the order again, with those boxes' results bent (:mod:`.bends`)."""
    labels = box_labels(style, ordered)
    high = heights.heights(style, ordered, labels)
    tall = tall_boxes(style, ordered, high)
    if tall:  # a box whose result runs on far from what it reads: its result bends there just after it
        ordered = bent(tall)
        labels = box_labels(style, ordered)
        high = heights.heights(style, ordered, labels)
    ordered = _named_where_normalised(_carried_on(ordered, high.y))
    laid = place_columns(style, ordered, high, labels)
    # a nested section whose panel would start under its parent's title: heights again, with it below
    # (a second pass moves bends, so x again: at most twice more, each time with what was found so far)
    under = frozenset()
    for _ in range(2):
        found = under | under_titles(style, ordered.columns, laid.columns)
        if found == under:
            break
        under = found
        high = heights.heights(style, ordered, labels, under)
        laid = place_columns(style, ordered, high, labels)
    return compose.compose(style, ordered, high, laid, draw_glyphs(style, ordered, high, laid))


NORMALISING = ("norm", "softmax")  # the ops whose box says which axes they run over by the wires it stands on


def _named_where_normalised(ordered: Ordered) -> Ordered:
    """``ordered`` with a copy's branch labelled where a norm or softmax runs over its axis: a branch goes unlabelled
    (its axis is its source's), and the reader traced XCiT's second RMS back along it to learn which axis it ran over."""
    named = set()
    for column in ordered.columns:
        for placed in column.ops:
            if placed.op.kind in NORMALISING:
                axes = placed.op.params.get("axes", ())
                named.update(w for w in placed.before if (wire := ordered.wires[w]).axis in axes and not wire.labelled
                             and wire.start[0] == "copy")
    if not named:
        return ordered
    return replaced(ordered, wires={w: replace(wire, labelled=True) if w in named else wire for w, wire in ordered.wires.items()})


def _carried_on(ordered: Ordered, y) -> Ordered:
    """``ordered`` with the wires a rename or a transpose carries on straight, under their own axis, unlabelled:
    past ``Kx = rename(K: y -> x)`` only x takes a label, and past a transpose only the wires that cross;
    k and h, labelled where K's map made them, were labelled again a few points on (BERT's attention read
    "h h" and "k k"). A wire the op bends, or names anew, is labelled where it starts, as before."""
    quiet = set()
    for column in ordered.columns:
        for placed in column.ops:
            op = placed.op
            if op.kind == "rename" or op.kind == "rearrange" and op.params.get("transpose"):
                before = {ordered.wires[c].axis: c for c in placed.consumed}
                quiet.update(n for n in placed.new if (c := before.get(ordered.wires[n].axis)) is not None and abs(y[n] - y[c]) < 1e-6)
    if not quiet:
        return ordered
    return replaced(ordered, wires={w: replace(wire, labelled=False) if w in quiet else wire for w, wire in ordered.wires.items()})
