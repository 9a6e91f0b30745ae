"""Warnings about a diagram that builds but probably says something it does not mean:
tensors that are never used, learned boxes whose result reaches no output, a sum over every pair of two
axes of one size (one axis under two names, more often than not), a mask by flags that lack the axis of
the softmax after it (a padding mask over the queries), a label whose subscript is one letter where
more were meant (``as L_emb`` is drawn as TeX sets it: L with e below, then mb), a label on a box that
draws its own symbol and learns nothing (``softmax(S: x) as P``: a triangle, and no parameters to name), and
one label given to two maps (drawn alike, they read as one map used twice, but each learns its own weights),
and a check line ncd check would refuse (an axis unknown, derived, or set below 1).

Each warning is an :class:`~ncd_render.errors.NcdError` (never raised) so that it
reads like an error, with the place and a caret; ``ncd`` prints them with
``warning:`` on stderr and carries on.

>>> from ncd_render.parse import parse
>>> from ncd_render.ir import build
>>> d = build(parse("axis m = 4\\ninput X[m]\\nH = linear(X: m -> m) as L\\nY = relu(X)\\noutput Y\\n", "u.ncd"))
>>> print(warnings(d)[0])
u.ncd:3:1: the learned box L makes H, which is never used: its weights reach no output
    3 | H = linear(X: m -> m) as L
      | ^
hint: use H, output it, or remove the box
"""
from __future__ import annotations

import math
import re

from . import ops
from . import syntax as ast
from .errors import NcdError, did_you_mean
from .ir import Diagram


def warnings(diagram: Diagram) -> list[NcdError]:
    """Unused tensors and dead learned boxes, in source order, each place once."""
    found: dict[tuple, NcdError] = {}
    carried = {leaving for s in diagram.sections.values() for _, leaving in s.carried}
    unused = set()
    for op in diagram.ops:
        if not op.params.get("unused") or op.inputs[0] in carried:  # only the builder's deletes of unused values
            continue
        value = diagram.values[op.inputs[0]]
        unused.add(value.id)
        made = diagram.producer(value.id)
        name = value.name or "this tensor"
        if value.id in diagram.inputs:
            warning = NcdError(f"input {name} is never used", value.span, "use it, or remove it from the inputs")
        elif made.learned:
            warning = NcdError(f"the learned box {made.label or made.kind} makes {name}, which is never used: its weights reach no output",
                               value.span, f"use {name}, output it, or remove the box")
        else:
            warning = NcdError(f"tensor {name} is never used", value.span,
                               f"use it, output it, or write 'delete {name}' to drop it on purpose")
        _add(found, warning)
    live = _live(diagram)
    for op in diagram.ops:
        if op.learned and op.id not in live and not set(op.outputs) & unused:
            label = op.label or op.kind
            _add(found, NcdError(f"the learned box {label} reaches no output: its weights do nothing", op.span,
                                 "everything it makes is dropped later; use its result or remove the box"))
    scales = {op.span: op for op in diagram.ops if op.kind == "scale"}
    for warning in _zero_scales(diagram.source.statements, {span: diagram.values[op.outputs[0]].axes for span, op in scales.items()}):
        _add(found, warning)
    labelled = _labelled(diagram.source.statements)
    for op in diagram.ops:
        warning = _outer_by_mistake(diagram, op) or _short_subscript(op) or _rows_hidden(diagram, op) or _label_unseen(op, labelled)
        if warning is not None:
            _add(found, warning)
    for warning in _labels_twice(diagram, labelled):
        _add(found, warning)
    mistake = check_line_mistake(diagram.source)  # (only ncd check said so; validate and render passed it)
    if mistake is not None:
        _add(found, mistake)
    return sorted(found.values(), key=lambda w: (w.span.line, w.span.column) if w.span else (0, 0))


