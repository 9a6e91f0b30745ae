"""What a page lays out at each depth it tries: the diagram with its component calls collapsed that deep,
whether two depths draw the same, and the pieces laid out there: the figure whole, part by part, and each
collapsed component's definition (a variant by what it adds, :mod:`.variants`)."""
from __future__ import annotations

from ..ir import Diagram, build
from ..layout import drawn_once, layout
from ..style import Preset, Theme
from .definitions import collapsed_blocks, definition
from .flow import part_scenes
from .refs import Numbering, in_figure
from .variants import variant


def depths_to_try(diagram: Diagram):
    """None (the diagram as built), then collapsing from the deepest component call up to depth 0."""
    yield None
    deepest = max((s.depth for s in diagram.sections.values() if s.kind == "block"), default=-1)
    for depth in range(deepest, -1, -1):
        yield depth


def overview_at(diagram: Diagram, depth: int | None) -> Diagram:
    """The diagram with its component calls deeper than ``depth`` collapsed (None: as built)."""
    return diagram if depth is None else build(diagram.source, depth=depth)


def same_drawing(a: Diagram, b: Diagram) -> bool:
    """Whether ``a`` and ``b``, built from one file, draw the same (a layout reads no more than these)."""
    return (a.ops == b.ops and a.sections == b.sections and a.values == b.values and a.axes == b.axes
            and a.inputs == b.inputs and a.outputs == b.outputs and a.tandems == b.tandems)


def pieces_at(overview: Diagram, depth: int | None, theme: Theme, preset: Preset, definitions: dict, numbering: Numbering,
              once: tuple[str, ...] | None = None):
    """(the overview's [scene], [(title, definition's scene)]) for the
    figure whole, part by part, and part by part with sections split too (None without such parts),
    ``overview`` being the figure at ``depth``; ``definitions`` keeps each component's laid-out body from
    one depth to the next; ``once``: the axes the overview draws once, where the caller has them (else found here).
    Every scene's items name their ops as ``numbering``'s figure does."""
    names = collapsed_blocks(overview)
    for name in names:  # each definition once, its own calls collapsed and defined after it
        if name not in definitions:
            body = definition(overview.source, name, depth=0)
            definitions[name] = (body, in_figure(layout(body, theme, preset, rows=True), body, numbering))
        names += [n for n in collapsed_blocks(definitions[name][0]) if n not in names]
    defined = []  # (where it goes: components in the order first met, each variant right after its base; title; scene)
    sizes = {name: axis.size for name, axis in overview.axes.items()}
    for name in names:  # a variant of another component (MaskedAttention of Attention) by what it adds, after it
        found = variant(overview.source, name, names, sizes)
        if found is None:
            defined.append(((names.index(name), 0), f"{name} =", definitions[name][1]))
        else:  # which base it is read against depends on the components collapsed at this depth
            key = ("variant", name, found.base)
            if key not in definitions:
                definitions[key] = in_figure(layout(found.added, theme, preset, rows=True), found.added, numbering)
            defined.append(((names.index(found.base), 1), f"{name} =\n{found.base} with this before its {found.before}:", definitions[key]))
    defined = [(title, scene) for _, title, scene in sorted(defined, key=lambda d: d[0])]
    # part by part, each sublayer with its residual sum first (a lone + between rows, its copy out of sight), then
    # alone; deep, the same (None where they would be the same parts: no sum to take in, no section to split)
    once = drawn_once(overview) if once is None else once  # (found once for the four)
    found = [part_scenes(overview, depth, theme, preset, deep=deep, numbering=numbering, sums=sums, once=once)
             for deep in (False, True) for sums in (True, False)]
    whole = [in_figure(layout(overview, theme, preset, rows=True), overview, numbering)]
    return (whole, defined), *((None if p is None else (list(p), defined)) for p in found)
