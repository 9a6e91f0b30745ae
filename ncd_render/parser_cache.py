"""The .ncd grammar's LALR parser, built once per grammar and kept in the user's cache folder.

Building the parse tables takes about a fifth of a cold ``ncd render``; loading them
back takes a few milliseconds. The tables are stored with lark's own ``Lark.save``
under ``$XDG_CACHE_HOME/ncd-render`` (else ``~/.cache/ncd-render``), in a file named
after a hash of the grammar, the options, lark's version and Python's, so a changed
grammar never meets stale tables. The file is written whole or not at all (written
beside, then renamed); a folder that cannot be written, or a file that cannot be read,
only means the tables are built again. Set ``NCD_PARSER_CACHE=0`` to never use it.

>>> parser = build_parser("start: WORD\\n%import common.WORD\\n", cache_dir=None)
>>> parser.parse("hello").children[0].value
'hello'
"""
from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from pathlib import Path

from .lean import import_lark

lark = import_lark()

OPTIONS = {"parser": "lalr", "keep_all_tokens": True, "maybe_placeholders": False}  # positions: ncd_render.parse


def default_cache_dir() -> Path | None:
    """Where the tables are kept; None when the cache is switched off."""
    if os.environ.get("NCD_PARSER_CACHE") == "0":
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "ncd-render"


def build_parser(grammar: str, cache_dir: Path | None) -> lark.Lark:
    """An LALR parser for ``grammar``: loaded from ``cache_dir`` when its tables are there, else built (and stored)."""
    if cache_dir is None:
        return lark.Lark(grammar, **OPTIONS)
    key = hashlib.sha256("\0".join([grammar, repr(sorted(OPTIONS.items())), lark.__version__,
                                    "%d.%d" % sys.version_info[:2]]).encode()).hexdigest()[:24]
    path = cache_dir / f"parser-{key}.lark"
    try:
        with open(path, "rb") as f:
            return lark.Lark.load(f)
    except Exception:  # absent, unreadable or damaged: build it again
        pass
    parser = lark.Lark(grammar, **OPTIONS)
    _store(parser, path)
    return parser


def _store(parser: lark.Lark, path: Path) -> None:
    """Write the tables to ``path`` whole (a temporary file beside it, then renamed), or not at all."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".parser-", suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as f:
            parser.save(f)
        os.replace(tmp, path)
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass
