"""Cost badges on a drawn diagram (``ncd render --annotate-cost``): a pure scene transform.

Every kernel of a cost report gets a badge (HBM bytes, FLOPs, time; on two
wide lines or three narrow ones, whichever finds the better place) in the
colour of its bound, beside the box it costs, found by the scene items' ``ref``;
a fused section gets one badge, beside the section. Badges are placed one by
one, in the order (as drawn, hardest first or easiest first) that costs least. A badge overlaps no box,
region, label or other badge; of the places below or above its box that
qualify, it takes the nearest, crossing as few wires and section borders as it
can, and away from other boxes; a leader line ties it to its box (and avoids
boxes and labels too); the canvas grows when the place is outside it.
A legend of the two colours goes in a free corner (below the figure when no
corner is free).

>>> from ncd_render.api import load_text
>>> from ncd_render.cost import analyse, load_profile
>>> from ncd_render.style import load_theme
>>> fig = load_text("axis y = 4096\\naxis m = 4096\\ninput X[y m]\\nH = relu(X)\\noutput H\\n")
>>> report = analyse(fig.diagram, load_profile("a100-80gb"), "bf16")
>>> scene = annotate(fig.scene(), fig.diagram, report, load_theme("paper"))
>>> ["".join(r.text for r in t.runs) for t in scene.by_role("label.badge")]
['67 MB · 17 MF', '42 µs']
"""
from __future__ import annotations

import itertools
from bisect import bisect_left, bisect_right

from ..backdrop import backdrop
from ..ir import Diagram
from ..scene import BBox, Line, Rect, Scene, Stroke, Text
from ..style import Theme
from ..text import set_label
from .badges import Badge, badges
from .model import Report

SIZE = 0.72       # badge and legend text, relative to the axis labels
PAD = 1.5         # between a badge's text and its frame
GAP = 3.0         # between a badge and its box, and the least room left around anything it must not touch
STEP = 2.0        # search step, points
WIRE_COST = 25.0  # a crossed wire or section border is worth this many points of distance
NEAR_COST = 20.0  # a badge this close to another box (2 GAP) could be read as that box's
LEADER_COST = 200.0  # a leader through a box or label: only when there is no other way
HARD = {"box", "region", "label", "dot", "pictogram", "arrow", "terminator", "badge", "legend"}  # never overlapped
SOFT = {"wire", "separator"}  # crossed only when that saves distance


def annotate(scene: Scene, diagram: Diagram, report: Report, theme: Theme) -> Scene:
    """``scene`` (laid out from ``diagram``) with a badge per kernel of ``report`` and a legend."""
    kinds = {i: i.role.split(".")[0] for i in scene.items}
    hard = [i.bbox for i in scene.items if kinds[i] in HARD]
    boxes = [i for i in scene.items if i.role == "box"]
    soft = [i.bbox for i in scene.items if kinds[i] in SOFT]
    soft += [edge for i in scene.items if kinds[i] == "section" for edge in _edges(i.bbox)]
    todo = []
    for badge in badges(diagram, report).values():
        target = _target(scene, diagram, badge)
        if target is not None:
            shapes = [_badge(badge, theme, lines) for lines in _shapes(badge)]
            near = [b.bbox for b in boxes if b.ref not in badge.ops]
            alone = min(_place(target, frame.w, frame.h, hard, soft, near)[3] for frame, _ in shapes)
            todo.append((alone, target, shapes, near))
    orders = (todo, sorted(todo, key=lambda t: -t[0]), sorted(todo, key=lambda t: t[0]))  # as drawn, hardest first, easiest first
    added = min((_arrange(order, hard, soft) for order in orders), key=lambda a: a[0])[1]
    added += _legend(scene.items + added, report, theme)
    return _grown(scene, added)


def _arrange(todo: list, hard: list[BBox], soft: list[BBox]) -> tuple[float, list]:
    """Place the badges of ``todo`` one after another: their total cost, and their items."""
    hard, total, added = list(hard), 0.0, []
    for _, target, shapes, near in todo:
        (x, y, leader, cost), frame, texts = min(((_place(target, frame.w, frame.h, hard, soft, near), frame, texts)
                                                  for frame, texts in shapes), key=lambda p: p[0][3])
        hard += [(x, y, x + frame.w, y + frame.h), leader]
        total += cost
        added.append(Line(*leader, Stroke(frame.stroke.color, 0.6), role="badge.leader"))
        added += Scene(0, 0, [frame, *texts]).translated(x, y).items
    return total, added


