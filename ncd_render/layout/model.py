"""The layout's working data: wires, the ops placed in columns, and the kinds of box.

Everything here is plain, frozen data passed between the stages plus small pure
helpers they share (:mod:`.order`, :mod:`.heights`, :mod:`.columns`, :mod:`.glyphs`,
:mod:`.compose`).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import field
from functools import cached_property

from .. import ops
from ..ir import Diagram, Op
from ..records import record
from ..scene import Path, Text
from ..style import Preset, Theme
from ..text import indexed, set_label

YOf = Sequence[float] | Mapping[int, float]  # each wire's height by its id: the heights stage's list, or a dict
EXHAUSTIVE = 256  # choices of how copies branch off that are all tried, at most
SEPARATOR_CLEAR = 3.0  # a dashed separator stops this far from a box or wiring region
MARK_ROOM = 2 * SEPARATOR_CLEAR + 1  # the least between a mark and another tensor's wire above it: a separator runs between
MARK_ARROW = 5.0  # the mark's arrowheads, each side of its box
MARK_GAP = 4.0  # between a mark and the top wire of its tensor
DECK_STEP = 1.8  # a per-index map's deck: each box behind this far to the lower right of the one before
DEPTH_3D = 3.0  # how far a component box's top and side faces reach, up and to the right
BEHIND_LABEL_GAP = 2.0  # between a deck's last box (or a 3-D box's side) and the labels of the wires that leave it
MERGE_TAIL = 5.0  # after a sum's last merge dot, so it stands clear of what follows (a section's edge)
# a page's arrowhead where a wire comes from, or goes on to, another part or row (ncd_render.page); a page's
# part keeps room for one at the end of its wires, clear of their labels
CONTINUE_ARROW = 6.0
AGAIN = 40.0  # pt: a wire labelled this little before an end (the figure's, a row's) is not labelled again there


def entry_room(preset) -> float:
    """How much further right a page's part sets its input wires' labels, past the arrowhead a page may draw where
    they come in (1 pt clear of its tip): the label's own pad from the wire's start less.

    >>> from ncd_render.style import load_preset
    >>> entry_room(load_preset("page")), entry_room(load_preset("slide"))
    (4.0, 1.0)
    """
    return max(0.0, CONTINUE_ARROW - preset.label_pad)


@record
class Style:
    """What the stages after the order measure and draw with: the diagram, its theme and preset.

    >>> from ncd_render.api import load_text
    >>> from ncd_render.style import load_theme, load_preset
    >>> style = Style(load_text("axis m = 4\\ninput X[m]\\noutput X\\n").diagram, load_theme("paper"), load_preset("paper"))
    >>> style.text("m", style.theme.font.axis_size).width > 0 < style.axis_h
    True
    """

    diagram: Diagram
    theme: Theme
    preset: Preset
    part: bool = False  # one part of a page: its outputs may go on in a later part, an arrowhead at their ends
    ending: frozenset = frozenset()  # a part's outputs that end the figure: no arrowhead after them, no room kept for one
    rows: bool = False  # a page's piece, to be cut into rows and pressed (:mod:`ncd_render.page.tighten`): as written, untucked
    _labels: dict = field(default_factory=dict, init=False, repr=False, compare=False)  # axis -> its label, once set

    def text(self, text: str, size: float, bold: bool = False, math: bool = False, plain: bool = False):
        """``text`` set in the theme's font (:func:`ncd_render.text.set_label`)."""
        return set_label(text, self.theme.font.family, size, bold, math=math, plain=plain)

    def placed_text(self, label, x: float, y: float, role: str, color: str | None = None, *, ref: int | None = None,
                    anchor: str = "start", overline: bool = False, axis: str | None = None, section: int | None = None) -> Text:
        """A set label placed at x, y, with what it means (its op, anchor, overline, axis, section: :class:`~ncd_render.scene.Text`).
        Its fields are passed in order, by position: a layout places one per box and wire label, and keywords
        cost a look-up each."""
        return Text(x, y, label.runs, self.theme.font.family, color or self.theme.colors.text, label.width, label.ascent,
                    label.descent, role, "", ref, anchor, overline, axis, section)

    def axis_label(self, axis: str, value: int):
        """The label of ``axis``'s wire while it carries ``value``, and whether it is overlined
        (a width axis); axes in tandem share one bold label, on their first wire (the others: None). Trailing digits
        read as an index: an axis y2, and a tandem x2, are drawn with subscript 2."""
        group = self.diagram.tandems.get(axis)
        if group is not None:
            members = [a for a in self.diagram.values[value].axes if self.diagram.tandems.get(a) == group]
            if members[0] != axis:
                return None, False
            return self.text(indexed(group), self.theme.font.axis_size, bold=True, math=self.theme.font.math), self.diagram.axes[axis].width
        found = self._labels.get(axis)  # outside a tandem the label is the axis's alone: set it once
        if found is None:
            declared = self.diagram.axes[axis]
            parts = [indexed(part) for part in declared.parts]
            found = self._labels[axis] = self.text("·".join(parts), self.theme.font.axis_size, math=self.theme.font.math), declared.width
        return found

    @cached_property
    def behind(self) -> dict[int, float]:
        """How far past a box's right edge what is drawn behind it reaches, per op that has any: a deck of
        boxes (one map per index: ``per``) 2 DECK_STEP, a collapsed component's 3-D side face DEPTH_3D."""
        return {op.id: DEPTH_3D if op.params.get("body") else 2 * DECK_STEP for op in self.diagram.ops
                if op.params.get("per") or op.params.get("body")}

    def label_clearance(self, wire: "Wire") -> float:
        """How much farther than the label pad a wire's axis label starts past the wire's start: when it
        leaves a deck or a 3-D box, BEHIND_LABEL_GAP past what stands behind the box's right edge, where
        the wire starts."""
        reach = self.behind.get(wire.start[1]) if wire.start[0] == "op" else None
        return 0.0 if reach is None else max(0.0, reach + BEHIND_LABEL_GAP - self.preset.label_pad - 1)

    @property
    def axis_h(self) -> float:
        """Room an axis label takes above its wire."""
        f = self.theme.font
        return self.text("x", f.axis_size).ascent + f.axis_size * 0.25


