"""One imported statement as ``.ncd`` text, spelled as the op registry declares its kind:
the DSL name, the spec of the axes it acts on, its ``with`` options, a contraction's scale
at its cup (``k^-1/2``), and an opaque box's ``as "..."``.
"""
from __future__ import annotations

import math
import re

from .. import ops
from .axisnames import role
from .graph import Stmt
from .seen import at_cup

# kinds whose every axis in the spec is one axis: (what they read, what they make); one that a view splits is written
# as a group, the operand grouped before and the result split after (a concatenation groups its operands itself)
ONE_AXIS_EACH = {"unfold": ("in", "out"), "fold": ("in", "out"), "upsample": ("in", "out"), "concat": (None, "to"),
                 "rope": ("on", "on"), "index": ("on", "out")}
INFIX = {"add": "+", "sub": "-", "mul": "*", "div": "/"}  # kinds written as syntax (the registry's entries that are not called by name)
IMPLIED = {"kernel"}  # options the axes already say (an unfold's kernel is its kernel axes' size)
DEFAULTS = {"stride": 1, "dilation": 1, "padding": 0, "output_padding": 0, "groups": 1, "topk_groups": 1, "scale": 1.0,
            "approximate": "none", "slope": 0.01, "distance": 128}


def statement(stmt: Stmt, args, order, names, axis_names, atoms) -> str:
    """One statement, spelled as the op registry declares its kind: the DSL name, the spec from the
    axes the statement acts on (``in -> out``, ``on``, ``from -> to``, ``vocab -> out``, or every
    operand's layout), and the ``with`` options its kind takes."""
    if at_cup(stmt):
        return f"{args[0]} * {_factor(stmt.scale, axis_names, atoms)}"
    if stmt.fn in INFIX:
        return f" {INFIX[stmt.fn]} ".join(args)
    if stmt.fn == "offset":  # X + 1, X - 1, 1 - X
        number = stmt.options["number"]
        if stmt.options["negate"]:
            return f"{_number(number)} - {args[0]}"
        return f"{args[0]} {'-' if number < 0 else '+'} {_number(abs(number))}"
    kind = ops.named(stmt.fn)
    if kind is None:
        raise ValueError(f"the importer made a statement of kind '{stmt.fn}', which the language does not call by name")
    axes = stmt.axes
    if "in" in axes or "vocab" in axes or "from" in axes:
        source, target = (axes["in"], axes["out"]) if "in" in axes else (axes["vocab"], axes["out"]) if "vocab" in axes else \
            (axes["from"], axes["to"])
        if stmt.fn in ONE_AXIS_EACH:  # each axis one, a group where a view splits it (the writer groups and splits them)
            spec = " ".join(_one(names([a])) for a in source) + " -> " + " ".join(_one(names([a])) for a in target)
        else:
            spec = f"{names(source)} -> {names(target)}"
    elif "to" in axes:  # a concatenation: each operand's joined axis, and the axis they make
        spec = ", ".join(_one(names([a])) for a in axes["on"]).rstrip() + f" -> {_one(names(axes['to']))}"  # (none: stacked)
    elif axes.get("on"):
        spec = " ".join(_one(names([a])) for a in axes["on"]) if stmt.fn in ONE_AXIS_EACH else names(axes["on"])
    elif "on" in axes:  # on no axis (nn.PReLU()'s one slope for all; a learned number, learned(:))
        spec = "" if stmt.fn == "learned" else None
    elif kind.glyph in ("mark", "join"):  # an element-wise function, or of two tensors (maximum)
        spec = None
    else:  # a contraction or an opaque box: every operand's layout
        spec = ", ".join(axes_text(order[v], axis_names) for v in stmt.args).rstrip() + f" -> {axes_text(order[stmt.out], axis_names)}"
    options = _options(stmt, kind, names)
    text = f"{stmt.fn}({', '.join(args)}{(': ' + spec) if spec else ':' if spec == '' else ''})" + (" with " + ", ".join(options) if options else "")
    if stmt.scale not in (None, 1):  # a contraction's scale, at its cup
        depth = atoms.leaves_of(axes.get("depth", []))
        text += f" * {_factor(stmt.scale, axis_names, atoms, depth)}"
    if not kind.runs:  # an opaque box says what it stands for
        text += ' as "' + opaque_label(stmt.label) + '"'
    return text


