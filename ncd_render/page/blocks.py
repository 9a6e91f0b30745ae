"""A block as the page sets it: cut to its ink (:func:`inked`), and a definition under or beside its
title, "Name =" as the paper writes it (:func:`with_title`)."""
from __future__ import annotations

from ..layout.glyphs import DEPTH_3D, cuboid_faces
from ..scene import Rect, Scene, Stroke, Text, ink_extent
from ..style import Theme
from ..text import set_label


def inked(scene: Scene) -> Scene:
    """``scene`` cut to its ink top and bottom, so blocks set one below another are :data:`.rows.ROW_GAP` apart in ink,
    and widened where a stroke reaches past its left or right edge: no block's ink is cut.

    >>> from ncd_render.scene import Rect, Stroke
    >>> block = inked(Scene(10, 20, [Rect(0, 5, 10, 5, Stroke(width=1.0), None)]))
    >>> block.width, block.height, block.items[0].x
    (11.0, 6.0, 0.5)
    """
    ink = [i for i in scene.items if i.role != "background"]
    left, top, right, bottom = ink_extent(ink)
    left = min(left, 0.0)
    if top == 0.0 and bottom == scene.height and left == 0.0 and right <= scene.width:
        return scene
    return Scene(max(scene.width, right) - left, bottom - top, Scene(0, 0, ink).translated(-left, -top).items, scene.background,
                 scene.title, scene.wire_names)


def with_title(title: str, scene: Scene, theme: Theme, beside: bool = False) -> Scene:
    """``scene`` below ``title``, as the paper writes a definition: its first line, "Name =", as the
    component's 3-D box and "="; a second line (what a variant adds) in the label weight.
    ``beside``: the title left of the scene, centred on it, as the paper sets "Name = ..." on one line."""
    f, c, pad = theme.font, theme.colors, 4.0
    first, *rest = title.split("\n")
    label = set_label(first[:-2] if first.endswith(" =") else first, f.family, f.box_size, True)
    equals = set_label("=", f.family, f.box_size * 1.4, False)
    top, bottom, x1 = DEPTH_3D, DEPTH_3D + label.ascent + label.descent + 2 * pad, label.width + 2 * pad
    stroke = Stroke(c.box_stroke, theme.strokes.box)
    mid = (top + bottom) / 2
    heads = [cuboid_faces(0.0, top, x1, bottom, stroke, c.learned_fill), Rect(0.0, top, x1, bottom - top, stroke, c.learned_fill, role="box"),
             Text(pad, mid + (label.ascent - label.descent) / 2, label.runs, f.family, c.text, label.width, label.ascent, label.descent, "label.definition"),
             Text(x1 + DEPTH_3D + 6, mid + (equals.ascent - equals.descent) / 2, equals.runs, f.family, c.text, equals.width, equals.ascent,
                  equals.descent, "label.definition")]
    widths, y = [x1 + DEPTH_3D + 6 + equals.width], bottom
    for line in rest:
        text = set_label(line, f.family, f.axis_size, False)
        y += text.ascent + 2
        heads.append(Text(0, y, text.runs, f.family, c.text, text.width, text.ascent, text.descent, "label.definition"))
        widths.append(text.width)
        y += text.descent
    body = [i for i in scene.items if i.role != "background"]
    if beside:  # the title's middle level with the body's
        dx, dy = max(widths) + 8, max(0.0, (y - scene.height) / 2)
        moved = Scene(0, 0, body).translated(dx, dy).items
        heads = Scene(0, 0, heads).translated(0, max(0.0, (scene.height - y) / 2)).items
        return inked(Scene(scene.width + dx, max(scene.height, y), heads + moved, scene.background, scene.title))
    moved = Scene(0, 0, body).translated(0, y + 6).items
    return inked(Scene(max([scene.width] + widths), scene.height + y + 6, heads + moved, scene.background, scene.title))
