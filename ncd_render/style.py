"""Themes (colours, fonts, strokes) and layout presets (spacing), loaded from TOML files.

Built-in files live in the top-level ``themes/`` and ``layouts/`` folders
(installed as ``ncd_render.themes`` and ``ncd_render.layouts``); a user passes
a name (``paper``) or a path to their own copy (``./mytheme.toml``).

>>> load_theme("paper").font.family
'DejaVu Sans'
>>> load_preset("paper").pitch > 0
True
>>> load_theme("paper").colors.learned_fill.key, load_theme("paper").colors.sections[1].key
('learned_fill', 'section-2')
"""
from __future__ import annotations

import tomllib
from dataclasses import fields, replace
from pathlib import Path

from . import checks
from .errors import NcdError, did_you_mean
from .limits import decode_utf8, read_limited
from .records import record
from .sizing import parse_length


@record
class Font:
    family: str = "DejaVu Sans"
    axis_size: float = 9.0
    box_size: float = 10.0
    title_size: float = 8.0
    name_size: float = 9.0
    math: bool = False            # axis names in math italic (function names stay upright), as TeX sets them


class Colour(str):
    """A theme's colour: its ``#RRGGBB`` text, which every drawing writes, and the theme key it
    came from (``learned_fill``, ``section-2``), which a scene item carries wherever the layout
    puts it, so TikZ names the colour after its key instead of guessing the key from the hex
    (text, wires and box strokes share one hex in most themes).

    >>> c = Colour("#E8EEEB", "learned_fill")
    >>> c == "#E8EEEB", c.key, str(c).__class__.__name__
    (True, 'learned_fill', 'str')
    """

    key: str | None

    def __new__(cls, value: str, key: str | None = None):
        colour = super().__new__(cls, value)
        colour.key = key
        return colour


@record
class Colors:
    text: str = "#1a1a1a"
    wire: str = "#1a1a1a"
    box_stroke: str = "#1a1a1a"
    box_fill: str = "#ffffff"
    learned_fill: str = "#E8EEEB"
    norm_fill: str = "#F1FCFC"
    softmax_fill: str = "#ffffff"
    mask_fill: str = "#F9CBDF"
    star_fill: str = "#E5F2F9"  # the convolution tensor ★ and boxes drawn with it (the paper's pale blue)
    separator: str = "#6b6b6b"
    dot: str = "#1a1a1a"
    halo: str = "#ffffff"
    title: str = "#333333"
    background: str = "none"
    memory_bound: str = "#2a6fdb"
    compute_bound: str = "#d1495b"
    sections: tuple[str, ...] = ("#C5BEDF", "#FFE2BB", "#F1F4C1", "#C1E8F7", "#FCE0E1")
    axes: tuple[str, ...] = ()  # a colour per axis, kept through the figure (ncd_render.layout.colours); () keeps wires in `wire`
    section_opacity: float = 0.6


@record
class Strokes:
    wire: float = 0.9
    box: float = 0.9
    learned_box: float = 1.3
    separator: float = 0.7
    dash: tuple[float, ...] = (3.0, 2.0)


@record
class Theme:
    name: str
    font: Font
    colors: Colors
    strokes: Strokes


