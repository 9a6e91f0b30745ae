"""Syntax errors: lark's ``UnexpectedInput`` as an :class:`~ncd_render.errors.NcdError` that names the
file, line and column, says what came where, and hints at what was expected or what to do instead.

>>> from ncd_render.parse import parse
>>> for text in ("axis m 4", "axis m = 4\\ninput = relu(X)", 'section "A"\\naxis m = 4'):
...     try:
...         parse(text, "bad.ncd")
...     except NcdError as error:
...         print(error.message, "|", error.hint)
unexpected '4' | expected '=', 'width', end of line
unexpected '=' | 'input' starts a statement of its own; give the tensor another name
this section or block is never closed with 'end' | add a line 'end' after its body
"""
from __future__ import annotations

import re

from .errors import NcdError, Source, Span, did_you_mean
from .lean import import_lark
from .syntax_mistakes import KEYWORDS, mistake

# what the user may write where the parser expected each terminal: never its internal name
_TOKEN_WORDS = {
    "_NL": ("end of line",), "NAME": ("a name",), "INT": ("a whole number",), "NUMBER": ("a number",),
    "STRING": ("a quoted string",), "LABEL": ("a label",), "EXPONENT": ("an exponent",), "ARROW": ("'->'",),
    "ADD_OP": ("'+'", "'-'"), "MUL_OP": ("'*'", "'/'"), "DTYPE": ("'int'", "'bool'"), "$END": ("end of file",),
    "LSQB": ("'['",), "RSQB": ("']'",), "LPAR": ("'('",), "RPAR": ("')'",), "COMMA": ("','",), "COLON": ("':'",),
    "EQUAL": ("'='",), "CIRCUMFLEX": ("'^'",), "PLUS": ("'+'",), "MINUS": ("'-'",), "STAR": ("'*'",), "SLASH": ("'/'",),
}


def _expected(terminals, before: str) -> list[str]:
    """What may be written where the parser expected ``terminals``, after ``before`` on the line: symbols and keywords
    quoted, then kinds of token; a closing bracket only where one is open (the LALR tables offer ')' after any size).

    >>> _expected({"ADD_OP", "WIDTH", "RPAR", "_NL", "INT"}, "axis m = 4")
    ["'+'", "'-'", "'width'", 'a whole number', 'end of line']
    """
    words = set()
    for terminal in terminals:
        if terminal == "RPAR" and before.count("(") <= before.count(")") or terminal == "RSQB" and before.count("[") <= before.count("]"):
            continue
        words.update(_TOKEN_WORDS.get(terminal) or ((repr(terminal.lower()),) if terminal.isalpha() and terminal.isupper() else ()))
    order = "'(', ')', '[', ']', ',', ':', '=', '+', '-', '*', '/', '^', '->'".split(", ")
    return sorted(words, key=lambda w: (not w.startswith("'"), order.index(w) if w in order else len(order), w))