def _outer_by_mistake(diagram: Diagram, op) -> NcdError | None:
    """A warning where a sum or difference of two terms is an outer one, over every pair of what each has and the
    other lacks, though those are depth axes of one size: more often one axis under two names (a head's features
    grouped, ``(h k)``, beside the model depth ``m``) than the pairs wanted. An outer sum of positions (additive
    attention's queries and keys, a Chamfer distance's points) is left alone."""
    if op.kind not in ("add", "sub") or len(op.inputs) != 2:
        return None
    first, second = (diagram.values[v] for v in op.inputs)
    mine = [a for a in first.axes if a not in second.axes]
    theirs = [a for a in second.axes if a not in first.axes]
    if not mine or not theirs or all(diagram.axes[a].width for a in mine + theirs):
        return None
    sizes = [[diagram.axes[a].size for a in axes] for axes in (mine, theirs)]
    if None in sizes[0] + sizes[1] or math.prod(sizes[0]) != math.prod(sizes[1]):
        return None
    a, b = first.name or "the first term", second.name or "the second"
    verb = "adds" if op.kind == "add" else "takes the difference of"
    out = diagram.values[op.outputs[0]].axes
    return NcdError(f"{a} {'+' if op.kind == 'add' else '-'} {b} {verb} every pair of [{' '.join(mine)}] and [{' '.join(theirs)}] "
                    f"(an outer {'sum' if op.kind == 'add' else 'difference'}, [{' '.join(out)}]), though they are the same size",
                    op.span, f"if they are one axis under two names, rename one first: {a}2 = rename({a}: {' '.join(mine)} -> "
                    f"{' '.join(theirs)})" if len(mine) == len(theirs) == 1 else "if they are one axis under two names, rename one first")


def _rows_hidden(diagram: Diagram, op) -> NcdError | None:
    """A warning where a mask by flags, read next by a softmax, has none of the axes the softmax runs over: each flag
    hides a whole row of it (a padding mask over the queries, not the keys), and a hidden row is NaN."""
    at = ops.of(op).reads_flags
    if at is None or at >= len(op.inputs):
        return None
    user = diagram.consumer(op.outputs[0])
    flags = diagram.values[op.inputs[at]]
    if user is None or user.params.get("fn", user.kind) != "softmax" or any(a in flags.axes for a in user.acts[0]):
        return None
    over = " ".join(user.acts[0])
    return NcdError(f"{flags.name or 'the mask'} has no axis {over}, which the softmax after it runs over: each of its flags "
                    "stands for a whole row, and a row hidden whole is NaN", op.span,
                    f"a padding mask is over the keys: {flags.name or 'M'}[{over}], the axis the softmax runs over")


def _short_subscript(op) -> NcdError | None:
    """A warning where a label's subscript, written without braces, runs on past its first character: TeX (and the
    figure) set only that one below, the rest on the line (``L_emb``: L with e below, then mb).

    >>> from types import SimpleNamespace as Op
    >>> print(_short_subscript(Op(label="L_emb", span=None)))
    the label L_emb has one character below the line, 'e', then 'mb' on it (as TeX sets it)
    hint: write L_{emb} for a subscript of several characters
    >>> _short_subscript(Op(label="L_{emb}", span=None)), _short_subscript(Op(label="W_\\\\mu", span=None))
    (None, None)
    >>> _short_subscript(Op(label="L_{to_rgb}", span=None)) is None  # (an imported module path, braced)
    True
    """
    label = op.label or ""
    outside = re.sub(r"\{[^{}]*\}", lambda m: "\0" * len(m.group()), label)  # (what braces hold is one subscript already)
    found = _RUN_ON.search(outside)
    if found is None:
        return None
    fixed = label[:found.start()] + "_{" + found.group(1) + found.group(2) + "}" + label[found.end():]
    return NcdError(f"the label {op.label} has one character below the line, '{found.group(1)}', then '{found.group(2)}' on it "
                    "(as TeX sets it)", op.span, f"write {fixed} for a subscript of several characters")


