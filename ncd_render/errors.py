"""One error type for every mistake a user can make, with the place it was made.

Every stage (parse, build, layout, render, write) raises :class:`NcdError`.
When the error comes from a source file it carries a :class:`Span`, and its
message reads like a compiler's::

    mha.ncd:12:21: unknown axis 'z'; did you mean 'x'?
       12 | Q = linear(Xq: m -> z h) with bias as L_q
          |                     ^

>>> src = Source("demo.ncd", "input X[a b]\\n")
>>> print(NcdError("unknown axis 'a'", src.span(1, 9, 1, 10), hint="declare it with 'axis a = 8'"))
demo.ncd:1:9: unknown axis 'a'
    1 | input X[a b]
      |         ^
hint: declare it with 'axis a = 8'
"""
from __future__ import annotations

import difflib
import unicodedata
from pathlib import Path
from typing import NamedTuple

from .chars import forbidden
from .records import record

EXCERPT_WIDTH = 100  # characters of a source line shown under a message; longer lines are cut around the place


@record
class Source:
    """The text of one .ncd file and the name to show for it in messages."""

    path: str
    text: str

    def line(self, number: int) -> str:
        """Line ``number``, counted as the parser counts them (only ``\\n`` ends a line)."""
        lines = self.text.split("\n")
        return lines[number - 1].removesuffix("\r") if 0 < number <= len(lines) else ""

    def span(self, line: int, column: int, end_line: int | None = None, end_column: int | None = None) -> "Span":
        return Span(self, line, column, end_line or line, end_column or column + 1)




class Span(NamedTuple):
    """A region of a source file; lines and columns count from 1.

    A named tuple, not a record: the parser makes one for nearly every name it reads (seven a
    statement), and a tuple is made in one step where a frozen record sets each field in turn."""

    source: Source
    line: int
    column: int
    end_line: int
    end_column: int

    def __repr__(self) -> str:  # keeps IR reprs short
        return f"<{self.source.path}:{self.line}:{self.column}>"

    def excerpt(self) -> str:
        """The source line with a caret (or carets) under the span; control characters show as '?'."""
        text = self.source.line(self.line).rstrip("\n")
        width = self.end_column - self.column if self.end_line == self.line else len(text) - self.column + 1
        column = self.column
        if len(text) > EXCERPT_WIDTH:  # a long line: the part around the place, marked as cut
            start = max(0, min(column - 1 - EXCERPT_WIDTH // 4, len(text) - EXCERPT_WIDTH))
            cut = text[start:start + EXCERPT_WIDTH]
            text = ("..." if start else "") + cut + ("..." if start + EXCERPT_WIDTH < len(text) else "")
            column += (3 if start else 0) - start
            width = min(width, EXCERPT_WIDTH - column + (4 if start else 1))
        text = "".join("?" if forbidden(c) else c for c in text)
        gutter = f"{self.line:5d} | "
        # the caret under its character as a terminal sets the line: a tab as the line's tab, a wide character
        # (CJK, most emoji) two columns (padded with spaces, the caret stood left of its place after each)
        pad = "".join("\t" if c == "\t" else " " * _columns(c) for c in text[:column - 1])
        carets = sum(_columns(c) for c in text[column - 1:column - 1 + width])
        return f"{gutter}{text}\n{' ' * (len(gutter) - 2)}| {pad}{'^' * max(1, carets)}"


def _columns(c: str) -> int:
    """How many columns a terminal gives character ``c``: two for a wide one, none for a combining mark."""
    if unicodedata.combining(c):
        return 0
    return 2 if unicodedata.east_asian_width(c) in "WF" else 1


class NcdError(Exception):
    """A mistake in a diagram, its options, or its output path.

    ``str(error)`` is the whole user-facing paragraph: position, message,
    source excerpt with a caret, and a hint when one is obvious.
    """

    def __init__(self, message: str, span: Span | None = None, hint: str | None = None, *, path: str | None = None):
        self.message = message
        self.span = span
        self.hint = hint
        self.path = path
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.span is not None:
            head = f"{self.span.source.path}:{self.span.line}:{self.span.column}: {self.message}"
            body = "\n" + self.span.excerpt()
        else:
            head = f"{self.path}: {self.message}" if self.path else self.message
            body = ""
        tail = f"\nhint: {self.hint}" if self.hint else ""
        return head + body + tail


def did_you_mean(word: str, choices) -> str | None:
    """A 'did you mean ...?' hint, or None when nothing is close.

    >>> did_you_mean("sofmax", ["softmax", "relu"])
    "did you mean 'softmax'?"
    """
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 box``, ``2 boxes``: a count with its noun.

    >>> plural(1, "box"), plural(2, "box"), plural(3, "axis", "axes"), plural(0, "input")
    ('1 box', '2 boxes', '3 axes', '0 inputs')
    """
    if n == 1:
        return f"1 {word}"
    return f"{n} {many or (word + 'es' if word.endswith(('s', 'x', 'ch', 'sh')) else word + 's')}"


def python_syntax_error(error: BaseException, path: str, what: str) -> NcdError | None:
    """The error for a syntax error Python found loading ``path`` (``what``: "the model file", "the reference"), shown
    where it is, as a diagram's mistakes are; in the file the user named, or in a module it imports. None for any
    other error, and where Python names no line of a file."""
    span = python_syntax_span(error) if isinstance(error, SyntaxError) else None
    if span is None:
        return None
    own = Path(span.source.path).resolve() == Path(path).resolve()
    span = span._replace(source=Source(path, span.source.text)) if own else span  # (the path as the user gave it)
    return NcdError(f"Python cannot read {what if own else f'a module {what} imports'}: {type(error).__name__}: {error.msg}", span)


def python_syntax_span(error: SyntaxError) -> Span | None:
    """Where Python found a syntax error in a file it loaded (a model file, a reference, or a module either imports:
    the file Python names), as a diagram's mistakes are shown; None where Python names no line of a file. An
    indentation error's caret is under the line's first word (Python's column is the indent's last).

    >>> import os, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "model.py")
    ...     _ = open(path, "w").write("import torch\\ndef make(:\\n")
    ...     try:
    ...         compile(open(path).read(), path, "exec")
    ...     except SyntaxError as error:
    ...         span = python_syntax_span(error)
    >>> print(NcdError("Python cannot read it", span._replace(source=Source("model.py", span.source.text))))
    model.py:2:10: Python cannot read it
        2 | def make(:
          |          ^
    """
    try:
        lines = Path(error.filename).read_text(encoding="utf-8", errors="replace").splitlines() if error.filename else []
    except OSError:
        return None
    if not error.lineno or not 1 <= error.lineno <= len(lines):
        return None
    text = lines[error.lineno - 1]
    column = min(max(error.offset or 1, 1), len(text) + 1)
    if isinstance(error, IndentationError) and text.strip():
        column = len(text) - len(text.lstrip()) + 1
    return Source(error.filename, "\n".join(lines)).span(error.lineno, column)
