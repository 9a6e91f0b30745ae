r"""Scene -> a TikZ picture that takes the LaTeX document's own fonts.

Labels become TeX: ``$\bar{x}$`` for width axes (the scene's overline is
folded into the label), ``$\mathbf{L}_{Q}$`` for learned boxes,
``$k^{-1/2}$`` for factors; titles are text. A box's sign alone (a sum's +, a product's ×,
a bias's +) is drawn as the outline of the PDF's bold glyph (style ``ncd sign``). Every colour, stroke and font
size is a named style in one ``\tikzset`` block at the top of the file, so
an author restyles the figure there, or for every figure at once from the
preamble with ``\tikzset{ncd overrides/.style={ncd wire/.append style=blue}}``.
Coordinates are in bp (the scene's points, 1/72 in); font sizes in TeX pt.

>>> from ncd_render.scene import Scene, Line, Stroke
>>> print(to_tikz(Scene(20, 10, [Line(0, 5, 20, 5, Stroke())])).decode().splitlines()[-2])
\path[ncd wire] (0,5) -- (20,5);
>>> from ncd_render.text import set_label
>>> lab = set_label("L_q", "DejaVu Sans", 10, bold=True)
>>> tex_label(Text(0, 0, lab.runs, "DejaVu Sans", "#000", lab.width, lab.ascent, lab.descent, "label.box"))
'$\\mathbf{L}_{q}$'
"""
from __future__ import annotations

import re
import warnings

from .. import checks
from ..fonts import metrics
from ..limits import MAX_TEX_SIDE, check_side
from ..scene import Circle, Line, Path, Rect, Scene, Stroke, Text
from .svg import _n
from .texchars import TEXT_PUNCTUATION, LostLetters, comment_text, math_char, text_char

#: ★ (a convolution's box) as large as DejaVu's, not math's small binary \star (graphicx, which TikZ loads, scales it)
STAR = r"\mathord{\raisebox{-0.2ex}{\scalebox{1.5}{$\star$}}}"
INSET = 1.0  # bp: the least a label inside a rectangular box keeps from its outline
#: a label with this many times its width between its anchor and the picture's edge reaches it in no document font
SPARE = 2.0
#: Unicode symbols the labels use, as TeX math.
MATH = {
    "α": r"\alpha", "β": r"\beta", "γ": r"\gamma", "δ": r"\delta", "ε": r"\epsilon", "η": r"\eta", "θ": r"\theta",
    "κ": r"\kappa", "λ": r"\lambda", "μ": r"\mu", "ν": r"\nu", "π": r"\pi", "ρ": r"\rho", "σ": r"\sigma",
    "τ": r"\tau", "φ": r"\phi", "χ": r"\chi", "ψ": r"\psi", "ω": r"\omega", "Δ": r"\Delta", "Σ": r"\Sigma",
    "Φ": r"\Phi", "Ψ": r"\Psi", "Ω": r"\Omega", "⋆": r"\star", "·": r"{\cdot}", "×": r"\times", "ℓ": r"\ell",
    "⊗": r"\otimes", "−": "-", "◁": r"\triangleleft", "▷": r"\triangleright", "∑": r"\sum", "√": r"\surd",
    "∞": r"\infty", "≤": r"\leq", "≥": r"\geq", "±": r"\pm", "∘": r"\circ", "→": r"\to", "←": r"\leftarrow",
    "′": "'", "…": r"\ldots", "–": "-", "—": "-", "★": STAR, "☆": r"\star", "∗": "*", "⟨": r"\langle",
    "⟩": r"\rangle", "⊙": r"\odot", "⊕": r"\oplus", "∏": r"\prod", "∫": r"\int", "∂": r"\partial", "∇": r"\nabla",
    "÷": r"\div", "²": "^2", "³": "^3", "≈": r"\approx", "≠": r"\neq", "∈": r"\in", "↑": r"\uparrow", "↓": r"\downarrow", "↦": r"\mapsto",
}
#: Characters that OT1 text fonts print as something else.
_TEXT_ONLY = {"|": r"\textbar{}", "<": r"\textless{}", ">": r"\textgreater{}"}
_ESCAPE = {"#": r"\#", "$": r"\$", "%": r"\%", "&": r"\&", "_": r"\_", "{": r"\{", "}": r"\}",
           "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}"}
