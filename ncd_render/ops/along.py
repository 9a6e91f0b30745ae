"""Shared shape rules for ops that act along named axes and keep the shape: ``fn(X: a b)``."""
from __future__ import annotations

from ..errors import NcdError


def in_place(axes: tuple, acted: tuple, new: tuple) -> tuple:
    """``axes`` less ``acted``, with ``new`` where the first of them stood: the output of a map, a ★ or an
    upsampling, whose new axes take the place of the ones it acts on.

    >>> in_place(("b", "c", "h", "w"), ("h", "w"), ("y", "x", "i", "j"))
    ('b', 'c', 'y', 'x', 'i', 'j')
    >>> in_place(("y", "k", "h"), ("k", "h"), ("m",))
    ('y', 'm')
    """
    first = min(map(axes.index, acted))  # no axis before it is acted on; it is
    return (*axes[:first], *new, *[a for a in axes[first + 1:] if a not in acted])


def acted_axes(b, call, scope, what: str = "the axes it normalises over", dtype: str = "real"):
    """(input value, the axes named, the axes that pass by, a new value of the input's shape, of ``dtype``)."""
    vid = b.one_arg(call, scope)
    fn, axes = call.fn.name, b.values[vid].axes
    if call.spec is None or call.spec.outputs is not None or len(call.spec.inputs) != 1:
        raise NcdError(f"{fn} needs {what}", call.spec.span if call.spec else call.span,
                       f"for example {fn}({call.args[0].name}: {axes[-1] if axes else 'x'})")
    acted = b.spec_axes(call.spec.inputs[0], vid, scope, fn, call.spec.span)
    out = b.new_value("", axes, dtype, call.span)
    return vid, acted, tuple(a for a in axes if a not in acted), out


def weight_trails(op, p) -> bool:
    """Whether the axes of ``op``'s weight (``params["axes"]``) are the last of its input's, in order, so that
    plain broadcasting lines them up (``p``: the axis patterns of the sizes it runs at)."""
    (axes,) = p.values(op)
    return axes[-len(op.params["axes"]):] == op.params["axes"]
