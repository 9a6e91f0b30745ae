"""Fit a diagram to a page at its theme's label size, the way the paper's figures do.

The steps, each tried only when the one before does not fit ``width`` x ``height``:

1. the figure as it is, broken into rows at semantic boundaries (:mod:`.rows`), else its
   top-level parts laid out one by one and flowed onto the page (:mod:`.flow`);
2. components collapsed one level deeper each time (``--depth``), the overview
   followed by each collapsed component's definition, "Name =" above its body;
3. the most compact of those, shrunk until it fits: the last resort, which
   :func:`ncd_render.sizing.fit_to` announces with a warning.

>>> from ncd_render.api import load_text
>>> from ncd_render.style import load_preset, load_theme
>>> text = "axis y = 4 width\\naxis m = 8\\ninput X[y m]\\n" + "".join(f"X = relu(X) as R_{i}\\n" for i in range(30)) + "output X\\n"
>>> scene = page_scene(load_text(text).diagram, load_theme("paper"), load_preset("page"), 468, 648)
>>> scene.width <= 468, scene.height <= 648, len(scene.by_role("arrow.continue")) > 0
(True, True, True)
"""
from __future__ import annotations

from ..ir import Diagram, build
from ..layout import layout
from ..scene import Scene, Text
from ..style import Preset, Theme
from ..text import set_label
from .definitions import collapsed_blocks, definition
from .flow import flowed, pack
from .legend import legend
from .rows import break_rows, stack_rows

DEFINITION_GAP = 12.0  # between the overview and a definition, and between definitions


def page_scene(diagram: Diagram, theme: Theme, preset: Preset, width: float, height: float | None) -> Scene:
    """``diagram`` laid out to fit ``width`` x ``height`` points without shrinking, where rows and
    collapsing allow; otherwise the most compact attempt (the caller shrinks it, with a warning)."""
    attempts = []
    for depth in _depths(diagram):
        for whole in (True, False):  # the figure in rows; else its parts one by one (ncd_render.page.flow)
            scene = _with_definitions(diagram, depth, theme, preset, width, whole)
            if scene is None:
                continue
            if _fits(scene, width, height):
                return _with_legend(scene, diagram, theme, width, height) if preset.legend else scene
            attempts.append(scene)
    return min(attempts, key=lambda s: max(s.width / width, s.height / (height or s.height)))


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


def _with_definitions(diagram: Diagram, depth: int | None, theme: Theme, preset: Preset, width: float,
                      whole: bool) -> Scene | None:
    overview = diagram if depth is None else build(diagram.source, depth=depth)
    if whole:
        first = break_rows(layout(overview, theme, preset), width, preset.label_pad)
    else:
        first = flowed(overview, depth, theme, preset, width)
        if first is None:
            return None
    names = collapsed_blocks(overview)
    defined = []
    for name in names:  # each definition once, its own calls collapsed and defined after it
        body = definition(diagram.source, name, depth=0)
        names += [n for n in collapsed_blocks(body) if n not in names]
        defined.append(_titled(name, break_rows(layout(body, theme, preset), width, preset.label_pad), theme))
    if not defined:
        return first
    definitions = pack(defined, width, DEFINITION_GAP)  # narrow ones side by side
    return stack_rows([[i for i in r.items if i.role != "background"] for r in (first, definitions)], first, DEFINITION_GAP)


def _titled(name: str, scene: Scene, theme: Theme) -> Scene:
    """``scene`` with "name =" above its top left corner, as the paper writes a definition."""
    f = theme.font
    label = set_label(f"{name} =", f.family, f.box_size, True)
    title = Text(0, label.ascent, label.runs, f.family, theme.colors.text, label.width, label.ascent, label.descent, "label.definition")
    body = [i for i in scene.items if i.role != "background"]
    moved = Scene(0, 0, body).translated(0, label.ascent + label.descent + 4).items
    return Scene(max(scene.width, label.width), scene.height + label.ascent + label.descent + 4, [title] + moved, scene.background, scene.title)
