"""Axes the whole figure is broadcast over, drawn once: an axis that every tensor has and that no box
acts on (a batch of sequences through a GRU cell, of queries through an attention) passes over the whole
diagram, as the paper draws a function broadcast over an axis (its Fig. 13: the function, and the axis
passing by). So do axes a view makes and another ends, that every tensor between has (Swin's windows, made
from the image's rows and columns and put back after an attention within each): their wire starts at the
first view's bar and ends at the second's (:func:`span`).

Drawn in every tensor instead, its wire is copied with each tensor and joined again wherever two
meet (at each sum, each einsum's diagonal), and every copy and join crosses the wires between: an
imported key-padding attention with a batch axis crossed 26 times, 12 with the batch drawn once (two where
it crosses back into its place in the output, ``[y m b]``); a Swin block, 37 times, 13 with its windows drawn
once. Here it becomes one wire of its own, an input that runs straight to the outputs above every other
wire, and the tensors are drawn without it; :func:`.choice.choose_drawing` keeps that drawing where it
crosses clearly fewer times. For drawing only, as :mod:`.compact` is: ``Diagram.through`` names the
wire's tensor, which no separator parts from the others (:mod:`.separators`) and a page's rows keep
(``Scene.through``, :mod:`ncd_render.page.passing`).

>>> from ncd_render.api import load_text
>>> d = load_text("axis b = 2\\naxis m = 3\\ninput X[b m], H[b m]\\nY = X + H\\nY = Y * X\\noutput Y\\n").diagram
>>> through_axes(d)
('b',)
>>> pulled = pulled_out(d, ("b",))
>>> [(v.name, v.axes) for v in pulled.values.values()][:3], pulled.values[pulled.through]
([('X', ('m',)), ('H', ('m',)), ('Y', ('m',))], Value(id=6, name='', axes=('b',), dtype='real', span=None))
"""
from __future__ import annotations

import itertools
import re
from dataclasses import replace
from types import MappingProxyType

from ..diagram import Op, Value
from ..ir import Diagram
from .model import glyph

ENDS = ("input", "output", "copy", "delete")  # ops that only carry tensors: every axis passes them
REWRITTEN = {"einsum": ("equation", "merged"), "rearrange": ("pattern",)}  # ops that name the axis in specs of their own


def through_axes(diagram: Diagram) -> tuple[str, ...]:
    """The axes every tensor of ``diagram`` has (or every tensor from the view that makes them to the view that
    ends them, :func:`span`), that every box passes by (or, at an einsum, joins as a diagonal, or a rearrange
    moves), and that lead every input's, or the view's result, as a batch does (drawn above them all, they keep
    their place first).

    >>> from ncd_render.api import load_text
    >>> head = "axis b = 2\\naxis n = 2\\naxis u = 1\\naxis t = 3\\naxis m = 3\\n"
    >>> through_axes(load_text(head + "input X[b m]\\nY = X + X\\noutput Y\\n").diagram)
    ('b',)
    >>> through_axes(load_text(head + "input E[n m], T[u m]\\nZ = concat(T, E: u, n -> t)\\noutput Z\\n").diagram)
    ()
    >>> windows = "input X[(n t) m]\\nW = rearrange(X: (n t) m -> n t m)\\nY = softmax(W: t)\\nY = Y + W\\n"
    >>> through_axes(load_text(head + windows + "output Y\\n").diagram)  # windows, made by the view
    ('n',)
    """
    best: tuple[str, ...] = ()
    for leading in _leading(diagram):
        found: list[str] = []
        for axis in leading:
            if span(diagram, (*found, axis)) is None:
                break
            found.append(axis)
        while found and any(set(v.axes) == set(found) for v in diagram.values.values()):  # every tensor keeps a wire
            found.pop()  # of its own (a gate per position, [y]: y stays in it)
        if _reach(diagram, found) > _reach(diagram, best):
            best = tuple(found)
    return best


def _reach(diagram: Diagram, axes) -> int:
    """How many tensors have ``axes`` (none if none are named): of two ways to draw axes once, the longer wins."""
    return sum(set(axes) <= set(v.axes) for v in diagram.values.values()) if axes else 0


def _leading(diagram: Diagram):
    """For each axis that leads an input, the axes that lead every input it leads, in order (an input without them,
    a bias shared by the batch, may be broadcast over them); then, for each view, those that lead its result and
    that it makes."""
    inputs = [diagram.values[v].axes for v in diagram.inputs]
    for first in dict.fromkeys(axes[0] for axes in inputs if axes):
        led = [axes for axes in inputs if axes[:1] == (first,)]
        n = 1
        while all(axes[n:n + 1] == led[0][n:n + 1] != () for axes in led):
            n += 1
        yield led[0][:n]
    for op in diagram.ops:
        if _is_view(op):
            made = [a for a in diagram.values[op.outputs[0]].axes if a not in diagram.values[op.inputs[0]].axes]
            yield tuple(itertools.takewhile(made.__contains__, diagram.values[op.outputs[0]].axes))


