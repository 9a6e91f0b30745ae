"""The reference's weights in the diagram (``ncd check``'s first step): random values for every parameter
of the reference (:func:`randomize`, scaled by the fan-in the diagram's maps give, :func:`fan_ins`), then each
copied into the learned box its :class:`From` names, through its rows, part, einops pattern, index and
shift (:func:`copy_parameters`); a mapping that does not fit is an :class:`~ncd_render.errors.NcdError`
naming the box and the shapes."""
from __future__ import annotations

import itertools
import math
import re
from typing import Mapping

import einops
import torch
from torch import nn

from ..errors import NcdError, did_you_mean
from ..records import record
from .compile import DiagramModule
from .patterns import Patterns, shape_text
from .structure import boxes


@record
class From:
    """Where one diagram parameter comes from: the reference parameter (or buffer)
    ``param``, optionally chunk ``part = (i, n)`` of n equal chunks along its first
    dimension (packed q/k/v projections), rearranged by the einops ``pattern``
    whose axis names are the diagram's (``"(h k) m -> k h m"``; an axis only on
    the right repeats the values, ``"b -> b p q"``), then cut to ``index``
    (``tensor[index]``, e.g. ``(slice(None), slice(0, 8))`` for the first 8 rows
    of dimension 1: the gate half of a packed gate/up projection), plus ``shift``
    (Gemma's RMSNorm scales by ``1 + weight``: its diagram weight is the stored one
    shifted by 1). ``rows`` takes only some rows of its first dimension, before all else: ``n``
    the first n (GPT-2's position table holds more positions than the diagram's sequence),
    ``(start, stop)`` those from start (OPT's positions start at row 2)."""

    param: str
    pattern: str | None = None
    part: tuple[int, int] | None = None
    index: tuple | slice | int | None = None
    shift: float = 0.0
    rows: int | tuple[int, int] | None = None


def randomize(module: nn.Module, generator: torch.Generator, fan_ins: dict[str, int]) -> None:
    """Random values for every parameter, so no mapping mistake hides behind zeros or ones: uniform within
    1/sqrt(fan-in), the fan-in the diagram's map gives (``fan_ins``), else what the stored shape says (as torch's
    layers count it: all but the first dim)."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            fan_in = fan_ins.get(name) or (p.numel() // p.shape[0] if p.dim() > 1 else 0)
            bound = fan_in ** -0.5 if fan_in else 0.5
            p.copy_((torch.rand(p.shape, generator=generator, dtype=torch.float64) * 2 - 1) * bound)


def fan_ins(model: DiagramModule, parameters: Mapping[str, From]) -> dict[str, int]:
    """Module parameter -> the fan-in of the diagram's map whose weight it is (its input axes' sizes multiplied): what
    the stored shape cannot say for a stack of experts' weights, [e, out, in] or [e, in, out] (torch's count, all but
    the first dim, made them so small that the experts barely moved a model's output, and a wrong top k passed)."""
    maps = {f"{prefix}{op.name}.weight": model.patterns.fan_in(op) for prefix, op in boxes(model.patterns, model.plan)
            if "in_axes" in op.params}
    return {source.param: maps[name] for name, source in parameters.items() if name in maps}