def syntax_error(error, source: Source) -> NcdError:
    """lark's ``error`` (an ``UnexpectedInput``) in ``source`` as one NcdError: what came, where, and what
    was expected or what to do instead."""
    line, column = error.line, error.column
    if line is None or line < 1:  # unexpected end of input
        lines = source.text.splitlines() or [""]
        line, column = len(lines), len(lines[-1]) + 1
    span = source.span(line, column)
    if isinstance(error, import_lark().exceptions.UnexpectedCharacters):
        char = source.line(line)[column - 1 : column] or "end of line"
        return mistake(source, line, column, repr(char), None) or \
            NcdError(f"unexpected character {char!r}", span, _from_python(source.line(line), column, repr(char)) or _size_hint(source.line(line), column, char))
    token = getattr(error, "token", None)
    if token is not None and token.type == "_NL":
        got = "end of line"
    elif token is not None and token.type == "$END":
        got = "end of file"
    else:
        got = repr(str(token)) if token is not None else "input"
        if token is not None:
            span = source.span(line, column, line, column + max(1, len(str(token))))
    special = mistake(source, line, column, got, token.type if token is not None else "")
    if special:
        return special
    expected = _expected(getattr(error, "expected", ()), source.line(line)[: column - 1])
    hint = None
    if expected and len(expected) <= 6:
        hint = "expected " + ", ".join(expected)
    keywords = [w[1:-1] for w in expected if w.startswith("'") and w[1:-1].isalpha()]
    if token is not None and token.type in ("NAME", "LABEL") and keywords and did_you_mean(str(token), keywords):
        hint = did_you_mean(str(token), keywords)  # axis y = 8 widht
    size = _size_hint(source.line(line), column, str(token)) if token is not None and token.type not in ("NAME", "LABEL") else None
    first = source.line(line).split("#", 1)[0].split()
    if got == "'='" and first and first[0] in KEYWORDS and len(first) > 1 and first[1] == "=":
        hint = f"'{first[0]}' starts a statement of its own; give the tensor another name"
    before = source.line(line)[: column - 1][-500:]  # (a statement's start: a long line is not searched whole)
    if got in ("'-'", "'+'") and re.search(r"=\s*\w+(\s*[-+]\s*\w+)+\s*$", before) and ("-" in before or got == "'-'"):
        hint = "a difference takes two terms (A - B), and a sum only adds (A + B + C): name each step, D = A - B, then E = D - C"
    number = r"-?(?:\d+\.?\d*|\.\d+)(?:[eE]-?\d+)?"
    scaled = re.search(rf"=\s*({number})\s*$", before)
    after = re.match(r"\s*(\w+)\s*(#.*)?$", source.line(line)[column:])
    result = re.match(r"\s*(\w+)\s*=", source.line(line))
    offset = re.search(rf"=\s*(\w+)\s*([-+])\s*({number})\s*$", before)
    scaling = re.search(rf"=\s*(\w+)\s*([*/])\s*({number}|[A-Za-z_]\w*(?:\^-?\d+(?:/\d+)?)?)\s*$", before)
    if got == "'*'" and scaled and after:  # 2 * X
        hint = f"a scale follows its tensor: write {after.group(1)} * {scaled.group(1)}"
    elif got in ("'*'", "'/'") and offset and after and result and not offset.group(1)[0].isdigit():  # X + 0.5 * Z
        hint = (f"a statement does one operation: scale first, S = {after.group(1)} {got[1]} {offset.group(3)}, "
                f"then {result.group(1)} = {offset.group(1)} {offset.group(2)} S")
    elif got in ("'+'", "'-'") and scaling and after and result and not scaling.group(1)[0].isdigit():  # X * 0.5 + Z
        hint = (f"a statement does one operation: scale first, S = {scaling.group(1)} {scaling.group(2)} {scaling.group(3)}, "
                f"then {result.group(1)} = S {got[1]} {after.group(1)}")
    elif got in ("'*'", "'/'", "'+'", "'-'") and re.search(rf"=\s*({number}\s*[-+]\s*\w+|\w+\s*[-+]\s*{number})\s*$", before):
        hint = "an offset is one tensor and one number (X + 1, 1 - X): name each step, as in S = X * 2, then Y = 1 - S"
    elif got == "'*'" and re.search(r"\*\s*$", before):  # X ** 2
        hint = "the language has no **: x² is square(X), its square root sqrt(X), 1/√x rsqrt(X)"
    elif got in ("'*'", "'/'") and result and (operand := re.match(r"\s*(\S+?)\s*(#.*)?$", source.line(line)[column:])) \
            and (step := re.search(r"=\s*(\S.*?\S)\s*$", before)) and re.search(r"[*/]", step.group(1)) \
            and not re.search(r"[-+*/^(,]\s*$", step.group(1)):  # X * X * 2
        hint = (f"a statement does one operation: name the first result, S = {step.group(1)}, "
                f"then {result.group(1)} = S {got[1]} {operand.group(1)}")
    elif token is not None and token.type == "NUMBER" and re.search(r"=\s*\w+(\s*[-+]\s*\w+)+\s*[-+]\s*$", before):
        hint = "a number is added to one tensor (X + 1): name the sum first, S = A + B, then Y = S + 1"
    inner = re.search(r"\w+\(\s*(\w+)\s*$", before)
    if got == "'-'" and re.search(r"=\s*$", before) and after:  # Y = -X
        hint = f"a tensor is negated by a scale: {after.group(1)} * -1"
    elif (option := re.search(rf"\bwith\b.*?(\w+)\s*=\s*\(\s*({number}(?:\s*,\s*{number})*)?\s*,?\s*$", before)) \
            and not (token is not None and token.type == "NUMBER"):  # with padding=(i - 1) / 2, with padding=(1)
        name, inside = option.group(1), option.group(2)
        if got == "')'" and inside and "," not in inside:
            hint = (f"one number is written without parentheses, {name}={inside}; they hold one number per width axis, "
                    f"{name}=(0, 3)")
        elif got == "end of line" and inside:
            hint = f"close the parentheses: {name}=({inside.rstrip(', ')})"
        else:
            hint = (f"an option takes one number or word (a window's setting: one number per width axis, {name}=(0, 3)), "
                    f"not an expression: write the number, e.g. {name}=1 (sizes are worked out only where axes are declared)")
    elif got == "'('" and re.search(r"=\s*$", before):  # Y = (X + Z) * 2
        hint = "a statement does one operation, on named tensors: name the inner result first, as in S = X + Z, then Y = S * 2"
    elif got in ("'+'", "'-'", "'*'", "'/'") and inner and result:  # relu(X + Z)
        hint = (f"a statement does one operation, on named tensors: name the argument first, S = {inner.group(1)} {got[1]} ..., "
                f"then {result.group(1)} = {before.split('=', 1)[1].strip()[:-len(inner.group(1))].strip()}S)")
    hint = size or _from_python(source.line(line), column, got) or hint
    if got == "end of file" and "'end'" in expected:
        opener = _unclosed(source)
        return NcdError("this section or block is never closed with 'end'", opener or span, "add a line 'end' after its body")
    return NcdError(f"unexpected {got}", span, hint)