def span(diagram: Diagram, axes: tuple[str, ...]) -> tuple[Op | None, Op | None] | None:
    """Where the wire of ``axes`` would run, drawn once: (the view that makes them, or None where the inputs that
    have them start it; the view that ends them, or None where every output has them); None where they cannot be
    drawn once.

    They can where the tensors that have them are all the tensors between its two ends (the others have none of
    them: they come before the view that makes them, after the view that ends them, go round, or are broadcast
    over them where they meet one that has them, as a bias every channel shares is), every box there passes them,
    and they lead the tensors at its ends. Swin's windows are made by a view of the image's
    rows and columns, ``(a i) (b j) m -> a b i j m``, and an attention runs within each window."""
    values = diagram.values
    has = {k: set(axes) <= set(v.axes) for k, v in values.items()}
    if any(not has[k] and set(axes) & set(v.axes) for k, v in values.items()):
        return None  # some of them only
    births, deaths, passed = [], [], False
    for op in diagram.ops:
        into, out = {has[v] for v in op.inputs}, {has[v] for v in op.outputs}
        if len(out) > 1 or len(into) > 1 and out != {True}:
            return None  # a box that meets tensors with them and tensors without (but for one they are broadcast over)
        if into == {False} and out == {True} and op.inputs:
            births.append(op)
        elif into == {True} and out == {False}:
            deaths.append(op)
        elif True in into | out:
            if not _passes(op, axes) or _parted(op, axes, values):
                return None
            passed = passed or op.kind not in ENDS
    if len(births) > 1 or len(deaths) > 1 or not all(map(_is_view, births + deaths)) or not passed:
        return None  # (a view of an input, with nothing between: nothing to draw once)
    birth, death = (births or [None])[0], (deaths or [None])[0]
    if birth and any(not op.inputs and any(has[v] for v in op.outputs) for op in diagram.ops):
        return None  # a second start: an input (or a source) that has them already
    if not birth and not any(has[v] for v in diagram.inputs):
        return None
    if any(has[v] == bool(death) for v in diagram.outputs):
        return None  # an output that has them past the view that ends them, or one that lacks them with none
    ends = [values[v].axes for v in (birth.outputs if birth else diagram.inputs) if has[v]] + \
        [values[v].axes for v in (death.inputs if death else ())]
    return (birth, death) if all(x[:len(axes)] == axes for x in ends) else None  # they lead where they start and end


def _is_view(op: Op) -> bool:
    """A rearrange drawn as a bar (a reshape): it may make or end the axes drawn once."""
    return op.kind == "rearrange" and not op.params.get("transpose") and len(op.inputs) == len(op.outputs) == 1


def _passes(op: Op, axes: tuple[str, ...]) -> bool:
    if any(set(axes) & _names(value) for key, value in op.params.items() if key not in REWRITTEN.get(op.kind, ())):
        return False  # a map per index of one, a softmax over it, a rename of it: it is acted on
    return op.kind in ENDS or op.kind in REWRITTEN or set(axes) <= set(op.broadcast)


def _parted(op: Op, axes: tuple[str, ...], values) -> bool:
    """Whether a sum's (a product's, any join's) terms would share no axis with ``axes`` taken out where one has
    axes the other lacks: an outer sum joined only along ``axes`` (``G[y f] + D[y m]``, y drawn once) would be a box
    that nothing enters, as the language writes none.

    >>> from ncd_render.api import load_text
    >>> d = load_text("axis y = 2\\naxis f = 3\\naxis m = 4\\ninput G[y f], D[y m]\\nX = G + D\\noutput X\\n").diagram
    >>> _parted(d.ops[-2], ("y",), d.values), _parted(d.ops[-2], ("f",), d.values)
    (True, False)
    """
    if glyph(op) != "join" or len(op.inputs) < 2:
        return False
    terms = [set(values[v].axes) - set(axes) for v in op.inputs]
    return any(term - terms[0] and not term & terms[0] for term in terms[1:])


def _names(value) -> set[str]:
    """The axis names a parameter holds: tuples of names, nested (a rename's pairs), not its free text."""
    if isinstance(value, tuple):
        return set().union(*(_names(v) for v in value)) if value else set()
    return {value} if isinstance(value, str) and re.fullmatch(r"[\w']+", value) else set()


