"""``max``, ``mean`` and ``sum`` over named axes (pooling after unfold; one FLOP per element
read), and ``index(X: t) with at=0``, one position of an axis (a ket |0⟩; a strided view)."""
from __future__ import annotations

from types import MappingProxyType

from ..errors import NcdError
from ..options import KINDS
from .registry import ATOM, OpKind, register
from .window import taper
from .work import SUM, Work

SYMBOLS = {"max": ("max", "amax"), "mean": ("avg", "mean"), "sum": ("Σ", "sum")}


def build(b, call, options, scope, label):
    fn = call.fn.name
    vid = b.one_arg(call, scope)
    if call.spec is None or call.spec.outputs is not None or len(call.spec.inputs) != 1:
        raise NcdError(f"{fn} needs the axes it removes", call.spec.span if call.spec else call.span, f"for example {fn}({call.args[0].name}: kh kw)")
    acted = b.spec_axes(call.spec.inputs[0], vid, scope, fn, call.spec.span)
    axes = b.values[vid].axes
    params = {"fn": fn, "axes": acted}
    if fn == "index":
        if len(acted) != 1:
            raise NcdError("index picks one position of one axis", call.spec.span)
        at = int(options.get("at", 0))
        size = b.axes[acted[0]].size
        if size is not None and not -size <= at < size:
            raise NcdError(f"index {at} is outside axis '{acted[0]}' of size {size}", call.span)
        params["at"] = at
    out = b.new_value("", tuple(a for a in axes if a not in acted), b.values[vid].dtype, call.span)
    text = label or (f"|{params['at']}⟩" if fn == "index" else SYMBOLS[fn][0])
    b.add_op(kind="index" if fn == "index" else "reduce", inputs=(vid,), outputs=(out,), acts=(acted,),
             broadcast=tuple(a for a in axes if a not in acted), label=text, params=MappingProxyType(params),
             section=scope.section, span=call.span)
    return [out]


def run_reduce(op, box, xs, rt):
    (axes,) = rt.patterns.values(op)
    return getattr(rt.torch, SYMBOLS[op.params["fn"]][1])(xs[0], rt.patterns.dims(axes, op.params["axes"]))


def source_reduce(op, w, target):
    p = op.params
    return [], f"{w.arg(op.inputs[0], ATOM)}.{SYMBOLS[p['fn']][1]}(dim={w.dims_of(op, p['axes'])})", ATOM, f"{p['fn']} over {', '.join(p['axes'])}"


def run_index(op, box, xs, rt):
    (axes,) = rt.patterns.values(op)
    (dim,) = rt.patterns.dims(axes, op.params["axes"])
    return xs[0].select(dim, op.params["at"])


def source_index(op, w, target):
    p = op.params
    (dim,) = w.dims_of(op, p["axes"])
    return [], f"{w.arg(op.inputs[0], ATOM)}.select({dim}, {p['at']})", ATOM, f"{p['axes'][0]} = {p['at']}"


register(
    *(OpKind(fn, "reduce", build=build, glyph="box", hold="acts", taper=taper, run=run_reduce, source=source_reduce, example=f"input X[y m]\nY = {fn}(X: m)",
             cost=lambda op, c: Work(0, c.size(c.ins[0].axes), c.ins, c.outs, {**c.mapped, **{a: SUM for a in op.params["axes"]}}, 1))
      for fn in SYMBOLS),
    OpKind("index", "index", build=build, options=MappingProxyType({"at": KINDS["at"]}), glyph="box", hold="acts", run=run_index, source=source_index,
           cost=lambda op, c: Work(0, 0, c.ins, c.outs, c.mapped, 0), keeps_ids=True, example="input X[y m]\nY = index(X: m) with at=1"),
)
