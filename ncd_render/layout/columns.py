"""Stage 3, columns: x positions, left to right.

Each gap is wide enough for the labels of the wires that start there and for its copies,
deletes, saves and loads; sections add their padding where they open and close and
reach far enough for their titles; each column is as wide as its widest box, the
others centred in it. A pure function of the order, the heights and the boxes' labels.

>>> from ncd_render.api import load_text
>>> from ncd_render.style import load_theme, load_preset
>>> from ncd_render.layout.model import Style
>>> from ncd_render.layout.order import order
>>> from ncd_render.layout.heights import heights
>>> from ncd_render.layout.glyphs import box_labels
>>> d = load_text("axis m = 4\\ninput X[m]\\nY = relu(X)\\nZ = relu(Y)\\noutput Z\\n").diagram
>>> style, ordered = Style(d, load_theme("paper"), load_preset("paper")), order(d)
>>> labels = box_labels(style, ordered)
>>> laid = place_columns(style, ordered, heights(style, ordered, labels), labels)
>>> [at.x0 < at.x1 for at in laid.columns], laid.columns[0].x1 < laid.columns[1].x0 < laid.x_end
([True, True], True)
"""
from __future__ import annotations

from .gaps import entry_blocked, gap_ops_width, label_room, measure_gap
from .glyphs import box_of
from .heights import Heights
from .model import CONTINUE_ARROW, Box, Columns, ColumnX, Ordered, Style, entry_room
from .sections import bracket_room, title_height, title_room


def name_label(style: Style, value: int):
    """A tensor's name, as written left of the inputs and right of the outputs."""
    return style.text(style.diagram.values[value].name, style.theme.font.name_size)


def place_columns(style: Style, ordered: Ordered, heights: Heights, labels: dict) -> Columns:
    """Where every column, box and gap stands. ``labels``: op id -> its box's label."""
    d, p, y = style.diagram, style.preset, heights.y

    def gap_width(room: float, ops_width: float) -> float:
        """Room for the labels of the wires that start here (``room``), and for the gap's copies (``ops_width``, 0 if none)."""
        return max(p.column_gap, room) + (ops_width + p.column_gap / 2 if ops_width else 0)

    names = [name_label(style, v) for v in d.inputs]
    x = x_start = max((n.width for n in names), default=0) + (p.label_pad * 2 if names else 0)
    room = label_room(style, ordered.wires, ordered.input_wires)  # how far the labels that go in the next gap reach
    if style.part and ordered.columns and entry_blocked(style, ordered, y):  # a page's part sets its inputs' labels past
        room += entry_room(p) - p.label_pad  # the arrowheads it draws there, where a box at their height does not stop them
    section_open: list[int] = []
    first_x: dict[int, float] = {}  # where each section's first column starts
    placed_columns, boxes = [], {}
    for column, path in zip(ordered.columns, open_sections(d, ordered.columns)):
        gap_ops = measure_gap(style, ordered.wires, column.pre, y) if column.pre else ()
        ops_width = gap_ops_width(gap_ops) if gap_ops else 0.0
        gap = gap_width(room, ops_width)
        if path or section_open:
            opening = [sid for sid in path if sid not in section_open]
            closing = [sid for sid in section_open if sid not in path]
            # (parallel sections open and close side by side, one above the other: one padding for them all)
            x += gap + p.section_pad * (_deep(d, opening) + _deep(d, closing)) + sum(bracket_room(style, sid) for sid in closing)
            if closing:
                x += max([0.0] + [title_room(style, sid) - (x - first_x[sid]) for sid in closing])
        else:  # outside every section (the hot path of long figures)
            opening = closing = ()
            x += gap
        x_pre, opens_at = x, None
        if column.pre:
            x_pre = x - p.column_gap / 2 - ops_width - p.section_pad * _deep(d, opening)
            # copies and bends that cross the height of a title (of a section closing here, widened for its title, or of
            # one that goes on) start past the title's end
            titled = [*closing, *(sid for sid in path if sid in first_x and sid not in opening)]
            edge = max([x_pre] + [first_x[sid] + title_room(style, sid) for sid in titled if crosses_title(style, column, sid, heights.section[sid][0], y)])
            x, x_pre = x + edge - x_pre, edge
        brackets = sum(bracket_room(style, sid) for sid in opening)
        if column.pre and opening and owns_gap(d, opening, column.pre, closing):  # a section's own copies: inside its panel
            x += brackets
            x_pre = x - p.column_gap / 2 - ops_width
            opens_at = x_pre - brackets
        elif brackets:  # its first box, past its bracket
            opens_at = x
            x += brackets
        for sid in opening:
            first_x[sid] = x
        section_open = path
        if len(column.ops) == 1:  # one box: the column is as wide as it
            placed = column.ops[0]
            box = boxes[placed.op.id] = box_of(style, ordered.wires, placed, labels[placed.op.id], heights, x)
            width = box.width
            fresh = placed.new
        else:
            fresh = []  # wires whose labels go in the next gap
            measured = {placed.op.id: box_of(style, ordered.wires, placed, labels[placed.op.id], heights) for placed in column.ops}
            width = max(box.width for box in measured.values())
            for placed in column.ops:
                box = measured[placed.op.id]
                left = x + (width - box.width) / 2
                boxes[placed.op.id] = Box(box.label, left, left + box.width, box.width, box.route, box.entry)
                fresh.extend(placed.new)
        room = label_room(style, ordered.wires, fresh)
        placed_columns.append(ColumnX(x_pre, x, x + width, room, opens_at, gap_ops))
        x += width
    # a page's part: wires that end just past their labels go on 2 pt past them, then the arrowhead the page may draw
    # there (a label ends a pad and 1 pt short of its room: label_room)
    arrow_room = room - p.label_pad - 1 + 2 + CONTINUE_ARROW if style.part and room else 0.0
    if style.ending:  # a part's outputs that end the figure are labelled at their ends, as the figure's are: room for them
        # past the box they leave (a residual sum's m, 11 pt past its box, lost its label to the box's edge)
        room = max(room, label_room(style, ordered.wires, [w for w in ordered.final if d.values[ordered.wires[w].value].name in style.ending]) + 1)
    end_gap = gap_width(max(room, arrow_room), 0.0) + p.section_pad * _deep(d, section_open) + sum(bracket_room(style, sid) for sid in section_open)
    end_gap += max([0.0] + [title_room(style, sid) - (x + end_gap - first_x[sid]) for sid in section_open])
    final_x = x + end_gap
    final_gap = measure_gap(style, ordered.wires, ordered.final_gap, y)
    if final_gap:
        end_gap += gap_ops_width(final_gap) + p.column_gap / 2
    return Columns(placed_columns, boxes, x_start, final_x, x + end_gap, final_gap)