def _target(scene: Scene, diagram: Diagram, badge: Badge) -> BBox | None:
    """What a badge stands beside: its box (or wiring region), or its fused section's background."""
    mine = [i for i in scene.items if getattr(i, "ref", None) in badge.ops]
    if badge.section is None or not mine:
        return _union([i.bbox for i in mine]) if mine else None
    # a section's panel holds its boxes (a wiring region, such as a rename's, may reach out of it)
    inside = _union([i.bbox for i in mine if i.role == "box"] or [i.bbox for i in mine])
    around = [i.bbox for i in scene.items if i.role == "section" and _contains(i.bbox, inside)]
    if not around:
        return inside
    # nested backgrounds around the boxes, outermost first: the section's is at its depth
    around.sort(key=lambda b: -(b[2] - b[0]) * (b[3] - b[1]))
    return around[min(diagram.sections[badge.section].depth, len(around) - 1)]


def _shapes(badge: Badge) -> list[tuple[str, ...]]:
    """A badge's text as two wide lines (to fit between the wires of a tensor) or three narrow ones."""
    bytes_, flops, time = badge.lines
    return [(f"{bytes_} · {flops}", time), badge.lines]


def _badge(badge: Badge, theme: Theme, lines: tuple[str, ...]) -> tuple[Rect, list[Text]]:
    """The frame and ``lines`` of a badge, its top left corner at (0, 0)."""
    color = theme.colors.memory_bound if badge.bound == "memory" else theme.colors.compute_bound
    labels = [set_label(line, theme.font.family, theme.font.axis_size * SIZE) for line in lines]
    width = max(lab.width for lab in labels) + 2 * PAD
    texts, y = [], PAD
    for lab in labels:
        texts.append(Text((width - lab.width) / 2, y + lab.ascent, lab.runs, theme.font.family, color, lab.width, lab.ascent,
                          lab.descent, "label.badge"))
        y += lab.ascent + lab.descent
    return Rect(0, 0, width, y + PAD, Stroke(color, 0.6), theme.colors.halo, radius=1.5, role="badge", opacity=0.9), texts


def _place(target: BBox, w: float, h: float, hard: list[BBox], soft: list[BBox], near: list[BBox]) -> tuple[float, float, BBox, float]:
    """The top left corner of the best place for a w × h badge below or above ``target``,
    the leader from the box to it, and the place's cost.

    A place must keep clear of every ``hard`` box; its cost is its distance from the box, plus
    ``WIRE_COST`` for every ``soft`` item (wire, section border) it covers, ``NEAR_COST`` for
    every box of ``near`` (the other boxes) it comes close to, and ``LEADER_COST`` for every
    hard box its leader crosses. Past the last obstacle every place is free, so the
    search ends.
    """
    x0, y0, x1, y1 = target
    left = (x0 + x1 - w) / 2
    reach = int(max(w, x1 - x0) / 2 / STEP)  # sideways while still over or under half the box (or half the badge)
    shifts = [0] + [s * k for k in range(1, reach + 1) for s in (-1, 1)]
    band = (left - reach * STEP, -float("inf"), left + reach * STEP + w, float("inf"))
    hard = _Heights([b for b in hard if _overlap(b, band, GAP)])
    soft = _Heights([b for b in soft if _overlap(b, band, 0)])
    near = _Heights([b for b in near if _overlap(b, band, 2 * GAP)])
    best, best_cost = None, float("inf")
    for k in itertools.count():  # rings of growing distance; past every obstacle a place is free
        if k * STEP >= best_cost:
            return best
        for below in (True, False):
            y = y1 + GAP + k * STEP if below else y0 - GAP - h - k * STEP
            at_soft, at_near, at_hard = soft.around(y, y + h, 0), near.around(y, y + h, 2 * GAP), hard.around(y, y + h, GAP / 2)
            for s in shifts:
                box = (left + s * STEP, y, left + s * STEP + w, y + h)
                cost = (k * STEP + abs(s) * STEP / 2 + WIRE_COST * sum(_overlap(box, b, 0) for b in at_soft)
                        + NEAR_COST * sum(_overlap(box, b, 2 * GAP) for b in at_near))
                if cost >= best_cost or any(_overlap(box, b, GAP / 2) for b in at_hard):
                    continue
                lx = (max(x0, box[0]) + min(x1, box[2])) / 2
                leader = (lx, y1, lx, y) if below else (lx, y + h, lx, y0)
                cost += LEADER_COST * sum(_overlap(leader, b, 0) for b in hard.around(leader[1], leader[3], 0))
                if cost < best_cost:
                    best, best_cost = (box[0], box[1], leader, cost), cost


