"""What keeps a figure that had to shrink at full size: the advice of its :class:`~ncd_render.sizing.SizeWarning` and of
``ncd latex``'s snippet, naming only what would change this figure.

Each remedy is (what the command line writes, the Python API's keyword or None). A figure set in rows has tried
every depth and refuses ``--wrap``; ``--depth 0`` changes only a diagram with a component drawn open; ``--layout
page`` widens only a figure drawn at a narrower layout's own width (MHA was told to use all three, and each gave the
same bytes).

>>> print(said(plain(None, wrapped=True)))
use --layout column or page (rows at its sections, components defined apart), a wider --width, or a layout with less spacing (from Python: layout='column' or 'page', width=)
>>> cli(in_rows(page=False, taller=True))
'a wider --width, a taller --height, or a layout with less spacing'
"""
from __future__ import annotations

LAYOUTS = ("--layout column or page (rows at its sections, components defined apart)", "layout='column' or 'page'")
WRAP = ("--wrap", "wrap=True")
DEPTH = ("--depth 0", "depth=0")
WIDER = ("a wider --width", "width=")
PAGE = ("--layout page (a page's 6.5in, figure* in a two-column paper)", "layout='page'")
TALLER = ("a taller --height", "height=")
SPACING = ("a layout with less spacing", None)


def plain(diagram, wrapped: bool) -> tuple:
    """For a figure drawn without rows (``wrapped``: already cut into strips); ``diagram``: None if not known."""
    return ((LAYOUTS,) + (() if wrapped else (WRAP,)) + ((DEPTH,) if diagram is not None and collapsible(diagram) else ())
            + (WIDER, SPACING))


def in_rows(page: bool, taller: bool) -> tuple:
    """For a figure set in rows: ``page``, the page layout would set it wider; ``taller``, a taller --height can
    give its rows more room (not where the layout fixes the canvas's height)."""
    return (WIDER,) + ((PAGE,) if page else ()) + ((TALLER,) if taller else ()) + (SPACING,)


def collapsible(diagram) -> bool:
    """Whether ``--depth 0`` draws ``diagram`` otherwise: a component call is drawn open in it (one whose body stores a
    tensor stays open at any depth)."""
    sections = diagram.sections
    keeps = set()  # the sections that hold a save, directly or in a section inside them
    for op in diagram.ops:
        sid = op.section if op.kind == "save" else None
        while sid is not None and sid not in keeps:
            keeps.add(sid)
            sid = sections[sid].parent if sid in sections else None
    return any(s.kind == "block" and s.id not in keeps for s in sections.values())


def cli(remedies) -> str:
    """The remedies as the command line says them: 'A, B, or C'."""
    words = [flag for flag, _ in remedies]
    return ", ".join(words[:-1]) + ", or " + words[-1] if len(words) > 1 else "".join(words)


def said(remedies) -> str:
    """The advice for both the command line and Python: 'use A, B, or C (from Python: a=, b=)'."""
    keywords = [keyword for _, keyword in remedies if keyword]
    return f"use {cli(remedies)}" + (f" (from Python: {', '.join(keywords)})" if keywords else "")
