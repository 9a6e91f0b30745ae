"""lark and svgwrite, imported without the parts of them this package never uses.

A cold ``ncd render`` spent a third of its imports on them: svgwrite compiles the
regular expressions of its SVG validator (which ``debug=False`` never runs) and
imports ``urllib.request`` (for embedding web fonts, which the renderer never does),
and lark imports the ``regex`` package when it is installed (used only by
``Lark(regex=True)``). Here those parts are put off until something asks for them:

* ``svgwrite.data.svgparser`` is a stand-in whose three checks load the real module on
  first call, so a validating ``svgwrite.Drawing(debug=True)`` still validates;
* ``urllib.request`` is a stand-in only while svgwrite is imported: its ``urlopen``
  loads the real one on first call, and later imports get the real module;
* ``regex`` looks absent only while lark is imported, so lark uses ``re``.

>>> svgwrite = import_svgwrite()
>>> svgwrite.Drawing(debug=True).path(d="M 0 0 L 1 1").tostring()
'<path d="M 0 0 L 1 1" />'
>>> svgwrite.Drawing(debug=True).path(d="M 0 0 X").tostring()
Traceback (most recent call last):
TypeError: 'M 0 0 X' is not a valid value for attribute 'd' at svg-element <path>.
>>> import urllib.request; urllib.request.urlopen.__module__
'urllib.request'
"""
from __future__ import annotations

import importlib
import sys
import types

PARSER = "svgwrite.data.svgparser"
CHECKS = ("is_valid_transferlist", "is_valid_pathdata", "is_valid_animation_timing")


def import_lark() -> types.ModuleType:
    """``import lark``, without importing ``regex`` for it."""
    if "lark" in sys.modules:
        return sys.modules["lark"]
    hidden = "regex" not in sys.modules
    if hidden:
        sys.modules["regex"] = None  # an import of it raises ImportError, so lark falls back on re
    try:
        return importlib.import_module("lark")
    finally:
        if hidden:
            del sys.modules["regex"]


def import_svgwrite() -> types.ModuleType:
    """``import svgwrite``, its validator's grammar and ``urllib.request`` put off until used."""
    if "svgwrite" in sys.modules:
        return sys.modules["svgwrite"]
    if PARSER not in sys.modules:
        sys.modules[PARSER] = _deferred(PARSER, CHECKS)
    stand_in = "urllib.request" not in sys.modules
    if stand_in:
        sys.modules["urllib.request"] = _deferred("urllib.request", ("urlopen",))
    try:
        return importlib.import_module("svgwrite")
    finally:
        if stand_in:
            del sys.modules["urllib.request"]


def _deferred(name: str, functions: tuple[str, ...]) -> types.ModuleType:
    """A stand-in module for ``name`` whose ``functions`` import the real module on first call."""
    stand_in = types.ModuleType(name, f"stand-in for {name}: loads it on first use (ncd_render.lean)")

    def real() -> types.ModuleType:
        if sys.modules.get(name) is stand_in:
            del sys.modules[name]
        return importlib.import_module(name)

    def forwarder(function: str):
        def call(*args, **kwargs):
            return getattr(real(), function)(*args, **kwargs)

        call.__name__ = function
        return call

    for function in functions:
        setattr(stand_in, function, forwarder(function))
    return stand_in
