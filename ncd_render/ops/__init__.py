"""The op kinds, one module per kind or small family (see :mod:`.registry`).

Every module in this package is imported here, in name order, and registers its kinds;
adding a kind is adding a module. Back-ends use :func:`of` (an IR op's entry),
:func:`get` (by key) and :func:`named` (a DSL function's entry).

>>> named("gelu").options["approximate"].choices
('none', 'tanh')
"""
from __future__ import annotations

import importlib
import pkgutil

from .registry import ADD, ATOM, MUL, OpKind, dsl_names, get, idle, kinds, named, of, register

__all__ = ["ADD", "ATOM", "MUL", "OpKind", "dsl_names", "get", "idle", "kinds", "named", "of", "register"]

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    importlib.import_module(f"{__name__}.{_module}")
