"""Break a wide scene into rows at its semantic boundaries, like the paper's figures.

Every wire is a horizontal line, so a figure can be cut at any x that no box,
bend or label crosses (a *gap*). Of the gaps, the ones where the figure's own
structure ends are preferred: outside every section (between the encoder and
the decoder), at a section's edge, or where few wires run on. A row ends with
each wire that goes on labelled and carried on by an arrowhead, the name of each
tensor they carry right of its arrows; the next row starts with the same wires,
labelled again, entering with an arrowhead, in the same order, the name of each
tensor left of its arrows (a row whose wires bend only to meet the next ends level:
:mod:`.straight`), and the title
of each section it goes on with, marked continued, where it fits. Where to cut is
:mod:`.cuts`' choice (a shortest path over the gaps: a cut at a boundary is worth a
slightly shorter row). A pure function.

>>> from ncd_render.scene import Line, Rect, Scene, Stroke
>>> from ncd_render.wrap import stack_rows
>>> boxes = [Rect(x, 0, 10, 10, Stroke(), "#fff") for x in (10, 60, 110)]
>>> wide = Scene(130, 10, boxes + [Line(0, 5, 130, 5, Stroke())])
>>> rows = stack_rows([r.items for r in row_scenes(wide, 80, label_pad=3)], wide, ROW_GAP)
>>> rows.width <= 80, len([i for i in rows.items if i.role == "box"]), len(rows.by_role("arrow.continue"))
(True, 3, 4)
"""
from __future__ import annotations

from ..backdrop import backdrop
from ..layout.dashes import shortest
from ..records import replaced
from ..scene import Line, Scene, Text, ink_extent
from ..wrap import partition
from .arrows import ARROW, arrowheads, tips
from .continued import continued_title, titles_of
from .cuts import Cut, Gaps, choose_cuts
from .passing import carried, drop_passing
from .relabel import clear_of_labels, end_label, labelled_near, relabel, relabelled
from .straight import straightened
from .tighten import SECTION_PAD, tightened

ROW_GAP = 8.0    # between one row's lowest ink and the next row's highest
SLIVER = 2 * SECTION_PAD  # a section's piece in a row no wider than this holds nothing but wires (it would reach SECTION_PAD past what it held): left out


def row_scenes(scene: Scene, width: float, label_pad: float = 3.0, gaps: Gaps | None = None) -> list[Scene]:
    """The rows of ``scene`` at most ``width`` wide (or as narrow as its gaps allow), each a scene of its
    own starting at (0, 0), to be stacked or set side by side; [scene] when it fits or its gaps allow no
    cut. ``gaps``: ``Gaps(scene, label_pad)``, given when the same scene is cut at several widths."""
    return rows_cut_at(scene, choose_cuts(scene, width, label_pad, gaps) if scene.width > width else [], label_pad)


def rows_cut_at(scene: Scene, cuts: list[Cut], label_pad: float = 3.0, titled: bool = True, made: dict | None = None) -> list[Scene]:
    """The rows of ``scene`` cut at ``cuts`` (:func:`choose_cuts`), as :func:`row_scenes` gives them:
    many widths choose the same cuts, and a page keeps the rows of each. ``titled``: a section a row
    goes on with is titled again there, marked continued (where its title fits; it takes height).
    ``made``: the rows made so far, for a caller that cuts one scene in many ways (:func:`_row_key`)."""
    if not cuts:
        return [_one_row(scene)]
    bounds = [None] + cuts + [None]
    out, waiting, titles, pieces = [], {}, titles_of(scene.items) if titled else {}, None
    for k, (before, after) in enumerate(zip(bounds, bounds[1:])):
        key = None if made is None else _row_key(scene, before, after, label_pad, titled, waiting)
        row = None if key is None else made.get(key)
        if row is None:
            if pieces is None:  # (one pass over the items for every row)
                pieces = partition(scene.items, [float("-inf")] + [c.x for c in cuts] + [float("inf")])
            ahead = tuple(waiting.values())  # (kept with the row: its key names them by id)
            items = _row(pieces[k], before, after, label_pad, waiting, titles, frozenset(scene.through))
            left, top, right, bottom = ink_extent(items)
            row = (Scene(right - left, bottom - top, Scene(0, 0, items).translated(-left, -top).items, scene.background, scene.title),
                   tuple(waiting.items()), ahead)
            if key is not None:
                made[key] = row
        else:
            waiting.clear()
            waiting.update(row[1])
        out.append(row[0])
    return out


def _row_key(scene: Scene, before: Cut | None, after: Cut | None, label_pad: float, titled: bool, waiting: dict) -> tuple:
    """What a row of ``scene`` is made of, but for the scene's items: the cuts it runs between (a cut of the scene is
    told by its x, as the names at it are by their widths) and the names of inputs still to come in (``waiting``, in
    order). Many ways to cut share rows: each is made once."""
    ends = tuple(None if c is None else (c.x, c.pad, c.named, c.told) for c in (before, after))
    return (id(scene), label_pad, titled, ends, tuple((levels, id(name), handed) for levels, (name, handed) in waiting.items()))