def _size_hint(text: str, column: int, got: str) -> str | None:
    """What an axis size may be written as, for a mistake after the '=' of ``axis NAME = ...``.

    >>> _size_hint("axis m = 10**30", 13, "*")
    'an axis size has no powers (** or ^): write the number out, 1024 for 2^10, or a product, 2 * 2 * 2'
    """
    if not re.match(r"\s*axis\s+\w+\s*=", text[: column - 1]):
        return None
    if got == "^" or got == "*" and text[: column - 1].rstrip().endswith("*"):
        return "an axis size has no powers (** or ^): write the number out, 1024 for 2^10, or a product, 2 * 2 * 2"
    return "an axis size is a whole number, another axis, or these joined by + - * / and parentheses: axis k = m / h"


_REDUCTIONS = {"sum", "mean", "max", "amax", "min", "amin", "softmax"}
_MOVES = {"transpose", "permute", "view", "reshape", "flatten", "unsqueeze", "squeeze", "T", "mT"}


def _from_python(text: str, column: int, got: str) -> str | None:
    """A hint for PyTorch written where the language is expected (``got`` came at ``column`` of ``text``):
    a method or a module's function, ``@``, ``dim=``, a spec after a comma, ``sqrt(k)``, a number among axes.

    >>> _from_python("P = S.sum(x)", 6, "'.'"), _from_python("Y = X @ W", 7, "'@'")[:34]
    ('the language has no methods: write sum(S: x), the axes after a colon', 'a product of tensors is an einsum ')
    """
    before, after = text[: column - 1], text[column - 1:]
    if got == "'.'":
        owner = re.search(r"(\w*)$", before).group(1)
        if not owner or owner[0].isdigit():  # (a number: 5. is no method)
            return None
        called = re.match(r"\.(\w+)(?:\(([^()]*)\))?", after)
        name, args = (called.group(1), called.group(2) or "") if called else ("", "")
        if owner in ("torch", "F", "nn", "np", "functional") and name:
            return f"the language calls its operations by name alone: write {name.lower().replace('_', '')}({args}), not {owner}.{name}({args})"
        if name in _REDUCTIONS:
            axis = args if re.fullmatch(r"[A-Za-z_]\w*", args.strip()) else "x"
            return f"the language has no methods: write {name[1:] if name in ('amax', 'amin') else name}({owner}: {axis.strip()}), the axes after a colon"
        if name in _MOVES:
            return f"the language has no methods: axes are moved or grouped by rearrange({owner}: y m -> m y)"
        return "names have no '.': operations are functions of their tensors, e.g. relu(X), sum(X: m)"
    if got == "'@'":
        return "a product of tensors is an einsum that names its axes, einsum(A, B: y m, m k -> y k); a learned weight is linear(X: m -> k)"
    keyword = re.search(r"(\w+\(\s*\w+)\s*,\s*\w+\s*$", before)
    if got == "'='" and keyword:
        return f"the axes follow a colon, not a keyword: {keyword.group(1)}: ...)"
    if got == "'->'" and re.search(r"\w+\(\s*\w+\s*,[\w\s]*$", before):
        return "the spec follows a colon after the tensors: linear(X: m -> k)"
    if got == "'('" and re.search(r"\bsqrt\s*$", before):
        return "the square root of an axis size is written as a power: * k^-1/2, or / k^1/2"
    number = re.fullmatch(r"'-?\d[\w.]*'", got)
    if number and re.search(r"\w+\([^()]*(:|->)[^()]*$", before):
        return "a spec names axes, not dims or sizes: write the axis's name (softmax(S: x)); for a new size, declare an axis, " \
               "as in 'axis k2 = 2 * k', and name it"
    bounded = re.search(r"\b(max|maximum|min|minimum)\(\s*(\w+)\s*,\s*$", before)
    if number and bounded:  # maximum(A, 2): a clamp
        bound = "min" if bounded.group(1).startswith("max") else "max"
        return f"the {'larger' if bound == 'min' else 'smaller'} of a tensor and a number is a clamp: clamp({bounded.group(2)}) with {bound}={got.strip(chr(39))}"
    if number and re.search(r"\w+\(\s*\w+\s*,\s*$", before):
        return "options follow 'with' after the call: dropout(X) with p=0.1"
    if got == "'='" and re.search(r"\w+\([^()]*(:|->)[^()]*,\s*\w+\s*$", before):
        return "options follow 'with' after the call: linear(X: m -> k) with bias"
    if got == "','" and re.search(r"\[[\w\s]*$", before):
        return "a tensor's axes are separated by spaces: X[b y m]"
    if got == "':'" and re.match(r"\s*axis\s+\w+\s*$", before):
        size = re.match(r":\s*([^\s#]+)", after)
        return f"an axis is declared with '=': {before.strip()} = {size.group(1) if size else 512}"
    if got == "'('" and re.match(r"\s*input\b", before):
        return "a tensor's axes go in brackets: input X[y m]"
    brace = re.search(r"\bas\s+(\w+)$", before)
    if got == "'_'" and brace and after.startswith("_{") and "}" not in after:
        return f"a subscript of several characters is closed by a brace: as {brace.group(1)}{after.rstrip()}}}"
    if got == "'['" and re.search(r"=\s*\w+$", before) and re.match(r"\[\s*-?\d", after):
        return "the language has no indexing: take part of an axis with split(X: m -> a, b), its axes named"
    if got in ("'+'", "'-'", "'*'", "'['") and re.search(r"=\s*\w+\(.*\)\s*$", before):
        return "a statement makes one tensor from one operation: name its result, H = linear(X: m -> k), then use it, Y = H + X" \
            if got != "'['" else "a statement's result is one tensor, not a tuple: drop the index"
    return None


def _unclosed(source: Source) -> Span | None:
    """The innermost 'section' or 'block' line left open at the end of the file."""
    stack = []
    for number, line in enumerate(source.text.splitlines(), 1):
        word = line.split("#", 1)[0].split()
        if word and word[0] in ("section", "block", "repeat"):
            stack.append(source.span(number, len(line) - len(line.lstrip()) + 1, number, len(line.rstrip()) + 1))
        elif word == ["end"] and stack:
            stack.pop()
    return stack[-1] if stack else None
