r"""Figures for LaTeX papers: write the figure file and the snippet that includes it.

>>> print(snippet("mha.pdf", "Multi-head attention", 234.0, "fig:mha", height=384.0))
% needs \usepackage{graphicx}; the figure is 3.25in wide and 5.33in tall: include it unscaled, so its labels keep their size
% drawn for a 3.25in column; for a column of another width draw it at that width (--width 229.5pt for a stock
% two-column article; \showthe\columnwidth prints yours)
\begin{figure}[tbp]
  \centering
  \includegraphics{mha.pdf}
  \caption{Multi-head attention}
  \label{fig:mha}
\end{figure}
>>> print("\n".join(line for line in snippet("mha.tikz", None, 468.0, "fig:mha").splitlines() if "input" in line))
  \input{mha.tikz}
"""
from __future__ import annotations

import re
import textwrap
import warnings
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path, PurePath

from . import remedy
from .errors import NcdError
from .render import format_of, render_bytes
from .render.texchars import LostLetters
from .sizing import SizeWarning

FIGURE_FORMATS = ("pdf", "tikz", "png")
#: what a file name or label may hold to go into \\includegraphics, \\input or \\label unescaped
_TEX_SAFE = re.compile(r"[A-Za-z0-9_.+/:-]+")
#: wider than this (points, with a point's rounding) does not fit one column of a two-column paper (3.25in: ICML's,
#: NeurIPS' two-column workshops', the column layout's; 4in overflowed it by 38 pt): use figure*
COLUMN_WIDTH = 3.25 * 72 + 1.0
#: the columns of a stock ``\documentclass[twocolumn]{article}``, 229.5 pt: a figure wider is told how to fit them
ARTICLE_COLUMN = 229.5 + 0.5
#: a stock ``\documentclass{article}``'s text width, 345 TeX pt, and a two-column one's, 469 TeX pt (0.75 pt less than a
#: page's 6.5in), in points with a point's rounding: a figure wider is told how to fit them
ONE_COLUMN_TEXT = 345 * 72 / 72.27 + 0.5
TWO_COLUMN_TEXT = 469 * 72 / 72.27 + 0.5
#: of a layout's page height, what a figure leaves for its caption (three lines and the space above them)
CAPTION_ROOM = 0.5 * 72


