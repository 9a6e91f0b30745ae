"""Ops that move or gather values along an axis of positions: ``cumsum(X: t)`` (each position's sum of those up to it:
a scan written out, a position count), ``flip(X: t)`` (the positions reversed: a backward scan's input),
``roll(X: h w) with shift=-3`` (the positions turned round by 3, those pushed off one end coming back at the other:
Swin's shifted windows) and ``pad(X: t -> u) with before=1, after=1`` (zeros before and after the positions, as the
new axis u: a convolution padded apart from its ★; ``with mode=reflect`` the positions mirrored at the edges, as image
generators pad, ``replicate`` the edge repeated, ``circular`` the other end's). Each is a box on the axes it names; a pad
widens to its output. A cumulative sum costs an add per element; the others move data only.

>>> from ncd_render.api import load_text
>>> d = load_text("axis t = 4 width\\naxis u = 6 width\\naxis m = 2\\ninput X[t m]\\n"
...               "Y = pad(X: t -> u) with before=2\\nZ = roll(Y: u) with shift=-1\\noutput Z\\n").diagram
>>> [(op.kind, op.label) for op in d.ops[1:3]], d.values[d.outputs[0]].axes
([('pad', 'pad'), ('roll', 'roll −1')], ('u', 'm'))
"""
from __future__ import annotations

from types import MappingProxyType

from ..errors import NcdError, plural
from ..limits import MAX_SIZE
from ..options import Kind
from .along import acted_axes, in_place
from .registry import ATOM, OpKind, register
from .work import WHOLE, Work

SHIFT = Kind("whole", -MAX_SIZE, MAX_SIZE, example="-3")
PAD = Kind("whole", 0, MAX_SIZE, example="1")
MODES = ("zeros", "reflect", "replicate", "circular")  # what a pad puts at the edges (F.pad's "constant" is zeros)


def build_along(b, call, options, scope, label):
    """``cumsum``, ``flip`` or ``roll`` along the axes named (cumsum along one), keeping the tensor's shape."""
    fn = call.fn.name
    vid, acted, broadcast, out = acted_axes(b, call, scope, "the axes it runs along")
    if fn == "cumsum" and len(acted) != 1:
        raise NcdError("cumsum runs along one axis", call.spec.span, f"for example cumsum({call.args[0].name}: {acted[0]})")
    if fn == "roll" and "shift" not in options:
        raise NcdError("roll needs how far it turns the positions: with shift=...", call.span, f"for example roll({call.args[0].name}: {acted[0]}) with shift=1")
    params = {"axes": acted, **({"shift": int(options["shift"])} if fn == "roll" else {})}
    text = f"roll {params['shift']:+d}".replace("-", "−") if fn == "roll" else fn
    b.add_op(kind=fn, inputs=(vid,), outputs=(out,), acts=(acted,), broadcast=broadcast, label=label or text,
             params=MappingProxyType(params), section=scope.section, span=call.span)
    return [out]


def build_pad(b, call, options, scope, label):
    vid = b.one_arg(call, scope)
    spec = b.spec_arity(call, "pad", "t -> u")
    (axis,) = ins = b.spec_axes(spec.inputs[0], vid, scope, "pad", spec.span) if len(spec.inputs[0]) == 1 else (None,)
    outs = b.shape(spec.outputs[0], scope, "the axis pad makes")
    if axis is None or len(outs) != 1:
        raise NcdError("pad widens one axis into one new axis", spec.span, f"for example pad({call.args[0].name}: t -> u) with before=1, after=1")
    before, after, mode = int(options.get("before", 0)), int(options.get("after", 0)), options.get("mode", "zeros")
    size, wide = b.axes[axis].size, b.axes[outs[0]].size
    if size is not None and wide is not None and wide != size + before + after:
        raise NcdError(f"axis '{outs[0]}' has size {wide}, but padding {axis}={size} by {before} before and {after} after gives "
                       f"{size + before + after}", spec.span, f"declare 'axis {outs[0]} = {axis} + {before + after}' or change the padding")
    reach = None if size is None else size - (mode == "reflect")  # a mirror leaves out the edge it turns at
    if mode != "zeros" and reach is not None and max(before, after) > reach:
        raise NcdError(f"a {mode} pad takes at most {plural(reach, 'position')} of {axis}={size} on a side, not {max(before, after)}", call.span,
                       "pad less, or with zeros")
    b.fresh(outs, spec.outputs[0], vid, ins, call)
    axes = b.values[vid].axes
    out = b.new_value("", in_place(axes, ins, outs), b.values[vid].dtype, call.span)
    b.add_op(kind="pad", inputs=(vid,), outputs=(out,), acts=(ins,), broadcast=tuple(a for a in axes if a != axis),
             label=label or ("pad" if mode == "zeros" else f"pad {mode}"),
             params=MappingProxyType({"axes": ins, "to": outs[0], "before": before, "after": after, "mode": mode}), section=scope.section,
             span=call.span)
    return [out]