@record(slots=True)
class Box:
    """Stage 3's result for one op in a column: its label, where it stands and how wide it is,
    a wiring region's route, a sum's room for its other operands to come up into it."""

    label: object = None
    x0: float = 0.0
    x1: float = 0.0
    width: float = 0.0
    route: object = None
    entry: float = 0.0


@record(slots=True)
class ColumnX:
    """Stage 3's result for one column: where its gap's ops start, its own span, how far
    past it the labels of wires that start there reach, where the sections that open at it
    start (before its gap's ops when they are a repeated block's own copies; else at ``x0``),
    and its gap's ops as measured (:func:`.gaps.measure_gap`), for stage 4 to draw."""

    x_pre: float
    x0: float
    x1: float
    label_room: float
    opens_at: float | None = None
    gap: tuple = ()

    @property
    def start(self) -> float:
        """Where the sections that open at this column start, inside their padding."""
        return self.x0 if self.opens_at is None else self.opens_at


@record
class Columns:
    """Stage 3's result: x positions of the columns and of every op's box, where the inputs'
    wires start, where the trailing gap's ops stand (and they, as measured), and where the figure's wires end."""

    columns: list[ColumnX]
    boxes: dict[int, Box]
    x_start: float
    final_x: float
    x_end: float
    final_gap: tuple = ()


class Span:
    """Where one wire is drawn: from x0 to x1, less its gaps (regions that carry it, and
    the copy and merge dots where it ends and goes on, as (x, x)). The glyph stage fills it in
    as it draws (:func:`.glyphs.draw_glyphs`), one per wire, and hands it on as it is: the
    stages after only read it."""

    __slots__ = ("x0", "x1", "gaps")

    def __init__(self):
        self.x0, self.x1, self.gaps = 0.0, 0.0, []


@record
class Drawn:
    """Stage 4's result: the boxes' and regions' items, what goes over them, the gaps'
    copies, deletes and stores, and every wire's span."""

    body: list
    overlay: list
    gap_items: list
    spans: dict[int, Span]


@record(slots=True)
class Wire:
    """One axis's wire, from where it starts to where it ends (heights and x come later)."""

    id: int
    axis: str
    value: int  # the last tensor it carries
    labelled: bool = True
    start: tuple = ("input", -1)  # ("input", -1) | ("op", op id) | ("copy", op id) | ("permute", id) | ("load", op id)
    end: tuple = ("output", -1)  # ("op", op id) | ("delete", op id) | ("save", op id) | ("copy", op id) | ("output", -1)


class _Order(list):
    """Live wires top to bottom at one moment, with the tensor each belongs to then (one order
    stands for every moment until the wires change, so no stage may change one)."""

    __slots__ = ("values",)

    def __init__(self, wires, values: dict[int, int]):
        super().__init__(wires)
        own = self.values = {}
        for w in wires:  # (a loop: a comprehension's own call costs more than the few wires live at once)
            own[w] = values[w]


@record(slots=True)
class Placed:
    """One op in a column (or a copy, delete, save or load in a gap): its wires before and after."""

    op: Op
    consumed: list[int]
    through: list[int]
    new: list[int]
    anchor: int | None = None  # the consumed wire whose place the new wires take
    foreign: list[int] = field(default_factory=list)  # wires a wiring region carries across without using
    scale: Op | None = None  # a scale written at the region's cup instead of drawn as a box
    targets: dict = field(default_factory=dict)  # a permutation: wire -> its place among the new wires
    over: list[int] = field(default_factory=list)  # a mark's tensor, whose wires pass under it
    crossed: int = 0  # a copy's branch: the wires it crosses on the way to its place
    within: bool | None = False  # a sum: its other operands run between its first's wires (None: some do)
    between: bool = False  # a sum not within: its other operand, lacking some of the first's axes, comes into its box's left edge

    @property
    def before(self) -> list[int]:
        return self.consumed + self.through

    @property
    def after(self) -> list[int]:
        return self.through + self.new

    @property
    def members(self) -> list[int]:
        """The wires inside the box: a sum's box holds only the operand it goes on along,
        the others join it from below, unless they run between its wires: then it holds all."""
        if glyph(self.op) == "join" and not self.within:
            return self.through + self.consumed if self.between else self.through
        return self.before + self.after


