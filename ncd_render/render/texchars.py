r"""Letters outside ASCII as TeX that any pdflatex document compiles: TikZ output is pure ASCII.

Accented Latin letters become accent commands (``\'{e}`` in text,
``\acute{e}`` in math), a few others their TeX names (``\ss{}``); anything
else becomes ``?``, the same in every run.

>>> text_char("é"), text_char("ß"), text_char("ç"), text_char("中")
("\\'{e}", '\\ss{}', '\\c{c}', '?')
>>> "".join(map(text_char, "“–’”"))
"``{}--{}'{}''{}"
>>> math_char("é"), math_char("ç"), math_char("ß")
('\\acute{e}', '\\mbox{\\c{c}}', '\\mbox{\\ss{}}')
>>> comment_text("Réseau ≠ 中")
'Reseau ? ?'
"""
from __future__ import annotations

import unicodedata


class LostLetters(UserWarning):
    """Letters the TikZ output cannot set (no pdflatex font has them): they print as ``?``."""

#: combining marks -> text accent commands that exist in OT1 and T1
_TEXT_ACCENTS = {"\u0300": "`", "\u0301": "'", "\u0302": "^", "\u0303": "~", "\u0304": "=", "\u0306": "u",
                 "\u0307": ".", "\u0308": '"', "\u030a": "r", "\u030b": "H", "\u030c": "v", "\u0327": "c"}
#: combining marks -> math accents
_MATH_ACCENTS = {"\u0300": "grave", "\u0301": "acute", "\u0302": "hat", "\u0303": "tilde", "\u0304": "bar",
                 "\u0306": "breve", "\u0307": "dot", "\u0308": "ddot", "\u030a": "mathring", "\u030c": "check"}
_LETTERS = {"ß": r"\ss", "æ": r"\ae", "Æ": r"\AE", "œ": r"\oe", "Œ": r"\OE", "ø": r"\o", "Ø": r"\O",
            "ł": r"\l", "Ł": r"\L", "ı": r"\i", "å": r"\aa", "Å": r"\AA"}
_DOTLESS = {"i": (r"\i", r"\imath"), "j": (r"\j", r"\jmath")}
#: typographic punctuation -> the ligatures TeX's text fonts set it with (the braces keep "–-" from becoming "---")
TEXT_PUNCTUATION = {"–": "--{}", "—": "---{}", "‘": "`{}", "’": "'{}", "“": "``{}", "”": "''{}", "…": r"\ldots{}"}


def _split(c: str) -> tuple[str, str] | None:
    """(ASCII base letter, combining mark) for a letter with one accent, else None."""
    d = unicodedata.normalize("NFD", c)
    return (d[0], d[1]) if len(d) == 2 and d[0].isascii() and d[0].isalpha() else None


def text_char(c: str) -> str:
    """One non-ASCII character for a TeX text node."""
    if c in _LETTERS:
        return _LETTERS[c] + "{}"
    if c in TEXT_PUNCTUATION:
        return TEXT_PUNCTUATION[c]
    parts = _split(c)
    if parts and parts[1] in _TEXT_ACCENTS:
        base = _DOTLESS[parts[0]][0] if parts[0] in _DOTLESS else parts[0]
        return "\\" + _TEXT_ACCENTS[parts[1]] + "{" + base + "}"
    return "?"


def math_char(c: str, bold: bool = False) -> str:
    r"""One non-ASCII character inside ``$...$``; ``bold``: its letter upright and bold, as ``\mathbf`` sets ASCII's.

    >>> math_char("é", bold=True), math_char("ç", bold=True)
    ('\\acute{\\mathbf{e}}', '\\mbox{\\textbf{\\c{c}}}')
    """
    parts = _split(c)
    if parts and parts[1] in _MATH_ACCENTS:
        base = _DOTLESS[parts[0]][1] if parts[0] in _DOTLESS else r"\mathbf{" + parts[0] + "}" if bold else parts[0]
        return "\\" + _MATH_ACCENTS[parts[1]] + "{" + base + "}"
    text = text_char(c)
    return r"\mbox{" + (r"\textbf{" + text + "}" if bold else text) + "}" if text != "?" else "?"


def comment_text(text: str) -> str:
    """``text`` for a TeX ``%`` comment: printable ASCII only, accents dropped, nothing that could end the line."""
    return "".join(c if " " <= c <= "~" else (_split(c) or "?")[0] for c in text)
