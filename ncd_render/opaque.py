"""The opaque box: an operation the language has no statement for, kept as what it is.

``ncd import`` writes one for each torch operation without a DSL equivalent, labelled
with the operation's name, so the diagram shows it and its shapes instead of hiding or
approximating it::

    Y = opaque(X: y m -> y m) as "aten.cumsum"

It acts on every axis of its inputs and makes the axes after the arrow. It has no
meaning to run: ``ncd check``, ``ncd compile`` and ``ncd cost`` refuse a diagram that
holds one, naming it.

>>> from ncd_render.parse import parse
>>> from ncd_render.ir import build
>>> d = build(parse('axis y = 3\\naxis m = 4\\ninput X[y m]\\nY = opaque(X: y m -> y m) as "aten.cumsum"\\noutput Y\\n'))
>>> d.ops[1].kind, d.ops[1].label, d.values[d.ops[1].outputs[0]].axes
('opaque', 'aten.cumsum', ('y', 'm'))
>>> refuse(d, "ncd check")
Traceback (most recent call last):
ncd_render.errors.NcdError: <string>:4:5: ncd check cannot run the opaque box 'aten.cumsum': it stands for an operation the language has no statement for
    4 | Y = opaque(X: y m -> y m) as "aten.cumsum"
      |     ^^^^^^^^^^^^^^^^^^^^^
hint: write it with the language's statements, or leave it out of what you run
"""
from __future__ import annotations

from types import MappingProxyType

from .errors import NcdError, plural


def build_opaque(builder, call, args: list[int], scope, label: str | None) -> int:
    """Add an opaque op to ``builder`` (the IR builder): ``opaque(A, B: a axes, b axes -> out axes)``."""
    spec = call.spec
    if spec is None or spec.outputs is None or len(spec.outputs) != 1 or len(spec.inputs) != max(len(args), 1):
        raise NcdError("opaque needs each input's axes and the result's: opaque(X: y m -> y k)",
                       spec.span if spec else call.span)
    for name, vid, refs in zip(call.args, args, spec.inputs):
        written = tuple(builder.axis_name(r, scope) for r in refs)
        if written != builder.values[vid].axes:
            raise NcdError(f"opaque input {name.name} has axes {builder.describe(vid)}", spec.span,
                           f"write all of its axes, in order: {' '.join(builder.values[vid].axes)}")
    out_axes = builder.shape(spec.outputs[0], scope, "the output of opaque")
    out = builder.new_value("", out_axes, "real", call.span)
    builder.add_op(kind="opaque", inputs=tuple(args), outputs=(out,), acts=tuple(builder.values[v].axes for v in args),
                   broadcast=(), label=label or "opaque", params=MappingProxyType({"out_axes": out_axes}),
                   section=scope.section, span=call.span)
    return out


def refuse(diagram, command: str) -> None:
    """An error naming the first opaque box, for the commands that run or cost a diagram; one inside a
    component drawn collapsed (a file's ``depth``) counts too."""
    boxes = [op for op in (diagram.full or diagram).ops if op.kind == "opaque"]
    if boxes:
        more = f" (and {plural(len(boxes) - 1, 'other')})" if len(boxes) > 1 else ""
        raise NcdError(f"{command} cannot run the opaque box '{boxes[0].label}'{more}: it stands for an operation "
                       "the language has no statement for", boxes[0].span,
                       "write it with the language's statements, or leave it out of what you run")
