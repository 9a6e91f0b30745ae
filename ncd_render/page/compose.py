"""Fit a diagram to a page at its theme's label size, the way the paper's figures do.

At each depth, from the diagram as written to components collapsed one level
deeper each time (``--depth``, each collapsed component's definition after the
overview, "Name =" above its body), three tiers are tried, the first that fits wins:

1. the figure as it is, broken into rows at semantic boundaries (:mod:`.rows`);
2. its top-level parts laid out one by one (:mod:`.flow`), their rows set in shelves;
3. every piece (the figure, its parts, each definition) cut into rows at the page's
   width or a fraction of it, the blocks set in shelves or newspaper columns
   (:mod:`.arrange`): of the arrangements that fit, the one with the least area.

Only when nothing fits is the most compact attempt shrunk: the pieces set in shelves or
columns on a page 1.2 to 2 times as large, the arrangement that shrinks least; the last
resort, which :func:`ncd_render.sizing.fit_to` announces with a warning.

>>> from ncd_render.api import load_text
>>> from ncd_render.style import load_preset, load_theme
>>> text = "axis y = 4 width\\naxis m = 8\\ninput X[y m]\\n" + "".join(f"X = relu(X) as R_{i}\\n" for i in range(30)) + "output X\\n"
>>> scene = page_scene(load_text(text).diagram, load_theme("paper"), load_preset("page"), 468, 648)
>>> scene.width <= 468, scene.height <= 648, len(scene.by_role("arrow.continue")) > 0
(True, True, True)
"""
from __future__ import annotations

from itertools import product

from ..ir import Diagram, build
from ..layout import layout
from ..layout.glyphs import DEPTH_3D, cuboid_faces
from ..scene import Rect, Scene, Stroke, Text
from ..style import Preset, Theme
from ..text import set_label
from .arrange import BLOCK_GAP, column_places, extent, placed, shelf_places
from .definitions import collapsed_blocks, definition
from .flow import part_scenes
from .legend import legend
from .rows import ROW_GAP, row_scenes, stack_rows

DEFINITION_GAP = 12.0  # between the figure and its legend
ROW_WIDTHS = (1.0, 0.8, 0.65, 0.5)  # in the last tier, each piece's rows are cut at one of these fractions of the page's width
OVERSIZES = (1.2, 1.3, 1.4, 1.5, 1.7, 2.0)  # what will be shrunk is set on a page this much larger, then shrunk to fit
MOST_CHOICES = 512  # more combinations than this: only the widest and the narrowest cut of each piece are tried


def page_scene(diagram: Diagram, theme: Theme, preset: Preset, width: float, height: float | None) -> Scene:
    """``diagram`` laid out to fit ``width`` x ``height`` points without shrinking, where rows and
    collapsing allow; otherwise the most compact attempt (the caller shrinks it, with a warning)."""
    compact, definitions = None, {}  # (how much it must shrink, blocks, places): the last resort
    for depth in _depths(diagram):
        whole, parts = _pieces(diagram, depth, theme, preset, definitions)
        tiers = ([whole], [parts], [whole, parts])  # as it is; part by part; then every width and arrangement
        for tier, fractions in zip(tiers, ((1.0,), (1.0,), ROW_WIDTHS)):
            best = None  # (area, height, blocks, places) of the smallest arrangement that fits
            for overview, defined in (p for p in tier if p is not None):
                options = [_row_options(s, width, fractions, preset) for s in overview]
                options += [[[_titled(name, _stacked(rows, s), theme)] for rows in _row_options(s, width, fractions, preset)]
                            for name, s in defined]
                for choice in _choices(options):
                    blocks = [block for rows in choice for block in rows]
                    sizes = [(b.width, b.height) for b in blocks]
                    for places in _arrangements(sizes, width, height):
                        w, h = extent(sizes, places)
                        if w <= width + 0.01 and (height is None or h <= height + 0.01):
                            if best is None or (w * h, h) < best[:2]:
                                best = (w * h, h, blocks, places)
                    for larger in OVERSIZES if best is None else ():  # the last resort: what shrinks least
                        for places in _arrangements(sizes, width * larger, height and height * larger):
                            w, h = extent(sizes, places)
                            if compact is None or max(w / width, h / (height or h)) < compact[0]:
                                compact = (max(w / width, h / (height or h)), blocks, places)
            if best is not None:
                scene = placed(best[2], best[3], best[2][0])
                return _with_legend(scene, diagram, theme, width, height) if preset.legend else scene
    return placed(compact[1], compact[2], compact[1][0])


