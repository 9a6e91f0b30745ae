"""How many wire crossings a layout left, and how few any layout of ours could leave.

The lower bound counts only crossings the diagram itself demands under the
drawing rules (a tensor's wires stay together and in order, wires in tandem are
never parted): each branch of a copy of n wires leaves its source at dots and
runs beside it, its wires together (crossing all n(n-1)/2 pairs of the source's
wires and its own), and each einsum or transpose needs the inversions
between its own operands' wires and its result's, with the operands stacked in
the better of their two orders. Crossings with other tensors' wires, and the
permutations that move wires out of a box's way, depend on the order chosen and
count only in the layout's total.
(:func:`.choice.crossing_report` gives both for a diagram.)
"""
from __future__ import annotations

from functools import lru_cache

from .. import ops
from ..errors import NcdError
from ..ir import Diagram
from ..limits import MAX_CROSSINGS
from .model import Ordered, glyph
from .routing import plan_region, region_ends


def lower_bound(diagram: Diagram) -> int:
    """Crossings every layout of ``diagram`` under the drawing rules has."""
    return sum(n for _, n in demanded(diagram))


def demanded(diagram: Diagram):
    """Each copy, einsum or transpose of ``diagram`` with the crossings it demands (:func:`lower_bound`'s terms)."""
    for op in diagram.ops:
        if op.kind == "copy":
            n = len(diagram.values[op.inputs[0]].axes)
            yield op, (len(op.outputs) - 1) * n * (n - 1) // 2
        elif ops.of(op).permutes_of(op):
            out = diagram.values[op.outputs[0]].axes
            operands = [diagram.values[v].axes for v in op.inputs]
            stackings = [operands, operands[::-1]] if len(operands) == 2 else [operands]
            yield op, min(_needed(stack, out) for stack in stackings)


def check_crossings(diagram: Diagram) -> None:
    """NcdError, before any layout, where every drawing of ``diagram`` would cross wires more than
    :data:`~ncd_render.limits.MAX_CROSSINGS` times (each crossing is two curves to place and draw: 2,000 axes
    reversed took 33 s and 4.9 GB), at the statement that demands the most."""
    total, worst, most = 0, None, -1
    for op, n in demanded(diagram):
        total += n
        if n > most:
            worst, most = op, n
    if total > MAX_CROSSINGS:
        raise NcdError(f"drawn, the diagram would cross wires at least {total:,} times, more than {MAX_CROSSINGS:,}; "
                       f"this statement alone crosses {most:,}", worst.span,
                       "give its tensors fewer axes, or split the diagram in several (docs/limits.md)", path=diagram.source.source.path)


def _needed(operands: list[tuple[str, ...]], out: tuple[str, ...]) -> int:
    counts: dict[str, int] = {}
    for axes in operands:
        for a in axes:
            counts[a] = counts.get(a, 0) + 1
    left = [(float(k), ("to", out.index(a)) if a in out else ("cup" if counts[a] > 1 else "end", a))
            for k, a in enumerate(a for axes in operands for a in axes)]
    return _crossings(tuple(left), tuple(float(k) for k in range(len(out))))


def crossings(ordered: Ordered) -> int:
    """Crossings the wire order commits to, counted from the orders alone (before heights):
    those inside wiring regions, copy branches crossing the wires they pass to their
    place, and wires a sum's other operands cross, to reach its box or merge into its wires."""
    return sum(column_crossings(column, ordered.wires) for column in ordered.columns) + sum(p.crossed for p in ordered.final_gap)


def column_crossings(column, wires: dict) -> int:
    """:func:`crossings` of one column (its gap's branches and its ops), each term at least 0, so
    the sum over the columns swept so far bounds the whole order's from below."""
    total = 0
    for placed in column.pre:  # (loops, not sum() or all() over generators: each trial asks of every column)
        total += placed.crossed
    left = right = None
    for placed in column.ops:
        shape = glyph(placed.op)
        if shape not in ("wiring", "join"):
            continue
        if left is None:
            left = {w: i for i, w in enumerate(column.before)}
        if shape == "wiring":
            if right is None:
                right = {w: i for i, w in enumerate(column.after)}
            total += _crossings(*map(tuple, region_ends(placed, wires, left, right)))
        elif placed.within:  # each wire crosses those between it and its match, but for the other joining wires
            joining = set(placed.consumed)
            for a, b in zip(placed.consumed, placed.through):
                lo, hi = sorted((left[a], left[b]))
                total += len(set(column.before[lo + 1:hi]).difference(joining))
        else:  # the other operand comes into the box from below, or from above (each crosses the wires in its way)
            first, last = min(left[w] for w in placed.through), max(left[w] for w in placed.through)
            joining = set(placed.consumed)
            for b in placed.consumed:
                way = column.before[last + 1:left[b]] if left[b] > last else column.before[left[b] + 1:first]
                total += sum(1 for w in way if w not in joining)
    return total


