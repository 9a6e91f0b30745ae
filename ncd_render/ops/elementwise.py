"""Element-wise functions, f: R -> R on every element, drawn as the paper's ➤f➤ mark above
their tensor. :func:`elementwise` declares one; ``gelu`` has a module of its own (:mod:`.gelu`)."""
from __future__ import annotations

from types import MappingProxyType

from ..errors import NcdError
from ..options import Kind
from .registry import ATOM, OpKind, register
from .work import Work


def elementwise(name: str, symbol, flops: int, run, source, options=None, params=None, check=None, **more) -> OpKind:
    """The entry of an element-wise function: ``run(op, x, rt)`` computes it in torch,
    ``source(op, x)`` writes it; ``params(options)`` turns its options into op params, ``check(options)``
    says what is wrong with them (None: nothing); ``symbol`` is its label, or makes it from the params."""

    def build(b, call, options_given, scope, label):
        vid = b.one_arg(call, scope)
        if call.spec is not None:
            raise NcdError(f"{name} acts on every element; it takes no axes", call.spec.span, f"write {name}({call.args[0].name})")
        wrong = check(options_given) if check else None
        if wrong:
            raise NcdError(f"{name}: {wrong}", call.span)
        axes = b.values[vid].axes
        out = b.new_value("", axes, b.values[vid].dtype, call.span)
        given = params(options_given) if params else {}
        shown = symbol(given) if callable(symbol) else symbol
        b.add_op(kind="elementwise", inputs=(vid,), outputs=(out,), acts=((),), broadcast=axes, label=label or shown,
                 params=MappingProxyType({"fn": name, **given}), section=scope.section, span=call.span)
        return [out]

    def cost(op, c) -> Work:
        if not flops:  # the identity: the output is the input's memory
            return Work(0, 0, c.ins, c.outs, c.mapped, 0)
        return Work(0, flops * c.n, c.ins, c.outs, c.mapped, 1)

    return OpKind(name, "elementwise", build=build, options=MappingProxyType(options or {}), glyph="mark", hold="through",
                  cost=cost, run=lambda op, box, xs, rt: run(op, xs[0], rt),
                  source=lambda op, w, target: ([], source(op, w.arg(op.inputs[0])), ATOM, ""),
                  example=more.pop("example", f"input X[y m]\nY = {name}(X)"), **more)



def _clamp_wrong(options) -> str | None:
    if "min" not in options and "max" not in options:
        return "give the bounds it holds x between: with min=..., max=... (or one of them)"
    if "min" in options and "max" in options and options["min"] >= options["max"]:
        return f"min={options['min']:g} must be less than max={options['max']:g}"
    return None


def _clamp_label(params) -> str:
    """clamp with its bounds as a subscript: clamp_{[-7, 7]}, clamp_{≤7}, clamp_{≥0}."""
    low, high = params.get("min"), params.get("max")
    bounds = f"[{low:g}, {high:g}]" if low is not None and high is not None else f"≤{high:g}" if high is not None else f"≥{low:g}"
    return f"clamp_{{{bounds}}}"


def _leaky_label(params) -> str:
    """LReLU with its slope below 0 as a subscript where it is not torch's 0.01: LReLU_{0.2} (a GAT's, a GAN's)."""
    slope = params.get("slope", 0.01)
    return "LReLU" if slope == 0.01 else f"LReLU_{{{slope:g}}}"


def _silu_label(params) -> str:
    """SiLU, or with a beta its formula: xσ(1.702x)."""
    return f"xσ({params['beta']:g}x)" if "beta" in params else "SiLU"


def _silu_run(op, x, rt):
    beta = op.params.get("beta")
    return rt.nn.functional.silu(x) if beta is None else x * rt.torch.sigmoid(beta * x)


def _silu_source(op, x: str) -> str:
    beta = op.params.get("beta")
    if beta is None:
        return f"nn.functional.silu({x})"
    x = x if x.isidentifier() else f"({x})"
    return f"{x} * torch.sigmoid({beta!r} * {x})"


