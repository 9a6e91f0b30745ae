"""Wire labels at a row's cuts: a cut may pass through the label of a wire that goes on there.

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

from ..scene import Line, Text

REACH = 2.0  # a cut this close to a label goes through it (rows.BLOCK_PAD)


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
