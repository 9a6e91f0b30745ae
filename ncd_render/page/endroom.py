"""A part's wires labelled at its arrowheads where a box stood too close for the label, once the page is arranged.

A part hands its tensors on with an arrowhead on each wire and the wire's axis label left of it (:mod:`.flow`);
where a box ends just before the part does (the transformer's embedding sum, K's RoPE), the label has no room and
is left out: the arrowheads went on unlabelled. Running the wires on at the part's layout widened the part, and the
page, chosen among arrangements by a few points, set worse. So it is done after: where the arrangement leaves room
to a block's right (no block beside it there, within the arrangement's width), its wires run on into it, and each
unlabelled one takes its label again, as the wire is labelled before the box; a block beside it keeps half the gap
between blocks at least.
"""
from __future__ import annotations

from ..records import replaced
from ..scene import Line, Path, Scene, Text, shifted, wire_ends
from .arrange import BLOCK_GAP, extent
from .arrows import ARROW, tips
from .relabel import bar_over, labelled_near, relabel

MOST_ROOM = 30.0  # pt: the farthest a block's wires run on for their labels


def with_room(blocks: list[Scene], places: list[tuple[float, float]], label_pad: float) -> list[Scene]:
    """``blocks`` (set at ``places``), each whose arrowheads out lack labels run on into the room beside it."""
    right = extent([(b.width, b.height) for b in blocks], places)[0]
    out = []
    for k, (block, (x, y)) in enumerate(zip(blocks, places)):
        missing = _unlabelled(block, label_pad)
        room = _room(block, missing, label_pad)
        free = min([right] + [px - BLOCK_GAP / 2 for j, (b, (px, py)) in enumerate(zip(blocks, places))
                              if j != k and px >= x + block.width - 0.5 and py < y + block.height and y < py + b.height])
        out.append(_run_on(block, missing, room, label_pad) if 0 < room <= min(MOST_ROOM, free - x - block.width) else block)
    return out


def _unlabelled(block: Scene, label_pad: float) -> list[tuple[float, float, Text]]:
    """(tip, height, the wire's label before it) of each wire an arrowhead hands on unlabelled there (as
    :func:`.relabel.end_label` finds a label there), where its own label stands before it."""
    labels = [t for t in block.items if isinstance(t, Text) and t.role == "label.axis"]
    turns = [end for i in block.items if isinstance(i, Path) and i.role == "wire.bend" for end in wire_ends(i)]
    found = []
    for head in block.by_role("arrow.continue.out"):
        tip = head.bbox[2]
        for y in tips(head):
            on = [t for t in labels if abs(t.y - (y - label_pad)) < 0.5 and t.bbox[2] <= tip]
            if not on:
                continue
            near = max(on, key=lambda t: t.bbox[2])  # the wire's, where no bend brings another wire to its height since
            if (not labelled_near(labels, near, tip - ARROW - label_pad - near.width, y - label_pad)
                    and not any(abs(ty - y) < 0.5 and near.bbox[0] < tx < tip for tx, ty in turns)):
                found.append((tip, y, near))
    return found


def _room(block: Scene, missing: list, label_pad: float) -> float:
    """How far the block's wires must run on for each unlabelled one (``missing``, :func:`_unlabelled`'s) to take its
    label clear of what stands there."""
    room = 0.0
    for tip, y, label in missing:
        x0 = tip - ARROW - label_pad - label.width
        top, bottom = y - label_pad - label.ascent, y - label_pad + label.descent
        blocking = [i.bbox[2] for i in block.items if i.role not in ("wire", "section", "background", "separator", "label.name")
                    and not i.role.startswith("arrow") and i.bbox[1] < bottom + 1 and top - 1 < i.bbox[3] and i.bbox[0] < tip and x0 - 1 < i.bbox[2]]
        room = max(room, max(blocking, default=x0 - 1 - label_pad) + 1 + label_pad - x0)
    return room


def _run_on(block: Scene, missing: list, room: float, label_pad: float) -> Scene:
    """``block`` with the wires that end at its arrowheads out ``room`` longer, the heads and names past them moved on,
    and each unlabelled wire (``missing``) labelled left of its head."""
    ends = {round(h.bbox[2], 2) for h in block.by_role("arrow.continue.out")}
    items = []
    for i in block.items:
        if isinstance(i, Line) and i.role == "wire" and i.y1 == i.y2 and round(max(i.x1, i.x2), 2) in ends:
            i = replaced(i, x2=i.x2 + room) if i.x2 >= i.x1 else replaced(i, x1=i.x1 + room)
        elif i.role == "arrow.continue.out" or (i.role == "label.name" and any(i.bbox[0] >= e - 0.5 for e in ends)):
            i = shifted(i, room, 0)
        elif i.role in ("label.axis", "label.overline") and any(e - ARROW - label_pad - 1.5 <= i.bbox[2] <= e for e in ends):
            i = shifted(i, room, 0)  # an end label set already
        items.append(i)
    bars = [i for i in block.items if i.role == "label.overline"]
    for tip, y, label in missing:
        bar = next((b for b in bars if bar_over(label.bbox, b)), None)
        items += relabel(label, bar, tip + room - ARROW - label_pad - label.width, y - label_pad)
    return Scene(block.width + room, block.height, items, block.background, block.title, block.wire_names)
