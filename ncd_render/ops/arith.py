"""Sums ``A + B + C`` (a compact box the other terms enter from below; n - 1 FLOPs per element),
differences ``A - B`` (the same, labelled −, never its terms swapped; outer, as a sum may be),
scalings ``X * 0.5``, ``X * k^-1/2`` (the ➤×k➤ mark; 1 FLOP per element) and offsets ``X + 1``,
``1 - X`` (the ➤+1➤, ➤1−·➤ marks; 1 FLOP per element). All are written as syntax, not calls. A later term may lack axes of the first, its axes in the first's order:
it is broadcast over the rest (``S[h y x] + A[h x]``: ALiBi's bias per head and key, added to
every query's scores); the sum has the first term's axes."""
from __future__ import annotations

from types import MappingProxyType

from .. import limits
from ..errors import NcdError
from .registry import ADD, MUL, OpKind, register
from .work import Work


def broadcast_fault(first: tuple, theirs: tuple) -> str | None:
    """Why a tensor with axes ``theirs`` cannot be broadcast onto one with axes ``first`` (as a later term of a
    sum, the right side of a product, the second of a maximum): ``"swap"``, it has axes the first lacks and all the
    first's (the two may trade places); ``"missing"``, it has axes the first lacks; ``"order"``, its axes come in
    another order; None where it can.

    >>> broadcast_fault(("y", "m"), ("m",)), broadcast_fault(("m",), ("y", "m")), broadcast_fault(("m",), ("y",))
    (None, 'swap', 'missing')
    >>> broadcast_fault(("y", "x", "h"), ("h", "y"))
    'order'
    """
    if any(x not in first for x in theirs):
        return "swap" if all(x in theirs for x in first) else "missing"
    return "order" if list(theirs) != [x for x in first if x in theirs] else None


def build_add(b, expr, options, scope, label):
    """``A + B + C``, or ``A - B``: every later term's axes the first's, or some of them, in its order; or ``A + B``
    where each has axes the other lacks and they share some (an outer sum: additive attention's W q_y + U k_x), the
    result the first's axes then the second's own, in its order."""
    args = [b.lookup(t, scope) for t in expr.terms]
    first, head = b.values[args[0]].axes, expr.terms[0].name
    verb, to = ("subtract", "from") if expr.subtract else ("add", "to")
    extra = ()  # an outer sum's (or difference's) axes that only its second term has: they go on past the box, after the first's
    for name, vid in zip(expr.terms[1:], args[1:]):
        theirs = b.values[vid].axes
        missing = [x for x in theirs if x not in first]
        fault = broadcast_fault(first, theirs)
        if fault == "missing" and len(expr.terms) == 2 and len(missing) < len(theirs):
            extra, theirs = tuple(missing), tuple(x for x in theirs if x in first)  # (the shared axes still in the first's order)
            fault = broadcast_fault(first, theirs)
        elif fault in ("missing", "swap"):
            flip = len(expr.terms) == 2 and fault == "swap" and not expr.subtract
            raise NcdError(f"cannot {verb} {name.name} {b.describe(vid)} {to} {head} {b.describe(args[0])}: {head} has no axis "
                           + ", ".join(repr(x) for x in missing), name.span,
                           f"write {name.name} + {head}: a later term is broadcast over the axes it lacks" if flip else
                           f"every term needs the first one's axes [{' '.join(first)}], in order, or some of them (it is broadcast "
                           f"over the rest); {name.name} has {b.describe(vid)}")
        if fault == "order":
            raise NcdError(f"cannot {verb} {name.name} {b.describe(vid)} {to} {head} {b.describe(args[0])}", name.span,
                           f"every term needs the first one's axes [{' '.join(first)}], in order; {name.name} has {b.describe(vid)}"
                           if len(theirs) == len(first) else
                           f"{name.name}'s axes must come in {head}'s order, [{' '.join(x for x in first if x in theirs)}]")
    out = b.new_value("", first + extra, "real", expr.span)
    kind = "sub" if expr.subtract else "add"
    b.add_op(kind=kind, inputs=tuple(args), outputs=(out,), acts=tuple(() for _ in args), broadcast=first + extra,
             label="−" if expr.subtract else "+", section=scope.section, span=expr.span)
    return [out]


