"""Font metrics for measuring labels, without importing a drawing library.

Metrics come from the real font files through matplotlib's FreeType wrapper.
Measuring at run time would import matplotlib (~0.2 s) on every render, so the
advance widths of the characters labels use are stored once in
``data/metrics.json`` (``python -m ncd_render.fonts`` rebuilds it); characters
or families that are not stored are measured live.

>>> m = metrics("DejaVu Sans")
>>> round(m.width("m", 10), 2) > round(m.width("i", 10), 2)
True
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

_STORE = Path(__file__).with_name("data") / "metrics.json"
STYLES = ("regular", "bold", "italic", "bolditalic")
#: a sum's, a difference's, a product's and a quotient's sign, and a bias's "+": their bold outlines are kept too
SIGNS = "+−×÷"
CHARSET = "".join(chr(c) for c in range(32, 127)) + "αβγδεηθκλμνπρστφχψωΔΣΦΨΩ·×−–—…′″←→↑↓⋆★◁▷∑√∞≤≥±∘⊗ℓ⟨⟩|∗µ"  # ∗: scales at cups; µ (micro sign): cost badges' times


@dataclass
class FontMetrics:
    """Advance widths (in em) per style and character, plus vertical metrics (in em): the font's
    ascent and descent, and the heights of its "x" and "H" (where an overline sits); and the bold
    outlines of :data:`SIGNS` (see :func:`_outlines`)."""

    family: str
    ascent: float
    descent: float
    x_height: float
    cap_height: float
    widths: dict[str, dict[str, float]] = field(default_factory=dict)
    signs: dict[str, tuple] = field(default_factory=dict)

    def width(self, text: str, size: float, bold: bool = False, italic: bool = False) -> float:
        style = STYLES[bold + 2 * italic]
        try:
            table = self.widths[style]
            return size * sum(map(table.__getitem__, text))  # a look-up per character, no generator
        except KeyError:  # a style or characters not stored: measured now, once
            table = self.widths.setdefault(style, {})
            table.update(_measure(self.family, style, "".join(set(text) - table.keys()))["widths"])
            return size * sum(map(table.__getitem__, text))


@lru_cache(maxsize=None)
def metrics(family: str) -> FontMetrics:
    stored = json.loads(_STORE.read_text(encoding="utf-8")) if _STORE.exists() else {}
    if family in stored:
        entry = stored[family]
    else:
        regular = _measure(family, "regular", CHARSET)
        entry = {**regular, "widths": {"regular": regular["widths"]}, "signs": _outlines(family)}
    return FontMetrics(family, entry["ascent"], entry["descent"], entry["x_height"], entry["cap_height"],
                       {style: dict(table) for style, table in entry["widths"].items()},
                       {c: tuple(tuple(cmd) for cmd in path) for c, path in entry["signs"].items()})


def font_file(family: str, style: str = "regular") -> str:
    """The font file matplotlib's font manager picks for a family and style."""
    from matplotlib import font_manager

    props = font_manager.FontProperties(family=family, weight="bold" if "bold" in style else "normal",
                                        style="italic" if "italic" in style else "normal")
    return font_manager.findfont(props, fallback_to_default=True)


def _measure(family: str, style: str, chars: str) -> dict:
    from matplotlib import ft2font

    font = ft2font.FT2Font(font_file(family, style))
    em = font.units_per_EM
    widths = {}
    for c in chars:
        code = ord(c) if font.get_char_index(ord(c)) else ord("?")  # the renderer substitutes a glyph of similar width
        glyph = font.load_char(code, flags=ft2font.LoadFlags.NO_SCALE)
        widths[c] = round(glyph.horiAdvance / em, 4)
    x_glyph = font.load_char(ord("x"), flags=ft2font.LoadFlags.NO_SCALE)
    cap_glyph = font.load_char(ord("H"), flags=ft2font.LoadFlags.NO_SCALE)
    return {"ascent": round(font.ascender / em, 4), "descent": round(-font.descender / em, 4),
            "x_height": round(x_glyph.height / em, 4), "cap_height": round(cap_glyph.height / em, 4), "widths": widths}


def _outlines(family: str) -> dict[str, list]:
    """The bold glyphs of :data:`SIGNS` as path commands in em from the glyph's origin, y up: M, L, C
    (a TrueType quadratic arc raised to a cubic) and Z; a sign the font lacks is left out.

    >>> plus = _outlines("DejaVu Sans")["+"]
    >>> plus[0], plus[-1], len(plus)  # twelve corners, back to the first, closed
    (['M', 0.4771, 0.627], ['Z'], 14)
    """
    from matplotlib import ft2font

    font = ft2font.FT2Font(font_file(family, "bold"))
    unit = 64 / font.units_per_EM  # (matplotlib divides unscaled font units by 64, taking them for 26.6 fixed point)
    out = {}
    for c in SIGNS:
        if not font.get_char_index(ord(c)):
            continue
        font.load_char(ord(c), flags=ft2font.LoadFlags.NO_SCALE)
        points, codes = font.get_path()
        em = [[round(float(x) * unit, 4), round(float(y) * unit, 4)] for x, y in points]
        path, k = [], 0
        while k < len(codes):
            code = codes[k]
            if code == 3:  # a quadratic arc: control, end
                (x0, y0), (cx, cy), (x1, y1) = path[-1][-2:], em[k], em[k + 1]  # (from where the last command ended)
                path.append(["C", round(x0 + 2 * (cx - x0) / 3, 4), round(y0 + 2 * (cy - y0) / 3, 4),
                             round(x1 + 2 * (cx - x1) / 3, 4), round(y1 + 2 * (cy - y1) / 3, 4), x1, y1])
                k += 2
            elif code == 4:  # a cubic arc: two controls, end
                path.append(["C", *em[k], *em[k + 1], *em[k + 2]])
                k += 3
            else:
                path.append(["M" if code == 1 else "L", *em[k]] if code in (1, 2) else ["Z"])
                k += 1
        out[c] = path
    return out


def build_store(families=("DejaVu Sans", "DejaVu Serif", "DejaVu Sans Mono", "STIXGeneral")) -> None:
    """Measure the stored character set for ``families`` and write data/metrics.json."""
    store = {}
    for family in families:
        regular = _measure(family, "regular", CHARSET)
        store[family] = {k: regular[k] for k in ("ascent", "descent", "x_height", "cap_height")}
        store[family]["widths"] = {style: _measure(family, style, CHARSET)["widths"] for style in STYLES}
        store[family]["signs"] = _outlines(family)
    _STORE.write_text(json.dumps(store, ensure_ascii=False, sort_keys=True, indent=0) + "\n", encoding="utf-8")


if __name__ == "__main__":
    build_store()
    print(f"wrote {_STORE}")
