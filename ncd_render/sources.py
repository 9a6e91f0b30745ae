"""Read .ncd sources within the limits and screen them before the parser sees them.

Every entry point (``ncd`` commands, :func:`ncd_render.load`, :func:`ncd_render.load_text`)
goes through here, so a file is at most 1 MiB, holds no control characters or
odd whitespace (tabs and new lines are fine), and no name or quoted string
longer than the limits in :mod:`ncd_render.limits`; each mistake is reported at
its line and column before any work starts (docs/limits.md).

>>> screen("axis m = 4\\n\\finput X[m]\\n", "t.ncd")
Traceback (most recent call last):
...
ncd_render.errors.NcdError: t.ncd:2:1: the whitespace character U+000C (form feed) is not allowed in a diagram
    2 | ?input X[m]
      | ^
hint: use spaces, tabs and new lines only; a title cannot hold control characters either
>>> program_from_text("axis m = 4\\ninput X[m]\\noutput X\\n").statements[0].name
'm'
"""
from __future__ import annotations

import re
from pathlib import Path

from .chars import bad_char, describe
from .errors import NcdError, Source
from .limits import MAX_NAME, MAX_STRING, decode_utf8, read_limited

#: a quoted string (maybe unclosed), a comment, or a stretch of code between them
_CHUNK = re.compile(r'"[^"\n]*"?|#[^\n]*|[^"#]+')
_LONG_WORD = re.compile(r"\w{%d,}" % (MAX_NAME + 1))


def _span(source: Source, index: int, length: int = 1):
    line = source.text.count("\n", 0, index) + 1
    column = index - (source.text.rfind("\n", 0, index) + 1) + 1
    return source.span(line, column, line, column + max(1, min(length, 80)))


def screen(text: str, path: str = "<string>") -> None:
    """NcdError at the first forbidden character, over-long name or over-long string in ``text``."""
    source = Source(path, text)
    k = bad_char(text, allow="\n\r")
    cr = text.find("\r")
    while cr != -1 and text.startswith("\r\n", cr):
        cr = text.find("\r", cr + 2)
    if cr != -1 and (k is None or cr < k):
        k = cr
    if k is not None:
        kind = "the whitespace character" if text[k].isspace() else "the control character"
        raise NcdError(f"{kind} {describe(text[k])} is not allowed in a diagram", _span(source, k),
                       hint="use spaces, tabs and new lines only; a title cannot hold control characters either")
    start = 0  # where ``line`` starts in ``text``
    for line in text.split("\n"):  # neither a name nor a string goes on past the end of its line
        if len(line) > min(MAX_NAME, MAX_STRING + 2):  # else too short to hold either, too long
            for chunk in _CHUNK.finditer(line):
                piece = chunk.group()
                if piece[0] == '"' and len(piece) > MAX_STRING + 2:
                    raise NcdError(f"this quoted string is {len(piece) - 2:,} characters long; the limit is {MAX_STRING:,}",
                                   _span(source, start + chunk.start(), len(piece)), hint="see docs/limits.md")
                if piece[0] not in '"#':
                    word = _LONG_WORD.search(piece)
                    if word:
                        n = len(re.match(r"\w*", piece[word.start():]).group())
                        raise NcdError(f"this name is {n:,} characters long; the limit is {MAX_NAME:,}",
                                       _span(source, start + chunk.start() + word.start(), n), hint="see docs/limits.md")
        start += len(line) + 1


def read_source(path: str | Path) -> str:
    """The text of a .ncd file: at most 1 MiB of UTF-8, CRLF line ends read as new lines; a lone carriage return is
    left for :func:`screen` to refuse at its place (read as a new line, it ran a statement an editor shows inside
    a comment)."""
    data = read_limited(path, "the diagram").removeprefix(b"\xef\xbb\xbf")  # a byte-order mark some editors write
    return decode_utf8(data, path, "the diagram").replace("\r\n", "\n")


def program_from_text(text: str, name: str = "<string>"):
    """Screen, then parse, .ncd source given as a string."""
    from .parse import parse

    screen(text, name)
    return parse(text, name)


def program_from_file(path: str | Path):
    """Read within the limits, screen, then parse a .ncd file."""
    return program_from_text(read_source(path), str(path))
