"""Wire labels at a row's cuts: each wire that goes on labelled by its arrows (:func:`end_label`, :func:`label_of`),
and a cut may pass through the label of a wire that goes on there.

A row that ends at a cut labels each wire that goes on beside its arrow, and the next row
labels it again where it comes in (:mod:`.rows`). So the label a wire has at its start, just
past a wiring region, need not stop a cut there: the cut names that wire itself. In a dense
figure (BERT's attention: regions, labels, regions, with no room between) the labels were the
only things in the way, and a figure that could not be cut was shrunk instead. A label keeps
blocking a cut where its wire does not go on (a label that stands clear of its wire).

>>> from ncd_render.scene import Line, Stroke, Text
>>> label = Text(10.0, 8.0, (), "serif", "#000", 6.0, 6.0, 2.0, axis="m")  # "m" just above its wire at y = 10
>>> wire = Line(5.0, 10.0, 60.0, 10.0, Stroke())
>>> blocks([label], 12.0, {10.0}, 2.0), blocks([label], 12.0, {30.0}, 2.0)  # its wire goes on there / does not
(False, True)
>>> [i.role for i in relabelled([wire, label], [12.0], 2.0)]  # a cut through it labels the wire itself
['wire']
>>> [i.role for i in relabelled([wire, label], [30.0], 2.0)]  # a cut past it does too: the label stays where it is
['wire', 'label.axis']
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right

from ..layout.buckets import boxes_near, by_column
from ..layout.model import AGAIN
from ..layout.model import CONTINUE_ARROW as ARROW
from ..layout.dashes import shortest
from ..records import replaced
from ..scene import Line, Path, Stroke, Text
from ..text import overline_bar

REACH = 2.0  # a cut this close to a label goes through it (cuts.BLOCK_PAD)
JOG = 2.0  # pt: a wire that steps less than this reads as going on straight


def is_wire_label(item) -> bool:
    """An axis label (or its overline's bar) of the kind the layout sets just above a wire's start."""
    return item.role in ("label.axis", "label.overline")


def blocks(labels: list, x: float, carried: set, label_pad: float) -> bool:
    """Whether a cut at ``x`` would go through one of ``labels`` (axis labels, as :func:`is_wire_label`) whose
    wire does not go on there (``carried``: the heights of the wires that do)."""
    return any(isinstance(label, Text) and _through(label, x) and not any(abs(label.y + label_pad - y) < 0.01 for y in carried)
               for label in labels)


def relabelled(items: list, cuts: list[float], label_pad: float) -> list:
    """``items`` of a row without the labels that one of its ``cuts`` (the x of the cut it starts at, of the one it
    ends at) goes through, on wires that go on there: the row labels those by their arrows; each with its overline."""
    wires = [i for i in items if isinstance(i, Line) and i.role == "wire" and i.y1 == i.y2]
    gone = [label.bbox for label in items if isinstance(label, Text) and label.role == "label.axis"
            and any(_through(label, x) and _goes_on(wires, label.y + label_pad, x) for x in cuts)]
    if not gone:
        return items
    return [i for i in items if not (i.role in ("label.axis", "label.overline") and _within(i.bbox, gone))]


def _through(label: Text, x: float) -> bool:
    """Whether a cut at ``x`` goes through ``label`` (or passes closer to it than :data:`REACH`)."""
    return label.bbox[0] - REACH < x < label.bbox[2] + REACH


def _goes_on(wires: list, y: float, x: float) -> bool:
    """Whether one of ``wires`` runs at height ``y`` past ``x``."""
    return any(abs(w.y1 - y) < 0.01 and min(w.x1, w.x2) < x < max(w.x1, w.x2) for w in wires)


def _within(box, boxes: list) -> bool:
    """Whether ``box`` lies inside one of ``boxes`` (a label's overline inside its label's box, give or take)."""
    return any(b[0] - 0.5 <= box[0] and box[2] <= b[2] + 0.5 and b[1] - 2 <= box[1] and box[3] <= b[3] + 0.5 for b in boxes)


def label_of(y: float, x: float, names: tuple):
    """The axis label of the wire at height ``y`` running past ``x`` (from the layout's
    ``Scene.wire_names``, labelled where it starts or not), its overline for a width axis, and
    the name of the tensor it carries."""
    for entry in names:
        if abs(entry[0] - y) < 0.01 and entry[1] - 0.5 <= x <= entry[2] + 0.5:
            return _label(entry, x)
    return None, None, None


def labels_of(names: tuple):
    """:func:`label_of` for one scene's ``names``, asked at many cuts: ``find(y, x)`` gives what ``label_of(y, x, names)``
    does, looking only at the wires filed near ``x`` (a 5,000-box chain's thousands of cuts each weighed every wire of
    the figure: quadratic, 40 s of its page layout)."""
    near = by_column([(x0 - 0.5, 0.0, x1 + 0.5, 0.0, k) for k, (_, x0, x1, *_) in enumerate(names)])
    ends: dict = {}  # k -> the starts and ends of the tensor runs of names[k], where both go left to right

    def tensor_at(k: int, x: float):
        runs = names[k][5]
        if k not in ends:
            starts, stops = [t0 - 0.5 for t0, _, _ in runs], [t1 + 0.5 for _, t1, _ in runs]
            ordered = all(a <= b for a, b in zip(starts, starts[1:])) and all(a <= b for a, b in zip(stops, stops[1:]))
            ends[k] = (starts, stops) if ordered else None
        if ends[k] is None:
            return next((t for t0, t1, t in runs if t0 - 0.5 <= x <= t1 + 0.5), None)
        starts, stops = ends[k]  # the runs that start by x are the first ones, those that end at x or later the last ones
        first = bisect_left(stops, x)
        return runs[first][2] if first < bisect_right(starts, x) else None

    def find(y: float, x: float):
        found = min((k for *_, k in boxes_near(near, x, x)
                     if abs(names[k][0] - y) < 0.01 and names[k][1] - 0.5 <= x <= names[k][2] + 0.5), default=None)
        # (the first in order, as label_of's; a chain's one wire has a run for each of its thousands of tensors)
        return (None, None, None) if found is None else _label(names[found], x, tensor_at(found, x))
    return find


def _label(entry: tuple, x: float, tensor=False):
    """:func:`label_of`'s answer for the wire of ``entry`` (one of ``Scene.wire_names``) at ``x`` (``tensor``: the
    one it carries there, where found already)."""
    _, _, _, label, overlined, runs = entry
    if tensor is False:
        tensor = next((t for t0, t1, t in runs if t0 - 0.5 <= x <= t1 + 0.5), None)
    if not overlined:
        return label, None, tensor
    x0, dy, x1 = overline_bar(label, label.family)
    return label, Line(x0, dy, x1, dy, Stroke(label.color, 0.6), role="label.overline"), tensor


def end_label(items: list, label: Text | None, bar: Line | None, tip: float, y: float, label_pad: float) -> list:
    """The axis ``label`` (and its overline ``bar``) of a wire at height ``y`` that ends in an arrowhead whose tip is
    at ``tip``, set left of the arrow; [] where ``items`` label it so already (:func:`labelled_near`)."""
    if label is None or labelled_near(items, label, tip - ARROW - label_pad - label.width, y - label_pad):
        return []
    return relabel(label, bar, tip - ARROW - label_pad - label.width, y - label_pad)


def labelled_near(items: list, label: Text, x: float, base: float) -> bool:
    """Whether a wire a row ends or begins with is labelled already, with the same axis, within AGAIN of
    ``x``, where the label at its arrow would stand: a box's output labels right before a row's end, or
    the labels of wires a wiring region made just before a cut, which land just after it, in the next row.

    >>> from ncd_render.text import set_label
    >>> h = set_label("h", "DejaVu Sans", 9)
    >>> own = replaced(Text(0, 0, h.runs, "DejaVu Sans", "#000", h.width, h.ascent, h.descent), x=100.0, y=20.0, axis="h")
    >>> [labelled_near([own], own, x, 20.0) for x in (120.0, 90.0, 180.0, 40.0)]
    [True, True, False, False]
    """
    return any(isinstance(i, Text) and i.role == "label.axis" and i.axis == label.axis and abs(i.y - base) < 0.5
               and i.x - AGAIN < x + label.width and x < i.bbox[2] + AGAIN for i in items)  # (less than AGAIN before it, after it, or on it)


def bar_over(box: tuple, bar: Line) -> bool:
    """Whether ``bar`` (a ``label.overline`` Line) is the overline of the label whose box is ``box``: within its width,
    from a little above its top (a slide's labels stand taller than a page's) to its bottom."""
    return box[0] - 0.5 <= bar.x1 and bar.x2 <= box[2] + 0.5 and box[1] - 3 <= bar.y1 <= box[3]


def relabel(label: Text | None, bar: Line | None, x: float, base: float) -> list:
    """A wire's axis ``label`` (with its overline ``bar``) set again from ``x`` on the baseline ``base``."""
    if label is None:
        return []
    out = [replaced(label, x=x, y=base, role="label.axis")]
    if bar is not None:
        out.append(replaced(bar, x1=x + (bar.x1 - label.x), x2=x + (bar.x2 - label.x), y1=base + bar.y1 - label.y, y2=base + bar.y2 - label.y))
    return out