def pulled_out(diagram: Diagram, axes: tuple[str, ...], landed: bool = True) -> Diagram:
    """``diagram`` with ``axes`` taken out of every tensor and drawn as a tensor of their own, unnamed: read first
    (or the first result of the view that makes them) and output first (or read first by the view that ends them),
    so that it runs straight above every other wire; if ``landed``, into an output that has them later than first
    (a batch ``[y m b]``) it crosses down into its place (:func:`_ended`), else it ends above them all (a page's
    part, whose outputs the next part reads, drawn the same way)."""
    birth, death = span(diagram, axes)
    values = {k: replace(v, axes=tuple(a for a in v.axes if a not in axes)) for k, v in diagram.values.items()}
    wire = max(diagram.values) + 1
    values[wire] = Value(wire, "", tuple(axes), "real", None)
    ops = []
    for op in diagram.ops:
        acts = tuple(tuple(a for a in acted if a not in axes) for acted in op.acts)
        if op is birth:
            op = replace(op, outputs=(wire,) + op.outputs)
        elif op is death:
            op = replace(op, inputs=(wire,) + op.inputs, acts=(axes,) + acts)
        else:
            op = replace(op, acts=acts, broadcast=tuple(a for a in op.broadcast if a not in axes), params=_spec_without(op, axes))
        ops.append(op)
    ops, values, moved = _without_moves(ops, values)
    fresh = itertools.count(max(op.id for op in diagram.ops) + 1)  # (past the moves left out too: no id stands for two ops)
    outputs = tuple(moved.get(v, v) for v in diagram.outputs)
    if death is None:
        ops, values, outputs = _ended(diagram, axes, ops, values, outputs, wire, fresh, landed)
    inputs = diagram.inputs
    if birth is None:
        ops.insert(0, Op(next(fresh), "input", (), (wire,)))
        inputs = (wire,) + inputs
    return replace(diagram, values=values, ops=ops, inputs=inputs, outputs=outputs, through=wire)


def _ended(diagram: Diagram, axes: tuple[str, ...], ops: list[Op], values: dict, outputs: tuple[int, ...], wire: int,
           fresh, landed: bool) -> tuple[list[Op], dict, tuple[int, ...]]:
    """``ops``, ``values`` and ``outputs`` with the wire of ``axes`` output first, beside the outputs they lead, and,
    if ``landed``, crossing into each output that has them later (a transpose, two inputs in: the wire, then the
    rest), copied where more than one takes it; those outputs as ``diagram`` gives them."""
    late = [k for k, v in enumerate(diagram.outputs) if diagram.values[v].axes[:len(axes)] != axes] if landed else []
    ends = len(late) + (len(late) < len(outputs))
    wires = [wire]
    last = next(k for k, op in enumerate(ops) if op.kind == "output")
    if ends > 1:
        wires = [max(values) + 1 + k for k in range(ends)]
        values.update({w: Value(w, "", axes, "real", None) for w in wires})
        ops.insert(last, Op(next(fresh), "copy", (wire,), tuple(wires), broadcast=axes))
        last += 1
    outputs = list(outputs)
    for k in late:
        before, after = values[outputs[k]], diagram.values[diagram.outputs[k]]
        into = max(values) + 1
        values[into] = replace(after, id=into)
        pattern = f"{' '.join(axes)}, {' '.join(before.axes)} -> {' '.join(after.axes)}"
        ops.insert(last, Op(next(fresh), "rearrange", (wires.pop(), outputs[k]), (into,), acts=(axes, before.axes),
                            params=MappingProxyType({"pattern": pattern, "transpose": True})))
        last += 1
        outputs[k] = into
    outputs = tuple(wires) + tuple(outputs)
    ops[last] = replace(ops[last], inputs=outputs)
    return ops, values, outputs


def _without_moves(ops: list[Op], values: dict) -> tuple[list[Op], dict, dict[int, int]]:
    """``ops`` without the rearranges that only moved the axes taken out (``pad: b x -> x b``), their
    results read from what they read; and which value each dropped result now is."""
    same = {op.outputs[0]: op.inputs[0] for op in ops
            if op.kind == "rearrange" and values[op.inputs[0]].axes == values[op.outputs[0]].axes}
    for v in same:  # (one such move after another: each read from the first's operand)
        while same[v] in same:
            same[v] = same[same[v]]
    kept = [replace(op, inputs=tuple(same.get(v, v) for v in op.inputs)) for op in ops
            if not (op.kind == "rearrange" and op.outputs[0] in same)]
    return kept, {k: v for k, v in values.items() if k not in same}, same


def _spec_without(op: Op, axes: tuple[str, ...]) -> MappingProxyType:
    """An einsum's equation and merged axes, a rearrange's pattern, without ``axes``."""
    if op.kind not in REWRITTEN:
        return op.params
    params = dict(op.params)
    for key in REWRITTEN[op.kind]:
        if isinstance(params.get(key), str):
            named = re.sub(r"(?<![\w'])(" + "|".join(map(re.escape, axes)) + r")(?![\w'])", "", params[key])
            params[key] = re.sub(r"\s+", " ", named).strip()
        elif key in params:
            params[key] = tuple(a for a in params[key] if a not in axes)
    return MappingProxyType(params)
