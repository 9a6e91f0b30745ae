"""LayerNorm, RMSNorm, BatchNorm and GroupNorm over named axes: ``layernorm(X: m) with affine, eps=1e-6``,
drawn as the paper's circle (labelled LN, RMS, BN, GN; bold when it learns a scale). Statistics and normalising cost 5 FLOPs per element
(RMSNorm 3), plus one per learned scale and one per learned shift. With ``affine``, LayerNorm
learns ``weight`` and ``bias`` over the normalised axes (with ``weight``, the weight alone:
nn.LayerNorm(bias=False)), RMSNorm ``weight`` only, BatchNorm
both over the axes it does *not* normalise over (the channels), as nn.BatchNorm does; with
``running`` it normalises by stored statistics (``running_mean``, ``running_var``, over the channels
too) instead of the batch's, as nn.BatchNorm does in eval mode: then it needs no pass over the batch.
``groupnorm(X: c h w) with groups=8`` is nn.GroupNorm: the first axis named holds the channels,
split into ``groups`` groups, each normalised over its channels and the other axes named; with
``affine`` it learns ``weight`` and ``bias`` over the channels."""
from __future__ import annotations

from types import MappingProxyType

from ..errors import NcdError
from ..options import FLAG, KINDS
from .along import acted_axes
from .registry import ATOM, OpKind, register
from .work import SCALED, WHOLE, Array, Work

SYMBOLS = {"layernorm": ("LayerNorm", "LN", 5), "rmsnorm": ("RMSNorm", "RMS", 3), "batchnorm": ("BatchNorm", "BN", 5),
           "groupnorm": ("GroupNorm", "GN", 5)}


def build(b, call, options, scope, label):
    fn = call.fn.name
    vid, acted, broadcast, out = acted_axes(b, call, scope)
    if options.get("affine") and options.get("weight"):
        raise NcdError("layernorm takes 'affine' (a weight and a bias) or 'weight' (a weight alone), not both", call.span,
                       "write 'with weight' for nn.LayerNorm(bias=False)")
    learned = bool(options.get("affine") or options.get("weight"))
    name = label or SYMBOLS[fn][0]
    more = {"running": True} if options.get("running") else {}  # a batch norm by stored statistics, a group norm's groups
    if options.get("weight"):  # a layer norm that learns a scale and no shift
        more = {"shift": False}
    if fn == "groupnorm":  # the channels (the first axis named) in groups
        more = {"groups": int(options.get("groups", 1))}
        _divides(b.axes[acted[0]].size, more["groups"], acted[0], call.span)
    b.add_op(kind="norm", inputs=(vid,), outputs=(out,), acts=(acted,), broadcast=broadcast, label=name, learned=learned,
             params=MappingProxyType({"fn": fn, "axes": acted, "eps": float(options.get("eps", 1e-5)), "affine": learned,
                                      "name": b.param_name(name, scope), **more}), section=scope.section, span=call.span)
    return [out]


def cost(op, c) -> Work:
    fn, acted = op.params["fn"], op.acts[0]
    weights = ()
    if op.params["affine"]:  # batch and group norm learn one scale per channel, the others one per normalised element
        learned = op.broadcast if fn == "batchnorm" else acted[:1] if fn == "groupnorm" else acted
        shifts = fn != "rmsnorm" and op.params.get("shift", True)
        weights = tuple(Array((op.name, p), learned) for p in (("scale", "shift") if shifts else ("scale",)))
    if op.params.get("running"):  # stored statistics: subtract, scale, element by element, with no pass over the batch
        stats = tuple(Array((op.name, p), op.broadcast) for p in ("running_mean", "running_var"))
        return Work(0, (2 + len(weights)) * c.n, c.ins + weights + stats, c.outs, c.mapped, 1)
    flops = (SYMBOLS[fn][2] + len(weights)) * c.n
    # rmsnorm without a learned scale is x / sqrt(mean x² + eps): a sum of squares, then one scale per row
    along = SCALED if fn == "rmsnorm" and not weights and len(acted) == 1 else WHOLE
    return Work(0, flops, c.ins + weights, c.outs, {**c.mapped, **{a: along for a in acted}}, 1)


def parameters(op) -> dict:
    stats = {"running_mean": op.broadcast, "running_var": op.broadcast} if op.params.get("running") else {}
    if not op.params["affine"]:
        return stats
    if op.params["fn"] == "batchnorm":
        return {"weight": op.broadcast, "bias": op.broadcast, **stats}
    axes = op.params["axes"]
    if op.params["fn"] == "groupnorm":
        return {"weight": axes[:1], "bias": axes[:1]}
    return {"weight": axes} if op.params["fn"] == "rmsnorm" or not op.params.get("shift", True) else {"weight": axes, "bias": axes}