def open_sections(d, columns) -> list[tuple[int, ...]]:
    """The sections open at each column, outermost first: those its ops stand in, and a parallel section's from its
    first column to its last, though it has no op in some between (where the others have theirs: it closed there,
    and opened again, its title's room kept twice)."""
    paths = [column.sections_of(d) if column.section is not None else () for column in columns]
    if not d.stacks:
        return paths
    where: dict[int, list[int]] = {}
    for k, path in enumerate(paths):
        for sid in path:
            where.setdefault(sid, []).append(k)
    for sid, ks in where.items():
        for k in range(ks[0] + 1, ks[-1]):
            if sid not in paths[k]:
                paths[k] = tuple(sorted({*paths[k], *d.section_path(sid)}, key=lambda s: (d.sections[s].depth, s)))
    return paths


def _deep(d, sections) -> int:
    """How many panels deep ``sections`` stand: each one's padding, but parallel ones side by side share theirs."""
    return len({d.sections[sid].depth for sid in sections})


def owns_gap(d, opening: list[int], gap: list, closing=()) -> bool:
    """Whether the ops in a column's gap are the own ops of every section that opens at the column, and drawn
    inside its panel: a repeated block's, copies made in every repeat, inside its brackets, not before them; or
    another section's where none closes at the column (whose panel, wide for its title, the copies may stand
    under). A block's input read twice is copied inside its panel: drawn before it, the block read one tensor
    handed in twice (a page cut there handed it on twice).

    >>> from ncd_render.api import load_text
    >>> d = load_text('axis m = 4\\ninput X[m]\\nsection "S"\\n  A = relu(X)\\n  Y = A + X\\nend\\noutput Y\\n').diagram
    >>> owns_gap(d, [0], []), owns_gap(d, [0], [], closing=[1])
    (True, False)
    """
    if closing and not any(d.sections[sid].kind == "repeat" for sid in opening):
        return False
    return all(set(opening) <= set(d.section_path(getattr(placed.op, "copy", placed.op).section)) for placed in gap)


def crosses_title(style: Style, column, sid: int, top: float, y: list) -> bool:
    """Whether a copy or delete in ``column``'s gap reaches the height of section ``sid``'s title (its top at ``top``)."""
    bottom = top + 2 + title_height(style, sid)
    for placed in column.pre:
        ys = [y[w] for w in placed.consumed + placed.through + placed.new]
        if ys and min(ys) <= bottom and max(ys) >= top:
            return True
    return False