register(
    elementwise("relu", "ReLU", 1, lambda op, x, rt: rt.torch.relu(x), lambda op, x: f"torch.relu({x})",
                label=None, rescalable=True, pictogram=(("M", -1, 0.55), ("L", 0, 0.55), ("L", 1, -0.75))),
    # silu: x sigmoid(x); with beta, Swish-beta, x sigmoid(beta x) (CLIP's "quick_gelu" at 1.702, gpt-oss's experts' GLU)
    elementwise("silu", _silu_label, 4, _silu_run, _silu_source, special=2,  # sigmoid, multiply
                options={"beta": Kind("real", 0, 1e30, open_low=True, example="1.702")},
                params=lambda o: {"beta": float(o["beta"])} if o.get("beta", 1) != 1 else {},
                example="input X[y m]\nY = silu(X) with beta=1.702"),
    elementwise("sigmoid", "σ", 3, lambda op, x, rt: rt.torch.sigmoid(x), lambda op, x: f"torch.sigmoid({x})", special=2),  # exp, add, divide
    elementwise("tanh", "tanh", 5, lambda op, x, rt: rt.torch.tanh(x), lambda op, x: f"torch.tanh({x})", special=2),  # two exps, add, subtract, divide
    elementwise("exp", "exp", 1, lambda op, x, rt: rt.torch.exp(x), lambda op, x: f"torch.exp({x})", special=1),
    # log: the natural logarithm (a log-softmax is softmax, then log: a classifier's log-probabilities)
    elementwise("log", "log", 1, lambda op, x, rt: rt.torch.log(x), lambda op, x: f"torch.log({x})", special=1,
                example="input X[y m]\nS = exp(X)\nY = log(S)"),  # (of a positive tensor)
    elementwise("identity", "id", 0, lambda op, x, rt: x, lambda op, x: x),
    # softplus: log(1 + exp x) (Mamba's step sizes); mish: x tanh(softplus x) (YOLOv4); hardswish: x relu6(x + 3) / 6
    # (MobileNetV3); leaky_relu: x, or slope x below 0 (GANs)
    elementwise("softplus", "softplus", 3, lambda op, x, rt: rt.nn.functional.softplus(x), lambda op, x: f"nn.functional.softplus({x})",
                special=2),  # exp, add, log
    elementwise("mish", "Mish", 8, lambda op, x, rt: rt.nn.functional.mish(x), lambda op, x: f"nn.functional.mish({x})",
                special=4),  # softplus, then tanh, multiply
    # elu: x, or exp(x) - 1 below 0 (a graph attention network's layers, Clevert et al.)
    elementwise("elu", "ELU", 3, lambda op, x, rt: rt.nn.functional.elu(x), lambda op, x: f"nn.functional.elu({x})", special=1),
    elementwise("hardswish", "hswish", 5, lambda op, x, rt: rt.nn.functional.hardswish(x), lambda op, x: f"nn.functional.hardswish({x})"),
    # square: x² (after a ReLU, Primer's squared ReLU: Persimmon's and Nemotron's MLPs)
    elementwise("square", "x²", 1, lambda op, x, rt: rt.torch.square(x), lambda op, x: f"torch.square({x})"),
    # sqrt, rsqrt: the square root and its reciprocal (a norm written out, x / sqrt(mean x² + eps): an RMSNorm inline;
    # a capsule's squash); abs: |x| (an L1 distance); sin, cos (Fourier features, a NeRF's positional encoding)
    elementwise("sqrt", "√", 1, lambda op, x, rt: rt.torch.sqrt(x), lambda op, x: f"torch.sqrt({x})", special=1,
                example="input X[y m]\nS = square(X)\nY = sqrt(S)"),  # (of a tensor at least 0)
    elementwise("rsqrt", "1/√", 1, lambda op, x, rt: rt.torch.rsqrt(x), lambda op, x: f"torch.rsqrt({x})", special=1,
                example="input X[y m]\nS = exp(X)\nY = rsqrt(S)"),  # (of a positive tensor)
    elementwise("abs", "|·|", 1, lambda op, x, rt: rt.torch.abs(x), lambda op, x: f"torch.abs({x})", rescalable=True),
    elementwise("sin", "sin", 1, lambda op, x, rt: rt.torch.sin(x), lambda op, x: f"torch.sin({x})", special=1),
    elementwise("cos", "cos", 1, lambda op, x, rt: rt.torch.cos(x), lambda op, x: f"torch.cos({x})", special=1),
    # softsign: x / (1 + |x|); logsigmoid: log σ(x), the log-likelihood of a binary label (a DPO or a word2vec loss)
    elementwise("softsign", "softsign", 3, lambda op, x, rt: rt.nn.functional.softsign(x),
                lambda op, x: f"nn.functional.softsign({x})", special=1),  # abs, add, reciprocal
    elementwise("logsigmoid", "log σ", 4, lambda op, x, rt: rt.nn.functional.logsigmoid(x),
                lambda op, x: f"nn.functional.logsigmoid({x})", special=2),  # exp, log
    # hardsigmoid: relu6(x + 3) / 6 (MobileNetV3's gates); selu: a scaled ELU, 1.0507 (x, or 1.6733 (eˣ − 1) below 0)
    elementwise("hardsigmoid", "hσ", 3, lambda op, x, rt: rt.nn.functional.hardsigmoid(x), lambda op, x: f"nn.functional.hardsigmoid({x})"),
    elementwise("selu", "SELU", 4, lambda op, x, rt: rt.nn.functional.selu(x), lambda op, x: f"nn.functional.selu({x})", special=1),
    # relu6: min(max(x, 0), 6) (MobileNetV2's bounded ReLU, nn.ReLU6)
    elementwise("relu6", "ReLU6", 2, lambda op, x, rt: rt.nn.functional.relu6(x), lambda op, x: f"nn.functional.relu6({x})",
                example="input X[y m]\nS = X * 8\nY = relu6(S)"),  # scaled, so that the example reaches the bound at 6
    elementwise("leaky_relu", _leaky_label, 2, lambda op, x, rt: rt.nn.functional.leaky_relu(x, op.params["slope"]),
                lambda op, x: f"nn.functional.leaky_relu({x}, {op.params['slope']})",
                options={"slope": Kind("real", -1e6, 1e6, example="0.2")},  # (torch takes any: a negative one too)
                params=lambda o: {"slope": float(o.get("slope", 0.01))}, rescalable=True,
                example="input X[y m]\nY = leaky_relu(X) with slope=0.2"),
    # clamp: x held between min and max, either left open (gpt-oss's experts: the gate at most 7, the up projection
    # between -7 and 7)
    elementwise("clamp", _clamp_label, 2, lambda op, x, rt: rt.torch.clamp(x, op.params.get("min"), op.params.get("max")),
                lambda op, x: f"torch.clamp({x}, {op.params.get('min')}, {op.params.get('max')})",
                options={"min": Kind("real", -1e30, 1e30, example="-7"), "max": Kind("real", -1e30, 1e30, example="7")},
                params=lambda o: {k: float(o[k]) for k in ("min", "max") if k in o}, check=_clamp_wrong,
                example="input X[y m]\nY = clamp(X) with min=-0.5, max=0.5"),
    # dropout: compare with a random number, scale
    elementwise("dropout", "dropout", 2, lambda op, x, rt: rt.nn.functional.dropout(x, op.params["p"], rt.training),
                lambda op, x: f"nn.functional.dropout({x}, p={op.params['p']}, training=self.training)",
                options={"p": Kind("real", 0, 1, example="0.1")}, params=lambda o: {"p": float(o.get("p", 0.1))},
                rescalable=True),
)