def run(op, box, xs, rt):
    (x,) = xs
    order = rt.patterns.norm_order(op)
    if order:
        x = rt.einops.rearrange(x, order[0])
    n = len(op.params["axes"])
    box = box or {}
    weight, bias, eps, F = box.get("weight"), box.get("bias"), op.params["eps"], rt.nn.functional
    if op.params["fn"] == "layernorm":
        x = F.layer_norm(x, x.shape[-n:], weight, bias, eps)
    elif op.params["fn"] == "rmsnorm":
        x = F.rms_norm(x, x.shape[-n:], weight, eps)
    elif op.params["fn"] == "groupnorm":
        x = rt.functional.group_norm(x, n, op.params["groups"], weight, bias, eps)
    else:
        x = rt.functional.batch_norm(x, n, len(op.broadcast), weight, bias, eps, box.get("running_mean"), box.get("running_var"))
    return rt.einops.rearrange(x, order[1]) if order else x


def source(op, w, target):
    x = w.arg(op.inputs[0])
    pre, src = [], x
    order = w.p.norm_order(op)
    if order:
        pre.append(f'{target} = rearrange({x}, "{order[0]}")  # normalised axes last')
        src = target
    n, eps, fn = len(op.params["axes"]), op.params["eps"], op.params["fn"]
    box = f"{w.owner}.{op.name}"
    if fn == "layernorm":
        affine = (f", {box}.weight, {box}.bias" if op.params.get("shift", True) else f", {box}.weight") if op.params["affine"] else ""
        expr = f"nn.functional.layer_norm({src}, {src}.shape[-{n}:]{affine}, eps={eps})"
    elif fn == "rmsnorm":
        affine = f", {box}.weight" if op.params["affine"] else ""
        expr = f"nn.functional.rms_norm({src}, {src}.shape[-{n}:]{affine}, eps={eps})"
    elif fn == "groupnorm":
        w.helpers.add("group_norm")
        affine = f", {box}.weight, {box}.bias" if op.params["affine"] else ""
        expr = f"group_norm({src}, {n}, {op.params['groups']}{affine}, eps={eps})"
    else:
        w.helpers.add("batch_norm")
        affine = f", {box}.weight, {box}.bias" if op.params["affine"] else ""
        stats = f", mean={box}.running_mean, var={box}.running_var" if op.params.get("running") else ""
        expr = f"batch_norm({src}, {n}, {len(op.broadcast)}{affine}, eps={eps}{stats})"
    if order:
        pre.append(f"{target} = {expr}")
        expr = f'rearrange({target}, "{order[1]}")'
    return pre, expr, ATOM, ""


def check_groups(op, patterns) -> None:
    """A group norm's channels split evenly into its groups at the sizes it runs at (``ncd check --sizes``)."""
    if op.params["fn"] == "groupnorm":
        _divides(patterns.size(op.params["axes"][0]), op.params["groups"], op.params["axes"][0], op.span)


def _divides(size: int | None, groups: int, channels: str, span) -> None:
    """NcdError unless ``groups`` divides the ``size`` channels (nn.GroupNorm's own condition); a symbolic size passes."""
    if size is not None and size % groups:
        raise NcdError(f"groupnorm splits the {size} channels of axis '{channels}' into {groups} groups, which does not "
                       "divide them", span, f"give groups a divisor of {size}, or name the channel axis first: groupnorm(X: c h w)")


def _symbol(op) -> str:
    """What the norm's circle reads: LN, RMS, BN, or GN with its groups as a subscript (GN₃₂: a group norm of 32
    groups and one of 1, a layer norm over all its axes, read alike), set at the full size of a box's label so the
    subscript keeps the size a page's subscripts have."""
    fn = op.params["fn"]
    return SYMBOLS[fn][1] + (f"_{{{op.params['groups']}}}" if fn == "groupnorm" else "")


OPTIONS = {"affine": KINDS["affine"], "eps": KINDS["eps"]}
MORE = {"groupnorm": {"groups": KINDS["groups"]}, "batchnorm": {"running": KINDS["running"]}, "layernorm": {"weight": FLAG}}
register(*(OpKind(fn, "norm", build=build, options=MappingProxyType({**OPTIONS, **MORE.get(fn, {})}),
                  glyph="norm", hold="through", label=lambda op: (_symbol(op), 1.0 if op.params["fn"] == "groupnorm" else 0.8, op.learned), cost=cost,
                  parameters=parameters, initial=lambda op, param: "ones" if param in ("weight", "running_var") else "zeros", check=check_groups,
                  run=run, source=source, reads_twice=True,
                  framework_kernel=lambda op: "layer-norm" if op.params["fn"] == "layernorm" else None,
                  example=f"input X[y k m]\nY = {fn}(X: k m) with affine, groups=1" if fn == "groupnorm" else f"input X[y m]\nY = {fn}(X: m) with affine")
           for fn in SYMBOLS))