def copy_parameters(model: DiagramModule, parameters: Mapping[str, From], module: nn.Module | None) -> None:
    """Each of ``parameters`` (diagram parameter -> where it comes from) copied out of ``module`` into ``model``."""
    patterns = model.patterns
    ours = dict(model.named_parameters())
    slots = {f"{prefix}{op.name}.{param}": (op, axes) for prefix, op in boxes(patterns, model.plan)
             for param, axes in patterns.parameters(op).items()}
    learned = {name.rpartition(".")[0]: op for name, (op, _) in slots.items()}
    # every name a tied parameter goes by (GPT-2's head is its token embedding: torch.export may call it either)
    theirs = {**dict(module.named_buffers(remove_duplicate=False)), **dict(module.named_parameters(remove_duplicate=False))} \
        if module is not None else {}
    for name, source in parameters.items():
        box, _, param = name.rpartition(".")
        if name not in slots:
            if box in learned:
                raise NcdError(f"the reference maps '{source.param}' to {name}, but box {box} has no {param or 'such parameter'}",
                               learned[box].span, "it has: " + ", ".join(patterns.parameters(learned[box])))
            raise NcdError(f"the reference maps '{source.param}' to {name}, but the diagram has no learned box '{box or name}'",
                           hint=did_you_mean(box or name, learned) or "learned boxes: " + (_some(list(learned)) or "none"))
        op, axes = slots[name]
        if source.param not in theirs:
            raise NcdError(f"the reference has no parameter '{source.param}' (mapped to {name})",
                           hint=did_you_mean(source.param, theirs) or "it has: " + (_some(list(theirs)) or "none"))
        value = theirs[source.param].detach()
        got = f"{source.param} {shape_text(value.shape)}"
        if source.rows is not None:
            start, stop = (0, source.rows) if isinstance(source.rows, int) else source.rows
            if value.dim() == 0 or not 0 <= start < stop <= value.shape[0]:
                raise NcdError(f"cannot take rows {start} to {stop - 1} of {got} for {name}", op.span)
            value = value[start:stop]
            got += f", its rows {start} to {stop - 1}"
        if source.part is not None:
            i, n = source.part
            if value.dim() == 0 or value.shape[0] % n or not 0 <= i < n:
                raise NcdError(f"cannot take part {i} of {n} of {got} for {name}", op.span)
            value = value.chunk(n)[i]
            got += f", part {i} of {n}"
        if source.pattern is not None:
            try:
                text, axis_sizes = _einops_pattern(source.pattern, patterns)
                value = einops.repeat(value, text, **axis_sizes)
            except einops.EinopsError as error:
                message = " ".join(str(error).strip().splitlines()[-1].split())
                raise NcdError(f"{name}: pattern '{source.pattern}' does not fit {got}: {message}", op.span,
                               _pattern_words(source.pattern, patterns, message)) from None
            got += f", rearranged '{source.pattern}'"
        if source.index is not None:
            try:
                value = value[source.index]
            except (IndexError, TypeError) as error:
                raise NcdError(f"{name}: cannot index {got} by {_index_text(source.index)}: {error}", op.span) from None
            got += f", indexed {_index_text(source.index)}"
        if source.shift:
            value = value + source.shift
        if tuple(value.shape) != patterns.shape(axes):
            raise NcdError(f"{name}: expected {patterns.describe(axes)}, got {shape_text(value.shape)} from {got}", op.span,
                           None if source.pattern else _pattern_hint(source.param, tuple(value.shape), list(axes), patterns.shape(axes)))
        with torch.no_grad():
            ours[name].copy_(value)
    missing = [(name, op, axes) for name, (op, axes) in slots.items() if name not in parameters]
    if missing:
        names = _some([f"{name} {patterns.describe(axes)}" for name, _, axes in missing])
        raise NcdError(f"diagram parameter(s) {names} have no source in the reference", missing[0][1].span,
                       f"map them in the pairing: \"{missing[0][0]}\": From(\"...\"), ...")


def _pattern_hint(param: str, got: tuple[int, ...], axes: list[str], sizes: tuple[int, ...]) -> str | None:
    """A :class:`From` pattern that turns a parameter shaped ``got`` into the axes a box wants (sizes ``sizes``),
    where one fits: dimensions of one dropped, the others transposed or split; those closest to the box's order
    first, several where the sizes cannot tell them apart. None where none fits, or the axes are too many to try.

    >>> _pattern_hint("conv.weight", (1, 1, 3), ["i"], (3,))
    'From("conv.weight", "1 1 i -> i") fits it'
    >>> _pattern_hint("w", (8, 6), ["k", "h", "m"], (4, 2, 6))
    'the sizes alone cannot tell which of these fits: From("w", "(k h) m -> k h m"), From("w", "(h k) m -> k h m") (inside ( ), the axes in the order the reference packs them)'
    >>> _pattern_hint("conv.weight", (4, 3, 2), ["c", "i", "c"], (4, 2, 3))  # a map from c to c: the second is c_in
    'From("conv.weight", "c c_in i -> c i c_in") fits it'
    """
    if len(axes) > 6 or 1 in sizes or not all(a.isidentifier() for a in axes):
        return None
    names = [a if a not in axes[:k] else f"{a}_in" + (str(axes[:k].count(a)) if axes[:k].count(a) > 1 else "")
             for k, a in enumerate(axes)]  # an axis named again is written with _in after it (:func:`_einops_pattern`)
    size = dict(zip(names, sizes))
    dims = [d for d in got if d != 1]
    fits = []
    for perm in itertools.permutations(range(len(names))):
        for cuts in itertools.combinations(range(1, len(names)), len(dims) - 1) if dims else ():
            groups = [[names[k] for k in perm[a:b]] for a, b in zip((0, *cuts), (*cuts, len(names)))]
            if [math.prod(size[a] for a in g) for g in groups] == dims:
                words = iter(g[0] if len(g) == 1 else "(" + " ".join(g) + ")" for g in groups)
                left = " ".join("1" if d == 1 else next(words) for d in got)
                moved = sum(a > b for a, b in itertools.combinations(perm, 2))
                fits.append((moved, f'From("{param}", "{left} -> {" ".join(names)}")'))
    fits = [fit for _, fit in sorted(fits)]
    if not fits:
        return None
    if len(fits) == 1:
        return f"{fits[0]} fits it"
    grouped = any("(" in fit for fit in fits[:3])
    return ("the sizes alone cannot tell which of these fits: " + ", ".join(fits[:3]) + (", ..." if len(fits) > 3 else "")
            + (" (inside ( ), the axes in the order the reference packs them)" if grouped else ""))


