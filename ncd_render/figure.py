"""A checked diagram and how it is drawn: laid out, fitted to a width, rendered to a format.

:mod:`ncd_render.api` (``ncd_render.load``, ``load_text``) makes these, and adds the browser
view as a figure's rich display in Jupyter; the browser view (:mod:`ncd_render.serve`) draws
with them.

>>> from ncd_render.ir import build
>>> from ncd_render.parse import parse
>>> fig = Figure(build(parse("axis m = 4\\ninput X[m]\\nY = relu(X)\\noutput Y\\n")))
>>> fig.svg().startswith(b"<?xml")
True
>>> "<svg" in fig._repr_svg_()
True
>>> fig
<Figure 'untitled' from '<string>': 1 axes, 1 boxes; theme 'paper', layout 'paper'>
"""
from __future__ import annotations

import gc
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from . import ops, remedy
from .errors import NcdError, did_you_mean
from .ir import Diagram
from .layout import layout
from .output import check_writable, write_atomic
from .render import format_of, render_bytes
from .scene import Scene
from .sizing import PAGE_TEXT, fit_to, points, scale_fonts, tall_warning
from .style import load_preset, load_theme

if TYPE_CHECKING:
    from .cost import Report


@contextmanager
def paused_gc():
    """Pause the cyclic garbage collector inside; reference counting still frees memory.

    Parsing, building, laying out and drawing make hundreds of long-lived objects per box
    and no reference cycles, and every full collection walks all of them: at 10,000 boxes
    that doubled the time (bench/bench_render.py). What survives the pause is then moved to
    the oldest generation (``gc.freeze`` and ``gc.unfreeze``): left in the youngest, it was all
    walked by the first collection after the pause, 8% of a 10,000-box render. Cycles made
    meanwhile are collected with the oldest generation, at the next full collection.
    """
    if not gc.isenabled():  # already paused, by a caller or by the user
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.unfreeze()
        gc.enable()


@dataclass(repr=False)
class Figure:
    """A checked diagram ready to draw; shows itself in Jupyter as its SVG."""

    diagram: Diagram
    theme: str = "paper"
    layout: str = "paper"
    width: str | float | None = None  # target width ("3.25in", or points); None: the preset's, else natural
    wrap: bool = False  # cut a figure wider than the target into strips stacked top to bottom (ncd_render.wrap)
    caption_room: float = 0.0  # points of the layout's page height kept free under the figure (ncd latex: its caption's)
    page_height: str | float | None = None  # with rows: the most the figure may stand ("550pt"); None: the layout's

    def scene(self, theme: str | None = None, layout_preset: str | None = None, width: str | float | None = None,
              cost: Report | None = None) -> Scene:
        """Lay out at the theme's font sizes, then fit to the target width (see ncd_render.sizing).
        ``cost``, a report of ``ncd_render.cost.analyse`` on this diagram, adds its badges."""
        preset = load_preset(layout_preset or self.layout)
        chosen = scale_fonts(load_theme(theme or self.theme), preset.font_scale)
        target = width or self.width or preset.width
        if self.page_height is not None and preset.rows:
            preset = replace(preset, page_height=self.page_height)
        if preset.rows and (self.wrap or preset.wrap):
            asked = "--wrap" if self.wrap else f"layout '{preset.name}' sets wrap = true, which"
            raise NcdError(f"{asked} cuts a figure into strips at arbitrary points, but layout '{preset.name}' already "
                           "breaks it into rows at its sections and repeats (rows = true)",
                           hint=f"drop --wrap (layout '{preset.name}' fits the page by itself), or use --wrap with --layout paper")
        with paused_gc():
            if preset.rows and target is not None:
                return self._page(chosen, preset, target, cost, asked=(width or self.width) is not None)
            scene = layout(self.diagram, chosen, preset, explicit=cost is not None)  # a badge for each kernel: ★ and its map apart
            if cost is not None:
                from .cost.annotate import annotate

                scene = annotate(scene, self.diagram, cost, chosen)
            if self.wrap or preset.wrap:  # at the target width, else at a page's text width
                from .page.rows import ROW_GAP, row_scenes
                from .wrap import stack_rows

                strip = PAGE_TEXT if target is None else points(target)
                strips = row_scenes(scene, strip, preset.label_pad)
                stacked = stack_rows([row.items for row in strips], scene, ROW_GAP)
                fitted = fit_to(stacked, target, preset.height or self._taller(stacked, target), chosen.font.axis_size,
                                remedy.plain(self.diagram, wrapped=True), f"wrapped into {len(strips)} strips at full size")
                tall = (tall_warning(fitted, len(strips), remedy.collapsible(self.diagram))
                        if preset.height is None and self.page_height is None else None)
                if tall is not None:
                    warnings.warn(tall, stacklevel=2)
                return fitted
            return fit_to(scene, target, preset.height or self._taller(scene, target), chosen.font.axis_size,
                          remedy.plain(self.diagram, wrapped=False))

    def _taller(self, scene: Scene, target: str | float | None) -> float | None:
        """:attr:`page_height` in points where ``scene``, fitted to the ``target`` width, would stand taller (it is then
        shrunk to it, with a warning), else None (no canvas taller than the figure)."""
        if self.page_height is None:
            return None
        most, width = points(self.page_height, "the height") - self.caption_room, points(target)
        return most if scene.height * min(1.0, (width or scene.width) / scene.width) > most + 1e-6 else None

    def _page(self, theme, preset, target, cost: Report | None = None, asked: bool = False) -> Scene:
        """Rows at semantic boundaries, then collapsed components with their definitions (ncd_render.page),
        ``cost`` as a table set with them; shrunk, with a SizeWarning, only when neither fits the page.
        ``asked``: the width was given, not the layout's (then the page layout would not widen it)."""
        width = points(target)
        height = points(preset.page_height, "the page height") - self.caption_room if preset.page_height else None
        extra = []
        if cost is not None:
            from .page.costs import cost_table

            extra = cost_table(self.diagram, cost, theme)
        scene, said = _page_scene(self.diagram, theme, preset, width, height, extra)
        wrap = replace(preset, title_wrap=True)
        if _scale(scene, width, height) < 1.0 and _wraps(self.diagram, theme, wrap):  # it shrinks: its long section titles on
            # two lines, where that shrinks it less (MHA's column, 88%, fits at full size)
            wrapped, told = _page_scene(self.diagram, theme, wrap, width, height, extra)
            if _scale(wrapped, width, height) > _scale(scene, width, height) + 0.005:
                scene, said = wrapped, told
        for w in said:  # (the warnings of the page chosen)
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        scene.title = self.diagram.title  # (a page of parts took its first block's: none, and TikZ's header lost it)
        # the page's height is the canvas's only where it binds: a figure that shrinks to fit the width
        # keeps its own shape, rather than standing in the middle of a page-tall canvas
        too_tall = height is not None and scene.height * min(1.0, width / scene.width) > height
        wider_page = not asked and preset.name != "page" and width < PAGE_TEXT - 0.5  # (the page layout: 6.5in)
        return fit_to(scene, width, preset.height or (height if too_tall else None), theme.font.axis_size,
                      remedy.in_rows(wider_page, taller=preset.height is None), "set in rows at full size",
                      tried="rows, collapsed components and definitions did not fit it")

    def svg(self, theme: str | None = None, layout: str | None = None, width: str | float | None = None,
            cost: Report | None = None, **unknown) -> bytes:
        """The figure as SVG; the options as :meth:`render`'s."""
        _refuse(unknown, "svg", SVG_OPTIONS)
        with paused_gc():
            return render_bytes(self.scene(theme, layout, width, cost), "svg")

    def render(self, path: str | Path, theme: str | None = None, layout: str | None = None,
               width: str | float | None = None, cost: Report | None = None, dpi: float = 300, **unknown) -> Path:
        """Draw to ``path`` (.svg, .pdf, .png, .tikz); the file appears only if everything worked. ``theme``,
        ``layout`` and ``width`` replace the figure's own for this drawing; ``dpi``: a PNG's resolution."""
        _refuse(unknown, "render", RENDER_OPTIONS)
        format_of(path)
        check_writable(path)
        return self.write(self.scene(theme, layout, width, cost), path, dpi=dpi)

    def write(self, scene: Scene, path: str | Path, **options) -> Path:
        """Draw ``scene``, this figure's (:meth:`scene`), to ``path``; the file appears only if everything worked."""
        fmt = format_of(path)
        check_writable(path)
        with paused_gc():
            data = render_bytes(scene, fmt, path, **options)
        write_atomic(path, data)
        return Path(path)

    def __repr__(self) -> str:
        """One short line, whatever the size of the source (the dataclass repr printed all of it)."""
        d = self.diagram
        boxes = sum(not ops.of(op).free for op in d.ops)
        return (f"<Figure {_short(d.title or 'untitled')} from {_short(d.source.source.path)}: {len(d.axes)} axes, "
                f"{boxes} boxes; theme {_short(self.theme)}, layout {_short(self.layout)}>")

    def _repr_svg_(self) -> str:
        return self.svg().decode("utf-8")