_RUN_ON = re.compile(r"_([A-Za-z0-9])([A-Za-z0-9]+)")


def _labels_twice(diagram: Diagram, labelled: dict) -> list[NcdError]:
    """A warning at each statement after the first whose learned box is given (``as``) a label another statement's box
    of the same component body (or of none) has: the figure draws two alike boxes, which reads as one map used twice,
    while each learns weights of its own (``W_1`` and ``W_1_2`` for ncd compile). Not for the same statement run again
    (a repeat, a component's body), a component's call (a layer drawn as one box by its name), a box drawn as its symbol
    (a norm's circle), or boxes of two components: each body is drawn by its name and its labels are its own, as
    ncd compile names them (``GPT2Attention_L_c_proj``, ``GPT2MLP_L_c_proj``; ncd import labels them so)."""
    first: dict[tuple, tuple] = {}
    out = []
    for op in diagram.ops:
        if not op.learned or op.span not in labelled or op.params.get("body") or _own_symbol(ops.of(op)):
            continue
        where = (op.span.line, op.span.column)
        seen = first.setdefault((labelled[op.span], op.label), where)
        if seen != where:
            out.append(NcdError(f"the label {op.label} is also line {seen[0]}'s: the two boxes are drawn alike, as one map used "
                                "twice, but each learns weights of its own", op.span,
                                "give each its own label; to use one map twice, stack the inputs along an axis and map them once"))
    return out


def _own_symbol(kind) -> bool:
    """Whether an op of ``kind`` is drawn as a symbol of its own, never its label: the softmax's triangle, a norm's
    circle, ReLU's ramp."""
    return kind.glyph in ("softmax", "norm") or kind.pictogram is not None


def _zero_scales(statements, axes: dict) -> list[NcdError]:
    """A warning at each scale by the number 0 (``One = K * 0``, ``relu(X) * 0.0``), in ``statements`` and every body
    they hold: every element of its result is 0 whatever the tensor holds, more often a hack or a slip than meant.
    ``axes``: the axes of the result of each scale op, by its span (the statement's, or the scale's after a call).

    >>> from ncd_render.parse import parse
    >>> print(_zero_scales(parse("axis m = 4\\ninput K[m]\\nOne = K * 0\\noutput One\\n", "z.ncd").statements, {})[0])
    z.ncd:3:11: a scale by 0: every element of One is 0, whatever K holds
        3 | One = K * 0
          |           ^
    hint: scale by another number; for a tensor of constants, declare it as an input (input One[...])
    """
    found = []
    for s in statements:
        found += _zero_scales(getattr(s, "body", ()), axes)
        expr = getattr(s, "expr", None)
        scale = getattr(expr, "scale", None)
        if scale is None or scale.axis is not None or scale.divide or scale.number != 0:
            continue
        made = ", ".join(t.name for t in s.targets)
        of = f"whatever {expr.arg.name} holds" if isinstance(expr, ast.Scaled) else f"whatever {expr.fn.name}(...) makes"
        shape = axes.get(expr.span if isinstance(expr, ast.Scaled) else scale.span)
        found.append(NcdError(f"a scale by {scale.text}: every element of {made} is 0, {of}", scale.span,
                              "scale by another number; for a tensor of constants, declare it as an input "
                              f"(input {made}[{' '.join(shape) if shape is not None else '...'}])"))
    return found


def _labelled(statements, block: str | None = None) -> dict:
    """The spans of the operations written with ``as LABEL``, in ``statements`` and every body they hold, each with the
    component (``block``) whose body holds it, or None."""
    spans = {}
    for s in statements:
        if getattr(s, "label", None) and hasattr(s, "expr"):
            spans[s.expr.span] = block
        spans.update(_labelled(getattr(s, "body", ()), s.name if isinstance(s, ast.Block) else block))
    return spans


