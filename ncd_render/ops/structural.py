"""The string diagram's own structure: inputs, outputs, copies, deletes, stores and collapsed
components. The builder makes them from statements (``input``, ``output``, ``delete``,
``save``, ``load(C)``, a component call); none is a box of its own."""
from __future__ import annotations

from types import MappingProxyType

from ..errors import NcdError, did_you_mean
from .registry import ATOM, OpKind, register
from .work import WHOLE, Work


def _nothing(op, c) -> Work:  # made from nothing, or dropped: moves nothing
    return Work(0, 0, (), c.outs, {}, 0)


def _view(op, c) -> Work:  # the memory stays the input's
    return Work(0, 0, c.ins, c.outs, c.mapped, 0)


def _skip(op, box, xs, rt):
    return ()


def _no_source(op, w, target):
    return [], None, ATOM, ""


def _copy_source(op, w, target):
    for v in op.outputs:  # every copy is the same python object
        w.var[v] = w.var[op.inputs[0]]
    return [], None, ATOM, ""


def build_load(b, call, options, scope, label):
    if len(call.args) != 1 or call.spec is not None:
        raise NcdError("load takes the name of one store: load(C_1)", call.span)
    store = call.args[0]
    if store.name not in b.stores:
        raise NcdError(f"nothing was saved as '{store.name}'", store.span,
                       did_you_mean(store.name, b.stores) or f"save a tensor first: save X as {store.name}")
    source = b.stores[store.name]
    out = b.new_value("", b.values[source].axes, b.values[source].dtype, call.span)
    b.add_op(kind="load", inputs=(), outputs=(out,), label=store.name, section=scope.section, span=call.span,
             params=MappingProxyType({"store": store.name, "source": source}))
    return [out]


def _load_source(op, w, target):
    source = op.params["source"]
    return [], w.arg(source), w.inline.get(source, ("", ATOM))[1], f"load {op.params['store']}"


def _call_cost(op, c) -> Work:
    """A collapsed component: its boxes' work, a repeated block's as often as it runs."""
    body = [c.repeated(c.work(inner), c.repeats(inner.section)) for inner in op.params["body"]]
    usage = {a: WHOLE for w in body for x in w.reads + w.writes for a in x.axes}
    return Work(sum(w.matmul_flops for w in body), sum(w.vector_flops for w in body),
                tuple(x for w in body for x in w.reads), tuple(x for w in body for x in w.writes), usage,
                sum(w.kernels for w in body))


def _call_label(op):
    return op.label or "L", 1.0, True


common = dict(in_dsl=False, glyph="none", hold="none", label=None, run=_skip, source=_no_source, free=True)
register(
    OpKind("input", "input", cost=_nothing, declares=True, **common),
    OpKind("output", "output", cost=_view, declares=True, **common),
    OpKind("delete", "delete", cost=_nothing, **common),
    OpKind("save", "save", cost=_view, **{**common, "source": lambda op, w, t: ([f"# save {w.var[op.inputs[0]]} as {op.params['store']}"], None, ATOM, "")}),
    OpKind("copy", "copy", cost=_view, keeps_ids=True, **{**common, "glyph": "wiring", "run": lambda op, box, xs, rt: tuple(xs[0] for _ in op.outputs),
                                                           "source": _copy_source}),
    OpKind("load", "load", build=build_load, cost=_nothing, example=None,
           **{**common, "in_dsl": True, "run": lambda op, box, xs, rt: rt.values[op.params["source"]], "source": _load_source}),
    # a component drawn as one box (its body is in params["body"]; torch and codegen run the body expanded)
    OpKind("call", "call", in_dsl=False, glyph="box", hold="all", label=_call_label, cost=_call_cost),
)