def clear_of_labels(items: list, edges: list[float]) -> list:
    """``items`` (a row's) with each separator that reaches one of its ``edges`` (where it was cut) shortened to stop
    short of the axis labels set there, or left out where too little of it is left: a row labels the wires it takes
    in and hands on where the figure had no label, and a tuple's separator, carried to the cut, ran through them
    (OLMo's ȳ read as y under a dashed line).

    >>> from ncd_render.scene import Line, Stroke, Text
    >>> dash = Line(0.0, 10.0, 60.0, 10.0, Stroke(dash=(3.0, 2.0)), role="separator")
    >>> label = Text(4.0, 12.0, (), "serif", "#000", 6.0, 5.0, 2.0, axis="y")  # from y 7 to 14, x 4 to 10
    >>> [(i.x1, i.x2) for i in clear_of_labels([dash, label], [0.0]) if i.role == "separator"]
    [(11.0, 60.0)]
    """
    def at_edge(x: float) -> bool:
        return any(abs(x - e) < 0.5 for e in edges)

    labels = sorted(i.bbox for i in items if i.role in ("label.axis", "label.overline"))
    out = []
    for item in items:
        if item.role == "separator" and isinstance(item, Line):
            lo, hi = sorted((item.x1, item.x2))
            x1, x2 = lo, hi
            if at_edge(lo) or at_edge(hi):  # (the others the layout kept clear of labels already)
                for lx0, ly0, lx1, ly1 in labels:
                    if ly0 - 0.5 <= item.y1 <= ly1 + 0.5 and x1 < lx1 and lx0 < x2:
                        if at_edge(lo) and lx0 - x1 < x2 - lx1:
                            x1 = max(x1, lx1 + 1)
                        elif at_edge(hi):
                            x2 = min(x2, lx0 - 1)
            if x2 - x1 < shortest(item.stroke.dash):
                continue
            item = replaced(item, x1=x1, x2=x2) if (x1, x2) != (lo, hi) else item
        out.append(item)
    return out