#: text-only escapes that have a math form
_MATH_ESCAPE = {"~": r"\mbox{\textasciitilde}", "^": r"\mbox{\textasciicircum}", "\\": r"\backslash "}
_WORD = re.compile(r"[A-Za-z]+|[0-9.]+|\s+|.", re.S)
#: Which labels are set as math, and how a word of several letters is set in each.
_MATH_WORDS = {"label.axis": r"\mathit", "label.name": r"\mathit", "label.box": r"\mathrm", "label.overline": r"\mathit",
               "label.legend": r"\mathit"}  # a legend of sizes names axes, as the wires do


def text_tex(text: str) -> str:
    r"""Plain text for a TeX text node: specials escaped, symbols as inline math.

    >>> text_tex("50% of σ_x")
    '50\\% of \\ensuremath{\\sigma}\\_x'
    >>> text_tex("Encoder–decoder — Abbott’s")
    "Encoder--{}decoder ---{} Abbott'{}s"
    """
    return "".join(_ESCAPE.get(c) or _TEXT_ONLY.get(c) or TEXT_PUNCTUATION.get(c) or (r"\ensuremath{" + MATH[c] + "}" if c in MATH else
                   c if c.isascii() else text_char(c)) for c in text)


def unset_letters(text: str) -> list[str]:
    """The letters of ``text`` that no pdflatex font sets (they print as ``?``), each once.

    >>> unset_letters("Réseau – 注意 🚀 注")
    ['注', '意', '🚀']
    """
    return list(dict.fromkeys(c for c in text if not c.isascii() and c not in MATH and text_char(c) == "?"))


def _math_words(text: str, bold: bool, words: str) -> str:
    out = []
    for token in _WORD.findall(text):
        if token[0].isalpha() and token.isascii():
            out.append(r"\mathbf{" + token + "}" if bold else token if len(token) == 1 else words + "{" + token + "}")
        elif token.isspace():
            out.append(r"\ ")
        else:
            sign = (MATH[token] + (" " if MATH[token][-1].isalpha() else "") if token in MATH
                    else _MATH_ESCAPE.get(token) or _ESCAPE.get(token) or (token if token.isascii() else math_char(token, bold)))
            # \mathbf sets ASCII letters only: math's Greek, signs and accents are bold in its bold version
            out.append(r"\mbox{\boldmath$" + sign.rstrip() + "$}" if bold else sign)
    return re.sub(r"(?<!\\) +$", "", "".join(out))  # (the space after \alpha; not a control space's: '^{\}' broke the file)


def tex_label(text: Text, overline: bool = False) -> str:
    r"""The TeX form of a scene label, rebuilt from its placed runs.

    Runs raised above the baseline become superscripts, lowered ones
    subscripts; bold runs ``\mathbf``; titles stay text, their bold runs ``\textbf``.

    >>> from ncd_render.text import set_label
    >>> bold, plain = set_label("Layer", "DejaVu Sans", 7, bold=True), set_label(" (continued)", "DejaVu Sans", 7)
    >>> tex_label(Text(0, 0, bold.runs + plain.runs, "DejaVu Sans", "#000", 1, 1, 1, "label.title"))
    '\\textbf{Layer} (continued)'
    """
    if text.role not in _MATH_WORDS:
        wrap = {1: r"\textsubscript{", -1: r"\textsuperscript{"}
        words = [r"\textbf{" + text_tex(r.text) + "}" if r.bold and r.text.strip() else text_tex(r.text) for r in text.runs]
        return "".join(wrap[(r.dy > 0) - (r.dy < 0)] + w + "}" if r.dy else w for r, w in zip(text.runs, words))
    words = _MATH_WORDS[text.role]
    spaced = text.role != "label.legend"  # "= m / h = 64": TeX spaces the relations and operators itself
    out = ""
    for run in text.runs:
        body = _math_words(run.text if spaced else run.text.replace(" ", ""), run.bold, words)
        if run.dy > 0:
            out += "_{" + body + "}"
        elif run.dy < 0:
            out += "^{" + body + "}"
        else:
            out += (" " if re.search(r"\\[A-Za-z]+$", out) and body[:1].isalpha() else "") + body  # \cdot c, not \cdotc
    if overline:
        plain = "".join(r.text for r in text.runs)
        out = (r"\bar{" if len(plain) == 1 else r"\overline{") + out + "}"
    return "$" + out + "$"


