"""The convolution tensor: ``unfold(X: h w -> y x kh kw) with stride=2, padding=1`` splits width
axes into overlapping blocks (drawn as a large star), ``fold`` is its transpose. unfold moves
data only (it writes its blocks); fold adds every block element into its place (1 FLOP each)."""
from __future__ import annotations

from dataclasses import replace
from functools import partial
from types import MappingProxyType

from ..errors import NcdError
from ..options import KINDS, each, one, one_per_axis, written
from .along import in_place
from .registry import OpKind, register, ATOM
from .work import WHOLE, Work

WINDOW = ("kernel", "stride", "dilation", "padding")


def blocks(size: int, kernel: int, stride: int = 1, dilation: int = 1, padding: int = 0) -> int:
    """How many blocks unfold takes along an axis of ``size`` (a convolution's output positions).

    >>> blocks(5, 3), blocks(5, 3, padding=1), blocks(8, 3, stride=2, padding=1), blocks(7, 3, dilation=2)
    (3, 5, 4, 3)
    """
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def _padding(given, kernel: tuple[int, ...], stride: tuple[int, ...], dilation: tuple[int, ...], span) -> tuple[int, ...]:
    """The zeros on each side of each width axis: ``padding=p`` on every one, ``padding=(p, q)`` one each;
    ``padding=same``, as PyTorch's, half a kernel's reach on each (a kernel of odd reach, at stride 1), so each
    axis keeps its size.

    >>> _padding(1, (3, 3), (1, 1), (1, 1), None), _padding("same", (1, 7), (1, 1), (1, 1), None)
    ((1, 1), (0, 3))
    >>> _padding("same", (3,), (1,), (2,), None), _padding((0, 2), (1, 5), (2, 1), (1, 1), None)
    ((2,), (0, 2))
    """
    if given != "same":
        return each(given, len(kernel))
    if set(stride) != {1}:
        raise NcdError(f"padding=same keeps each axis's size only at stride 1, not stride {written(stride)}", span,
                       "write the padding as a number, e.g. padding=1")
    even = [k for k, d in zip(kernel, dilation) if d * (k - 1) % 2]
    if even:
        raise NcdError(f"padding=same needs an odd kernel, and {even[0]} is even: it cannot be padded alike on both sides",
                       span, "write the padding as a number (the axis then loses or gains a position)")
    return tuple(d * (k - 1) // 2 for k, d in zip(kernel, dilation))


def _settings(call, options, axes: tuple[str, ...]) -> dict:
    """The window's stride, dilation and output padding, one number per width axis in ``axes``."""
    one_per_axis(call.options, options, axes, WINDOW_KINDS)
    return {k: each(options.get(k, default), len(axes)) for k, default in (("stride", 1), ("dilation", 1), ("output_padding", 0))}


def build(b, call, options, scope, label):
    fn = call.fn.name
    vid = b.one_arg(call, scope)
    example = "h w -> y x kh kw" if fn == "unfold" else "y x kh kw -> h w"
    spec = b.spec_arity(call, fn, example)
    ins = b.spec_axes(spec.inputs[0], vid, scope, fn, spec.span)
    outs = b.shape(spec.outputs[0], scope, f"the output of {fn}")
    n = len(ins) if fn == "unfold" else len(outs)
    if (fn == "unfold" and len(outs) != 2 * n) or (fn == "fold" and len(ins) != 2 * n):
        raise NcdError(f"{fn} maps each width axis to an output axis and a kernel axis", spec.span, f"for example {fn}({call.args[0].name}: {example})")
    spatial_in, spatial_out, kernel_axes = (ins, outs[:n], outs[n:]) if fn == "unfold" else (ins[:n], outs, ins[n:])
    settings = _settings(call, options, spatial_in if fn == "unfold" else spatial_out)
    stride, dilation, extra = settings["stride"], settings["dilation"], settings["output_padding"]
    given = each(options["kernel"], n) if "kernel" in options else (None,) * n
    kernel = []
    for k_axis, k_given in zip(kernel_axes, given):
        size = b.axes[k_axis].size
        if size is not None and k_given is not None and size != k_given:
            raise NcdError(f"kernel axis '{k_axis}' has size {size} but the kernel is {k_given}", spec.span)
        kernel.append(size or k_given)
    if None in kernel:
        raise NcdError(f"{fn} needs a kernel size", call.span, "add 'with kernel=3' or give the kernel axis a size")
    kernel = tuple(kernel)
    padding = _padding(options.get("padding", 0), kernel, stride, dilation, spec.span)
    for a, c, k, s, d, pad, more in zip(spatial_in, spatial_out, kernel, stride, dilation, padding, extra):
        size_a, size_c = b.axes[a].size, b.axes[c].size
        if size_a is None or size_c is None:
            continue
        if fn == "unfold":
            expected = blocks(size_a, k, s, d, pad)
            what = f"{a}={size_a} with kernel {k}, stride {s}, dilation {d}, padding {pad} gives {expected}"
        else:
            expected = (size_a - 1) * s - 2 * pad + d * (k - 1) + 1 + more
            what = f"folding {a}={size_a} with kernel {k}, stride {s}, dilation {d}, padding {pad} gives {expected}"
        if expected != size_c:
            hint = f"declare 'axis {c} = {expected}' or change the options"
            if fn == "unfold" and s == 1 and pad == d * (k - 1) and size_c == size_a:  # a causal convolution
                t = next(name for name in (f"{c}2", "t", "p", "u", f"{c}_2") if name not in b.axes)
                hint += (f"; a causal convolution (Mamba's) pads {pad} and keeps the first {size_a} positions: unfold into "
                         f"a new axis, 'axis {t} = {expected} width' then unfold(...: {a} -> {t} ...), and after the map, "
                         f"index(...: {t} -> {c}) with at=0")
            raise NcdError(f"axis '{c}' has size {size_c}, but {what}", spec.span, hint)
    acted = ins
    b.fresh(outs, spec.outputs[0], vid, acted, call)
    axes = b.values[vid].axes
    out_axes = in_place(axes, acted, outs)
    out = b.new_value("", out_axes, "real", call.span)
    window = {"spatial_in": spatial_in, "spatial_out": spatial_out, "kernel_axes": kernel_axes, "kernel": kernel,
              "stride": stride, "dilation": dilation, "padding": padding, "output_padding": extra}
    text = label or ("\\star" if fn == "unfold" else "\\star^{T}")
    sub = _steps(window)
    b.add_op(kind=fn, inputs=(vid,), outputs=(out,), acts=(acted,), broadcast=tuple(a for a in axes if a not in acted),
             label=text + (f"_{{{sub}}}" if sub and not label else ""), params=MappingProxyType(window),
             section=scope.section, span=call.span)
    return [out]


def cost_unfold(op, c) -> Work:  # reads the input once, writes kernel-times more: the blocks
    p = op.params
    windows = {a: (w, s, d * (k - 1) + 1) for a, w, k, s, d in zip(p["spatial_in"], p["spatial_out"], p["kernel"], p["stride"], p["dilation"])}
    return Work(0, 0, c.ins, c.outs, c.mapped, 1, MappingProxyType(windows))


def cost_fold(op, c) -> Work:  # adds every block element into its place; overlapping blocks need all of them
    return Work(0, c.size(c.ins[0].axes), c.ins, c.outs, {a: WHOLE for a in c.mapped}, 1)


def moves(op, pt, folding: bool) -> tuple[str | None, str | None]:
    """Rearranges around :func:`~ncd_render.pytorch.functional.unfold` / ``fold``, which act on
    trailing dims: the width axes (and, when ``folding``, the kernel axes) moved last, and the result
    into the output's order; None where no move is needed. ``pt``: the torch patterns."""
    (x,), (out,) = pt.values(op), pt.values(op, "outputs")
    p = op.params
    moved = p["spatial_in"] + (p["kernel_axes"] if folding else ())
    rest = tuple(a for a in x if a not in moved)
    made = rest + p["spatial_out"] + (() if folding else p["kernel_axes"])
    before = None if rest + moved == x else f"{pt.spec(x)} -> {pt.spec(rest + moved)}"
    after = None if made == out else f"{pt.spec(made)} -> {pt.spec(out)}"
    return before, after


def run(op, box, xs, rt, folding: bool):
    p = op.params
    before, after = moves(op, rt.patterns, folding)
    x = rt.einops.rearrange(xs[0], before) if before else xs[0]
    function = getattr(rt.functional, op.kind)
    shape = rt.patterns.shape(p["spatial_out"]) if folding else len(p["spatial_in"])
    x = function(x, shape, p["kernel"], p["stride"], p["dilation"], p["padding"])
    return rt.einops.rearrange(x, after) if after else x


def source(op, w, target, folding: bool):
    """unfold / fold on trailing dims, with the rearranges around them."""
    p, pre, x = op.params, [], w.arg(op.inputs[0])
    w.helpers.add(op.kind)
    before, after = moves(op, w.p, folding)
    if before:
        pre.append(f'{target} = rearrange({x}, "{before}")')
        x = target
    shape = str(w.p.shape(p["spatial_out"])) if folding else str(len(p["spatial_in"]))
    expr = w.call(op.kind, [x, shape], {k: one(p[k]) for k in WINDOW}, {"stride": 1, "dilation": 1, "padding": 0})
    if after:
        pre.append(f"{target} = {expr}")
        expr = f'rearrange({target}, "{after}")'
    return pre, expr, ATOM, ""


def taper(op) -> str | None:
    """The paper's trapezoid: a strided ★ narrows to its output; also for a map drawn with its ★ as
    one box (its ``compact`` window, :mod:`ncd_render.layout.compact`). A transposed one (fold) always widens.

    >>> from ncd_render.ir import Op
    >>> taper(Op(0, "unfold", (), (), params={"stride": (2, 2)})), taper(Op(0, "unfold", (), (), params={"stride": (1, 1)}))
    ('narrow', None)
    >>> taper(Op(0, "linear", (), ())) is None
    True
    """
    window = op.params.get("compact", op.params)
    return "narrow" if max(window.get("stride", (1,))) > 1 else None


# A convolution drawn compact (``convolutions compact``, ncd_render.layout.compact): the ★ and the map
# next to it as one box. Each merged box keeps the id of its learned map (the reduction's, for pooling).
POOLING = ("max", "mean", "sum")


def compact_unfold(d, first, second):
    """``unfold`` then ``linear`` over all its kernel axes (★k, a convolution), or then ``max``, ``mean``
    or ``sum`` over exactly its kernel axes (★k max, pooling): one box, or None."""
    if first.kind != "unfold":  # the unfold is the second of this pair
        return None
    kernels = first.params["kernel_axes"]
    if second.kind == "linear" and not second.params["per"] and set(kernels) <= set(second.params["in_axes"]):
        acted = tuple(a for a in second.params["in_axes"] if a not in kernels)
        return _one_box(d, first, second, acted, _star(first.params), first.params)
    if second.kind == "reduce" and second.params["fn"] in POOLING and set(second.params["axes"]) == set(kernels):
        return _one_box(d, first, second, (), _star(first.params) + " " + second.params["fn"], first.params)
    return None


def compact_fold(d, first, second):
    """``linear`` making all of the ``fold`` after it's kernel axes: one ★kᵀ box, learned, or None."""
    if second.kind != "fold" or first.kind != "linear" or first.params["per"]:
        return None
    if not set(second.params["kernel_axes"]) <= set(first.params["out_axes"]):
        return None
    made = _one_box(d, first, second, first.params["in_axes"], _star(second.params, "^{T}"), second.params)
    # the learned map's id: the box, its hover card and its parameters are the map's
    return replace(made, id=first.id, learned=True, params=MappingProxyType({**made.params, "bias": first.params["bias"]}))


def _star(window, sup: str = "") -> str:
    """★k (★1×7 for a kernel not square) with its stride and dilation, as the unfold's own label writes them
    (``sup``: a superscript T)."""
    sub = _steps(window)
    return f"\\star{written(window['kernel'])}" + sup + (f"_{{{sub}}}" if sub else "")


def _steps(window) -> str:
    """A window's stride and dilation as its ★'s subscript writes them, those other than 1.

    >>> _steps({"stride": (2, 2), "dilation": (1, 1)}), _steps({"stride": (2, 1), "dilation": (3, 3)})
    ('s2', 's2\\\\times1,d3')
    """
    return ",".join(f"{k[0]}{written(window[k])}" for k in ("stride", "dilation") if set(window[k]) != {1})


def _one_box(d, first, second, acted: tuple, label: str, window):
    """``second`` drawn from ``first``'s input: on ``acted`` (the channels) and on the width axes when
    they change name or size; the width axes that keep theirs pass by."""
    spatial = tuple(a for a, b in zip(window["spatial_in"], window["spatial_out"]) if a != b)
    axes = d.values[first.inputs[0]].axes
    held = tuple(a for a in axes if a in acted or a in spatial)
    if not held:  # pooling keeps the width names only when the sizes do: it holds them all the same
        held = tuple(a for a in axes if a in window["spatial_in"])
    return replace(second, inputs=first.inputs, acts=(held,), broadcast=tuple(a for a in axes if a not in held), label=label,
                   params=MappingProxyType({**second.params, "compact": MappingProxyType(dict(window))}))


options = MappingProxyType({k: replace(KINDS[k], per_axis=True) for k in WINDOW})
WINDOW_KINDS = {**options, "output_padding": replace(KINDS["output_padding"], per_axis=True)}
register(
    OpKind("unfold", "unfold", build=build, options=MappingProxyType({**options, "padding": replace(KINDS["padding"], choices=("same",), per_axis=True)}), glyph="box", hold="acts", label=lambda op: (op.label, 1.15, False), taper=taper, fill="star",
           compacts=compact_unfold, cost=cost_unfold, run=partial(run, folding=False), source=partial(source, folding=False), example="input X[y m]\nY = unfold(X: m -> n j) with kernel=2"),
    OpKind("fold", "fold", build=build, options=MappingProxyType({**options, "output_padding": WINDOW_KINDS["output_padding"]}), glyph="box", hold="acts",
           label=lambda op: (op.label, 1.0 if op.learned else 1.15, False), taper=lambda op: "widen", fill="star", compacts=compact_fold, cost=cost_fold,
           run=partial(run, folding=True), source=partial(source, folding=True), example="input U[y n j]\nY = fold(U: n j -> m) with kernel=2"),
)
