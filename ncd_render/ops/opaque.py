"""``opaque(X: y m -> y m) as "aten.cumsum"``: an operation the language has no statement for
(``ncd import`` writes one per torch operation without a DSL equivalent), drawn as a box with
its name. It has no meaning to run: ``ncd check``, ``ncd compile`` and ``ncd cost`` refuse a
diagram that holds one (:func:`ncd_render.opaque.refuse`), so it declares no cost, run or
source rule; asked for one anyway, the registry says so."""
from __future__ import annotations

from ..opaque import build_opaque
from .registry import OpKind, register


def build(b, call, options, scope, label):
    return [build_opaque(b, call, [b.lookup(a, scope) for a in call.args], scope, label)]


register(OpKind("opaque", "opaque", build=build, glyph="box", hold="all", runs=False,
                example='input X[y m]\nY = opaque(X: y m -> y m) as "aten.cumsum"'))