# -- styles -------------------------------------------------------------------
def _style_name(role: str) -> str:
    if role.startswith("label."):
        return "ncd " + role[len("label."):] + " label"
    return "ncd " + role.replace(".", " ")


class _Styles:
    """Named colours and styles, in order of first use.

    A colour is named after the theme key it came from (``ncd-learned-fill``, ``ncd-box-stroke``:
    the scene's colours carry their keys, see :class:`ncd_render.style.Colour`), so two keys of one
    hex stay two names an author restyles apart; a colour without a key (a scene built in Python)
    is named after the role that uses it (``ncd-box-fill``).
    """

    def __init__(self):
        self.colors: dict[tuple[str | None, str], str] = {}  # (theme key, hex) -> name
        self.looks: dict[str, list[tuple]] = {}  # role -> distinct looks (tuples of (key, value))

    def color(self, value: str, role: str, part: str) -> str:
        key = getattr(value, "key", None)
        value = checks.color(value, f"of a {role} {part}").upper()  # only #RRGGBB may reach \\definecolor
        if (key, value) not in self.colors:
            name = base = "ncd-" + (key.replace("_", "-") if key else role.replace(".", "-") + ("" if part == "draw" else "-" + part))
            taken = set(self.colors.values())
            k = 1
            while name in taken:  # a second fill of the same role: ncd-box-fill-2
                k += 1
                name = f"{base}-{k}"
            self.colors[(key, value)] = name
        return self.colors[(key, value)]

    def stroke(self, stroke: Stroke | None, role: str) -> list[tuple]:
        if stroke is None:
            return []
        opts = [("draw", self.color(stroke.color, role, "draw")), ("line width", _n(stroke.width) + "bp")]
        if stroke.dash:
            opts.append(("dash pattern", " ".join(f"{'on' if k % 2 == 0 else 'off'} {_n(d)}bp" for k, d in enumerate(stroke.dash))))
        if stroke.cap != "butt":
            opts.append(("line cap", stroke.cap))
        return opts

    def look(self, item) -> list[tuple]:
        role = item.role
        if isinstance(item, Text):
            size = item.runs[0].size if item.runs else 0.0
            return [("text", self.color(item.color, role, "text")),
                    ("font", r"\fontsize{" + _n(max(size, 0.01)) + "}{" + _n(max(size, 0.01) * 1.2) + r"}\selectfont")]
        opts = self.stroke(item.stroke, role)
        fill = getattr(item, "fill", None)
        if fill:
            opts.append(("fill", self.color(fill, role, "fill")))
        if getattr(item, "opacity", 1) != 1:
            opts.append(("fill opacity", _n(item.opacity)))
        return opts

    def name(self, item) -> str:
        """The style of ``item``: its role's name, numbered when a role has several looks."""
        look = tuple(self.look(item))
        looks = self.looks.setdefault(item.role, [])
        if look not in looks:
            looks.append(look)
        k = looks.index(look)
        return _style_name(item.role) + (f" {k + 1}" if k else "")

    def block(self) -> list[str]:
        lines = [r"\definecolor{" + name + "}{HTML}{" + hex_[1:] + "}%" for (_, hex_), name in self.colors.items()]
        lines.append(r"\tikzset{")
        # the document's own every node, every path and scale (every picture) do not reach into the figure: a frame
        # round each label, an arrowhead on each wire, the geometry halved under labels set at full size
        lines.append("  ncd/.style={reset cm, every node/.style={}, every path/.style={}, x=1bp, y=-1bp, inner sep=0pt, outer sep=0pt},")
        for role, looks in self.looks.items():
            base = _style_name(role)
            parent = self._parent(role)
            for k, look in enumerate(looks):
                name = base + (f" {k + 1}" if k else "")
                if k:  # a variant: the role's first look, changed
                    lines.append(f"  {name}/.style={{{self._options(look, looks[0], base)}}},")
                elif parent:
                    lines.append(f"  {name}/.style={{{self._options(look, self.looks[parent][0], _style_name(parent))}}},")
                else:
                    lines.append(f"  {name}/.style={{{self._options(look)}}},")
        lines.append("}%")
        return lines

    def _parent(self, role: str) -> str | None:
        """``wire`` for ``wire.bend``, when ``wire`` is drawn too and the child only adds to it."""
        if "." not in role or role.startswith("label."):
            return None
        parent = role.rsplit(".", 1)[0]
        if parent not in self.looks:
            return None
        keys = {k for k, _ in self.looks[role][0]}
        return parent if {k for k, _ in self.looks[parent][0]} <= keys else None

    @staticmethod
    def _options(look, base=None, base_name=None) -> str:
        opts = [f"{k}={v}" for k, v in look if base is None or (k, v) not in base]
        if base is not None:
            missing = {k for k, _ in base} - {k for k, _ in look}
            opts += [{"fill": "fill=none", "fill opacity": "fill opacity=1", "dash pattern": "solid",
                      "draw": "draw=none", "line cap": "line cap=butt"}.get(k, "") for k in sorted(missing)]
            opts = [base_name] + [o for o in opts if o]
        return ", ".join(opts)


