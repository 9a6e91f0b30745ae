"""A scene: plain, styled geometry in points, the one thing every renderer draws.

Layout produces a :class:`Scene`; renderers (SVG, TikZ) only translate its
items. Items are drawn in order. ``role`` says what an item means ("wire",
"box", "label.axis", ...) so tests can check layout rules and renderers can
group items; styling is already resolved into each item.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from math import inf

from .records import record
from .text import PlacedRun

BBox = tuple[float, float, float, float]  # x0, y0, x1, y1


@record
class Stroke:
    color: str = "#000000"
    width: float = 0.8
    dash: tuple[float, ...] = ()
    cap: str = "butt"


@record
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    stroke: Stroke
    role: str = "wire"
    axis: str | None = None  # the axis a wire carries
    producer: int | None = None  # the IR op whose output a wire is (None: an input's, a copy's, a region's own piece)

    @property
    def bbox(self) -> BBox:
        x1, y1, x2, y2 = self.x1, self.y1, self.x2, self.y2  # min() and max() of two, without the calls
        return (x2 if x2 < x1 else x1, y2 if y2 < y1 else y1, x2 if x2 > x1 else x1, y2 if y2 > y1 else y1)


@record
class Path:
    """A path of absolute commands: ("M", x, y), ("L", x, y), ("C", x1, y1, x2, y2, x, y), ("Z",)."""

    commands: tuple[tuple, ...]
    stroke: Stroke | None
    fill: str | None = None
    role: str = "wire.bend"
    ref: int | None = None  # the IR op a box or region draws

    @property
    def bbox(self) -> BBox:
        xs, ys = _points(self.commands)
        xs.sort()  # a path has a few points: sorting them costs a third less than min() and max() (an SVG measures every path)
        ys.sort()
        return (xs[0], ys[0], xs[-1], ys[-1])


@record
class Rect:
    x: float
    y: float
    w: float
    h: float
    stroke: Stroke | None
    fill: str | None
    radius: float = 0.0
    role: str = "box"
    opacity: float = 1.0
    ref: int | None = None  # the IR op a box or region draws
    section: int | None = None  # the diagram's section a panel draws (its id)

    @property
    def bbox(self) -> BBox:
        return (self.x, self.y, self.x + self.w, self.y + self.h)


@record
class Circle:
    cx: float
    cy: float
    r: float
    stroke: Stroke | None
    fill: str | None
    role: str = "dot"

    @property
    def bbox(self) -> BBox:
        return (self.cx - self.r, self.cy - self.r, self.cx + self.r, self.cy + self.r)


@record
class Text:
    """A label: runs placed from (x, y), the left end of its baseline."""

    x: float
    y: float
    runs: tuple[PlacedRun, ...]
    family: str
    color: str
    width: float
    ascent: float
    descent: float
    role: str = "label.axis"
    source: str = ""
    ref: int | None = None  # the IR op a label stands for (a box's label, a scale written at a cup)
    anchor: str = "start"  # which end of the label stays put when another renderer sets it: start, middle or end
    overline: bool = False  # a width axis's label: the line over it is part of the label
    axis: str | None = None  # the axis an axis label names
    section: int | None = None  # the diagram's section a title names (its id)

    @property
    def bbox(self) -> BBox:
        return (self.x, self.y - self.ascent, self.x + self.width, self.y + self.descent)


@dataclass
class Scene:
    width: float
    height: float
    items: list = field(default_factory=list)
    background: str | None = None
    title: str | None = None
    # (y, x from, x to, label, overlined, tensors) of every wire as the layout made it, labelled there or not;
    # tensors: (x from, x to, name) runs, the name (a Text, None when unnamed) of the tensor it carries in the
    # gaps between columns, laid out for rows only (else empty): what a wire and its tensor are called where a
    # page's row break labels them again (ncd_render.page.rows)
    wire_names: tuple = ()
    # the heights of the wires of the axes every tensor has, drawn once (ncd_render.layout.through): wires that pass a
    # page's every row untouched, which its rows keep nonetheless (ncd_render.page.passing)
    through: tuple = ()

    def by_role(self, prefix: str) -> list:
        """Items whose role is ``prefix`` or starts with ``prefix + '.'``."""
        return [i for i in self.items if i.role == prefix or i.role.startswith(prefix + ".")]

    def labels(self) -> list:
        """The Text items: the only ones with text and a font (which the renderers check and embed)."""
        return [item for item in self.items if type(item) is Text]

    def translated(self, dx: float, dy: float) -> "Scene":
        return Scene(self.width, self.height, moved(self.items, dx, dy), self.background, self.title)

    def scaled(self, factor: float) -> "Scene":
        """The scene at ``factor`` times its size (fonts scale too)."""
        return Scene(self.width * factor, self.height * factor, [_scale(i, factor) for i in self.items], self.background, self.title)


def extent(items) -> BBox:
    """The box around all of ``items`` (each item's ``bbox``, the same numbers; at least one item), in
    one loop with each kind's sides read inline from its fields: a figure measures every item once or
    twice. The paths' numbers are gathered as they come and split into x and y once, at the end.

    >>> extent([Line(0, 5, 10, 5, Stroke()), Rect(2, 1, 3, 2, None, None), Circle(4, 4, 2, None, None)])
    (0, 1, 10, 6)
    """
    left = top = inf
    right = bottom = -inf
    numbers: list = []  # the x, y pairs of every path's points
    for item in items:
        kind = type(item)
        if kind is Rect:
            x0, y0 = item.x, item.y
            x1, y1 = x0 + item.w, y0 + item.h
        elif kind is Text:
            x, y = item.x, item.y
            x0, y0, x1, y1 = x, y - item.ascent, x + item.width, y + item.descent
        elif kind is Line:
            x0, y0, x1, y1 = item.x1, item.y1, item.x2, item.y2
            if x1 < x0:
                x0, x1 = x1, x0
            if y1 < y0:
                y0, y1 = y1, y0
        elif kind is Path:
            for c in item.commands:
                numbers += c[1:]
            continue
        else:  # Circle, the last of the five kinds
            x, y, r = item.cx, item.cy, item.r
            x0, y0, x1, y1 = x - r, y - r, x + r, y + r
        if x0 < left:
            left = x0
        if y0 < top:
            top = y0
        if x1 > right:
            right = x1
        if y1 > bottom:
            bottom = y1
    if numbers:
        xs, ys = numbers[::2], numbers[1::2]
        left, top, right, bottom = min(left, min(xs)), min(top, min(ys)), max(right, max(xs)), max(bottom, max(ys))
    if left == inf:
        raise ValueError("extent() of no items")
    return left, top, right, bottom


def _points(commands) -> tuple[list, list]:
    """The x and the y of every point of path ``commands``: each command's numbers after its letter,
    all in one list (x, y pairs: every command has an even count), then its odd and even places."""
    numbers: list = []
    for c in commands:
        numbers += c[1:]
    return numbers[::2], numbers[1::2]


def wire_ends(item: Line | Path) -> list[tuple[float, float]]:
    """Where a wire's line or bend starts and where it ends (a path: its first point and its last).

    >>> wire_ends(Line(0, 5, 10, 5, Stroke())), wire_ends(Path((("M", 0, 5), ("C", 4, 5, 6, 9, 10, 9)), Stroke()))
    ([(0, 5), (10, 5)], [(0, 5), (10, 9)])
    """
    if isinstance(item, Line):
        return [(item.x1, item.y1), (item.x2, item.y2)]
    return [item.commands[0][1:3], item.commands[-1][-2:]]


def ink_bbox(item) -> BBox:
    """``item``'s box with half its stroke's width around it: what a renderer inks. A straight
    wire's butt ends stop at its ends, so a level line grows only up and down.

    >>> ink_bbox(Line(0, 5, 10, 5, Stroke(width=1.0))), ink_bbox(Rect(2, 1, 3, 2, Stroke(width=1.0), None))
    ((0, 4.5, 10, 5.5), (1.5, 0.5, 5.5, 3.5))
    """
    x0, y0, x1, y1 = item.bbox
    stroke = getattr(item, "stroke", None)
    if stroke is None:
        return x0, y0, x1, y1
    half = stroke.width / 2
    if isinstance(item, Line) and stroke.cap == "butt" and (item.y1 == item.y2 or item.x1 == item.x2):
        return (x0, y0 - half, x1, y1 + half) if item.y1 == item.y2 else (x0 - half, y0, x1 + half, y1)
    return x0 - half, y0 - half, x1 + half, y1 + half


def ink_extent(items) -> BBox:
    """The box around all of ``items``' ink (:func:`ink_bbox`): where a figure cut tight to its
    drawing must end so that no stroke is cut in half.

    >>> ink_extent([Line(0, 5, 10, 5, Stroke(width=1.0)), Rect(2, 1, 3, 2, None, None)])
    (0, 1, 10, 5.5)
    """
    lefts, tops, rights, bottoms = zip(*[ink_bbox(i) for i in items])
    return min(lefts), min(tops), max(rights), max(bottoms)


def shifted(item, dx, dy):
    """``item`` moved by (dx, dy).

    >>> shifted(Line(0, 1, 2, 3, Stroke()), 1, 2)
    Line(x1=1, y1=3, x2=3, y2=5, stroke=Stroke(color='#000000', width=0.8, dash=(), cap='butt'), role='wire', axis=None, producer=None)
    """
    return moved([item], dx, dy)[0]


def moved(items, dx, dy) -> list:
    """Each of ``items`` moved by (dx, dy): a copy of its fields (``dict.copy`` shares the record's
    field names, a plain copy of the values) with its position changed, in one loop with each kind's
    fields written inline, since a layout moves every item of a figure at least once.

    >>> moved([Rect(0, 1, 2, 3, None, None), Circle(1, 1, 2, None, None)], 1, 2)[1]
    Circle(cx=2, cy=3, r=2, stroke=None, fill=None, role='dot')
    """
    new, assign, out = object.__new__, object.__setattr__, []
    for item in items:
        kind = type(item)
        fields = item.__dict__
        changed = fields.copy()
        if kind is Rect or kind is Text:
            changed["x"], changed["y"] = fields["x"] + dx, fields["y"] + dy
        elif kind is Line:
            changed["x1"], changed["y1"] = fields["x1"] + dx, fields["y1"] + dy
            changed["x2"], changed["y2"] = fields["x2"] + dx, fields["y2"] + dy
        elif kind is Path:
            changed["commands"] = _moved_commands(fields["commands"], dx, dy)
        else:  # Circle, the last of the five kinds
            changed["cx"], changed["cy"] = fields["cx"] + dx, fields["cy"] + dy
        copy = new(kind)
        assign(copy, "__dict__", changed)  # a frozen record refuses plain assignment, even of its __dict__
        out.append(copy)
    return out


def _moved_commands(commands: tuple, dx, dy) -> tuple:
    """Path ``commands`` (M, L, C and Z, as :class:`Path` says) moved: the x, y pairs after each command's letter."""
    out = []
    for c in commands:
        n = len(c)
        if n == 3:  # M, L
            out.append((c[0], c[1] + dx, c[2] + dy))
        elif n == 7:  # C
            out.append((c[0], c[1] + dx, c[2] + dy, c[3] + dx, c[4] + dy, c[5] + dx, c[6] + dy))
        else:  # Z: no point
            out.append(c)
    return tuple(out)


def _scale(item, f):
    from dataclasses import replace

    def stroke(s):
        return None if s is None else replace(s, width=s.width * f, dash=tuple(d * f for d in s.dash))

    if isinstance(item, Line):
        return replace(item, x1=item.x1 * f, y1=item.y1 * f, x2=item.x2 * f, y2=item.y2 * f, stroke=stroke(item.stroke))
    if isinstance(item, Path):
        return replace(item, commands=tuple((c[0], *[v * f for v in c[1:]]) for c in item.commands), stroke=stroke(item.stroke))
    if isinstance(item, Rect):
        return replace(item, x=item.x * f, y=item.y * f, w=item.w * f, h=item.h * f, radius=item.radius * f, stroke=stroke(item.stroke))
    if isinstance(item, Circle):
        return replace(item, cx=item.cx * f, cy=item.cy * f, r=item.r * f, stroke=stroke(item.stroke))
    runs = tuple(replace(r, dx=r.dx * f, dy=r.dy * f, size=r.size * f) for r in item.runs)
    return replace(item, x=item.x * f, y=item.y * f, runs=runs, width=item.width * f, ascent=item.ascent * f, descent=item.descent * f)
