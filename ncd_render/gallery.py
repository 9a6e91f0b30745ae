"""Build a gallery: every .ncd file in a folder rendered beside its source, plus an index page.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "tiny.ncd").write_text('title "Tiny"\\naxis m = 4\\ninput X[m]\\nY = relu(X)\\noutput Y\\n')
>>> sorted(p.name for p in build_gallery(folder, formats=("svg",)))
['index.html', 'tiny.svg']
"""
from __future__ import annotations

import html
from urllib.parse import quote
from pathlib import Path

from .api import load
from .errors import NcdError
from .output import write_atomic
from .render import render_bytes


def build_gallery(folder: str | Path, formats=("svg", "pdf"), theme: str = "paper", layout: str = "paper") -> list[Path]:
    """Render every ``*.ncd`` in ``folder``; returns the files written.

    Everything is drawn before anything is written, so a mistake in one diagram leaves every file as it was.
    """
    folder = Path(folder)
    sources = sorted(folder.glob("*.ncd"))
    if not sources:
        raise NcdError(f"no .ncd files in '{folder}'")
    outputs, entries = [], []
    for source in sources:
        figure = load(source, theme=theme, layout=layout)
        scene = figure.scene()
        for out in (source.with_suffix("." + fmt) for fmt in formats):
            outputs.append((out, render_bytes(scene, out.suffix[1:], out)))
        entries.append((source, figure.diagram.title or source.stem, scene))
    outputs.append((folder / "index.html", _index(entries, formats).encode("utf-8")))
    for path, data in outputs:
        write_atomic(path, data)
    return [path for path, _ in outputs]


def _index(entries, formats) -> str:
    cards = []
    for source, title, scene in entries:
        links = " · ".join(f'<a href="{_url(source.stem + "." + fmt)}">{fmt.upper()}</a>' for fmt in formats)
        image = f'<img src="{_url(source.stem + ".svg")}" width="{scene.width:.0f}" alt="{html.escape(title)}">' if "svg" in formats else ""
        cards.append(f'<section><h2>{html.escape(title)}</h2>\n{image}\n'
                     f'<p><a href="{_url(source.name)}">{html.escape(source.name)}</a> · {links}</p></section>')
    return ("<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>ncd-render gallery</title>\n"
            "<style>body{font-family:sans-serif;max-width:70em;margin:2em auto;padding:0 1em}"
            "section{margin:2em 0;border-bottom:1px solid #ddd;padding-bottom:1em}img{max-width:100%;height:auto}</style>\n"
            "</head><body>\n<h1>ncd-render gallery</h1>\n" + "\n".join(cards) + "\n</body></html>\n")


def _url(name: str) -> str:
    """A file name as a relative URL inside an attribute: percent-encoded, so no quote or bracket survives."""
    return html.escape(quote(name, safe=""))