# -- drawing ------------------------------------------------------------------
def _pt(x: float, y: float) -> str:
    return f"({_n(x)},{_n(y)})"


def _path(commands) -> str:
    parts = []
    for c in commands:
        if c[0] == "M":
            parts.append(_pt(c[1], c[2]))
        elif c[0] == "L":
            parts.append("-- " + _pt(c[1], c[2]))
        elif c[0] == "C":
            parts.append(f".. controls {_pt(c[1], c[2])} and {_pt(c[3], c[4])} .. {_pt(c[5], c[6])}")
        elif c[0] == "Z":
            parts.append("-- cycle")
    return " ".join(parts)


def _node(text: Text, style: str, room: float | None = None) -> str:
    """A label as a node anchored at the end the layout keeps put (its ``anchor``), so that the
    document's own font, wider or narrower, grows away from the wire or box it belongs to; no wider than
    ``room`` (bp), where given."""
    anchor, x = {"start": ("base west", text.x), "middle": ("base", text.x + text.width / 2),
                 "end": ("base east", text.x + text.width)}[text.anchor]
    label = tex_label(text, text.overline)
    if room is not None:
        label = rf"\ncdfit{{{_n(room)}bp}}{{{label}}}"
    return rf"\node[{style}, anchor={anchor}] at {_pt(x, text.y)} {{{label}}};"


def _rooms(scene: Scene) -> dict[int, float]:
    """How wide each box's label may be set (by the label's id): a document font wider than DejaVu (Computer
    Modern's bold LN overran its circle) shrinks to it. In a round box (a norm's circle), as wide as the layout
    measured it; in a rectangle, as wide as the box holds, :data:`INSET` inside its outline."""
    boxes = [i for i in scene.items if isinstance(i, Rect) and i.role == "box" and i.stroke is not None]
    rooms = {}
    for text in scene.items:
        if not isinstance(text, Text) or text.role != "label.box":
            continue
        cx, cy = (text.bbox[0] + text.bbox[2]) / 2, (text.bbox[1] + text.bbox[3]) / 2
        around = [b for b in boxes if b.x <= cx <= b.x + b.w and b.y <= cy <= b.y + b.h]
        if around:
            box = min(around, key=lambda b: b.w * b.h)
            rooms[id(text)] = text.width if box.radius >= min(box.w, box.h) / 2 - 0.5 else box.w - box.stroke.width - 2 * INSET
    return rooms


