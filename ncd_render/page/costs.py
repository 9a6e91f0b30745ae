"""Cost figures on a page (``--annotate-cost --layout page``): a table set beside or below the figure.

Badges beside every box need room the page does not have (the transformer's grew its
strip until it shrank to 26 %); on a page each kernel is one line of a table instead,
in the colour of its bound, named as ``ncd cost`` names it (a component call by its
component: ``Attention (A) ×6``). The table comes in blocks of at most 16 lines (or
fewer, ROWS), which :mod:`.compose` sets on the page like definitions; the last ends with the colours' key.

>>> from ncd_render.api import load_text
>>> from ncd_render.cost import analyse, load_profile
>>> from ncd_render.style import load_theme
>>> fig = load_text("axis y = 4096\\naxis m = 4096\\ninput X[y m]\\nH = relu(X)\\noutput H\\n")
>>> [[["".join(r.text for r in t.runs) for t in block.by_role("label")] for block in option]
...  for option in cost_table(fig.diagram, analyse(fig.diagram, load_profile("a100-80gb"), "bf16"), load_theme("paper"))]
[[['Cost on A100 SXM4 80GB, bf16:', 'box', 'HBM bytes', 'FLOPs', 'time', 'elementwise1 (H)', '67 MB', '17 MF', '42 µs', 'memory-bound', 'compute-bound']]]
"""
from __future__ import annotations

from ..cost.model import Report
from ..cost.table import si
from ..ir import Diagram
from ..scene import Scene, Text
from ..style import Theme
from ..text import set_label

ROWS = (16, 12, 8, 6, 4)  # the most lines of the table in one block, in its ways to be set
SIZE = 1.0        # its text, relative to the axis labels (its subscripts as small as theirs, no smaller)
COLUMN_GAP = 8.0  # between its columns
LINE = 1.25       # line height, in its text size


def cost_table(diagram: Diagram, report: Report, theme: Theme) -> list[list[Scene]]:
    """The table of ``report``'s kernels (made from ``diagram``), in the ways it can be set: in
    blocks of at most 16 lines each, or 12, ... (short blocks fit beside the figure's rows);
    [] when no box runs a kernel."""
    lines = []
    for k in report.kernels:
        if k.bound not in ("memory", "compute"):
            continue
        color = theme.colors.memory_bound if k.bound == "memory" else theme.colors.compute_bound
        lines.append(((_name(diagram, k) + (f" ×{k.times}" if k.times > 1 else ""), si(k.hbm_bytes, "B", 2), si(k.flops, "F", 2),
                       si(k.time, "s", 2)), color, "label.cost"))
    if not lines:
        return []
    head = (("box", "HBM bytes", "FLOPs", "time"), theme.colors.text, "label.legend")
    key = [(("memory-bound", "compute-bound"), (theme.colors.memory_bound, theme.colors.compute_bound), "label.legend")]
    title = f"Cost on {report.profile.name}, {report.dtype}:"
    options, seen = [], set()
    for most in ROWS:
        parts = [lines[k:k + most] for k in range(0, len(lines), most)]
        if len(parts) in seen:
            continue
        seen.add(len(parts))
        options.append([_table([head] + part + (key if n == len(parts) - 1 else []), theme, title if n == 0 else "Cost (continued):")
                        for n, part in enumerate(parts)])
    return options


def _name(diagram: Diagram, kernel) -> str:
    """The kernel's name in ``ncd cost``'s table, a component call named by its component."""
    op = diagram.ops[kernel.ops[0]]
    if op.kind == "call" and len(kernel.ops) == 1:
        made = diagram.values[op.outputs[0]].name if op.outputs else ""
        return f"{op.params['block']} ({made})" if made else op.params["block"]
    return kernel.name


def _table(rows: list[tuple[tuple[str, ...], str | tuple[str, ...], str]], theme: Theme, title: str) -> Scene:
    """``rows`` of (cells, colour or a colour per cell, role) as a table under ``title``: the first column
    left-aligned, the figures right-aligned; a row of fewer cells (the key) is set left to right, as text."""
    f = theme.font
    size = f.axis_size * SIZE
    labels = [[set_label(cell, f.family, size) for cell in cells] for cells, _, _ in rows]
    columns = len(labels[0])
    widths = [max(row[c].width for row in labels if len(row) == columns) for c in range(columns)]
    head = set_label(title, f.family, f.box_size, True)
    items = [Text(0, head.ascent, head.runs, f.family, theme.colors.text, head.width, head.ascent, head.descent, "label.definition")]
    y = head.ascent + head.descent
    for (cells, colors, role), row in zip(rows, labels):
        x, y = 0.0, y + size * LINE
        for c, (cell, label) in enumerate(zip(cells, row)):
            color = colors if isinstance(colors, str) else colors[c]
            left = x if c == 0 or len(row) < columns else x + widths[c] - label.width
            items.append(Text(left, y, label.runs, f.family, color, label.width, label.ascent, label.descent, role))
            x = left + label.width + COLUMN_GAP if len(row) < columns else x + widths[c] + COLUMN_GAP
    width = max([sum(widths) + COLUMN_GAP * (columns - 1)] + [i.bbox[2] for i in items])
    return Scene(width, y + size * 0.3, items)
