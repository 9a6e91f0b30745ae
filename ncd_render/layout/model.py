"""The layout's working data: wires, the ops placed in columns, and the kinds of box.

Everything here is plain data plus small pure helpers shared by the stages
(:mod:`.order`, :mod:`.heights`, :mod:`.glyphs`, :mod:`.compose`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .. import ops
from ..ir import Op
from ..scene import Path

EXHAUSTIVE = 256  # choices of how copies branch off that are all tried, at most
SEPARATOR_CLEAR = 3.0  # a dashed separator stops this far from a box or wiring region
MARK_ARROW = 5.0  # the mark's arrowheads, each side of its box
MARK_GAP = 4.0  # between a mark and the top wire of its tensor
MERGE_LIFT = 3.0  # between a sum's sign, written over its merge dots, and the top wire
MERGE_TAIL = 5.0  # after a sum's last merge dot, so it stands clear of what follows (a section's edge)


@dataclass
class _Wire:
    id: int
    axis: str
    value: int
    y: float = 0.0
    x0: float = 0.0
    x1: float = 0.0
    labelled: bool = True
    start: tuple = ("input", -1)  # ("input", -1) | ("op", op id) | ("copy", op id)
    end: tuple = ("output", -1)  # ("op", op id) | ("delete", op id) | ("output", -1)
    gaps: list = field(default_factory=list)  # (x from, x to) where a wiring region draws it instead


class _Order(list):
    """Live wires top to bottom at one moment, with the tensor each belongs to then."""

    def __init__(self, wires, values: dict[int, int]):
        super().__init__(wires)
        self.values = {w: values[w] for w in wires}


@dataclass
class _Placed:
    """One op in a column: its wires before and after, and what it covers."""

    op: Op
    consumed: list[int]
    through: list[int]
    new: list[int]
    top: str = ""
    bottom: str = ""
    x0: float = 0.0
    x1: float = 0.0
    width: float = 0.0
    label: object = None
    anchor: int | None = None  # the consumed wire whose place the new wires take
    foreign: list[int] = field(default_factory=list)  # wires a wiring region carries across without using
    scale: Op | None = None  # a scale written at the region's cup instead of drawn as a box
    route: object = None  # a wiring region's plan (routing.RegionPlan)
    entry: float = 0.0  # a join's room for its other operands to come up into its box
    targets: dict = field(default_factory=dict)  # a permutation: wire -> its place among the new wires
    over: list[int] = field(default_factory=list)  # a mark's tensor, whose wires pass under it
    crossed: int = 0  # a copy's branch: the wires it crosses on the way to its place
    within: bool | None = False  # a sum: its other operands run between its first's wires (None: some do)

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
        return self.through if glyph(self.op) == "join" and not self.within else self.before + self.after


@dataclass
class _Column:
    pre: list[_Placed] = field(default_factory=list)
    ops: list[_Placed] = field(default_factory=list)
    gap_in: list[int] = field(default_factory=list)  # live wires before the gap's copies and deletes
    gap_steps: list = field(default_factory=list)  # live wires after each of them
    before: list[int] = field(default_factory=list)
    after: list[int] = field(default_factory=list)
    section: int | None = None
    x_pre: float = 0.0  # where the gap's copies and deletes stand
    x0: float = 0.0
    x1: float = 0.0
    label_room: float = 0.0  # the labels of wires that start here reach this far past x1


@dataclass(frozen=True)
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


@dataclass(frozen=True)
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
    return op.glyph if isinstance(op, (_Permute, _Branch)) else ops.of(op).glyph_of(op)


def hold(op) -> str:
    """Which wires an op's box holds (:mod:`ncd_render.ops`): ``through`` (its tensor goes on through it),
    ``acts`` (the axes it maps), ``all`` (every input wire ends in it) or ``none``."""
    return op.hold if isinstance(op, (_Permute, _Branch)) else ops.of(op).hold


def is_wiring(op) -> bool:
    """Ops drawn as wires alone (bends, cups, merges, crossings) rather than as a box."""
    return glyph(op) in ("wiring", "cap")


def _inside(orders, members: set) -> set:
    """``members`` and every wire that runs between them in any of ``orders``:
    what one rectangle over all those moments must hold."""
    inside = set(members)
    changed = True
    while changed:
        changed = False
        for order in orders:
            idx = [i for i, w in enumerate(order) if w in inside]
            if idx:
                extra = set(order[min(idx):max(idx) + 1]) - inside
                if extra:
                    inside |= extra
                    changed = True
    return inside


def _subtract(span: tuple[float, float], blocked: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """``span`` less the intervals in ``blocked``.

    >>> _subtract((0, 10), [(2, 3), (5, 12)])
    [(0, 2), (3, 5)]
    """
    pieces, x = [], span[0]
    for lo, hi in sorted(blocked):
        if lo > x:
            pieces.append((x, min(lo, span[1])))
        x = max(x, hi)
        if x >= span[1]:
            break
    if x < span[1]:
        pieces.append((x, span[1]))
    return [(a, b) for a, b in pieces if b > a]


def _pieces(wire: _Wire) -> list[tuple[float, float]]:
    """The stretches of a wire drawn as one straight line: its life less the regions that carry it."""
    pieces, x = [], wire.x0
    for a, b in sorted(wire.gaps):
        pieces.append((x, min(a, wire.x1)))
        x = max(x, b)
    pieces.append((x, wire.x1))
    return pieces


def arrowhead_path(tip: float, y: float, color: str, length: float = 5.0, half: float = 2.6, role: str = "arrow") -> Path:
    """A filled arrowhead pointing right, its tip at (tip, y), ``length`` long and ``2 * half`` high."""
    return Path((("M", tip - length, y - half), ("L", tip, y), ("L", tip - length, y + half), ("Z",)), None, color, role=role)


def inner_split(n: int, tight: set[int] = frozenset()) -> int | None:
    """Where a copy's branch goes between the ``n`` wires it copies, to cross the fewest:
    the gap g (1..n-1) after wire g-1, never inside wires in tandem (i in ``tight``: wire i is
    drawn in tandem with wire i+1); None when there is no such gap.

    >>> inner_split(2), inner_split(4), inner_split(3, {0}), inner_split(2, {0})
    (1, 2, 2, None)
    """
    gaps = [g for g in range(1, n) if g - 1 not in tight]
    return min(gaps, key=lambda g: (branch_crossings(n, g), g)) if gaps else None


def branch_crossings(n: int, split: int | None = None) -> int:
    """Crossings of one branch of a copy of ``n`` wires with the wires it copies: all n(n-1)/2
    pairs when it runs beside them; nested at gap ``split``, the wires above it bend down
    across one another, those below bend up, and the two groups never meet.

    >>> branch_crossings(3), branch_crossings(2, 1), branch_crossings(4, 2), branch_crossings(3, 2)
    (3, 0, 2, 1)
    """
    if split is None:
        return n * (n - 1) // 2
    return split * (split - 1) // 2 + (n - split) * (n - split - 1) // 2
