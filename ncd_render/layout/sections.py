"""Sections: rounded panels behind their columns, wide enough for their titles; a
repeated block between large brackets, a fused one (one kernel) with a dashed border.

>>> from ncd_render.api import load_text
>>> from ncd_render.style import load_theme, load_preset
>>> from ncd_render.layout.model import Style
>>> d = load_text('axis m = 4\\ninput X[m]\\nrepeat 2 "Block"\\n  X = relu(X)\\nend\\noutput X\\n').diagram
>>> style = Style(d, load_theme("paper"), load_preset("paper"))
>>> "".join(run.text for run in section_title(style, 0).runs)
'Block ×2'
"""
from __future__ import annotations

from ..scene import Path, Rect, Stroke
from ..sizing import points
from .model import Column, ColumnX, Style

BRACKET_INSET = 6.0  # from a repeated block's panel edge to its bracket's ends (the bracket bows out 5 pt)
BRACKET_ROOM = 6.0  # between a repeated block's bracket and the boxes and copies inside it
TITLE_LEAD = 1.2  # a two-line title's baseline to baseline, in its lines' height
TITLE_WRAP = 0.4  # in a layout of rows, a section's title wider than this share of the page's width takes two lines


def bracket_room(style: Style, sid: int) -> float:
    """The room a section's bracket takes, besides the panel's padding, between its edge and the boxes,
    copies and labels inside it: a repeated block's (wider with a thin padding), none for a plain section."""
    if style.diagram.sections[sid].kind != "repeat":
        return 0.0
    return BRACKET_ROOM + max(0.0, BRACKET_INSET - style.preset.section_pad)


def section_title(style: Style, sid: int):
    """A section's title on one line (a repeat's ``×6`` and a fused section's ``· one kernel`` after it)."""
    section = style.diagram.sections[sid]
    return style.text((section.title + _suffix(section)).strip(), style.theme.font.title_size, bold=section.kind == "repeat",
                      plain=True)


def _suffix(section) -> str:
    return " · one kernel" if section.fused else f" ×{section.times}" if section.kind == "repeat" else ""


def title_lines(style: Style, sid: int) -> list:
    """A section's title as set: on one line, or, where the layout asks (``title_wrap``: a page whose figure would
    shrink less so, :meth:`ncd_render.figure.Figure._page`) and it is wider than TITLE_WRAP of the page, on two, split
    between words where the longer line is shortest. A row is cut only past a title's end: "Attention, broadcast
    over heads" kept MHA's first row too wide for a column, and the figure shrank to 88%. [] for an untitled section."""
    one = section_title(style, sid)
    section, p = style.diagram.sections[sid], style.preset
    words = section.title.split()
    if not one.runs or not p.title_wrap or not p.width or len(words) < 2 or one.width <= TITLE_WRAP * points(p.width):
        return [one] if one.runs else []
    size, bold = style.theme.font.title_size, section.kind == "repeat"
    splits = ([style.text(" ".join(words[:k]), size, bold=bold, plain=True),
               style.text(" ".join(words[k:]) + _suffix(section), size, bold=bold, plain=True)] for k in range(1, len(words)))
    return min(splits, key=lambda lines: max(line.width for line in lines))


def title_height(style: Style, sid: int) -> float:
    """How tall a section's title stands, from its first line's top to its last line's bottom (0 untitled)."""
    lines = title_lines(style, sid)
    if not lines:
        return 0.0
    return ((len(lines) - 1) * TITLE_LEAD + 1) * (lines[0].ascent + lines[0].descent)  # (a slide's larger titles too)


def title_room(style: Style, sid: int) -> float:
    """How far past its first column a section reaches so its title fits inside it."""
    bracket = 10 if style.diagram.sections[sid].kind == "repeat" else 0  # clear of the closing bracket
    return title_indent(style, sid) + max((line.width for line in title_lines(style, sid)), default=0.0) + bracket + 6


