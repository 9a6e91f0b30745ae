"""Syntax errors that have a message of their own: the parser only saw an unexpected token, but the line shows
what was meant (a misspelt statement).

>>> from .errors import Source
>>> def say(text, column, got, token_type=None):
...     error = mistake(Source("t.ncd", text + "\\n"), 1, column, got, token_type)
...     print(error.message, "|", error.hint, "|", error.span.column, error.span.end_column)
>>> say("inptu X[y m]", 7, "'X'")
unknown statement 'inptu' | did you mean 'input'? | 1 6
"""
from __future__ import annotations

import re

from .errors import NcdError, Source, did_you_mean

KEYWORDS = {"title", "depth", "convolutions", "axis", "tandem", "check", "input", "output", "delete", "save", "section", "repeat",
            "block", "return", "end"}


def mistake(source: Source, line: int, column: int, got: str, token_type: str | None) -> NcdError | None:
    """The NcdError for a mistake the line at ``line`` shows, ``got`` (a token's repr, or a character's for
    ``token_type`` None) having come at ``column``; None when the parser's own 'unexpected ...' is the best."""
    text = source.line(line)
    for find in (_unknown_statement,):
        found = find(text, column, got, token_type)
        if found:
            message, start, end, hint = found
            return NcdError(message, source.span(line, start, line, end), hint)
    return None


def _unknown_statement(text, column, got, token_type):
    """``inptu X[y m]``, ``Axis y = 8``: a word the parser read as a tensor's name, where a statement's keyword was meant."""
    first = re.fullmatch(r"(\s*)([^\W\d]\w*)\s*", text[: column - 1][:300])
    if not first or got in ("'='", "','") or first.group(2) in KEYWORDS:
        return None
    word = first.group(2)
    if word.lower() in KEYWORDS:
        hint = f"did you mean '{word.lower()}'? keywords are lower case"
    else:
        hint = did_you_mean(word.lower(), KEYWORDS)
        if hint and word != word.lower():
            hint += " keywords are lower case"
    start = len(first.group(1)) + 1
    return hint and (f"unknown statement '{word}'", start, start + len(word), hint)
