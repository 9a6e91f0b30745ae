"""Syntax errors that have a message of their own: the parser only saw an unexpected token, but the line shows
what was meant (a misspelt statement, a size that is not a whole number, a nested call, a string that does not
close, a label that is not ASCII).

>>> from .errors import Source
>>> def say(text, column, got, token_type=None):
...     error = mistake(Source("t.ncd", text + "\\n"), 1, column, got, token_type)
...     print(error.message, "|", error.hint, "|", error.span.column, error.span.end_column)
>>> say("inptu X[y m]", 7, "'X'")
unknown statement 'inptu' | did you mean 'input'? | 1 6
>>> say("axis m = -4", 10, "'-4'", "NUMBER")
an axis size is a positive whole number, not -4 | write one such as 4, or work it out from other axes with + - * / and parentheses (division must be exact) | 10 12
"""
from __future__ import annotations

import difflib
import re
from functools import lru_cache
from pathlib import Path

from .errors import NcdError, Source, did_you_mean
from .text import GREEK

KEYWORDS = {"title", "depth", "convolutions", "axis", "tandem", "check", "input", "output", "delete", "save", "section", "repeat",
            "block", "return", "end"}

# the statements that take a whole number: what it is, and whether 0 is one
_WHOLE = {"axis": ("an axis size", False), "check": ("a size on a check line", False), "depth": ("a depth", True),
          "repeat": ("a repeat count", False)}
_WHOLE_HINTS = {"axis": "write one such as {n}, or work it out from other axes with + - * / and parentheses (division must be exact)",
                "check": "give each axis a size such as {n}: check y=5, m=12",
                "depth": "write one such as {n}: component calls nested deeper than the depth are drawn as single boxes",
                "repeat": "write how many times the body is applied, such as {n}"}
_NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def mistake(source: Source, line: int, column: int, got: str, token_type: str | None) -> NcdError | None:
    """The NcdError for a mistake the line at ``line`` shows, ``got`` (a token's repr, or a character's for
    ``token_type`` None) having come at ``column``; None when the parser's own 'unexpected ...' is the best."""
    text = source.line(line)
    for find in (_unknown_statement, _whole_number, _nested_call, _options_after_scale, _string, _label):
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


def _whole_number(text, column, got, token_type):
    """``axis m = -4``, ``axis m = 32.5``, ``depth -1``: a number where a whole number is taken."""
    words = text.split("#", 1)[0].split()
    if not words or words[0] not in _WHOLE or (words[0] in ("axis", "check") and "=" not in text[: column - 1]):
        return None
    number = next((m for m in _NUMBER.finditer(text) if m.start() <= column - 1 < m.end()), None)
    if token_type in (None, "STRING") or number is None or not re.search(r"[-.eE]", number.group()):
        return None
    lead = text[: number.start()].rstrip()  # where a size stands: after '=', an operator or '(', or the keyword
    if not (lead.endswith(("=", "+", "-", "*", "/", "(")) or lead.strip() == words[0]):
        return None
    what, zero = _WHOLE[words[0]]
    written = number.group()
    try:
        example = min(abs(round(float(written))) or (0 if zero else 1), 1 << 40)
    except (ValueError, OverflowError):
        example = 1
    return (f"{what} is a {'non-negative' if zero else 'positive'} whole number, not {written}", number.start() + 1,
            number.end() + 1, _WHOLE_HINTS[words[0]].format(n=example))


def _nested_call(text, column, got, token_type):
    """``H = relu(linear(X: m -> f))``: a call among another's arguments."""
    before = text[: column - 1]
    inner = re.search(r"\w+\(\s*(?:\w+\s*,\s*)*(\w+)\s*$", before[-500:])
    if got != "'('" or not inner or "=" not in before or re.match(r"\s*block\b", text):
        return None
    start = len(before) - len(before[-500:]) + inner.start(1)
    depth, end = 0, None
    for index in range(column - 1, min(len(text), column + 500)):  # the inner call's closing bracket
        depth += {"(": 1, ")": -1}.get(text[index], 0)
        if depth == 0:
            end = index + 1
            break
    call = text[start:end] if end else ""
    statement = text.split("#", 1)[0].strip()
    if call and "(" not in call[column - start:]:
        hint = f"name the inner result first, S = {call}, then {statement.replace(call, 'S', 1)}"
    else:
        hint = f"name the inner result first, as in S = {inner.group(1)}(...), then use S"
    return "calls cannot be nested: one call per statement", start + 1, column + 1, hint


def _options_after_scale(text, column, got, token_type):
    """``Y = rmsnorm(X: m) * y^-1/2 with eps=0``: a call's options follow its ')', and its scale comes after them.

    >>> _options_after_scale("Y = rmsnorm(X: m) * y^-1/2 with eps=0 as N  # q", 28, "'with'", "WITH")[::3]
    ("'with' comes before the scale: a call's options follow its ')', and '* y^-1/2' goes after them", 'write Y = rmsnorm(X: m) with eps=0 * y^-1/2 as N')
    """
    before = text[: column - 1]
    call = re.match(r"(\s*[\w\s,]*=\s*\w+\(.*\))\s*([*/]\s*[^\s#]+)\s*$", before[:2000])
    if got != "'with'" or not call:
        return None
    written = re.match(r"(with\b.*?)(\s+as\s.*?)?\s*(#.*)?$", text[column - 1:])  # (the options, the label, a comment)
    scale = " ".join(call.group(2).split())
    fixed = f"{call.group(1).strip()} {' '.join(written.group(1).split())} {scale}{written.group(2) or ''}"
    return (f"'with' comes before the scale: a call's options follow its ')', and '{scale}' goes after them", column, column + 4,
            f"write {fixed}")