def snippet(figure: str | PurePath, title: str | None, width: float, label: str, height: float | None = None,
            column: float = COLUMN_WIDTH, scaled: tuple = (), asked: bool = False) -> str:
    """The ``figure`` environment that includes ``figure`` (a .pdf/.png or a .tikz file) ``width`` by ``height`` points: a
    ``figure*`` where it is wider than the paper's ``column`` (points, the layout's 3.25in unless a column was asked);
    ``scaled``: where the figure was scaled down to fit, its labels smaller than its theme sets them, what keeps them at
    full size (:mod:`.remedy`: only what would change this figure); ``asked``: its width was
    asked for (``--width``), so it is not told how to fit a stock article's."""
    from .render.tikz import text_tex, unset_letters  # here, not above: every 'ncd render' imports this module for size_warnings

    path = check_tex_name(PurePath(figure).as_posix(), "the figure's file name", "rename it")
    check_tex_name(label, "the label", "e.g. fig:model")
    tikz = path.lower().endswith(".tikz")  # (as the format is told from it: fig.TIKZ is TikZ too)
    env = "figure*" if width > column else "figure"
    needs = r"\usepackage{tikz}" if tikz else r"\usepackage{graphicx}"
    include = rf"\input{{{path}}}" if tikz else rf"\includegraphics{{{path}}}"
    size = f"the figure is {width / 72:.2f}in wide" + (f" and {height / 72:.2f}in tall" if height else "")
    note = f"% needs {needs}; {size}: " + ("its labels take the document's fonts" if tikz  # (scaled: not their theme's size)
                                         else "include it unscaled" + ("" if scaled else ", so its labels keep their size"))
    if scaled:  # (the snippet said the labels kept their size under a figure shrunk to 59%)
        note += ("\n% it was scaled down to fit, so its labels print smaller than its theme sets them (the warning says how"
                 " small);\n% " + "\n% ".join(textwrap.wrap(f"{remedy.cli(scaled)} keeps them at full size", 116)))
    if tikz:  # (Computer Modern comes in steps from 5 pt: 3.1 pt labels were set at 5 pt, past their boxes)
        note += "\n% in Computer Modern, \\RequirePackage{fix-cm} before \\documentclass sets its labels at every size it asks for"
    if env == "figure*":
        note += "\n% figure* spans both columns of a two-column paper (the same as figure in a one-column one)"
    elif column == COLUMN_WIDTH and width > ARTICLE_COLUMN:  # (5 pt too wide for a stock article's column: Overfull \hbox)
        note += ("\n% drawn for a 3.25in column; for a column of another width draw it at that width (--width 229.5pt for a"
                 " stock\n% two-column article; \\showthe\\columnwidth prints yours)")
    if width > ONE_COLUMN_TEXT and not asked:  # (a stock one-column article took the README's figure 99 pt too wide)
        across = " and 469pt across two" if width > TWO_COLUMN_TEXT else ""
        note += (f"\n% it is wider than a stock article's text, 345pt in one column{across} (Overfull \\hbox): for a text"
                 " of another\n% width draw it at that width: --layout page --width 345pt --height 550pt for a stock"
                 " one-column article\n% (" + ("--width 469pt for a two-column one; " if across else "") +
                 "\\showthe\\textwidth and \\showthe\\textheight print yours)")
    caption = text_tex(title) if title else "% TODO: the diagram has no title; write a caption here"
    lost = unset_letters(title or "")
    if lost:  # (a PDF figure draws them; its caption printed '?' and nothing said so)
        warnings.warn(LostLetters(f"the caption cannot set {' '.join(lost)} (pdflatex's fonts lack them): they print as '?'; "
                                  "write them as TeX in the snippet"), stacklevel=2)
    return "\n".join([note, rf"\begin{{{env}}}[tbp]", r"  \centering", f"  {include}",
                      rf"  \caption{{{caption}}}" if title else "  \\caption{}  " + caption,
                      rf"  \label{{{label}}}", rf"\end{{{env}}}"])


def check_tex_name(text: str, what: str, hint: str) -> str:
    """``text`` if it can go into a TeX argument as it is (file names cannot be escaped there)."""
    if not _TEX_SAFE.fullmatch(text):
        raise NcdError(f"{what} '{text}' cannot go into LaTeX as it is: use only letters, digits and _ . + / : -", hint=hint)
    return text


def default_label(name: str) -> str:
    """``fig:NAME`` with every character \\label cannot take replaced by '-'.

    >>> default_label("my model (v2)")
    'fig:my-model--v2-'
    """
    return "fig:" + re.sub(r"[^A-Za-z0-9_.+/:-]", "-", name)


def draw_figure(figure, output: str | Path, theme=None, layout_preset=None, width=None, dpi: float = 300) -> tuple[bytes, float]:
    """``figure`` (an api.Figure) drawn for ``output``, not yet written (the caller writes it once its snippet is out:
    a stdout that failed left a figure behind, and an error); returns its bytes, its width and its height in points."""
    from .output import check_writable

    fmt = format_of(output)
    if fmt not in FIGURE_FORMATS:
        raise NcdError(f"'{output}' cannot go into a LaTeX document", hint="use a .pdf or .png file (\\includegraphics) or a .tikz file (\\input)")
    check_writable(output)
    scene = replace(figure, caption_room=CAPTION_ROOM).scene(theme, layout_preset, width)
    return render_bytes(scene, fmt, output, dpi=dpi), scene.width, scene.height


@contextmanager
def size_warnings(echo):
    """Pass every :class:`SizeWarning` (and TikZ's :class:`LostLetters`) raised inside to ``echo`` as one 'warning: ...'
    line; yields a list that then holds the remedies of those that shrank the figure (:mod:`.remedy`)."""
    said = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SizeWarning)
        yield said
    for w in caught:
        if issubclass(w.category, (SizeWarning, LostLetters)):
            echo(f"warning: {w.message}")
            if issubclass(w.category, SizeWarning) and w.message.remedies:  # (not the page's note on unnamed rows)
                said.append(w.message.remedies)
        else:
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)