def lined_up(op, p, k: int) -> str | None:
    """The einops pattern laying term ``k`` out as the result, a dim of one for each axis it lacks; None when it has them all."""
    return p.lined_up(p.values(op)[k], p.values(op, "outputs")[0])


def lined_terms(op, rt, xs) -> list:
    """Each term as run, laid out as the result (:func:`lined_up`)."""
    return [x if pattern is None else rt.einops.rearrange(x, pattern) for k, x in enumerate(xs) for pattern in [lined_up(op, rt.patterns, k)]]


def lined_args(op, w, precedence: tuple[int, ...]) -> list[str]:
    """Each term as written source, laid out as the result: as it is where it needs no rearrange, at its ``precedence``."""
    return [w.arg(v, precedence[k]) if pattern is None else f'rearrange({w.arg(v)}, "{pattern}")'
            for k, v in enumerate(op.inputs) for pattern in [lined_up(op, w.p, k)]]


def run_add(op, box, xs, rt):
    terms = lined_terms(op, rt, xs)
    return sum(terms[1:], terms[0])


def source_add(op, w, target):
    return [], " + ".join(lined_args(op, w, (0,) * len(op.inputs))), ADD, ""


def run_sub(op, box, xs, rt):
    first, taken = lined_terms(op, rt, xs)
    return first - taken


def source_sub(op, w, target):
    first, taken = lined_args(op, w, (ADD, ADD + 1))
    return [], f"{first} - {taken}", ADD, ""


def build_scale(b, vid, scale, scope, span):
    """``vid`` times a number or a power of an axis's size; divided by one (``scale.divide``), times its
    reciprocal: ``X / m^1/2`` is ``X * m^-1/2``, ``X / 8`` is labelled 1/8."""
    if scale.axis is not None:
        axis = b.axis(scope.rename.get(scale.axis, scale.axis), scale.span)
        exponent = -scale.exponent if scale.divide else scale.exponent
        factor = None if axis.size is None else limits.power(axis.size, exponent, scale.text, scale.span)
        text = axis.name if exponent == 1 else f"{axis.name}^{{{exponent}}}"
    elif scale.divide:
        if scale.number == 0:
            raise NcdError(f"cannot divide by {scale.text}", scale.span, "divide by a number that is not zero")
        factor, text = 1 / scale.number, f"1/{scale.text}"
    else:
        factor, text = scale.number, scale.text
    axes = b.values[vid].axes
    out = b.new_value("", axes, "real", span)
    b.add_op(kind="scale", inputs=(vid,), outputs=(out,), acts=((),), broadcast=axes,
             label=text if scale.axis is not None else scale_label(text, factor),
             params=MappingProxyType({"factor": factor, "text": text}), section=scope.section, span=span)
    return [out]


SHOWN_DIGITS = 4  # significant digits a number written with more is drawn with (its box, not what it computes)


def scale_label(text: str, factor: float) -> str:
    """The mark of a scale by a number: the number as shown (:func:`shown_number`), a negative one after a times sign
    and with a minus sign, so that it never reads as an offset's (``X * -1`` beside ``X - 1``'s ➤−1➤).

    >>> scale_label("0.5", 0.5), scale_label("-1", -1.0), scale_label("1/-2", -0.5)
    ('0.5', '×−1', '×1/−2')
    """
    shown = shown_number(text, factor)
    return "×" + shown.replace("-", "−") if factor < 0 else shown