def _some(names: list[str], most: int = 8) -> str:
    """The first few of a long list of names, and how many there are."""
    return ", ".join(names) if len(names) <= most else ", ".join(names[:most]) + f", ... ({len(names)} in all)"


def _index_text(index) -> str:
    """``[:, 0:8]``: an index as written in python."""
    def one(i):
        if not isinstance(i, slice):
            return "..." if i is Ellipsis else str(i)
        start, stop = ("" if x is None else x for x in (i.start, i.stop))
        return f"{start}:{stop}" + ("" if i.step is None else f":{i.step}")
    return "[" + ", ".join(one(i) for i in (index if isinstance(index, tuple) else (index,))) + "]"


def _pattern_words(pattern: str, patterns: Patterns, message: str) -> str | None:
    """What a mapping pattern's words mean, where einops refused it: the diagram's axes among them stand for their
    sizes; a dim of one is written 1, a word on the left alone is not dropped.

    >>> from ncd_render.api import load_text
    >>> p = Patterns(load_text("axis o = 3\\naxis i = 4\\ninput X[o]\\nY = linear(X: o -> i)\\noutput Y\\n").diagram)
    >>> _pattern_words("o i 1 -> o i", p, "Shape mismatch, 4 != 3")
    "in a pattern the diagram's axes o (3) and i (4) stand for their sizes: the dims they name must have them; name the reference's other dims by words that are no axis of the diagram"
    >>> _pattern_words("a b m -> m", p, "Unexpected identifiers on the left side of repeat: {'a', 'b'}")
    'a dim of one is written 1 (1 1 m -> m); a word on the left alone names a dim the result keeps nowhere'
    """
    if "Unexpected identifiers on the left" in message:
        alone = set(re.findall(r"'([^']+)'", message))
        left = pattern.split("->")[0].split()
        example = " ".join("1" if w in alone else w for w in left) + " ->" + pattern.split("->", 1)[1]
        return f"a dim of one is written 1 ({example.strip()}); a word on the left alone names a dim the result keeps nowhere"
    named = [w for w in dict.fromkeys(re.findall(r"[^\s()]+", pattern.replace("->", " "))) if w in patterns.ids]
    if "mismatch" in message.lower() and named:
        words = [f"{w} ({patterns.size(w)})" for w in named]
        listed = ", ".join(words[:-1]) + f" and {words[-1]}" if len(words) > 1 else words[0]
        return (f"in a pattern the diagram's axes {listed} stand for their sizes: the dims they name must have them; "
                "name the reference's other dims by words that are no axis of the diagram")
    return None


def _einops_pattern(pattern: str, patterns: Patterns) -> tuple[str, dict]:
    """A mapping pattern in diagram axis names -> einops identifiers and the sizes of the axes it names. An axis
    named again on one side is written with ``_in`` after it (``(m d) (m_in d_in) -> m d m_in d_in``: a map from
    ``m d`` to ``m d``, its columns the second ``m d``), of the axis's size."""
    def ident(word: str) -> tuple[str, str] | None:  # (einops identifier, the axis it measures)
        if word in patterns.ids:
            return patterns.ids[word], word
        again = re.fullmatch(r"(.+)_in(\d*)", word)
        return (patterns.ids[again.group(1)] + "_in" + again.group(2), again.group(1)) if again and again.group(1) in patterns.ids else None

    found = {w: ident(w) for w in re.findall(r"[^\s()]+", pattern.replace("->", " "))}
    text = re.sub(r"[^\s()\-\>]+", lambda m: (found.get(m.group(0)) or (m.group(0),))[0], pattern)
    return text, {i: patterns.size(axis) for i, axis in filter(None, found.values())}
