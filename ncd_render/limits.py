"""What a diagram may ask for, checked before any work starts (docs/dsl.md, "Limits").

Every number a file gives is bounded here, so that a typo cannot make
parsing, building, drawing or costing run out of time or memory:

>>> whole("4096", None, "an axis size")
4096
>>> whole("1" + "0" * 400, None, "an axis size")
Traceback (most recent call last):
...
ncd_render.errors.NcdError: an axis size of 1000000000000... (401 digits) is too large
hint: an axis size is at most 1,099,511,627,776 (2^40)
>>> power(4, Fraction(-1, 2), "k^-1/2", None)
0.5
"""
from __future__ import annotations

from fractions import Fraction

from .errors import NcdError, Span

MAX_SIZE = 2 ** 40        # an axis size, a repeat count, a whole-number option
MAX_SIZE_TERMS = 64       # operations (+ - * /) in one size expression
MAX_NESTING = 32          # sections, repeats, blocks and component calls inside one another
MAX_BOXES = 10_000        # boxes of a diagram once every component call is written out
MAX_EXPONENT = 64         # |exponent| of a scale such as k^-1/2
MAX_NUMBER_TEXT = 24      # characters of one written number or exponent


def shown(text: str) -> str:
    """A written number as a message quotes it: long ones cut short, with their length."""
    return text if len(text) <= 16 else f"{text[:13]}... ({len(text)} digits)"


def whole(text: str, span: Span | None, what: str, limit: int = MAX_SIZE) -> int:
    """The whole number written as ``text``, at most ``limit`` (checked before converting it)."""
    digits = text.lstrip("0") or "0"
    if len(digits) > len(str(limit)) or int(digits) > limit:
        raise NcdError(f"{what} of {shown(text)} is too large", span, f"{what} is at most {limit:,}" + (" (2^40)" if limit == MAX_SIZE else ""))
    return int(digits)


def check_size(size: int, span: Span | None, what: str) -> int:
    """An axis size computed from others: a whole number from 1 to MAX_SIZE."""
    if size < 1:
        raise NcdError(f"{what} would have size {size}; sizes are whole numbers of at least 1", span)
    if size > MAX_SIZE:
        raise NcdError(f"{what} would have size {shown(str(size))}, more than {MAX_SIZE:,} (2^40)", span,
                       "sizes are at most 2^40; give it a smaller size")
    return size


def exponent(text: str, span: Span | None) -> Fraction:
    """A scale's exponent as written (``-1/2``, ``2``, ``.5``), within MAX_EXPONENT."""
    hint = f"an exponent is a whole number, a fraction p/q or a decimal between -{MAX_EXPONENT} and {MAX_EXPONENT}, e.g. k^-1/2"
    if len(text) > MAX_NUMBER_TEXT:
        raise NcdError(f"exponent {shown(text)} is too long", span, hint)
    numerator, _, denominator = text.partition("/")
    if denominator and int(denominator) == 0:
        raise NcdError(f"exponent {text} divides by zero", span, hint)
    value = Fraction(text)
    if abs(value) > MAX_EXPONENT:
        raise NcdError(f"exponent {text} is out of range", span, hint)
    return value


def power(size: int, exp: Fraction, text: str, span: Span | None) -> float:
    """``size ** exp`` as a float, exact for whole exponents; an error if it overflows or rounds to 0."""
    try:
        value = float(Fraction(size) ** exp) if exp.denominator == 1 else float(size) ** float(exp)
    except (OverflowError, ZeroDivisionError):
        value = float("inf")
    if value == 0 or value == float("inf"):
        raise NcdError(f"the scale {text} = {size}^{exp} is {'too large' if value else 'too small'} for a float", span,
                       "scale by a smaller power, or give the axis a smaller size")
    return value


def number(text: str, span: Span | None, what: str) -> float:
    """A written decimal number that is finite as a float."""
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise NcdError(f"{what} {shown(text)} is too large for a float", span, "numbers are at most about 1e308")
    return value