def shown_number(text: str, factor: float) -> str:
    """How a scale by a number is labelled in a figure: as written, unless written with more than
    :data:`SHOWN_DIGITS` significant digits (an imported ``0.3535533966440824``), then rounded to them.

    >>> shown_number("0.3535533966440824", 0.3535533966440824), shown_number("0.125", 0.125), shown_number("1e-3", 1e-3)
    ('0.3536', '0.125', '1e-3')
    >>> shown_number("-123456.75", -123456.75)
    '-1.235e+05'
    >>> shown_number("1/128", 1 / 128), shown_number("1/22.627416997969522", 1 / 22.627416997969522)  # a division: its divisor
    ('1/128', '1/22.63')
    """
    if text.startswith("1/"):
        return "1/" + shown_number(text[2:], 1 / factor)
    digits = text.lower().split("e")[0].lstrip("+-").replace(".", "").lstrip("0")
    return text if len(digits) <= SHOWN_DIGITS else f"{factor:.{SHOWN_DIGITS}g}"


def build_offset(b, expr, options, scope, label):
    """``X + 1``, ``X - 1`` (adding -1), ``1 + X`` or ``1 - X`` (``expr.negate``): a mark above X's wires,
    labelled +1, −1 or 1−· (the dot standing for the tensor)."""
    vid = b.lookup(expr.arg, scope)
    axes = b.values[vid].axes
    out = b.new_value("", axes, "real", expr.span)
    b.add_op(kind="offset", inputs=(vid,), outputs=(out,), acts=((),), broadcast=axes,
             label=offset_label(expr.text, expr.number, expr.negate),
             params=MappingProxyType({"number": expr.number, "negate": expr.negate}), section=scope.section, span=expr.span)
    return [out]


def offset_label(text: str, number: float, negate: bool) -> str:
    """The mark of ``X + number`` (or, ``negate``, ``number - X``), ``text`` the number as written.

    >>> offset_label("1", 1.0, True), offset_label("1", -1.0, False), offset_label("-0.5", -0.5, False)
    ('1−·', '−1', '−0.5')
    """
    shown = shown_number(text.lstrip("-"), abs(number)).replace("-", "−")
    return f"{'−' if number < 0 else ''}{shown}−·" if negate else f"{'−' if number < 0 else '+'}{shown}"


def run_offset(op, box, xs, rt):
    number = op.params["number"]
    return number - xs[0] if op.params["negate"] else xs[0] + number


def source_offset(op, w, target):
    number = op.params["number"]
    if op.params["negate"]:
        return [], f"{number!r} - {w.arg(op.inputs[0], ADD + 1)}", ADD, ""
    return [], f"{w.arg(op.inputs[0], ADD)} {'-' if number < 0 else '+'} {abs(number)!r}", ADD, ""


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def source_scale(op, w, target):
    text = op.params["text"].replace("{", "").replace("}", "")
    return [], f"{w.arg(op.inputs[0], MUL)} * {op.params['factor']!r}", MUL, "" if _is_number(text) else text


register(
    OpKind("add", "add", build=build_add, in_dsl=False, glyph="join", hold="through", commutes=True, label=lambda op: (op.label, 1.2, True),
           cost=lambda op, c: Work(0, (len(c.ins) - 1) * c.n, c.ins, c.outs, c.mapped, 1), broadcasts=True,
           run=run_add, source=source_add, example="input X[y m], Z[y m], B[m]\nY = X + Z + B"),
    OpKind("sub", "sub", build=build_add, in_dsl=False, glyph="join", hold="through", label=lambda op: (op.label, 1.2, True),
           cost=lambda op, c: Work(0, c.n, c.ins, c.outs, c.mapped, 1), broadcasts=True,
           run=run_sub, source=source_sub, example="input X[y m], B[m]\nY = X - B"),
    OpKind("scale", "scale", build=build_scale, in_dsl=False, glyph="mark", hold="through", at_cup=True, rescalable=True,
           cost=lambda op, c: Work(0, c.n, c.ins, c.outs, c.mapped, 1),
           run=lambda op, box, xs, rt: xs[0] * op.params["factor"], source=source_scale, example="input X[y m]\nY = X * m^-1/2"),
    OpKind("offset", "offset", build=build_offset, in_dsl=False, glyph="mark", hold="through",
           cost=lambda op, c: Work(0, c.n, c.ins, c.outs, c.mapped, 1),
           run=run_offset, source=source_offset, example="input X[y m]\nY = 1 - X"),
)
