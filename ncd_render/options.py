"""The values an operation's options take (``with stride=2, bias``), checked where they are written.

Each option has a kind and a range; a value of the wrong kind or out of range is an
error at the option, with a hint that says what it takes:

>>> from ncd_render.parse import parse
>>> program = parse("axis h = 4\\ninput X[h]\\nB = unfold(X: h -> h) with stride=0\\noutput B\\n", "c.ncd")
>>> values(program.statements[2].expr.options)
Traceback (most recent call last):
...
ncd_render.errors.NcdError: c.ncd:3:28: stride=0 is out of range
    3 | B = unfold(X: h -> h) with stride=0
      |                            ^^^^^^^^
hint: stride takes a whole number from 1 to 1,099,511,627,776, e.g. stride=2
"""
from __future__ import annotations

import math

from .errors import NcdError
from .limits import MAX_SIZE
from .records import record


@record
class Kind:
    """What one option takes: a flag (no value), an axis name, one of a few words, a whole number
    or a real number in a range."""

    kind: str  # "flag" | "axis" | "choice" | "whole" | "real"
    low: float = -math.inf
    high: float = math.inf
    open_low: bool = False   # the range excludes ``low``
    open_high: bool = False  # the range excludes ``high``
    example: str = ""
    choices: tuple[str, ...] = ()  # the words a "choice" takes (a "whole" one: besides its numbers)
    per_axis: bool = False  # a "whole" one also takes one number per width axis: padding=(0, 3)

    def describe(self, name: str) -> str:
        if self.kind == "flag":
            return f"{name} is a flag and takes no value: write 'with {name}'"
        if self.kind == "axis":
            return f"{name} takes an axis name, e.g. {name}=e"
        if self.kind == "choice":
            return f"{name} takes one of {', '.join(self.choices)}, e.g. {name}={self.example}"
        what = "a whole number" if self.kind == "whole" else "a number"
        if self.kind == "whole":
            span = f" from {int(self.low):,} to {int(self.high):,}" + "".join(f", or {word}" for word in self.choices)
        else:
            bounds = [f"{'greater than' if self.open_low else 'at least'} {self.low:g}"] * (self.low > -math.inf) + \
                     [f"{'less than' if self.open_high else 'at most'} {self.high:g}"] * (self.high < math.inf)
            span = " " + " and ".join(bounds) if bounds else ""
        each = f", or one per width axis, e.g. {name}=({self.example}, {int(self.low)})" if self.per_axis else ""  # (2, 1), (1, 0)
        return f"{name} takes {what}{span}, e.g. {name}={self.example}{each}"

    def admits(self, value: float) -> bool:
        if not math.isfinite(value):
            return False
        above = value > self.low if self.open_low else value >= self.low
        below = value < self.high if self.open_high else value <= self.high
        return above and below


FLAG = Kind("flag")
KINDS = {
    **{flag: FLAG for flag in ("bias", "affine", "causal", "normalize", "interleaved", "select_bias", "running")},
    "per": Kind("axis"),
    "kernel": Kind("whole", 1, MAX_SIZE, example="3"),
    "stride": Kind("whole", 1, MAX_SIZE, example="2"),
    "dilation": Kind("whole", 1, MAX_SIZE, example="2"),
    "padding": Kind("whole", 0, MAX_SIZE, example="1"),
    "output_padding": Kind("whole", 0, MAX_SIZE, example="1"),
    "at": Kind("whole", -MAX_SIZE, MAX_SIZE - 1, example="0"),
    "k": Kind("whole", 1, MAX_SIZE, example="2"),
    "groups": Kind("whole", 1, MAX_SIZE, example="8"),
    "topk_groups": Kind("whole", 1, MAX_SIZE, example="4"),
    "eps": Kind("real", 0, 1e6, example="1e-5"),  # (as torch takes it: 0, or 5, are a module's to choose)
    "p": Kind("real", 0, 1, example="0.1"),
    "base": Kind("real", 1, open_low=True, example="10000"),
    "scale": Kind("real", 0, 1e30, open_low=True, example="2.5"),
}


