"""Math-like labels: ``L_q``, ``W^{O}``, ``k^{-1/2}``, ``\\sigma``, set as positioned runs.

A label is split into runs (base, subscript, superscript), each measured with
real font metrics, so every renderer places the same glyphs at the same spots.

>>> [(r.text, r.shift) for r in parse_label("L_{q}")]
[('L', 'base'), ('q', 'sub')]
>>> [(r.text, r.shift) for r in parse_label("k^-1/2")]
[('k', 'base'), ('−1/2', 'sup')]
>>> parse_label("\\\\sigma")[0].text
'σ'
>>> [(r.text, r.shift) for r in parse_label("W_\\\\mu")]  # a command as a script, as TeX takes it
[('W', 'base'), ('μ', 'sub')]
"""
from __future__ import annotations

import re
from functools import lru_cache

from .fonts import metrics
from .records import record

GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "eta": "η", "theta": "θ",
    "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν", "pi": "π", "rho": "ρ", "sigma": "σ", "tau": "τ",
    "phi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω", "Delta": "Δ", "Sigma": "Σ", "Phi": "Φ", "Psi": "Ψ",
    "Omega": "Ω", "star": "★", "cdot": "·", "times": "×", "ell": "ℓ", "otimes": "⊗", "uparrow": "↑",
}
SCRIPT_SCALE = 0.7
# a command (\\sigma), a script (_ or ^ and its argument), or plain text: a stretch of characters that start
# neither, matched whole (a label is mostly plain text), else the one character (a lone \\, _ or ^)
_TOKEN = re.compile(r"\\([A-Za-z]+)|([_^])(\{[^}]*\}|\\[A-Za-z]+|-?[0-9]+(?:/[0-9]+)?|.)|([^\\_^]+|.)", re.S)
_COMMAND = re.compile(r"\\([A-Za-z]+)")
_WORDS = re.compile(r"[^\W\d_]+|[\W\d_]+")  # letters, or anything else
RAISE = {"base": 0.0, "sub": 0.25, "sup": -0.42}  # how far each kind of run's baseline is below the label's, in em
LONGEST_SCRIPT = 24  # characters of a braced script a box draws (a module's name of 300 ran a subscript across the page)
_BRACED = re.compile(r"([_^])\{([^}\\]*)\}")  # a braced script without commands


@record
class Run:
    text: str
    shift: str  # "base" | "sub" | "sup"


@record
class PlacedRun:
    """A run at an offset from the label's origin (left end of the baseline)."""

    text: str
    dx: float
    dy: float
    size: float
    bold: bool
    italic: bool


@record
class SetLabel:
    runs: tuple[PlacedRun, ...]
    width: float
    ascent: float  # above the baseline
    descent: float  # below the baseline


def _symbols(text: str) -> str:
    if "\\" in text:
        text = _COMMAND.sub(lambda m: GREEK.get(m.group(1), m.group(1)), text)
    return text.replace("-", "−")


def shortened(text: str) -> str:
    """A label as a box draws it: a braced script longer than :data:`LONGEST_SCRIPT` cut in its middle to an ellipsis,
    its start and end kept (the file keeps it whole; its end tells ``.0`` from ``.2``).

    >>> shortened("L_{continuous_position_bias_mlp.2}"), shortened("L_{q_proj}")
    ('L_{continuous_posi…as_mlp.2}', 'L_{q_proj}')
    """
    def cut(match) -> str:
        script, inner = match.groups()
        if len(inner) <= LONGEST_SCRIPT:
            return match.group(0)
        tail = LONGEST_SCRIPT // 3
        return f"{script}{{{inner[:LONGEST_SCRIPT - 1 - tail]}…{inner[-tail:]}}}"
    return _BRACED.sub(cut, text)


def parse_label(text: str) -> list[Run]:
    """Split a label into runs."""
    return [Run(chunk, shift) for chunk, shift in _runs(text)]


