"""``max``, ``min``, ``mean`` and ``sum`` over named axes (pooling after unfold; one FLOP per element
read), and ``index(X: t) with at=0``, one position of an axis (a ket |0⟩; a strided view), or
``index(X: t -> s) with at=0``, the run of positions 0 to |s| of t as axis s (a ket |0:5⟩; a view too:
the softmax over scores and sinks that gpt-oss slices its sinks off)."""
from __future__ import annotations

from types import MappingProxyType

from ..errors import NcdError
from ..options import KINDS
from .registry import ATOM, OpKind, register
from .window import taper
from .work import SUM, Work

SYMBOLS = {"max": ("max", "amax"), "min": ("min", "amin"), "mean": ("avg", "mean"), "sum": ("Σ", "sum")}


def build(b, call, options, scope, label):
    fn = call.fn.name
    vid = b.one_arg(call, scope)
    ranged = fn == "index" and call.spec is not None and call.spec.outputs is not None
    if call.spec is None or call.spec.outputs is not None and not ranged or len(call.spec.inputs) != 1:
        axes = b.values[vid].axes
        raise NcdError(f"{fn} needs the axes it removes", call.spec.span if call.spec else call.span,
                       f"for example {fn}({call.args[0].name}: {axes[-1] if axes else 'm'})" + (f", or {fn}({call.args[0].name}: "
                       f"{' '.join(axes)}) for all of it" if len(axes) > 1 else ""))
    acted = b.spec_axes(call.spec.inputs[0], vid, scope, fn, call.spec.span)
    axes = b.values[vid].axes
    params = {"fn": fn, "axes": acted}
    kept = tuple(a for a in axes if a not in acted)
    if fn == "index":
        if len(acted) != 1:
            raise NcdError("index picks one position of one axis" + (", or a run of them" if ranged else ""), call.spec.span)
        at, size = int(options.get("at", 0)), b.axes[acted[0]].size
        run = _run(b, call, scope, acted[0], size, at) if ranged else None
        if size is not None and not -size <= at < size:
            raise NcdError(f"index {at} is outside axis '{acted[0]}' of size {size}", call.span)
        params["at"] = at % size if size is not None and run is not None else at
        if run is not None:
            params["to"] = run
            kept = tuple(run if a == acted[0] else a for a in axes)
    out = b.new_value("", kept, b.values[vid].dtype, call.span)
    text = label or (_ket(params, b.axes[params["to"]].size if "to" in params else None) if fn == "index" else SYMBOLS[fn][0])
    b.add_op(kind="index" if fn == "index" else "reduce", inputs=(vid,), outputs=(out,), acts=(acted,),
             broadcast=tuple(a for a in axes if a not in acted), label=text, params=MappingProxyType(params),
             section=scope.section, span=call.span)
    return [out]


def _run(b, call, scope, axis: str, size: int | None, at: int) -> str:
    """The axis a run of ``axis`` from ``at`` is taken as (``index(X: t -> s)``), checked to lie inside it."""
    outputs = call.spec.outputs
    if len(outputs) != 1 or len(outputs[0]) != 1:
        raise NcdError(f"index takes a run of axis '{axis}' as one new axis", call.spec.span, "for example index(P: t -> x) with at=0")
    target = b.shape(outputs[0], scope, "the run that index takes")
    b.fresh(target, outputs[0], b.one_arg(call, scope), (axis,), call)
    length = b.axes[target[0]].size
    start = at % size if size is not None and -size <= at < size else at
    if size is not None and length is not None and start + length > size:
        raise NcdError(f"index takes positions {start} to {start + length} of axis '{axis}', which has {size}", call.span,
                       f"a run from at={start} holds at most {size - start}")
    return target[0]


def _ket(params, length: int | None) -> str:
    """An index's label: |3⟩, or the run it takes, |0:5⟩ (|0:0+s⟩ when the run's size is not known)."""
    at = params["at"]
    if "to" not in params:
        return f"|{at}⟩"
    return f"|{at}:{at + length}⟩" if length is not None else f"|{at}:{at}+{params['to']}⟩"


def cost_reduce(op, c) -> Work:
    """One operation for each element read; the axes named are summed over (their tiles meet)."""
    return Work(0, c.size(c.ins[0].axes), c.ins, c.outs, {**c.mapped, **{a: SUM for a in op.params["axes"]}}, 1)


def run_reduce(op, box, xs, rt):
    (axes,) = rt.patterns.values(op)
    return getattr(rt.torch, SYMBOLS[op.params["fn"]][1])(xs[0], rt.patterns.dims(axes, op.params["axes"]))


def source_reduce(op, w, target):
    p = op.params
    return [], f"{w.arg(op.inputs[0], ATOM)}.{SYMBOLS[p['fn']][1]}(dim={w.dims_of(op, p['axes'])})", ATOM, f"{p['fn']} over {', '.join(p['axes'])}"


def run_index(op, box, xs, rt):
    (axes,) = rt.patterns.values(op)
    (dim,) = rt.patterns.dims(axes, op.params["axes"])
    if "to" in op.params:
        return xs[0].narrow(dim, op.params["at"], rt.patterns.size(op.params["to"]))
    return xs[0].select(dim, op.params["at"])


def source_index(op, w, target):
    p = op.params
    (dim,) = w.dims_of(op, p["axes"])
    if "to" in p:
        length = w.p.size(p["to"])
        return [], f"{w.arg(op.inputs[0], ATOM)}.narrow({dim}, {p['at']}, {length})", ATOM, \
            f"{p['axes'][0]} from {p['at']} to {p['at'] + length}, as {p['to']}"
    return [], f"{w.arg(op.inputs[0], ATOM)}.select({dim}, {p['at']})", ATOM, f"{p['axes'][0]} = {p['at']}"


register(
    *(OpKind(fn, "reduce", build=build, glyph="box", hold="acts", taper=taper, run=run_reduce, source=source_reduce, example=f"input X[y m]\nY = {fn}(X: m)",
             cost=cost_reduce)
      for fn in SYMBOLS),
    OpKind("index", "index", build=build, options=MappingProxyType({"at": KINDS["at"]}), glyph="box", hold="acts", run=run_index, source=source_index,
           cost=lambda op, c: Work(0, 0, c.ins, c.outs, c.mapped, 0), keeps_ids=True, example="input X[y m]\nY = index(X: m) with at=1"),
)