def _sign(text: Text) -> Path | None:
    """A box's sign alone (a sum's +, a product's ×, a bias's +) as the outline of the bold glyph the PDF draws,
    or None: set in the document's font, Computer Modern's bold + was half as heavy, larger, and (a bias's)
    sat on its box's bottom edge (a paper's author)."""
    run = text.runs[0] if len(text.runs) == 1 else None
    outline = metrics(text.family).signs.get(run.text) if text.role == "label.box" and run and run.bold else None
    if outline is None:
        return None
    x, y, s = text.x + run.dx, text.y + run.dy, run.size
    return Path(tuple((cmd[0], *(x + s * v if k % 2 == 0 else y - s * v for k, v in enumerate(cmd[1:]))) for cmd in outline),
                None, text.color, role="sign", ref=text.ref)


def _edge_room(text: Text, width: float) -> float | None:
    """How wide ``text`` may be set before it runs past the picture's bounding box (which TeX takes as given: a
    name in Computer Modern ran 3bp into the margin unseen), where that is less than :data:`SPARE` times its width."""
    middle = text.x + text.width / 2
    room = {"start": width - text.x, "end": text.x + text.width, "middle": 2 * min(middle, width - middle)}[text.anchor]
    return room if room < SPARE * text.width else None


def _draw(item, style: str) -> str | None:
    if isinstance(item, Line):
        return rf"\path[{style}] {_pt(item.x1, item.y1)} -- {_pt(item.x2, item.y2)};"
    if isinstance(item, Path):
        return rf"\path[{style}] {_path(item.commands)};"
    if isinstance(item, Rect):
        corners = f", rounded corners={_n(item.radius)}bp" if item.radius else ""
        return rf"\path[{style}{corners}] {_pt(item.x, item.y)} rectangle {_pt(item.x + item.w, item.y + item.h)};"
    if isinstance(item, Circle):
        return rf"\path[{style}] {_pt(item.cx, item.cy)} circle[radius={_n(item.r)}];"
    raise TypeError(f"unknown scene item {item!r}")


def to_tikz(scene: Scene) -> bytes:
    """The ``tikzpicture`` for ``scene``, with its colour and style block, as UTF-8 bytes."""
    checks.scene_text(scene)
    check_side(scene.width, scene.height, MAX_TEX_SIDE, "TikZ", "TeX's largest dimension is 16,383pt")
    lost = unset_letters("".join(run.text for item in scene.items if isinstance(item, Text) for run in item.runs))
    if lost:  # ("注意 🚀" printed as "?? ?", and nothing said so)
        warnings.warn(LostLetters(f"the TikZ output cannot set {' '.join(lost)} (pdflatex's fonts lack them): "
                                  "they print as '?'; .pdf or .svg output draws them"), stacklevel=2)
    styles = _Styles()
    body, rooms = [], _rooms(scene)
    for item in scene.items:
        if item.role == "label.overline" or (isinstance(item, Rect) and item.stroke is None and item.fill is None):
            continue  # overlines are part of their labels (Text.overline); layout-only regions are invisible
        if isinstance(item, Text):
            item = _sign(item) or item
        style = styles.name(item)
        room = rooms.get(id(item)) or _edge_room(item, scene.width) if isinstance(item, Text) else None
        body.append(_node(item, style, room) if isinstance(item, Text) else _draw(item, style))
    title = comment_text(scene.title or "A neural circuit diagram")  # a line end would end the % comment
    head = [
        f"% {title}: a neural circuit diagram drawn by ncd-render.",
        r"% Needs \usepackage{tikz}; include with \input{FILE.tikz}. Labels take the document's fonts.",
        r"% Restyle here, or for every figure from the preamble:",
        r"%   \tikzset{ncd overrides/.style={ncd wire/.append style={draw=blue}}}",
        "% Lengths in bp (1/72 in), font sizes in pt.",
    ]
    lines = head + styles.block() + [
        r"\tikzset{ncd overrides/.try}%",
        # a box's label no wider than the layout measured it (graphicx's \resizebox; TikZ loads graphicx)
        r"\providecommand\ncdfit[2]{\setbox0=\hbox{#2}\ifdim\wd0>#1\resizebox{#1}{!}{\box0}\else\box0\fi}%",
        r"\begin{tikzpicture}[ncd]",
        rf"\useasboundingbox (0,0) rectangle {_pt(scene.width, scene.height)};",
        *body,
        r"\end{tikzpicture}%",  # no line end may become a space beside the picture
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")
