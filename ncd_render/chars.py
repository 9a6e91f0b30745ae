"""Which characters text may hold: the one rule for source lines, labels and titles.

Control characters, invisible format characters, surrogates and whitespace other than
space and tab are forbidden (docs/limits.md); an error names the character so that a
terminal shows it.

>>> bad_char("fine title")
>>> describe("a\\fb"[bad_char("a\\fb")])
'U+000C (form feed)'
>>> forbidden("\\u200b"), forbidden("\\t")
(True, False)
"""
from __future__ import annotations

import re
import unicodedata

#: categories never allowed in text: controls, invisible formatting, surrogates, line and paragraph separators
_BAD_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}
_ASCII_BAD = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_NAMES = {"\0": "NUL", "\b": "backspace", "\t": "tab", "\n": "line feed", "\v": "vertical tab", "\f": "form feed",
          "\r": "carriage return", "\x1b": "escape", "\x7f": "delete", "\x85": "next line", "\ufeff": "byte-order mark"}


def forbidden(c: str) -> bool:
    """True for a character no label, title or source line may hold (tab and space are fine)."""
    if c.isascii():
        return _ASCII_BAD.match(c) is not None
    return unicodedata.category(c) in _BAD_CATEGORIES or c.isspace()


def bad_char(text: str, allow: str = "") -> int | None:
    """The index of the first forbidden character in ``text`` (characters in ``allow`` pass), or None."""
    found = [m.start() for m in _ASCII_BAD.finditer(text) if m.group() not in allow][:1]
    if not text.isascii():
        found += [m.start() for m in _NON_ASCII.finditer(text) if forbidden(m.group()) and m.group() not in allow][:1]
    return min(found) if found else None


def quotable(text: str, limit: int) -> str:
    """``text`` as a quoted string of a .ncd file may hold it (a title that comes from a Python name, say): each
    forbidden character, and the double quote, as ``?``, at most ``limit`` characters (the last an ellipsis).

    >>> quotable('Evil\x1b[31m\u202e "x"', 100), quotable("E" * 10, 5)
    ('Evil?[31m? ?x?', 'EEEE…')
    """
    text = "".join("?" if c == '"' or forbidden(c) else c for c in text)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def describe(c: str) -> str:
    """``U+000C (form feed)``: a character named so that a terminal shows it."""
    name = _NAMES.get(c) or unicodedata.name(c, "").lower()
    return f"U+{ord(c):04X}" + (f" ({name})" if name else "")


def docstring_safe(text: str) -> str:
    r"""``text`` as it may stand in a generated docstring, its backslashes doubled and three quotes in a row escaped: a
    title's ``\xi`` read as an escape made the module fail to import (SyntaxError: truncated \xXX escape).

    >>> print(docstring_safe(r"Router with \xi gating"))
    Router with \\xi gating
    """
    return text.replace("\\", "\\\\").replace('"' * 3, '\\"' * 3)


def readable(text: str) -> str:
    """``text`` with each byte a file's name held that is not UTF-8 (which Python reads as a lone surrogate, and
    cannot write as UTF-8) as U+FFFD, so that a name may be written into a file.

    >>> import os
    >>> readable(os.fsdecode(b"bad\\xff.ncd"))
    'bad\ufffd.ncd'
    """
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def shown(text: str) -> str:
    """``text`` for a terminal: each forbidden character but the line feed written as ``\\x1b`` or ``\\u202e``
    (a file name's escape sequences set the terminal's title or cleared its screen, in an error's header).

    >>> shown("x\\x1b]0;title\\x07 and \\u202egpj.ncd\\nnext line")
    'x\\\\x1b]0;title\\\\x07 and \\\\u202egpj.ncd\\nnext line'
    """
    if bad_char(text, "\n") is None:
        return text
    return "".join(c if c == "\n" or not forbidden(c) else c.encode("unicode_escape").decode("ascii") for c in text)

