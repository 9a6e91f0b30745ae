"""A legend of sizes: every axis the figure draws with its size, derived axes with their rule.

The paper's UNet figure carries such a box (``x̄ᵢ = 512 · 2^(1−i)``, ``y = 2``): the
wires are named by letters, so the reader needs one place that says what each
letter stands for. Entries read ``m = 512`` and, for an axis declared from
others, ``k = m / h = 64``; width axes keep their overline.

>>> from ncd_render.api import load_text
>>> from ncd_render.style import load_theme
>>> d = load_text("axis m = 512\\naxis h = 8\\naxis k = m / h\\ninput X[k]\\nY = relu(X)\\noutput Y\\n").diagram
>>> entries(d)
[('m', '= 512', False), ('h', '= 8', False), ('k', '= m / h = 64', False)]
>>> entries(load_text("axis m = 8\\naxis f = 4 * m\\ninput X[f]\\noutput X\\n").diagram)[1]
('f', '= 4 · m = 32', False)
>>> box = legend(d, load_theme("paper"), 468)
>>> box.width <= 468, [i.role for i in box.items][:2]
(True, ['legend', 'label.title'])
>>> keys = legend(load_text("axis y = 8 width\\naxis x = y width\\ninput X[x]\\noutput X\\n").diagram, load_theme("paper"), 468)
>>> [("".join(r.text for r in t.runs), t.overline) for t in keys.items if t.role == "label.legend"]  # ȳ overlined in x̄'s rule too
[('y', True), ('= 8', False), ('x', True), ('=', False), ('y', True), ('= 8', False)]
"""
from __future__ import annotations

import math

from ..ir import Diagram
from ..layout.compact import compact
from ..parse import AxisDecl, SizeInt, SizeRef
from ..scene import Line, Rect, Scene, Stroke, Text
from ..style import Theme
from ..syntax import size_names
from ..text import indexed, overline_bar, set_label

PAD = 6.0        # inside the legend's box
COLUMN_GAP = 14.0
LINE = 1.35      # line height, in label sizes
SPACE = 3.0      # between an axis and its "= size"


def entries(diagram: Diagram) -> list[tuple[str, str, bool]]:
    """(axis name, "= size" or "= rule = size", overlined) for each declared axis the diagram draws (a convolution
    drawn as one ★ box draws no kernel axes), then each tandem group, as the pair of axes its bold name stands for.

    >>> from ncd_render.api import load_text
    >>> entries(load_text("axis h = 4 width\\naxis w = 5 width\\ntandem x = h w\\ninput X[h w]\\noutput X\\n").diagram)[2]
    ('x', '= h × w = 4 × 5', True)
    """
    drawn = compact(diagram)
    used = {p for v in drawn.values.values() for a in v.axes for p in (a, *(diagram.axes[a].parts if a in diagram.axes else ()))}  # ((a i): a, i)
    declared = [s for s in diagram.source.statements if isinstance(s, AxisDecl)]
    for s in reversed(declared):  # an axis a used one is declared from is listed too
        if s.name in used and s.size is not None:
            used.update(size_names(s.size))
    out = []
    for s in declared:
        if s.name not in used or s.name not in diagram.axes:
            continue
        size = diagram.axes[s.name].size
        rule = None if s.size is None or isinstance(s.size, SizeInt) else _rule(s.size)
        text = "= " + (f"{rule} = " if rule else "") + (str(size) if size is not None else "?")
        out.append((indexed(s.name), text, diagram.axes[s.name].width))
    groups: dict[str, list[str]] = {}
    for axis, group in diagram.tandems.items():
        if axis in used:
            groups.setdefault(group, []).append(axis)
    for group, axes in groups.items():
        sizes = [diagram.axes[a].size for a in axes]
        text = "= " + " × ".join(indexed(a) for a in axes) + " = " + " × ".join("?" if n is None else str(n) for n in sizes)
        out.append((indexed(group), text, all(diagram.axes[a].width for a in axes)))
    return out


SIGNS = {"*": "·"}  # a product in a size's rule reads m₆ = 6 · m, as the paper writes it, not the file's 6 * m


def _rule(expr) -> str:
    if isinstance(expr, SizeInt):
        return str(expr.value)
    if isinstance(expr, SizeRef):
        return indexed(expr.name)
    return f"{_rule(expr.left)} {SIGNS.get(expr.op, expr.op)} {_rule(expr.right)}"


def legend(diagram: Diagram, theme: Theme, width: float) -> Scene | None:
    """The legend as a scene at most ``width`` wide (entries in as many columns as fit); None without axes."""
    rows = entries(diagram)
    if not rows:
        return None
    f, ink = theme.font, theme.colors.text
    title = set_label("Sizes", f.family, f.title_size, True)
    widths = {indexed(name) for name, axis in diagram.axes.items() if axis.width}  # overlined in a rule too: x̄ = ȳ = 1024
    equals = set_label("=", f.family, f.axis_size, math=f.math).width
    gap = set_label("= =", f.family, f.axis_size, math=f.math).width - 2 * equals  # a space, between a rule's words
    cells = []
    tandems = {indexed(group) for group in diagram.tandems.values()}  # bold, as the figure names them
    for name, text, overlined in rows:
        axis = set_label(name, f.family, f.axis_size, name in tandems, math=f.math)
        pieces: list[list] = []  # the rule's words in runs, each width axis a run of its own (it takes its overline)
        for word in text.split(" "):
            if word in widths or not pieces or pieces[-1][1]:
                pieces.append([word, word in widths])
            else:
                pieces[-1][0] += " " + word
        rest = [(set_label(piece, f.family, f.axis_size, math=f.math), bar) for piece, bar in pieces]
        cells.append((axis, rest, overlined, axis.width + SPACE + sum(w.width for w, _ in rest) + gap * (len(rest) - 1)))
    cell_w = max(c[3] for c in cells) + COLUMN_GAP
    columns = max(1, min(len(cells), int((width - 2 * PAD + COLUMN_GAP) // cell_w)))
    lines = math.ceil(len(cells) / columns)
    step = f.axis_size * LINE
    top = PAD + title.ascent + title.descent + 4
    w = min(width, 2 * PAD + columns * cell_w - COLUMN_GAP)
    h = top + lines * step + PAD - (step - f.axis_size)
    items = [Rect(0, 0, w, h, None, theme.colors.sections[-1], radius=3.0, role="legend", opacity=theme.colors.section_opacity),
             Text(PAD, PAD + title.ascent, title.runs, f.family, ink, title.width, title.ascent, title.descent, "label.title")]
    for k, (axis, rest, overlined, _) in enumerate(cells):
        x = PAD + (k // lines) * cell_w
        base = top + (k % lines) * step + axis.ascent
        words = [(axis, overlined, x)]
        x += axis.width + SPACE
        for word, bar in rest:
            words.append((word, bar, x))
            x += word.width + gap
        for word, bar, at in words:
            items.append(Text(at, base, word.runs, f.family, ink, word.width, word.ascent, word.descent, "label.legend", overline=bar))
            if bar:
                x0, dy, x1 = overline_bar(word, f.family)
                items.append(Line(at + x0, base + dy, at + x1, base + dy, Stroke(ink, 0.6), role="label.overline"))
    return Scene(w, h, items)