def _pieces(diagram: Diagram, depth: int | None, theme: Theme, preset: Preset, definitions: dict):
    """(the overview's scenes, [(name, definition's scene)]) for the figure whole, and part by part
    (None without parts); ``definitions`` keeps each component's laid-out body from one depth to the next."""
    overview = diagram if depth is None else build(diagram.source, depth=depth)
    names = collapsed_blocks(overview)
    for name in names:  # each definition once, its own calls collapsed and defined after it
        if name not in definitions:
            body = definition(diagram.source, name, depth=0)
            definitions[name] = (body, layout(body, theme, preset))
        names += [n for n in collapsed_blocks(definitions[name][0]) if n not in names]
    defined = [(name, definitions[name][1]) for name in names]
    parts = part_scenes(overview, depth, theme, preset)
    return ([layout(overview, theme, preset)], defined), (None if parts is None else (parts, defined))


def _row_options(scene: Scene, width: float, fractions: tuple[float, ...], preset: Preset) -> list[list[Scene]]:
    """The different ways ``scene`` breaks into rows at ``fractions`` of ``width``, widest first."""
    options, seen = [], set()
    for fraction in fractions:
        rows = [_inked(r) for r in row_scenes(scene, width if fraction == 1.0 else (width - BLOCK_GAP) * fraction, preset.label_pad)]
        key = tuple((round(r.width, 1), round(r.height, 1)) for r in rows)
        if key not in seen:
            seen.add(key)
            options.append(rows)
    return options


def _choices(options: list[list]) -> product:
    """Every combination of one option per piece; when there are too many, the first and the last option of each."""
    count = 1
    for o in options:
        count *= len(o)
    if count > MOST_CHOICES:
        options = [o[:1] + o[-1:] if len(o) > 1 else o for o in options]
    return product(*options)


def _arrangements(sizes: list[tuple[float, float]], width: float, height: float | None):
    yield shelf_places(sizes, width, ROW_GAP)
    if height is not None:
        in_columns = column_places(sizes, width, height, ROW_GAP)
        if in_columns is not None:
            yield in_columns


def _inked(scene: Scene) -> Scene:
    """``scene`` cut to its ink top and bottom, so blocks set one below another are ROW_GAP apart in ink."""
    ink = [i for i in scene.items if i.role != "background"]
    top, bottom = min(i.bbox[1] for i in ink), max(i.bbox[3] for i in ink)
    if top == 0.0 and bottom == scene.height:
        return scene
    return Scene(scene.width, bottom - top, Scene(0, 0, ink).translated(0, -top).items, scene.background, scene.title, scene.wire_names)


def _stacked(rows: list[Scene], like: Scene) -> Scene:
    return rows[0] if len(rows) == 1 else stack_rows([r.items for r in rows], like)


def _fits(scene: Scene, width: float, height: float | None) -> bool:
    return scene.width <= width + 0.01 and (height is None or scene.height <= height + 0.01)


def _with_legend(scene: Scene, diagram: Diagram, theme: Theme, width: float, height: float | None) -> Scene:
    """``scene`` with the legend of sizes below it, when the page has room for it."""
    box = legend(diagram, theme, width)
    if box is None:
        return scene
    below = stack_rows([[i for i in scene.items if i.role != "background"], box.items], scene, DEFINITION_GAP)
    below.wire_names = scene.wire_names
    return below if _fits(below, width, height) else scene


def _depths(diagram: Diagram):
    """None (the diagram as built), then collapsing from the deepest component call up to depth 0."""
    yield None
    deepest = max((s.depth for s in diagram.sections.values() if s.kind == "block"), default=-1)
    for depth in range(deepest, -1, -1):
        yield depth


def _titled(name: str, scene: Scene, theme: Theme) -> Scene:
    """``scene`` with the component's 3-D box and "=" above its top left corner, as the paper writes a definition."""
    f, c, pad = theme.font, theme.colors, 4.0
    label = set_label(name, f.family, f.box_size, True)
    equals = set_label("=", f.family, f.box_size * 1.4, False)
    top, bottom, x1 = DEPTH_3D, DEPTH_3D + label.ascent + label.descent + 2 * pad, label.width + 2 * pad
    stroke = Stroke(c.box_stroke, theme.strokes.box)
    mid = (top + bottom) / 2
    header = [cuboid_faces(0.0, top, x1, bottom, stroke, c.learned_fill), Rect(0.0, top, x1, bottom - top, stroke, c.learned_fill, role="box"),
              Text(pad, mid + (label.ascent - label.descent) / 2, label.runs, f.family, c.text, label.width, label.ascent, label.descent, "label.definition"),
              Text(x1 + DEPTH_3D + 6, mid + (equals.ascent - equals.descent) / 2, equals.runs, f.family, c.text, equals.width, equals.ascent,
                   equals.descent, "label.definition")]
    body = [i for i in scene.items if i.role != "background"]
    moved = Scene(0, 0, body).translated(0, bottom + 6).items
    width = x1 + DEPTH_3D + 6 + equals.width
    return Scene(max(scene.width, width), scene.height + bottom + 6, header + moved, scene.background, scene.title)