@record
class Preset:
    """Spacing, in points."""

    name: str = "paper"
    pitch: float = 17.0          # between the wires of one tensor
    tandem_pitch: float = 4.0    # between the wires of axes in tandem (2-D positions)
    tensor_gap: float = 9.0      # extra space between tensors (where the dashed line goes)
    column_gap: float = 16.0     # least space between columns
    label_pad: float = 3.0       # between a label and what it labels
    box_pad_x: float = 5.0       # box label to box edge
    box_pad_y: float = 5.0       # wire to box edge
    min_box_width: float = 18.0
    clearance: float = 5.0       # between a box edge and a wire passing it
    section_pad: float = 6.0
    margin: float = 6.0
    bend: float = 0.55           # width of a wiring region per point of vertical travel
    fork_bend: float | None = None  # the same for a copy's branches and a sum's operands; None: bend
    min_region: float = 18.0     # least width of a wiring region
    width: str | None = None     # target figure width, e.g. "3.25in"; None: natural size
    wrap: bool = False           # cut a wider figure into strips stacked top to bottom instead of shrinking it
    height: str | None = None    # target canvas height (slides); None: natural height
    font_scale: float = 1.0      # theme font sizes times this (slides: larger labels)
    rows: bool = False           # compose a page: rows at semantic boundaries, collapsed components defined below
    page_height: str | None = None  # with rows: the most height before components collapse, then labels shrink
    legend: bool = False         # with rows: a legend of the axes' sizes below the figure, where the page has room
    title_wrap: bool = False     # with rows: long section titles on two lines (set by the page where that shrinks it less)

    @property
    def forks(self) -> float:
        """The bend of a copy's branches and a sum's operands."""
        return self.bend if self.fork_bend is None else self.fork_bend


def _builtin_folder(folder: str) -> Path:
    """``themes/`` or ``layouts/``: inside the installed package, or beside it in a checkout."""
    here = Path(__file__).parent
    return next((p for p in (here / folder, here.parent / folder) if p.is_dir()), here / folder)


def builtin_names(folder: str) -> list[str]:
    """The built-in themes (``folder`` "themes") or layouts ("layouts"), by name."""
    return sorted(p.stem for p in _builtin_folder(folder).glob("*.toml"))


def _read(kind: str, folder_name: str, name_or_path: str) -> tuple[dict, str]:
    """The TOML of a built-in ``name_or_path`` (a bare name: a folder called ``paper`` beside a paper's
    sources does not hide the built-in theme), else of the file at that path."""
    path = Path(name_or_path)
    folder = _builtin_folder(folder_name)
    names = builtin_names(folder_name)
    if name_or_path in names:
        data, shown = (folder / (name_or_path + ".toml")).read_bytes(), name_or_path
    elif path.suffix == ".toml" or (path.exists() and not path.is_dir()):
        if not path.exists():
            raise NcdError(f"{kind} file '{path}' does not exist")
        data, shown = read_limited(path, f"the {kind} file"), str(path)
    else:
        raise NcdError(f"unknown {kind} '{name_or_path}'" + (" (that is a folder, not a .toml file)" if path.is_dir() else ""),
                       hint=" ".join(filter(None, [did_you_mean(name_or_path, names),
                                                   f"built-in {kind}s: {', '.join(names)}; or give a path to a .toml file"])))
    text = decode_utf8(data, shown, f"the {kind} file")
    try:
        return tomllib.loads(text), shown
    except tomllib.TOMLDecodeError as error:
        raise NcdError(f"{kind} '{shown}' is not valid TOML: {error}") from None


# -- every setting has a type and a finite range (docs/limits.md) ----------------------------
def _size(v, what):
    return checks.number(v, what, 1, 200)  # TeX sets fonts below 2048pt, after font_scale too


def _stroke(v, what):
    return checks.number(v, what, 0, 100)


def _spacing(v, what):
    return checks.number(v, what, 0, 1000)


def _positive_spacing(v, what):
    return checks.number(v, what, 0, 1000, above=True)


def _text(v, what):
    return checks.plain_text(v, what, limit=1000)


def _dash(v, what):
    if not isinstance(v, list) or len(v) > 16:
        raise NcdError(f"{what} must be a list of at most 16 numbers, not {v!r:.40}")
    # (a dash under a tenth of a point prints as none, and TikZ, to two places, wrote `on 0bp off 0bp`: a pattern of
    # zeros, which PDF forbids)
    return tuple(checks.number(x, f"{what}[{k}]", 0.1, 1000) for k, x in enumerate(v))