def _one_row(scene: Scene) -> Scene:
    """``scene`` as one row: without its empty horizontal bands, sections fitted to what they hold (:func:`.tighten.tightened`)."""
    items = tightened([i for i in scene.items if i.role != "background"])
    height = max((i.bbox[3] for i in items), default=0.0) + min((i.bbox[1] for i in items), default=0.0)
    if height >= scene.height - 0.01:
        return scene
    return Scene(scene.width, height, backdrop(scene.width, height, scene.background) + items, scene.background, scene.title)


def _row(pieces: list, before: Cut | None, after: Cut | None, label_pad: float, waiting: dict, titles: dict,
         kept: frozenset = frozenset()) -> list:
    """A row's items (``pieces``: :func:`ncd_render.wrap.partition`'s), the labels and arrows at its ends, where they stand
    in the figure (``waiting``: :func:`.passing.drop_passing`'s names of inputs left out of earlier rows; ``titles``:
    :func:`.continued.titles_of`, for the sections this row goes on with; ``kept``: the heights of the wires every row
    keeps, ``Scene.through``)."""
    a = float("-inf") if before is None else before.x
    b = float("inf") if after is None else after.x
    if after is not None:
        pieces, after = straightened(pieces, after)
    out, continued = [], []
    held = [item.bbox for item, span in pieces if span is None and item.role in ("box", "region")]
    for item, span in pieces:
        if span is None:
            out.append(item)
        elif isinstance(item, Line):  # a wire that goes on reaches out to the arrow and label at the cut
            lo = span[0] - before.pad if before is not None and item.bbox[0] < a else span[0]
            hi = span[1] + after.pad if after is not None and item.bbox[2] > b else span[1]
            if item.role == "separator" and hi - lo < shortest(item.stroke.dash):  # (a scrap the cut left)
                continue
            out.append(replaced(item, x1=lo, x2=hi))
        elif span[1] - span[0] > SLIVER and (span[1] - span[0] > 3 * SLIVER or any(h[0] < span[1] and h[2] > span[0] for h in held)):
            # a section's piece (a sliver left of a cut is left out, as is a narrow one that holds no box: MHA's panel
            # at a 229.5 pt column left a strip 12.2 pt wide and the whole section tall beside W_O)
            out.append(replaced(item, x=span[0], w=span[1] - span[0]))
            if span[0] > item.x + 0.5 and titles and id(item) in titles:
                continued.append((out[-1], titles[id(item)]))
    out = relabelled(out, [c.x for c in (before, after) if c is not None], label_pad)
    for piece, title in continued:  # (each clear of those set before it: a nested section's piece starts at the same cut)
        again = continued_title(piece, title, out)
        if again is not None:
            out.append(again)
    said = [i for i in out if i.role == "label.axis"]  # (what labelled_near looks among, kept as labels are added)
    if before is not None:
        left = a - before.pad
        out += arrowheads(left + ARROW, [(y, stroke.color) for y, stroke, *_ in before.wires], "arrow.continue.in")
        for y, stroke, label, bar, _ in before.wires:
            if label is not None and not labelled_near(said, label, left + ARROW + label_pad, y - label_pad):
                again = relabel(label, bar, left + ARROW + label_pad, y - label_pad)
                out += again
                said += again
    if after is not None:
        right = b + after.pad
        out += arrowheads(right, [(y, stroke.color) for y, stroke, *_ in after.wires], "arrow.continue.out")
        for y, stroke, label, bar, _ in after.wires:
            again = end_label(said, label, bar, right, y, label_pad)
            out += again
            said += again
    edges = [a - before.pad] if before is not None else []
    out = clear_of_labels(drop_passing(out, before, after, label_pad, waiting, kept), edges + ([b + after.pad] if after is not None else []))
    return tightened(out + _tensor_names(out, before, label_pad) + _tensor_names(out, after, label_pad, handed=True))


def _tensor_names(items: list, cut: Cut | None, label_pad: float, handed: bool = False) -> list:
    """The names of the tensors a row takes in from the row before, left of the arrows of their wires
    (those :func:`.passing.drop_passing` kept), as the figure names its inputs; where a name already
    stands there (an input that comes in late), none again. ``handed``: the names of those a row hands
    on to the next, right of its arrows, as the figure names its outputs."""
    if cut is None or not (cut.told if handed else cut.named):
        return []
    edge = cut.x + cut.pad if handed else cut.x - cut.pad  # where the arrows end, or start
    role = "arrow.continue.out" if handed else "arrow.continue.in"
    kept = {round(t, 2) for i in items if i.role == role and abs(i.bbox[2 if handed else 0] - edge) < 0.5 for t in tips(i)}
    named = [(i.bbox[1] + i.bbox[3]) / 2 for i in items if isinstance(i, Text) and i.role == "label.name"
             and (i.bbox[0] >= edge - 0.5 if handed else i.bbox[2] <= edge + 0.5)]
    wires = [(y, tensor) for y, tensor in carried(cut.wires) if round(y, 2) in kept]
    out, k = [], 0
    while k < len(wires):  # each run of wires of one tensor, named once, centred on them
        first, tensor = wires[k]
        while k + 1 < len(wires) and wires[k + 1][1] is tensor:
            k += 1
        last, k = wires[k][0], k + 1
        if tensor is not None and not any(first - 1 <= y <= last + 1 for y in named):
            out.append(replaced(tensor, x=edge + label_pad if handed else edge - label_pad - tensor.width,
                                y=(first + last) / 2 + (tensor.ascent - tensor.descent) / 2, anchor="start" if handed else "end"))
    return out