def _dims(op, p) -> tuple[int, ...]:
    (axes,) = p.values(op)
    return tuple(p.dims(axes, op.params["axes"]))


def run(op, box, xs, rt):
    (x,), dims = xs, _dims(op, rt.patterns)
    if op.kind == "cumsum":
        return x.cumsum(dims[0])
    if op.kind == "flip":
        return x.flip(dims)
    if op.kind == "roll":
        return x.roll((op.params["shift"],) * len(dims), dims)
    if op.params["mode"] != "zeros":
        return rt.functional.pad_along(x, dims[0], op.params["before"], op.params["after"], op.params["mode"])
    return rt.nn.functional.pad(x, _widths(op, dims[0]))


def _widths(op, dim: int) -> tuple[int, ...]:
    """F.pad's widths for a pad along ``dim`` (counted from the right, negative): (0, 0) for each dim after it."""
    return (0, 0) * (-dim - 1) + (op.params["before"], op.params["after"])


def source(op, w, target):
    x, dims = w.arg(op.inputs[0], ATOM), tuple(w.dims_of(op, op.params["axes"]))
    if op.kind == "cumsum":
        return [], f"{x}.cumsum({dims[0]})", ATOM, f"along {op.params['axes'][0]}"
    if op.kind == "flip":
        return [], f"{x}.flip({dims})", ATOM, ""
    if op.kind == "roll":
        return [], f"{x}.roll({(op.params['shift'],) * len(dims)}, {dims})", ATOM, ""
    along = f"{op.params['axes'][0]} -> {op.params['to']}"
    if op.params["mode"] != "zeros":
        w.helpers.add("pad_along")
        return [], f"pad_along({w.arg(op.inputs[0])}, {dims[0]}, {op.params['before']}, {op.params['after']}, {op.params['mode']!r})", ATOM, along
    return [], f"nn.functional.pad({w.arg(op.inputs[0])}, {_widths(op, dims[0])})", ATOM, along


def cost(op, c) -> Work:  # along its axes whole; a cumulative sum adds once per element, the rest move data
    return Work(0, c.n if op.kind == "cumsum" else 0, c.ins, c.outs, {**c.mapped, **dict.fromkeys(op.params["axes"], WHOLE)}, 1)


register(
    *(OpKind(fn, fn, build=build_along, options=MappingProxyType({"shift": SHIFT} if fn == "roll" else {}), glyph="box", hold="through",
             cost=cost, run=run, source=source, keeps_ids=fn != "cumsum",
             example=f"input X[y m]\nY = {fn}(X: y)" + (" with shift=2" if fn == "roll" else ""))
      for fn in ("cumsum", "flip", "roll")),
    OpKind("pad", "pad", build=build_pad, options=MappingProxyType({"before": PAD, "after": PAD, "mode": Kind("choice", choices=MODES, example="reflect")}),
           glyph="box", hold="acts",
           taper=lambda op: "widen", cost=cost, run=run, source=source, keeps_ids=True,
           example="input X[y m]\nY = pad(X: y -> q) with before=1, after=2"),
)