@record(slots=True)
class Column:
    """Ops side by side, after a gap that holds the copies, deletes, saves and loads before them."""

    pre: list[Placed]
    ops: list[Placed]
    gap_in: _Order  # live wires before the gap's copies and deletes
    gap_steps: list[_Order]  # live wires after each of them
    before: _Order
    after: _Order
    section: int | None = None  # its first op's (a column of parallel sections holds ops of several: :func:`sections_of`)

    def sections_of(self, d) -> tuple[int, ...]:
        """The sections its ops stand in, and those around them, outermost first (one path, but where it holds ops of
        parallel sections, drawn one above the other: :mod:`.parallel`)."""
        path = d.section_path(self.section)
        if not d.stacks or not path or path[0] not in d.stacks:
            return path
        found = dict.fromkeys(path)
        for placed in self.ops:
            found.update(dict.fromkeys(d.section_path(placed.op.section)))
        return tuple(sorted(found, key=lambda sid: d.sections[sid].depth))


@record
class Ordered:
    """Stage 1's result: every wire, the columns, and the order of the live wires throughout."""

    wires: dict[int, Wire]  # by id: 0, 1, ... as the wires start (the heights stage numbers its nodes so)
    columns: list[Column]
    input_wires: list[int]
    final: _Order
    final_gap: list[Placed]  # deletes and saves after the last column
    final_steps: list[_Order]


@record
class _Branch:
    """One output of a copy, branching off its source just before it is used."""

    copy: Op
    value: int
    kind: str = "branch"
    glyph: str = "wiring"
    hold: str = "none"

    @property
    def id(self) -> int:
        return self.copy.id

    @property
    def inputs(self) -> tuple[int, ...]:
        return self.copy.inputs


@record
class _Permute:
    """A permutation the layout adds to move wires out of a box's way (not an op of the diagram)."""

    id: int
    section: int | None
    kind: str = "permute"
    glyph: str = "wiring"
    hold: str = "none"
    learned: bool = False
    label: str | None = None
    params: dict = field(default_factory=dict)


def glyph(op) -> str:
    """How an op is drawn (:mod:`ncd_render.ops`); the layout's own permutations and branches are wiring.
    ``mark``: f: R -> R, the paper's ➤f➤ above its tensor, on no wire; ``join``: a compact box on
    one operand, the others entering from below."""
    return _drawn(op)[0]


def hold(op) -> str:
    """Which wires an op's box holds (:mod:`ncd_render.ops`): ``through`` (its tensor goes on through it),
    ``acts`` (the axes it maps), ``all`` (every input wire ends in it) or ``none``."""
    return _drawn(op)[1]


def _drawn(op) -> tuple[str, str]:
    """An op's (glyph, hold). An IR op's is kept on the op: the stages ask about thirty times per op (a frozen
    IR op never changes its kind or params; the attribute is no field, so equality and repr ignore it). One
    attribute for both: an instance dict takes one key beyond its class's fields and stays shared with the
    others' keys, while a second key gives each op a dict of its own (about 700 bytes more per op)."""
    found = op.__dict__.get("_drawn")
    if found is None:
        if isinstance(op, (_Permute, _Branch)):
            return op.glyph, op.hold
        kind = ops.of(op)
        found = op.__dict__["_drawn"] = (kind.glyph_of(op), kind.hold)
    return found


def straight_through(placed: Placed, wires: dict, y: YOf, drop: float = 0.0) -> bool:
    """Whether wiring ``placed`` takes each wire it consumes on to the new wire in its place, ``drop``
    lower (a rename: new names for the same wires, in the same order): with ``drop`` 0, nothing in it bends."""
    if isinstance(placed.op, _Permute) or placed.through or placed.foreign or len(placed.new) != len(placed.consumed):
        return False
    renamed = dict(placed.op.params.get("mapping", ()))
    return all(renamed.get(wires[c].axis, wires[c].axis) == wires[n].axis and abs(y[n] - y[c] - drop) < 1e-6
               for c, n in zip(placed.consumed, placed.new))


WIRING_SHAPES = frozenset({"wiring", "cap"})  # the glyphs drawn as wires alone


def is_wiring(op) -> bool:
    """Ops drawn as wires alone (bends, cups, merges, crossings) rather than as a box."""
    return glyph(op) in WIRING_SHAPES


def arrowhead_path(tip: float, y: float, color: str, length: float = 5.0, half: float = 2.6, role: str = "arrow") -> Path:
    """A filled arrowhead pointing right, its tip at (tip, y), ``length`` long and ``2 * half`` high."""
    return Path((("M", tip - length, y - half), ("L", tip, y), ("L", tip - length, y + half), ("Z",)), None, color, role=role)