def _label_unseen(op, labelled: set) -> NcdError | None:
    """A warning where ``as LABEL`` does nothing: the box is drawn as its own symbol (the softmax's triangle, a norm's
    circle, ReLU's ramp) and learns nothing the label could name for ncd check and ncd compile."""
    kind = ops.of(op)
    if op.learned or op.span not in labelled or not _own_symbol(kind):
        return None
    drawn = {"softmax": "the softmax's triangle", "norm": "its circle"}.get(kind.glyph, "its pictogram")
    hint = f"drop 'as {op.label}'" + ("; or write 'with affine': a norm that learns a scale and shift is named by its label"
                                      if kind.glyph == "norm" else "")
    return NcdError(f"the label {op.label} is not drawn: this box is drawn as {drawn}, and learns nothing the label could name",
                    op.span, hint)


def _add(found: dict, warning: NcdError) -> None:
    span = warning.span
    found.setdefault((span.line, span.column) if span else warning.message, warning)


def _live(diagram: Diagram) -> set[int]:
    """Ops whose results reach an output (or a store that is loaded), walking back from the outputs."""
    ops = {op.id: op for op in diagram.ops}
    reached = {diagram.ops[-1].id}  # the output op, always last
    frontier = list(reached)
    while frontier:
        op = ops[frontier.pop()]
        parents = [diagram.producer(v).id for v in op.inputs]
        if op.id in diagram.stored:  # the stored tensor travels from the save to the load
            parents.append(diagram.stored[op.id])
        for parent in parents:
            if parent not in reached:
                reached.add(parent)
                frontier.append(parent)
    return reached


def check_line_mistake(program) -> NcdError | None:
    """What is wrong with ``program``'s check line (an axis unknown, set to less than 1, or derived and set to another
    size than it follows), else None: ncd check refuses it; validate and render warn.

    >>> from ncd_render.parse import parse
    >>> print(check_line_mistake(parse("axis m = 4\\ninput X[m]\\noutput X\\ncheck q=3\\n", "c.ncd")))
    c.ncd:4:1: the check line sets unknown axis 'q'
        4 | check q=3
          | ^^^^^^^^^
    hint: axes: m
    """
    line = getattr(program, "check_sizes", None)
    if line is None:
        return None
    declared = {s.name: s for s in program.statements if isinstance(s, ast.AxisDecl)}
    follows = _sizes_at_line(program) if any(name in declared and derived(declared[name]) for name, _ in line.sizes) else {}
    for name, n in line.sizes:
        if n < 1:
            return NcdError(f"the check line sets axis '{name}' to {n}; sizes are whole numbers from 1", line.span, f"for example {name}=3")
        if name not in declared:
            return NcdError(f"the check line sets unknown axis '{name}'", line.span, did_you_mean(name, declared) or "axes: " + ", ".join(declared))
        if derived(declared[name]) and follows.get(name) != n:  # (one that agrees says the same twice: f=16 with m=4, f = 4 * m)
            at = f": at the line's other sizes it is {follows[name]}" if name in follows else ""
            return NcdError(f"the check line sets axis '{name}' to {n}, but it is derived from others{at}", line.span,
                            "leave it out (it follows from the axes it is computed from), or set those instead")
    return None


def derived(decl) -> bool:
    """Whether an axis declaration computes its size from other axes (``axis f = 4 * m``)."""
    return decl.size is not None and not isinstance(decl.size, ast.SizeInt)


def check_line_free(program) -> dict[str, int]:
    """The sizes ``program``'s check line gives the axes that are not derived (a derived one it gives follows from them)."""
    declared = {s.name: s for s in program.statements if isinstance(s, ast.AxisDecl)}
    return {name: n for name, n in program.check_sizes.sizes if name in declared and not derived(declared[name])}


def _sizes_at_line(program) -> dict[str, int]:
    """Every axis's size at the check line's sizes for the axes that are not derived; {} where the file does not build
    there."""
    from .ir import build

    try:
        return {name: axis.size for name, axis in build(program, sizes=check_line_free(program)).axes.items()}
    except NcdError:
        return {}