def _colors(v, what):
    if not isinstance(v, list) or not 1 <= len(v) <= 64:
        raise NcdError(f"{what} must be a list of 1 to 64 colours, not {v!r:.40}")
    return tuple(checks.color(c, f"{what}[{k}]") for k, c in enumerate(v))


def _length(v, what):
    parse_length(v if isinstance(v, str) else repr(v), what)
    return v


def _flag(v, what):
    if not isinstance(v, bool):
        raise NcdError(f"{what} must be true or false, not {v!r:.40}")
    return v


_CHECKS = {
    Font: dict.fromkeys(("axis_size", "box_size", "title_size", "name_size"), _size) | {"family": _text, "math": _flag},
    Colors: {f.name: checks.color for f in fields(Colors)} | {
        "background": lambda v, what: checks.color(v, what, allow_none=True), "sections": _colors, "axes": _colors,
        "section_opacity": lambda v, what: checks.number(v, what, 0, 1)},
    Strokes: dict.fromkeys(("wire", "box", "learned_box", "separator"), _stroke) | {"dash": _dash},
    Preset: {f.name: _spacing for f in fields(Preset)} | dict.fromkeys(("pitch", "tandem_pitch", "bend", "fork_bend"), _positive_spacing) | {
        "name": _text, "width": _length, "height": _length, "wrap": _flag, "rows": _flag, "page_height": _length, "legend": _flag,
        "font_scale": lambda v, what: checks.number(v, what, 0.1, 10)},
}


def _fill(cls, data, where: str):
    """``cls`` from a TOML table, every value checked; NcdError naming the file and the key."""
    if not isinstance(data, dict):
        raise NcdError(f"{where} must be a table of settings, not {data!r:.40}")
    known = {f.name for f in fields(cls)}
    values = {}
    for key, value in data.items():
        if key not in known:
            raise NcdError(f"{where}: unknown setting '{key}'", hint=did_you_mean(key, known))
        try:
            values[key] = _CHECKS[cls][key](value, f"'{key}'")
        except NcdError as error:
            raise NcdError(f"{where}: {error.message}", hint=error.hint) from None
    return cls(**values)


def _keyed(colors: Colors) -> Colors:
    """Every colour of ``colors`` as a :class:`Colour` that knows its key; a palette's colours are
    ``section-1``, ``section-2``, ... and ``axis-1``, ..."""
    singular = {"sections": "section", "axes": "axis"}
    values = {}
    for f in fields(Colors):
        value = getattr(colors, f.name)
        if isinstance(value, tuple):
            values[f.name] = tuple(Colour(c, f"{singular[f.name]}-{k + 1}") for k, c in enumerate(value))
        elif isinstance(value, str) and value.startswith("#"):
            values[f.name] = Colour(value, f.name)
    return replace(colors, **values)


def load_theme(name_or_path: str = "paper") -> Theme:
    data, shown = _read("theme", "themes", name_or_path)
    unknown = set(data) - {"name", "description", "font", "colors", "strokes"}
    if unknown:
        raise NcdError(f"theme '{shown}': unknown section '{sorted(unknown)[0]}'", hint="sections: font, colors, strokes")
    name = _text(data.get("name", shown), f"theme '{shown}': 'name'")
    _text(data.get("description", ""), f"theme '{shown}': 'description'")
    return Theme(name, _fill(Font, data.get("font", {}), f"theme '{shown}' [font]"),
                 _keyed(_fill(Colors, data.get("colors", {}), f"theme '{shown}' [colors]")),
                 _fill(Strokes, data.get("strokes", {}), f"theme '{shown}' [strokes]"))


def load_preset(name_or_path: str = "paper") -> Preset:
    data, shown = _read("layout", "layouts", name_or_path)
    _text(data.pop("description", ""), f"layout '{shown}': 'description'")
    data.setdefault("name", shown)
    return _fill(Preset, data, f"layout '{shown}'")