def values(options, kinds=KINDS) -> dict:
    """``{name: value}`` for the parsed options of one call: True for flags, ints for whole
    numbers (a tuple of them, one per width axis), floats for real ones, names for axes and choices. ``kinds`` says what each
    option takes (an op's own, from :mod:`ncd_render.ops`); the names are known options."""
    out = {}
    for o in options:
        kind = kinds[o.name]
        written = f"{o.name}={o.text}" if o.text is not None else o.name
        if o.name in out:
            raise NcdError(f"option {o.name} is given twice", o.span, "give each option once")
        if kind.kind == "flag":
            if o.value is not None:
                raise NcdError(f"{written}: {o.name} takes no value", o.span, kind.describe(o.name))
            out[o.name] = True
            continue
        if o.value is None:
            raise NcdError(f"{o.name} needs a value", o.span, kind.describe(o.name))
        if kind.kind == "axis":
            if not isinstance(o.value, str) or not o.value.isidentifier():
                raise NcdError(f"{written}: {o.name} names an axis", o.span, kind.describe(o.name))
            out[o.name] = o.value
            continue
        if kind.kind == "choice":
            if o.value not in kind.choices:
                raise NcdError(f"{written}: {o.name} takes one of {', '.join(kind.choices)}", o.span, kind.describe(o.name))
            out[o.name] = o.value
            continue
        if isinstance(o.value, str) and o.value in kind.choices:  # a number's word (padding=same)
            out[o.name] = o.value
            continue
        if isinstance(o.value, str):
            raise NcdError(f"{written}: {o.name} takes a number, not {o.text}", o.span, kind.describe(o.name))
        if isinstance(o.value, tuple) and not kind.per_axis:
            raise NcdError(f"{written}: {o.name} takes one number, not one per axis", o.span, kind.describe(o.name))
        numbers = o.value if isinstance(o.value, tuple) else (o.value,)
        if kind.kind == "whole" and any(math.isfinite(v) and v != int(v) for v in numbers):
            raise NcdError(f"{written}: {o.name} takes whole numbers" if len(numbers) > 1 else
                           f"{written}: {o.name} takes a whole number", o.span, kind.describe(o.name))
        if not all(kind.admits(v) for v in numbers):
            raise NcdError(f"{written} is out of range", o.span, kind.describe(o.name))
        made = tuple(int(v) if kind.kind == "whole" else float(v) for v in numbers)
        out[o.name] = made if isinstance(o.value, tuple) else made[0]
    return out


def each(value, n: int) -> tuple[int, ...]:
    """A setting as one number per axis: ``value`` itself where it gives one each, else ``value`` ``n`` times.

    >>> each(2, 3), each((1, 7), 2)
    ((2, 2, 2), (1, 7))
    """
    return tuple(value) if isinstance(value, tuple) else (int(value),) * n


def one(sizes: tuple[int, ...]) -> int | tuple[int, ...]:
    """A setting as the language writes it: one number where it is alike on every axis, else one per axis.

    >>> one((3, 3)), one((1, 7))
    (3, (1, 7))
    """
    return sizes[0] if len(set(sizes)) == 1 else tuple(sizes)


def written(sizes: tuple[int, ...]) -> str:
    """A setting as a label writes it: ``3``, or ``1×7`` (in TeX) where the axes differ.

    >>> written((3, 3)), written((2, 1))
    ('3', '2\\\\times1')
    """
    value = one(sizes)
    return "\\times".join(map(str, value)) if isinstance(value, tuple) else str(value)


def one_per_axis(options, given: dict, axes: tuple[str, ...], kinds=KINDS) -> None:
    """Check that each option of the parsed ``options`` that gives one number per axis (its value in ``given``, from
    :func:`values`) gives exactly one for each of ``axes``, the width axes the op acts on, in the spec's order."""
    for o in options:
        value = given.get(o.name)
        if isinstance(value, tuple) and len(value) != len(axes):
            example = kinds[o.name].example
            raise NcdError(f"{o.name}={o.text} gives {len(value)} numbers for {len(axes)} width "
                           f"{'axis' if len(axes) == 1 else 'axes'} ({' '.join(axes)})", o.span,
                           f"give one number for all of them, or one for each, in the spec's order: {o.name}=({', '.join([example] * len(axes))})"
                           if len(axes) > 1 else f"give one number, e.g. {o.name}={example}")