@lru_cache(maxsize=1024)
def _crossings(left: tuple, right: tuple) -> int:
    """The crossings of a wiring region entered at ``left`` and left at ``right`` (:func:`.routing.plan_region`'s, as
    tuples), kept: the choice's trials count the same regions again and again (DeepSeek-V3's slide counted 3,339
    regions, 89 of them different), and a region's count depends on nothing else.

    >>> _crossings(((0, ("to", 1)), (1, ("to", 0))), (0, 1))
    1
    """
    return plan_region(list(left), list(right)).crossings


def drawable(ordered: Ordered) -> bool:
    """False when a sum's other operand runs partly between its first operand's wires
    and partly outside them: its box could neither hold nor be entered by it."""
    return all(column_drawable(column) for column in ordered.columns)


def column_inversions(column, starts: dict[int, int] | None = None) -> int:
    """The pairs of boxes side by side in ``column`` that stand out of the file's order: a box whose
    strand the file starts later above an earlier one's (a reader takes a column top to bottom).
    ``starts``: :func:`strand_starts`, each op's strand's first op (without it, each op's own place).

    >>> from ncd_render.api import load_text
    >>> from ncd_render.layout.order import order
    >>> d = load_text("axis a = 2\\ninput X[a]\\nY = relu(X)\\nZ = exp(X)\\nW = Y + Z\\noutput W\\n").diagram
    >>> [column_inversions(c) for c in order(d).columns]  # X goes on to exp; relu's branch runs below it
    [1, 0]
    >>> [column_inversions(c) for c in order(d, (frozenset(), frozenset({1}), frozenset())).columns]  # above it
    [0, 0]
    """
    if len(column.ops) < 2:  # (most columns: asked of every column of every trial)
        return 0
    ids = [placed.op.id for placed in column.ops if placed.op.id >= 0]  # (a permutation's id is negative)
    if starts is not None:
        ids = [starts.get(i, i) for i in ids]
    return sum(1 for i, a in enumerate(ids) for b in ids[i + 1:] if a > b)


def strand_starts(diagram) -> dict[int, int]:
    """Each op's strand's first op: following its first input back through ops of one input, to a
    copy, an input or an op that joins tensors. Q's RoPE, written after W_K and W_V, goes on with
    W_Q's strand, which the file starts first: beside W_K's box it stands above it, as Q stands
    above K.

    >>> from ncd_render.api import load_text
    >>> d = load_text("axis a = 2\\ninput X[a]\\nY = relu(X)\\nZ = exp(X)\\nY = tanh(Y)\\nW = Y + Z\\noutput W\\n").diagram
    >>> {d.ops[k].params.get("fn", d.ops[k].kind): d.ops[v].params.get("fn") for k, v in strand_starts(d).items()}
    {'relu': 'relu', 'exp': 'exp', 'tanh': 'relu'}
    """
    starts: dict[int, int] = {}
    for op in diagram.ops:  # (in program order: an op's producers come first)
        if op.kind in ("input", "copy", "output") or len(op.inputs) != 1:
            continue
        before = diagram.producer(op.inputs[0])
        starts[op.id] = starts.get(before.id, op.id) if before.kind != "copy" and len(before.inputs) == 1 else op.id
    return starts


def output_inversions(ordered, diagram) -> int:
    """The pairs of the figure's outputs that end out of the order the file lists them, top to bottom
    (``output Y, Y2, Y3``: five variants of a convolution, each a branch of the input).

    >>> from ncd_render.api import load_text
    >>> from ncd_render.layout.order import order
    >>> d = load_text("axis a = 2\\ninput X[a]\\nY = relu(X)\\nZ = exp(X)\\noutput Y, Z\\n").diagram
    >>> output_inversions(order(d), d), output_inversions(order(d, (frozenset(), frozenset({1}), frozenset())), d)
    (1, 0)
    """
    final = ordered.final
    where = {}
    for k, w in enumerate(final):
        where.setdefault(final.values[w], k)
    at = [where[v] for v in diagram.outputs if v in where]
    return sum(1 for i, a in enumerate(at) for b in at[i + 1:] if a > b)


def column_drawable(column) -> bool:
    """:func:`drawable` of one column."""
    for placed in column.ops:  # (a loop, as in column_crossings)
        if placed.within is None:
            return False
    return True
