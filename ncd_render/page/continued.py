"""A section a page's row goes on with, titled again: "Encoder layer ×12 (continued)".

A section cut by a row break goes on in the next row as a piece of its panel with no title
(the title stands where the panel starts). There the title is set again at the piece's top
left, in the band the layout kept for it, followed by :data:`CONTINUED` (or, in a narrow piece,
:data:`SHORT`); where it would not fit in the piece, or would touch anything drawn there, the
piece stays untitled.

>>> from ncd_render.scene import Rect, Stroke
>>> from ncd_render.text import set_label
>>> label = set_label("Body", "DejaVu Sans", 7)
>>> panel = Rect(0, 0, 200, 40, None, "#eee", role="section", section=0)
>>> title = Text(4, 2 + label.ascent, label.runs, "DejaVu Sans", "#333", label.width, label.ascent, label.descent, "label.title", section=0)
>>> titles_of([panel, title]) == {id(panel): title}
True
>>> again = continued_title(Rect(150, 0, 120, 40, None, "#eee", role="section"), title, [])
>>> "".join(r.text for r in again.runs), again.x, continued(Scene(0, 0, [again]))
('Body (continued)', 154.0, True)
"""
from __future__ import annotations

import re

from ..records import replaced
from ..scene import Rect, Scene, Text
from ..text import set_label

CONTINUED = " (continued)"  # after a section's title where a row goes on with it
SHORT = " (cont.)"  # where that does not fit the piece


def continued(scene: Scene) -> bool:
    """Whether ``scene`` (a row, or blocks of rows) titles again a section it goes on with."""
    return any(i.role == "label.title" and i.runs[-1].text in (CONTINUED, SHORT) for i in scene.items)


def one_mark(scene: Scene) -> Scene:
    """``scene`` with every section's title marked "(cont.)" where any is (where one did not fit its piece): a
    figure that marked one "Down (cont.)" and the next "Up (continued)" read as if the two meant different things.
    The shorter mark only narrows a title, which stays where it was.

    >>> from ncd_render.text import set_label
    >>> label = set_label("Up", "DejaVu Sans", 7)
    >>> title = Text(4, 9, label.runs, "DejaVu Sans", "#333", label.width, label.ascent, label.descent, "label.title")
    >>> wide, narrow = (continued_title(Rect(0, 0, w, 40, None, "#eee", role="section"), title, []) for w in (90, 50))
    >>> ["".join(r.text for r in t.runs) for t in one_mark(Scene(100, 100, [wide, narrow])).items]
    ['Up (cont.)', 'Up (cont.)']
    """
    if not any(i.role == "label.title" and i.runs[-1].text.endswith(SHORT) for i in scene.items):  # (a strand's, :mod:`.strands`, in its one run)
        return scene
    items = []
    for i in scene.items:
        if i.role == "label.title" and i.runs[-1].text == CONTINUED:
            head, short = i.runs[-1].dx, set_label(SHORT, i.family, i.runs[-1].size)  # (the mark starts where the title ends)
            i = replaced(i, runs=i.runs[:-1] + tuple(replaced(r, dx=r.dx + head) for r in short.runs), width=head + short.width)
        items.append(i)
    return replaced(scene, items=items)


def titles_of(items: list) -> dict[int, Text]:
    """The id of each titled section's panel, and its title: the two that draw one section of one
    layout's items (:func:`ncd_render.layout.sections.draw_sections` marks both with the section); a title set on
    two lines, as one line at the first's place (a row going on with it titles it again on one line, cut to fit)."""
    lines: dict[int, list[Text]] = {}
    for i in items:
        if isinstance(i, Text) and i.role == "label.title" and i.section is not None:
            lines.setdefault(i.section, []).append(i)
    titles = {sid: first if not rest else _set(first, " ".join("".join(r.text for r in t.runs) for t in (first, *rest)))
              for sid, (first, *rest) in lines.items()}
    return {id(r): titles[r.section] for r in items if isinstance(r, Rect) and r.role == "section" and r.section in titles}


def continued_title(piece: Rect, title: Text, items: list) -> Text | None:
    """A section's title again, marked continued, at the top left of its ``piece`` in a row after the
    first: in the band the layout kept for the title; marked "(cont.)" where "(continued)" does not fit
    the piece, the title itself cut after a whole word where even that does not ("A rather long… (cont.)": a piece left
    untitled read as another section). None where nothing fits in the piece, or where it would touch anything
    drawn there (a nested panel's top, a wire, a label).

    >>> from ncd_render.text import set_label
    >>> label = set_label("Tower", "DejaVu Sans", 7)
    >>> title = Text(4, 9, label.runs, "DejaVu Sans", "#333", label.width, label.ascent, label.descent, "label.title")
    >>> [None if t is None else "".join(r.text for r in t.runs) for t in
    ...  (continued_title(Rect(0, 0, w, 40, None, "#eee", role="section"), title, []) for w in (90, 60, 20))]
    ['Tower (continued)', 'Tower (cont.)', None]
    >>> label = set_label("A rather long title", "DejaVu Sans", 7)
    >>> title = Text(4, 9, label.runs, "DejaVu Sans", "#333", label.width, label.ascent, label.descent, "label.title")
    >>> "".join(r.text for r in continued_title(Rect(0, 0, 90, 40, None, "#eee", role="section"), title, []).runs)
    'A rather long… (cont.)'
    """
    words = "".join(r.text for r in title.runs)
    for mark in (CONTINUED, SHORT):  # a strand titled as its section goes on ("Attention (cont.)", :mod:`.strands`) is
        if words.endswith(mark):  # marked once, not "Attention (cont.) (cont.)"
            title, words = _set(title, words[:-len(mark)]), words[:-len(mark)]
    ends = sorted({m.start() for m in re.finditer(r"[\s-]", words) if m.start() > 0}, reverse=True)  # after whole words
    shortened = (_set(title, words[:k].rstrip(" ,;:-") + "…") for k in ends)
    for head, mark in [(title, CONTINUED), (title, SHORT)] + [(cut, SHORT) for cut in shortened]:
        more = set_label(mark, title.family, title.runs[0].size)  # upright, as a note, after a bold title too
        text = replaced(head, x=piece.x + 4.0, runs=head.runs + tuple(replaced(r, dx=r.dx + head.width) for r in more.runs),
                        width=head.width + more.width, ascent=max(head.ascent, more.ascent), descent=max(head.descent, more.descent))
        if text.bbox[2] + 4.0 <= piece.x + piece.w:
            return text if _clear(text, piece, items) else None
    return None


def _set(title: Text, words: str) -> Text:
    """``title`` set again as ``words`` (a shortened title), in its font, size and weight."""
    label = set_label(words, title.family, title.runs[0].size, bold=title.runs[0].bold, plain=True)
    return replaced(title, runs=label.runs, width=label.width, ascent=label.ascent, descent=label.descent)


def _clear(text: Text, piece: Rect, items: list) -> bool:
    """Whether ``text`` touches nothing drawn among ``items`` but its own panel or one around it: a nested section's
    panel, in front of its own, is in the way (an outer section's title set on the inner panel read as the inner's)."""
    x0, y0, x1, y1 = text.bbox
    for i in items:
        if i is piece or (isinstance(i, Rect) and i.role == "section" and i.x <= piece.x and piece.x + piece.w <= i.x + i.w
                          and i.y <= piece.y and piece.y + piece.h <= i.y + i.h):
            continue  # its own panel, or one around it
        bx0, by0, bx1, by1 = i.bbox
        if bx0 < x1 + 1 and x0 - 1 < bx1 and by0 < y1 + 1 and y0 - 1 < by1:
            return False
    return True