SVG_OPTIONS = ("theme", "layout", "width", "cost")
RENDER_OPTIONS = SVG_OPTIONS + ("dpi",)


class OptionError(NcdError, TypeError):
    """A keyword a figure's method does not take: a TypeError, as Python's own, said as ncd's errors are."""


def _refuse(unknown: dict, method: str, valid: tuple[str, ...]) -> None:
    """An :class:`OptionError` for the first of ``unknown`` (a keyword silently dropped drew the default)."""
    if unknown:
        name = next(iter(unknown))
        close = did_you_mean(name, valid)
        raise OptionError(f"Figure.{method}() takes no option '{name}'" + (f"; {close}" if close else ""),
                          hint=f"its options: {', '.join(valid)} (a layout is named layout=, as in load() and render())")


def _short(value, limit: int = 60) -> str:
    text = str(value)
    return repr(text if len(text) <= limit else text[:limit - 3] + "...")


RETRY_OPS = 40  # the most ops of a figure whose shrinking page is laid out again with its long titles on two lines


def _page_scene(diagram: Diagram, theme, preset, width: float, height: float | None, extra) -> tuple[Scene, list]:
    """:func:`.page.compose.page_scene`'s scene and the warnings it gave, held back until one page is chosen."""
    from .page.compose import page_scene

    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        scene = page_scene(diagram, theme, preset, width, height, extra)
    return scene, said


def _wraps(diagram: Diagram, theme, preset) -> bool:
    """Whether ``preset`` (with ``title_wrap``) sets a section title of ``diagram`` on two lines, in a figure of at most
    RETRY_OPS ops: its page is then laid out again (DeepSeek-V3's column took twice its 2 s for 3 points of scale)."""
    from .layout.model import Style
    from .layout.sections import title_lines

    if len(diagram.ops) > RETRY_OPS:
        return False
    style = Style(diagram, theme, preset)
    return any(len(title_lines(style, sid)) > 1 for sid in diagram.sections)


def _scale(scene: Scene, width: float, height: float | None) -> float:
    """How much ``scene`` shrinks to fit ``width`` x ``height`` points (1: not at all)."""
    return min(1.0, width / scene.width, height / scene.height if height else 1.0)