def _string(text, column, got, token_type):
    """``title "Small MLP`` (no closing quote), ``title "a \\"b\\" c"`` (a string ends at its second quote)."""
    before = text[: column - 1]
    if token_type is None and got == repr('"') and '"' not in text[column:]:
        if re.search(r'"[^"]*"$', before):  # title "A""
            return ("unexpected '\"' after the quoted string", column, column + 1,
                    "a string ends at its second '\"' and cannot hold one: remove this one, or use single quotes inside it")
        return ("this quoted string is never closed", column, column + 1,
                "end it with '\"' on the same line: a string cannot run on past its line")
    if token_type is None or not before.endswith('"') or '"' not in text[column - 1:] or not re.search(r'"[^"]*"$', before):
        return None
    opening = before.rfind('"', 0, len(before) - 1)
    escaped = before.endswith('\\"')
    first = (text.split()[:1] or [""])[0]
    what = {"title": "a title", "section": "a section's title", "repeat": "a repeat's title"}.get(first, "a quoted string")
    if re.search(r"\bas\s*$", before[:opening]):
        what = "a label"
    meant = text[opening:text.rfind('"') + 1]
    inside = re.sub(r'\\?"', "'", meant[1:-1])
    hint = ("there is no escape for a quote (\\\"); " if escaped else "") + "use single quotes inside it" + \
        (f": \"{inside}\"" if len(inside) < 100 else "")
    return f"{what} cannot contain a double quote", column - 1 - escaped, column, hint


def _label(text, column, got, token_type):
    """``as L_σ``, ``as σ``: a label written with a character only a quoted label takes."""
    before = text[: column - 1]
    written = re.search(r"\bas\s+(\S*)$", before[-500:])
    if not written or got in ("end of line", "end of file"):
        return None
    start = len(before) - len(before[-500:]) + written.start(1)
    word = (text[start:].split("#", 1)[0].split()[:1] or [""])[0]
    odd = next((i for i, c in enumerate(word) if not c.isascii()), None)
    if odd is None:
        return _tex(text[start:].split("#", 1)[0].rstrip(), start)
    commands = {symbol: name for name, symbol in GREEK.items()}
    spelt = re.sub(r"[^\x00-\x7f]", lambda m: "\\" + commands.get(m.group(), "?"), word)
    tex = f"write {spelt}, or " if "?" not in spelt and _label_pattern().fullmatch(spelt) else ""
    quoted = f"quote it, as \"{word}\"" if tex else f"quote any other text, as \"{word}\""
    return (f"a label cannot hold {word[odd]!r} unquoted", start + odd + 1, start + odd + 2,
            f"a label is ASCII letters and digits, with TeX-like _ and ^ scripts and commands (L_1, W^{{O}}, \\sigma): {tex}{quoted}")


#: what a label takes, for the hints of those it does not
LABEL_SYNTAX = ("a label is a name with TeX-like _ and ^ scripts (L_q, W^{O}, W^-1, W_{out}: braces that do not nest) "
                "and the commands of Greek letters and a few symbols (\\sigma, W_\\mu, \\cdot, \\times), set as math "
                "without $...$; quoted, it may hold spaces and signs too (docs/dsl.md)")
_NOT_TEX = (re.compile(r"\\([A-Za-z]+)"), re.compile(r"\$"), re.compile(r"\{[^{}]*\{"))  # a command, a $, nested braces


def unknown_command(word: str):
    """An unquoted label that reads as a LABEL but holds a command that is no Greek letter or symbol (``as \\textbf``,
    ``as W_\\foo``: each printed its name): (message, first column, end column, hint) counted in ``word``, or None."""
    return _tex(word, 0) if _NOT_TEX[0].search(word) else None


def _tex(word: str, start: int):
    """``as W_{\\mathrm{out}}``, ``as $W^2$``, ``as W_{a{b}}``: TeX a label does not take (the parser only saw an
    unexpected '}'; a command alone, ``as \\textbf``, it read), and how to write it."""
    found = next((m for pattern in _NOT_TEX for m in pattern.finditer(word) if m.groups() == () or m.group(1) not in GREEK), None)
    if found is None:
        return None
    close = None
    if found.group() == "$":
        message = "a label is set as math already: '$' has no meaning in it"
    elif found.groups():
        message = f"a label knows no TeX command \\{found.group(1)}"
        close = difflib.get_close_matches(found.group(1), GREEK, n=1, cutoff=0.75)  # (\sigm; not \sqrt for \star)
    else:
        message = "a label's braces cannot nest"
    plain = word.replace("$", "")
    unknown = r"\\(?!(?:" + "|".join(GREEK) + r")(?![A-Za-z]))([A-Za-z]+)"  # (a command ends at a non-letter: \Sigma_)
    while (unwrapped := re.sub(unknown + r"\{([^{}]*)\}", r"\2", plain)) != plain:
        plain = unwrapped  # \mathrm{out} -> out
    plain = re.sub(unknown, r"\1", plain)  # \textbf -> textbf
    if close:
        return message, start + found.start() + 1, start + found.end() + 1, f"did you mean \\{close[0]}? " + LABEL_SYNTAX
    written = (f"write {plain}; " if _label_pattern().fullmatch(plain) else
               f"write \"{plain}\"; " if plain and '"' not in plain and not _NOT_TEX[2].search(plain) else "")
    return message, start + found.start() + 1, start + found.end() + 1, written + LABEL_SYNTAX


@lru_cache(maxsize=1)
def _label_pattern() -> re.Pattern:
    """The grammar's LABEL: what a label may be written as without quotes."""
    grammar = Path(__file__).with_name("grammar.lark").read_text(encoding="utf-8")
    return re.compile(re.search(r"^LABEL: /(.*)/$", grammar, re.MULTILINE).group(1))
