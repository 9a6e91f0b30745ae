"""Build a gallery: every .ncd file in a folder rendered beside its source, plus an index page.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "tiny.ncd").write_text('title "Tiny"\\naxis m = 4\\ninput X[m]\\nY = relu(X)\\noutput Y\\n')
>>> sorted(p.name for p in build_gallery(folder, formats=("svg",)))
['index.html', 'tiny.page.svg', 'tiny.svg']
"""
from __future__ import annotations

import html
import os
import warnings
from urllib.parse import quote
from pathlib import Path

from .api import load
from .errors import NcdError
from .chars import readable, shown
from .output import not_an_input, write_atomic
from .render import render_bytes
from .sizing import SizeWarning

PAGE = "page"  # every figure is drawn once more as it prints on a 6.5 x 9 in page: NAME.page.svg / .pdf


def build_gallery(folder: str | Path, formats=("svg", "pdf"), theme: str = "paper", layout: str = "paper") -> list[Path]:
    """Render every ``*.ncd`` in ``folder``; returns the files written.

    Everything is drawn before anything is written, so a mistake in one diagram leaves every file as it was.
    """
    folder = Path(folder)
    sources = sorted(folder.glob("*.ncd"))
    if not sources:
        raise NcdError(f"no .ncd files in '{folder}'")
    _distinct(sources, formats)
    for out in [folder / "index.html"] + [p for source in sources for p in sum(_figures(source, formats), [])]:
        not_an_input(out, theme, layout)  # (a theme or layout that is a figure's file would become the figure)
    outputs, entries = [], []
    for source in sources:
        figure = load(source, theme=theme, layout=layout)
        scene = figure.scene()
        for out in _figures(source, formats)[0]:
            outputs.append((out, render_bytes(scene, out.suffix[1:], out)))
        with warnings.catch_warnings(record=True) as shrunk:  # said on the index page instead
            warnings.simplefilter("always", SizeWarning)
            page = figure.scene(layout_preset=PAGE)
        for out in _figures(source, formats)[1]:
            outputs.append((out, render_bytes(page, out.suffix[1:], out)))
        note = next((str(w.message) for w in shrunk if isinstance(w.message, SizeWarning)), None)
        entries.append((source, figure.diagram.title or readable(source.stem), scene, page, note))
    outputs.append((folder / "index.html", _index(entries, formats).encode("utf-8")))
    for path, data in outputs:
        write_atomic(path, data)
    return [path for path, _ in outputs]


def _figures(source: Path, formats) -> tuple[list[Path], list[Path]]:
    """The files ``source``'s figure is drawn to, and its page figure."""
    return [source.with_suffix("." + fmt) for fmt in formats], [source.with_suffix(f".{PAGE}.{fmt}") for fmt in formats]


def _distinct(sources: list[Path], formats) -> None:
    """NcdError, before drawing anything, where two sources would draw the same file (x.ncd's page figure is
    x.page.svg, which x.page.ncd draws too: the second replaced the first, and the index showed one twice)."""
    drawn: dict[Path, Path] = {}
    for source in sources:
        for out in sum(_figures(source, formats), []):
            if out in drawn:
                raise NcdError(f"'{shown(source.name)}' and '{shown(drawn[out].name)}' would both draw '{shown(out.name)}'",
                               hint=f"rename '{shown(source.name)}': a gallery draws NAME.ncd as NAME.svg and, on a page, NAME.{PAGE}.svg")
            drawn[out] = source


def _index(entries, formats) -> str:
    cards = []
    for source, title, scene, page, note in entries:
        links = " · ".join(f'<a href="{_url(source.stem + "." + fmt)}">{fmt.upper()}</a>' for fmt in formats)
        page_links = " · ".join(f'<a href="{_url(f"{source.stem}.{PAGE}.{fmt}")}">{fmt.upper()}</a>' for fmt in formats)
        # at print size: 1 CSS pt is 1/72 in, as a scene's unit
        image = (f'<img class="page" src="{_url(f"{source.stem}.{PAGE}.svg")}" style="width:{page.width:.1f}pt" '
                 f'alt="{html.escape(title)}">' if "svg" in formats else "")
        shrunk = f'<p class="shrunk">{html.escape(note)}</p>\n' if note else ""
        cards.append(f'<section><h2>{html.escape(title)}</h2>\n{image}\n{shrunk}'
                     f'<p><a href="{_url(source.name)}">{html.escape(shown(readable(source.name)))}</a> · on a page: {page_links} · '
                     f'at natural size ({scene.width / 72:.1f} x {scene.height / 72:.1f} in): {links}</p></section>')
    return ("<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>ncd-render gallery</title>\n"
            "<style>body{font-family:sans-serif;max-width:70em;margin:2em auto;padding:0 1em}"
            "section{margin:2em 0;border-bottom:1px solid #ddd;padding-bottom:1em}img{height:auto}"
            "img.page{outline:1px dotted #ccc}.shrunk{color:#a33}</style>\n"
            "</head><body>\n<h1>ncd-render gallery</h1>\n<p>Each figure as it prints on a 6.5 x 9 in page "
            "(--layout page), at print size: its 9 pt labels show at 9 pt.</p>\n" + "\n".join(cards) + "\n</body></html>\n")


def _url(name: str) -> str:
    """A file name as a relative URL inside an attribute: its bytes percent-encoded (a name's bytes that are not UTF-8
    too: `bad%FF.svg`), so no quote or bracket survives."""
    return html.escape(quote(os.fsencode(name), safe=""))