def opaque_label(name: str) -> str:
    """An opaque box's label: the operation's name, a dunder's underscores left out and the rest as hyphens (an
    underscore would start a subscript), quotes as apostrophes.

    >>> opaque_label("aten.__and__"), opaque_label("aten.new_ones"), opaque_label('a"b')
    ('aten.and', 'aten.new-ones', "a'b")
    """
    return re.sub(r"(?<![^\W_])_+|_+(?![^\W_])", "", name).replace("_", "-").replace('"', "'")


def _one(text: str) -> str:
    """Axes that stand for one axis of a spec: a group when there are several (``(h k)``)."""
    return f"({text})" if " " in text else text


def split_later(stmt: Stmt, leaves, before: bool = False) -> list[list]:
    """The axes ``stmt`` makes that it writes as groups (:data:`ONE_AXIS_EACH`), or, ``before``, those of what it reads:
    each one's atoms, which a view made of one axis."""
    side = ONE_AXIS_EACH.get(stmt.fn, (None, None))[0 if before else 1]
    return [group for group in (leaves([a]) for a in stmt.axes.get(side, ())) if len(group) > 1] if side else []


def _options(stmt: Stmt, kind, names) -> list[str]:
    """The ``with`` options of a statement, as its kind declares them: a flag by its name, the rest ``name=value``."""
    words = []
    for name, value in stmt.options.items():
        option = kind.options.get(name)
        if option is None or name in IMPLIED or DEFAULTS.get(name, object()) == value:
            continue
        if option.kind == "flag":
            words += [name] if value else []
        else:
            words.append(f"{name}={_number(value) if isinstance(value, float) else value}")
    if stmt.axes.get("per"):
        words.append(f"per={names(stmt.axes['per'])}")
    return words


def axes_text(order, axis_names) -> str:
    """Atoms by their axis names, in order, as a spec writes a layout (``y k h``)."""
    return " ".join(axis_names[a] for a in order)


def _factor(scale: float, axis_names, atoms, depth=()) -> str:
    """A scale as a power of an axis size (``k^-1/2``), the contracted axis first, else as a number."""
    ranked = sorted(axis_names.items(), key=lambda item: (item[0] not in depth, role(item[0], atoms) != "head_dim"))
    for power, text in ((-0.5, "-1/2"), (0.5, "1/2"), (-1.0, "-1")):
        if power > 0 and float(scale).is_integer() and scale <= 3:  # 2 x is two of x (a distance's -2 z.c), not m^1/2 at m = 4
            continue
        half = power == -0.5 and float(1 / scale).is_integer() and 1 / scale <= 3  # half of x (softplus's 1 / beta)...
        for root, name in ranked:
            if (power == -1.0 or half and role(root, atoms) != "head_dim") and root not in depth:  # (a mean over the
                continue  # contracted axis: two unit vectors' scales, cosine's; ...is k^-1/2 only of a head's depth of 4)
            if atoms.size(root) > 1 and role(root, atoms) != "batch" and math.isclose(scale, atoms.size(root) ** power, rel_tol=1e-12):
                return f"{name}^{text}"
    return _number(scale)


def _number(x: float) -> str:
    """A number as written: a float's last-bit noise rounded off (a product of scales, 0.12500000000000003, is 0.125).

    >>> _number(0.12500000000000003), _number(3.0), _number(0.3535533905932738)
    ('0.125', '3', '0.3535533905932738')
    >>> _number(1e300), _number(-2.5e-30)  # (1e300 was written out in 301 digits, past the 24 a number may have)
    ('1e300', '-2.5e-30')
    """
    x = float(x)
    near = float(f"{x:.12g}")
    x = near if abs(near - x) <= 4 * math.ulp(x) else x  # (a number that needs all its digits keeps them)
    return str(int(x)) if x.is_integer() and 1 <= abs(x) < 1e16 else repr(x).replace("e+", "e")