def section_extents(style: Style, columns: list[Column], xs: list[ColumnX]) -> dict[int, tuple[float, float]]:
    """Each section's panel from left to right, outermost first: over its columns and its nested
    sections', and wide enough for its title."""
    d, p = style.diagram, style.preset
    spans: dict[int, list] = {}
    behind: dict[int, float] = {}  # how far what stands behind its last column's boxes reaches past them (a deck)
    for column, at in zip(columns, xs):
        reach = max((style.behind.get(placed.op.id, 0.0) for placed in column.ops), default=0.0)
        for sid in column.sections_of(d):
            spans.setdefault(sid, []).append(at)
            behind[sid] = reach
    extents, nested = {}, {}
    for s in spans:  # (each section's children found once: asked per section, 8,192 nested calls took minutes)
        nested.setdefault(d.sections[s].parent, []).append(s)
    for sid in sorted(spans, key=lambda s: d.sections[s].depth):
        cols = spans[sid]
        x0 = cols[0].start + _inside_brackets(style, spans, sid) - p.section_pad
        x1 = cols[-1].x1 + max(cols[-1].label_room, behind[sid]) + p.section_pad + bracket_room(style, sid)
        for s in nested.get(sid, ()):
            x0 = min(x0, spans[s][0].start + _inside_brackets(style, spans, s) - p.section_pad * 2)
            x1 = max(x1, spans[s][-1].x1 + spans[s][-1].label_room + p.section_pad * 2 + bracket_room(style, s))
        extents[sid] = (x0, max(x1, x0 + title_room(style, sid)))
    return extents


def _inside_brackets(style: Style, spans: dict, sid: int) -> float:
    """The room taken by the brackets of the repeated blocks around section ``sid`` that open at its first
    column (``spans``: each section's columns): its panel starts past them, not over them (a panel nested
    at a repeat's start was drawn over the repeat's opening bracket, which showed through it faded)."""
    room, parent = 0.0, style.diagram.sections[sid].parent
    while parent is not None and parent in spans and spans[parent][0] is spans[sid][0]:
        if style.diagram.sections[parent].kind == "repeat":  # (2 pt clear of it, however thick the padding)
            room += max(bracket_room(style, parent), BRACKET_INSET + 2.0)
        parent = style.diagram.sections[parent].parent
    return room


def under_titles(style: Style, columns: list[Column], xs: list[ColumnX]) -> frozenset[tuple[int, int]]:
    """(section, a section nested in it) where the nested one's panel starts under the other's title:
    there it must start below the title (:func:`.heights.heights`), not level with it."""
    d, extents = style.diagram, section_extents(style, columns, xs)
    found = set()
    for sid, (x0, _) in extents.items():
        parent = d.sections[sid].parent
        if parent is None or parent not in extents:
            continue
        lines = title_lines(style, parent)
        if lines and x0 < extents[parent][0] + title_indent(style, parent) + max(line.width for line in lines) + 2:
            found.add((parent, sid))
    return frozenset(found)


def title_indent(style: Style, sid: int) -> float:
    """How far in from its panel's left edge a section's title starts (past a repeat's bracket)."""
    return 10 if style.diagram.sections[sid].kind == "repeat" else 4


def draw_sections(style: Style, columns: list[Column], xs: list[ColumnX], edges: dict, out: list) -> None:
    """Each section's panel (and brackets and title) into ``out``, outermost first; ``edges``: section -> its (top, bottom)."""
    d, c = style.diagram, style.theme.colors
    for sid, (x0, x1) in section_extents(style, columns, xs).items():
        section = d.sections[sid]
        top, bottom = edges[sid]
        fill = c.sections[section.colour % len(c.sections)]
        # a fused section is one kernel: a dashed border says its inside stays on chip
        border = Stroke(c.box_stroke, style.theme.strokes.separator, style.theme.strokes.dash) if section.fused else None
        out.append(Rect(x0, top, x1 - x0, bottom - top, border, fill, radius=4.0, role="section", opacity=c.section_opacity, section=sid))
        if section.kind == "repeat":  # a repeated block sits between the paper's large round brackets
            ink = Stroke(c.text, style.theme.strokes.learned_box * 1.3)
            bow = 0.25 * (bottom - top)
            for end, bulge in ((x0 + BRACKET_INSET, -5.0), (x1 - BRACKET_INSET, 5.0)):
                out.append(Path((("M", end, top + 2.5), ("C", end + bulge, top + 2.5 + bow, end + bulge, bottom - 2.5 - bow, end, bottom - 2.5)),
                                ink, None, role="bracket"))
        for k, line in enumerate(title_lines(style, sid)):  # (a section's part after the first, on a page, is untitled)
            baseline = top + 2 + line.ascent + k * TITLE_LEAD * (line.ascent + line.descent)
            out.append(style.placed_text(line, x0 + title_indent(style, sid), baseline, "label.title", c.title, section=sid))
