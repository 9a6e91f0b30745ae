"""``embedding(T: v -> m)``: a learned table looked up by integer ids (nn.Embedding, weight
[vocabulary, output axes]); a gather, one table row per id, not the whole table."""
from __future__ import annotations

from types import MappingProxyType

from ..errors import NcdError
from .registry import ATOM, OpKind, register
from .work import Array, Work


def build(b, call, options, scope, label):
    vid = b.one_arg(call, scope)
    spec = b.spec_arity(call, "embedding", "v -> m")
    if b.values[vid].dtype != "int":
        raise NcdError(f"embedding looks up integer ids, but {call.args[0].name} is real", call.args[0].span,
                       f"declare it with 'int': input {call.args[0].name}[...] int")
    vocab = b.shape(spec.inputs[0], scope, "the vocabulary of embedding")
    new = b.shape(spec.outputs[0], scope, "the output of embedding")
    axes = b.values[vid].axes
    if len(vocab) != 1 or vocab[0] in axes:
        raise NcdError("embedding needs the vocabulary axis the ids index into: embedding(T: v -> m)", spec.span)
    name = label or "E"
    b.fresh(new, spec.outputs[0], vid, (), call)
    out = b.new_value("", axes + new, "real", call.span)
    b.add_op(kind="embedding", inputs=(vid,), outputs=(out,), acts=((),), broadcast=axes, label=name, learned=True,
             params=MappingProxyType({"vocab": vocab[0], "out_axes": new, "name": b.param_name(name, scope)}),
             section=scope.section, span=call.span)
    return [out]


def run(op, box, xs, rt):
    (ids,), vocab = xs, rt.patterns.size(op.params["vocab"])
    if ids.numel() and not 0 <= int(ids.min()) <= int(ids.max()) < vocab:
        raise NcdError(f"{op.name} looks up ids from {int(ids.min())} to {int(ids.max())}, "
                       f"but its table has rows 0 to {vocab - 1}", op.span)
    return box.weight[ids]


register(OpKind("embedding", "embedding", build=build, glyph="box", hold="lookup", cost=lambda op, c: Work(0, 0, c.ins + (Array((op.name, "rows"), c.outs[0].axes),), c.outs, c.mapped, 1),
                parameters=lambda op: {"weight": (op.params["vocab"],) + op.params["out_axes"]}, initial=lambda op, param: "randn",
                vocabulary=lambda op: op.params["vocab"],
                run=run, source=lambda op, w, target: ([], f"{w.owner}.{op.name}.weight[{w.arg(op.inputs[0])}]", ATOM, ""),
                example="input T[y] int\nY = embedding(T: v -> m)"))