class _Heights:
    """Boxes found by the heights they reach: a search looks only at those near a ring's height (the short ones by
    bisection, the few taller than :data:`TALL`, a section's sides, always). With 64 branches of one tensor, each
    badge's rings weighed every wire of the figure at every place: 21 s for 64 badges, 93 s for 256."""

    TALL = 40.0

    def __init__(self, boxes: list[BBox]):
        self.short = sorted((b for b in boxes if b[3] - b[1] <= self.TALL), key=lambda b: b[1])
        self.tops = [b[1] for b in self.short]
        self.tall = [b for b in boxes if b[3] - b[1] > self.TALL]

    def around(self, y0: float, y1: float, room: float) -> list[BBox]:
        """Every box that may come within ``room`` of the heights y0..y1 (and some that do not)."""
        lo, hi = bisect_left(self.tops, y0 - room - self.TALL), bisect_right(self.tops, y1 + room)
        return self.short[lo:hi] + self.tall


def _legend(items: list, report: Report, theme: Theme) -> list:
    """Swatches of the two bounds and what a badge says, in a free corner of ``items``."""
    family, size = theme.font.family, theme.font.axis_size * SIZE
    out, x = [], 0.0
    for color, text in ((theme.colors.memory_bound, "memory-bound"), (theme.colors.compute_bound, "compute-bound")):
        lab = set_label(text, family, size)
        out.append(Rect(x, (lab.ascent + lab.descent - size) / 2, size, size, None, color, role="legend.swatch"))
        out.append(Text(x + size * 1.4, lab.ascent, lab.runs, family, theme.colors.text, lab.width, lab.ascent, lab.descent, "label.legend"))
        x += size * 1.4 + lab.width + size
    lab = set_label(f"badges: HBM bytes, FLOPs, time on {report.profile.name}, {report.dtype}", family, size)
    y = out[-1].bbox[3] + 1
    out.append(Text(0, y + lab.ascent, lab.runs, family, theme.colors.text, lab.width, lab.ascent, lab.descent, "label.legend"))
    w, h = _union([i.bbox for i in out])[2:]
    taken = [i.bbox for i in items if i.role != "background"]
    cx0, cy0, cx1, cy1 = _union(taken)
    corners = [(cx1 - w, cy0), (cx0, cy0), (cx1 - w, cy1 - h), (cx0, cy1 - h)]
    free = [(x, y) for x, y in corners if not any(_overlap((x, y, x + w, y + h), b, GAP) for b in taken)]
    x, y = free[0] if free else (cx0, cy1 + 2 * GAP)
    return Scene(0, 0, out).translated(x, y).items


def _grown(scene: Scene, added: list) -> Scene:
    """``scene`` with ``added`` items, the canvas grown (keeping its margins) to hold them."""
    body = [i for i in scene.items if i.role != "background"]
    x0, y0, x1, y1 = _union([i.bbox for i in body])
    nx0, ny0, nx1, ny1 = _union([i.bbox for i in body + added])
    dx, dy = x0 - nx0, y0 - ny0
    width, height = scene.width + dx + nx1 - x1, scene.height + dy + ny1 - y1
    items = backdrop(width, height, scene.background) + Scene(0, 0, body + added).translated(dx, dy).items
    return Scene(width, height, items, scene.background, scene.title)


def _union(boxes: list[BBox]) -> BBox:
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def _contains(outer: BBox, inner: BBox) -> bool:
    return outer[0] <= inner[0] and outer[1] <= inner[1] and inner[2] <= outer[2] and inner[3] <= outer[3]


def _overlap(a: BBox, b: BBox, room: float) -> bool:
    """True when a and b come closer than ``room`` (they overlap when room is 0)."""
    return a[0] < b[2] + room and b[0] < a[2] + room and a[1] < b[3] + room and b[1] < a[3] + room


def _edges(b: BBox) -> list[BBox]:
    """The four sides of a rectangle, as thin boxes."""
    x0, y0, x1, y1 = b
    return [(x0, y0, x1, y0), (x0, y1, x1, y1), (x0, y0, x0, y1), (x1, y0, x1, y1)]
