"""How a diagram runs: every component expanded, each ``repeat`` block a loop
with its own boxes per repetition. Shared by :mod:`.compile` and
:mod:`.codegen`; torch-free.

The boxes of a repeated block live in a list named after the block's title
(``repeat 6 "Encoder layer"`` -> ``encoder_layer``), one set per repetition,
so parameters read ``encoder_layer.3.N_1.weight``.

>>> from ncd_render.parse import parse
>>> from ncd_render.ir import build
>>> from .patterns import Patterns
>>> d = build(parse("axis m = 4\\ninput X[m]\\nrepeat 3 \\"Layer\\"\\n  H = linear(X: m -> m) as L\\n  X = X + H\\nend\\noutput X\\n"))
>>> (item,) = [i for i in plan(Patterns(d)) if isinstance(i, Repeat)]
>>> item.name, item.times, [p + op.name for p, op in boxes(Patterns(d), [item])]
('layer', 3, ['layer.0.L', 'layer.1.L', 'layer.2.L'])
"""
from __future__ import annotations

from typing import Iterator, Mapping

from ..ir import Diagram, Op
from ..records import record
from .patterns import MODULE_ATTRIBUTES, Patterns, identifier


@record
class Repeat:
    """A repeated block: ops ``start`` to ``stop - 1`` (its ``body``: op indices and nested
    repeats) run ``times`` times. ``feeds`` maps each carried leaving value to the values
    the body reads in its place the next time round."""

    section: int
    name: str
    times: int
    start: int
    stop: int
    body: tuple
    feeds: Mapping[int, tuple[int, ...]]


def expanded(diagram: Diagram) -> Diagram:
    """The diagram with every component call expanded (a file's ``depth`` is for drawing only):
    the IR keeps it when it collapses calls."""
    return diagram.full or diagram


def roots(diagram: Diagram) -> dict[int, int]:
    """Each value's original: copies are the value they copy."""
    root = {}
    for op in diagram.ops:
        for v in op.outputs:
            root[v] = root.get(op.inputs[0], op.inputs[0]) if op.kind == "copy" else v
    return root


def plan(patterns: Patterns) -> tuple:
    """The ops of the diagram in running order: op indices, with repeated blocks as :class:`Repeat`."""
    diagram = patterns.diagram
    paths = [tuple(s for s in diagram.section_path(op.section) if diagram.sections[s].kind == "repeat") for op in diagram.ops]
    return _items(diagram, patterns, paths, 0, len(diagram.ops), 0)


def _items(diagram: Diagram, patterns: Patterns, paths, start: int, stop: int, depth: int) -> tuple:
    items, i = [], start
    taken = {op.name for op, path in zip(diagram.ops[start:stop], paths[start:stop]) if len(path) == depth and patterns.parameters(op)}
    taken |= MODULE_ATTRIBUTES  # a block titled "Training" is training2: self.training is the module's
    while i < stop:
        if len(paths[i]) <= depth:
            items.append(i)
            i += 1
            continue
        sid = paths[i][depth]
        end = max(j for j in range(i, stop) if sid in paths[j]) + 1
        section = diagram.sections[sid]
        name = identifier(section.title.lower() or "repeat", taken)
        items.append(Repeat(sid, name, section.times, i, end, _items(diagram, patterns, paths, i, end, depth + 1),
                            _feeds(diagram, section.carried, i, end)))
        i = end
    return tuple(items)


def _feeds(diagram: Diagram, carried, start: int, stop: int) -> dict[int, tuple[int, ...]]:
    root = roots(diagram)
    made_before = {v for op in diagram.ops[:start] for v in op.outputs}
    read = [v for op in diagram.ops[start:stop] for v in op.inputs if v in made_before]
    return {new: tuple(dict.fromkeys(v for v in read if root[v] == old)) for old, new in carried}


def boxes(patterns: Patterns, items, prefix: str = "") -> Iterator[tuple[str, Op]]:
    """(prefix, box) for every learned box of every repetition; its parameters are
    ``prefix + box.name + "." + param``."""
    for item in items:
        if isinstance(item, Repeat):
            for i in range(item.times):
                yield from boxes(patterns, item.body, f"{prefix}{item.name}.{i}.")
        elif patterns.parameters(patterns.diagram.ops[item]):
            yield prefix, patterns.diagram.ops[item]