def _runs(text: str) -> list[tuple[str, str]]:
    """A label's runs as (text, shift) pairs; linear in its length (chunks are joined once per run)."""
    parts: list[tuple[str, list[str]]] = []  # (shift, chunks) per run
    for command, script, argument, plain in _TOKEN.findall(text):  # a group that did not match is ""
        if script:
            shift = "sub" if script == "_" else "sup"
            chunk = _symbols(argument[1:-1] if argument.startswith("{") else argument)
        else:
            shift, chunk = "base", (GREEK.get(command, command) if command else plain)
        if parts and parts[-1][0] == shift:
            parts[-1][1].append(chunk)
        elif chunk:
            parts.append((shift, [chunk]))
    return [("".join(chunks), shift) for shift, chunks in parts]


@lru_cache(maxsize=8192)
def set_label(text: str, family: str, size: float, bold: bool = False, italic: bool = False,
              math: bool = False, plain: bool = False) -> SetLabel:
    """Place a label's runs and measure it. ``math``: set as TeX sets math, letters in italic,
    digits and signs upright; ``plain``: text as written, no _ or ^ scripts nor commands (a section's
    title). Kept for the same arguments (a layout sets its axis names over and over; a SetLabel is frozen).

    >>> lab = set_label("L_q", "DejaVu Sans", 10, bold=True)
    >>> [r.text for r in lab.runs], lab.width > 0
    (['L', 'q'], True)
    >>> [(r.text, r.italic) for r in set_label("∗k^{-1/2}", "STIXGeneral", 9, math=True).runs]
    [('∗', False), ('k', True), ('−1/2', False)]
    >>> [r.text for r in set_label("feed_forward (x^2)", "DejaVu Sans", 9, plain=True).runs]
    ['feed_forward (x^2)']
    """
    m = metrics(family)
    x, placed = 0.0, []
    top, bottom = m.ascent * size * 0.82, m.descent * size
    for run, shift in ([(text, "base")] if text else []) if plain else _runs(text):
        base = shift == "base"
        run_size = size if base else size * SCRIPT_SCALE
        dy = RAISE[shift] * size
        run_bold = bold and base
        for piece, slanted in _letters(run) if math else ((run, italic),):
            placed.append(PlacedRun(piece, x, dy, run_size, run_bold, slanted))
            x += m.width(piece, run_size, run_bold, slanted)
        top = max(top, -dy + m.ascent * run_size * 0.82)
        bottom = max(bottom, dy + m.descent * run_size)
    return SetLabel(tuple(placed), x, top, bottom)


def indexed(name: str) -> str:
    """An axis name as its wire label writes it: trailing digits as an index (y2 is y with subscript 2).

    >>> [indexed(n) for n in ("h1", "m", "y2'")]
    ['h_{1}', 'm', "y'_{2}"]
    """
    return re.sub(r"^([^\W\d_]+)(\d+)('*)$", r"\1\3_{\2}", name)


def _letters(text: str) -> list[tuple[str, bool]]:
    """``text`` in pieces of letters (italic in math) and of everything else (upright)."""
    return [(piece, piece[0].isalpha()) for piece in _WORDS.findall(text)]


SHORT = set("acegmnopqrsuvwxyzıȷαγεηικμνοπρστυφχψω")  # letters that stop at the x-height


def overline_bar(label, family: str) -> tuple[float, float, float]:
    """Where the line over a width axis's label goes, from its baseline's left end: (x0, dy, x1).

    Set as TeX sets ``\\bar``: just above the letters' ink, so higher over "h" than over "y",
    leaning right with italic letters. ``label``: a SetLabel or a placed Text.

    >>> y, h = (overline_bar(set_label(c, "DejaVu Sans", 9), "DejaVu Sans") for c in "yh")
    >>> y[1] > h[1], y[0], round(h[1], 2)
    (True, 0.0, -7.64)
    >>> round(overline_bar(set_label("y", "STIXGeneral", 9, italic=True), "STIXGeneral")[0], 2)
    1.03
    """
    m = metrics(family)
    base = [r for r in label.runs if r.dy == 0] or list(label.runs)
    size = max((r.size for r in base), default=0.0)
    short = all(c in SHORT for r in base for c in r.text)
    top = (m.x_height if short else m.cap_height) * size
    lean = 0.2 * (top + OVERLINE_GAP * size) if base and all(r.italic for r in base) else 0.0
    return lean, -(top + OVERLINE_GAP * size), lean + label.width


OVERLINE_GAP = 0.12  # between the letters' ink and the line over them, in em