def said_once(items: list) -> list:
    """``items`` (a page's) without the axis labels that name a wire again less than AGAIN after a label of the same
    axis at the same height, with nothing drawn on the wire between them (no box, dot, bend or arrowhead): a row
    whose wires a cut relabelled where they come in, or a part narrowed once its labels were set, said "ȳ ... ȳ" with
    the first still in view.

    >>> from ncd_render.text import set_label
    >>> y = set_label("y", "DejaVu Sans", 9)
    >>> at = [replaced(Text(0, 0, y.runs, "DejaVu Sans", "#000", y.width, y.ascent, y.descent), x=x, y=20.0, axis="y")
    ...       for x in (10.0, 40.0, 120.0)]
    >>> [t.x for t in said_once(at)]  # the second 24 pt after the first: dropped; the third far on
    [10.0, 120.0]
    """
    labels = sorted((i for i in items if isinstance(i, Text) and i.role == "label.axis"), key=lambda t: t.x)
    marks = [i.bbox for i in items if i.role in ("box", "dot") or i.role.startswith("arrow")
             or (isinstance(i, Path) and i.role.startswith("wire") and i.bbox[3] - i.bbox[1] > JOG)]
    dropped, kept = set(), []
    for b in labels:
        a = next((a for a in reversed(kept) if a.axis == b.axis and abs(a.y - b.y) < 0.5), None)
        if a is not None and 0 <= b.x - a.bbox[2] < AGAIN:
            below = (a.bbox[2], b.y, b.x, b.y + 6.0)  # the stretch of wire under and just below them, between the two
            if not any(m[0] < below[2] and below[0] < m[2] and m[1] <= below[3] and below[1] <= m[3] for m in marks):
                dropped.add(id(b))
                continue
        kept.append(b)
    if not dropped:
        return items
    bars = {id(bar) for bar in items if bar.role == "label.overline" for t in labels if id(t) in dropped and bar_over(t.bbox, bar)}
    return [i for i in items if id(i) not in dropped and id(i) not in bars]
