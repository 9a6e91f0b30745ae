"""Nearest-neighbour upsampling: ``upsample(X: h w -> h2 w2) with factor=2`` repeats every element
``factor`` times along each width axis named (``factor=(2, 3)``: one factor for each, in order), into the output axis it maps to (nn.Upsample with
``scale_factor=2``, mode "nearest", a UNet decoder's way up). Drawn as a box that widens to its output,
labelled ↑2; it moves data only: it reads its input once and writes the larger output. ``with linear``
interpolates between neighbours instead, along each axis named in turn (over two axes, nn.Upsample's
"bilinear" with ``align_corners=False``: DeepLab's, an FPN's way up), labelled ↑2 lin (``with linear, corners``:
``align_corners=True``, the first and last samples kept where they were, labelled ↑2 lin corners), 3 FLOPs an output
element for each axis.

>>> from ncd_render.api import load_text
>>> d = load_text("axis h = 3 width\\naxis g = 6 width\\naxis c = 2\\ninput X[h c]\\n"
...               "Y = upsample(X: h -> g) with factor=2\\noutput Y\\n").diagram
>>> [(op.label, op.params["factor"]) for op in d.ops if op.kind == "upsample"], d.values[d.outputs[0]].axes
([('\\\\uparrow2', (2,))], ('g', 'c'))
"""
from __future__ import annotations

from types import MappingProxyType

from ..errors import NcdError
from ..limits import MAX_SIZE
from ..options import Kind, each, one_per_axis, written
from .along import in_place
from .registry import ATOM, OpKind, register
from .work import Work

EXAMPLE = "h w -> h2 w2"


def build(b, call, options, scope, label):
    vid = b.one_arg(call, scope)
    spec = b.spec_arity(call, "upsample", EXAMPLE)
    ins = b.spec_axes(spec.inputs[0], vid, scope, "upsample", spec.span)
    outs = b.shape(spec.outputs[0], scope, "the output of upsample")
    if len(outs) != len(ins):
        raise NcdError("upsample maps each axis it names to one output axis", spec.span, f"for example upsample({call.args[0].name}: {EXAMPLE})")
    one_per_axis(call.options, options, ins, FACTOR)
    factors = each(options.get("factor", 2), len(ins))
    if options.get("corners") and not options.get("linear"):
        raise NcdError("corners keeps the first and last samples of a linear interpolation: write 'with linear, corners'", call.span)
    for a, c, factor in zip(ins, outs, factors):
        size_a, size_c = b.axes[a].size, b.axes[c].size
        if size_a is not None and size_c is not None and size_c != factor * size_a:
            raise NcdError(f"axis '{c}' has size {size_c}, but upsampling {a}={size_a} by {factor} gives {factor * size_a}", spec.span,
                           f"declare 'axis {c} = {factor} * {a}' or change the factor")
    b.fresh(outs, spec.outputs[0], vid, ins, call)
    axes = b.values[vid].axes
    out_axes = in_place(axes, ins, outs)
    out = b.new_value("", out_axes, b.values[vid].dtype, call.span)
    b.add_op(kind="upsample", inputs=(vid,), outputs=(out,), acts=(ins,), broadcast=tuple(a for a in axes if a not in ins),
             label=label or f"\\uparrow{written(factors)}" + (" lin" if options.get("linear") else "") + (" corners" if options.get("corners") else ""),
             params=MappingProxyType({"spatial_in": ins, "spatial_out": outs, "factor": factors, "linear": bool(options.get("linear")),
                                      **({"corners": True} if options.get("corners") else {})}),
             section=scope.section, span=call.span)
    return [out]


def cost(op, c) -> Work:  # a copy: reads the input once, writes every element factor^n times (interpolated: 3 FLOPs each, per axis)
    return Work(0, 3 * len(op.params["spatial_in"]) * c.n if op.params.get("linear") else 0, c.ins, c.outs, c.mapped, 1)


def moves(op, pt) -> tuple[list[int], str | None]:
    """The dims of the input the upsampled axes are, and a rearrange of the result (the output axes
    where the input axes were) into the output's order, or None. ``pt``: the torch patterns."""
    (x,), (out,) = pt.values(op), pt.values(op, "outputs")
    p = op.params
    made = tuple(dict(zip(p["spatial_in"], p["spatial_out"])).get(a, a) for a in x)
    return list(pt.dims(x, p["spatial_in"])), None if made == out else f"{pt.spec(made)} -> {pt.spec(out)}"


def run(op, box, xs, rt):
    dims, after = moves(op, rt.patterns)
    x = xs[0]
    for dim, factor in zip(dims, op.params["factor"]):  # counted from the right: batch dims lead
        if op.params.get("linear"):
            x = rt.functional.linear_upsample(x, dim, factor, op.params.get("corners", False))
        else:
            x = x.repeat_interleave(factor, dim=dim)
    return rt.einops.rearrange(x, after) if after else x


def source(op, w, target):
    dims, after = moves(op, w.p)
    expr = w.arg(op.inputs[0])
    if op.params.get("linear"):
        w.helpers.add("linear_upsample")
    for dim, factor in zip(dims, op.params["factor"]):
        if op.params.get("linear"):
            expr = f"linear_upsample({expr}, {dim}, {factor}" + (", corners=True)" if op.params.get("corners") else ")")
        else:
            expr = f"{expr}.repeat_interleave({factor}, dim={dim})"
    pre = []
    if after:
        pre.append(f"{target} = {expr}")
        expr = f'rearrange({target}, "{after}")'
    return pre, expr, ATOM, ""


FACTOR = {"factor": Kind("whole", 2, MAX_SIZE, example="2", per_axis=True)}  # a whole factor, or one per axis named
register(OpKind("upsample", "upsample", build=build, options=MappingProxyType({**FACTOR,
                                                                           "linear": Kind("flag"), "corners": Kind("flag")}),
                glyph="box", hold="acts", taper=lambda op: "widen", cost=cost, run=run, source=source,
                keeps_ids=True, example="input X[y m]\nY = upsample(X: y -> q) with factor=2"))
