"""Syntax errors: lark's ``UnexpectedInput`` as an :class:`~ncd_render.errors.NcdError` that names the
file, line and column, says what came where, and hints at what was expected or what to do instead.

>>> from ncd_render.parse import parse
>>> for text in ("axis m 4", "axis m = 4\\ninput = relu(X)", 'section "A"\\naxis m = 4'):
...     try:
...         parse(text, "bad.ncd")
...     except NcdError as error:
...         print(error.message, "|", error.hint)
unexpected '4' | expected '=', width, end of line
unexpected '=' | 'input' starts a statement of its own; give the tensor another name
this section or block is never closed with 'end' | add a line 'end' after its body
"""
from __future__ import annotations

import re

from .errors import NcdError, Source, Span
from .lean import import_lark

_TOKEN_WORDS = {
    "_NL": "end of line", "NAME": "a name", "INT": "an integer", "NUMBER": "a number",
    "STRING": "a quoted string", "LABEL": "a label", "EXPONENT": "an exponent",
    "LSQB": "'['", "RSQB": "']'", "LPAR": "'('", "RPAR": "')'", "COMMA": "','", "COLON": "':'",
    "EQUAL": "'='", "PLUS": "'+'", "MINUS": "'-'", "STAR": "'*'", "SLASH": "'/'", "ARROW": "'->'", "$END": "end of file",
}


_KEYWORDS = {"title", "depth", "convolutions", "axis", "tandem", "check", "input", "output", "delete", "save", "section", "repeat", "block", "return", "end"}



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
        return NcdError(f"unexpected character {char!r}", span)
    token = getattr(error, "token", None)
    if token is not None and token.type == "_NL":
        got = "end of line"
    elif token is not None and token.type == "$END":
        got = "end of file"
    else:
        got = repr(str(token)) if token is not None else "input"
        if token is not None:
            span = source.span(line, column, line, column + max(1, len(str(token))))
    expected = sorted({_TOKEN_WORDS.get(t, repr(t.lower())) for t in getattr(error, "expected", ())} - {None})
    hint = None
    if expected and len(expected) <= 6:
        hint = "expected " + ", ".join(w.strip("'") if w.startswith("'") and len(w) > 4 and w[1:-1].isalpha() else w for w in expected)
    first = source.line(line).split("#", 1)[0].split()
    if got == "'='" and first and first[0] in _KEYWORDS and len(first) > 1 and first[1] == "=":
        hint = f"'{first[0]}' starts a statement of its own; give the tensor another name"
    before = source.line(line)[: column - 1][-500:]  # (a statement's start: a long line is not searched whole)
    if got in ("'-'", "'+'") and re.search(r"=\s*\w+(\s*[-+]\s*\w+)+\s*$", before) and ("-" in before or got == "'-'"):
        hint = "a difference takes two terms (A - B), and a sum only adds (A + B + C): name each step, D = A - B, then E = D - C"
    number = r"-?(?:\d+\.?\d*|\.\d+)(?:[eE]-?\d+)?"
    scaled = re.search(rf"=\s*({number})\s*$", before)
    after = re.match(r"\s*(\w+)\s*(#.*)?$", source.line(line)[column:])
    if got == "'*'" and scaled and after:  # 2 * X
        hint = f"a scale follows its tensor: write {after.group(1)} * {scaled.group(1)}"
    elif got in ("'*'", "'/'", "'+'", "'-'") and re.search(rf"=\s*({number}\s*[-+]\s*\w+|\w+\s*[-+]\s*{number})\s*$", before):
        hint = "an offset is one tensor and one number (X + 1, 1 - X): name each step, as in S = X * 2, then Y = 1 - S"
    elif token is not None and token.type == "NUMBER" and re.search(r"=\s*\w+(\s*[-+]\s*\w+)+\s*[-+]\s*$", before):
        hint = "a number is added to one tensor (X + 1): name the sum first, S = A + B, then Y = S + 1"
    if got == "end of file" and "'end'" in expected:
        opener = _unclosed(source)
        return NcdError("this section or block is never closed with 'end'", opener or span, "add a line 'end' after its body")
    return NcdError(f"unexpected {got}", span, hint)


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
