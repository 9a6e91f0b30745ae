"""Run a diagram: ``compile_diagram(diagram)`` is an ``nn.Module`` computing it.

Each learned box becomes a submodule named after the box holding its
``weight`` (and ``bias``), so ``state_dict()`` reads ``L_Q.weight``,
``L_Q.bias``, ... (layouts in :mod:`.patterns`). ``forward`` takes the
diagram's inputs, by name or in declaration order, and returns its output (a
tuple when there are several). Inputs may carry leading batch dimensions,
``[*batch, *axes]``; each batch element is computed independently. Every value
is checked against the sizes of its axes as it is made, and a mismatch is an
:class:`~ncd_render.errors.NcdError` pointing at the statement.

>>> import torch
>>> from ncd_render.parse import parse
>>> from ncd_render.ir import build
>>> d = build(parse("axis y = 3\\naxis m = 4\\naxis k = 2\\ninput X[y m]\\nH = linear(X: m -> k) with bias as L_1\\noutput H\\n"))
>>> module = compile_diagram(d)
>>> sorted(module.state_dict())
['L_1.bias', 'L_1.weight']
>>> module(torch.ones(5, 3, 4)).shape
torch.Size([5, 3, 2])
>>> module(torch.ones(3, 5))
Traceback (most recent call last):
...
ncd_render.errors.NcdError: <string>:4:7: input X: expected [y=3 m=4], got [3 5]
    4 | input X[y m]
      |       ^^^^^^
hint: leading batch dimensions are allowed; the last ones must match the axes
"""
from __future__ import annotations

import math

import einops
import torch
from torch import nn

from ..errors import NcdError
from ..ir import Diagram, Op
from .patterns import Patterns, shape_text


def compile_diagram(diagram: Diagram) -> "DiagramModule":
    """The diagram as a module (build it with ``depth=None`` so every component is expanded)."""
    return DiagramModule(diagram)


class DiagramModule(nn.Module):
    def __init__(self, diagram: Diagram):
        super().__init__()
        self.diagram = diagram
        self.patterns = Patterns(diagram)
        self.patterns.require_sizes()
        for op in diagram.ops:
            if op.kind == "call":
                raise NcdError(f"component {op.label} is collapsed into one box and cannot run", op.span,
                               "build the diagram with depth=None so that every component is expanded")
            layout = self.patterns.parameters(op)
            if not layout:
                continue
            if hasattr(self, op.name):
                raise NcdError(f"a learned box cannot be called '{op.name}' in PyTorch", op.span, "give it another label with 'as NAME'")
            self.add_module(op.name, nn.ParameterDict({p: nn.Parameter(self._initial(op, p, axes)) for p, axes in layout.items()}))

    def _initial(self, op: Op, param: str, axes) -> torch.Tensor:
        shape = self.patterns.shape(axes)
        if op.kind == "linear":  # biases start at zero, weights keep the variance of their input
            return torch.zeros(shape) if param == "bias" else torch.randn(shape) / math.sqrt(self.patterns.fan_in(op))
        return torch.ones(shape) if param == "weight" else torch.zeros(shape)

    @property
    def input_names(self) -> list[str]:
        return [self.diagram.values[v].name for v in self.diagram.inputs]

    def forward(self, *args, **kwargs):
        values = self.run(*args, **kwargs)
        outputs = tuple(values[v] for v in self.diagram.outputs)
        return outputs[0] if len(outputs) == 1 else outputs

    def run(self, *args, **kwargs) -> dict[int, torch.Tensor]:
        """Every value the diagram computes, by value id (``diagram.values``)."""
        values = self._bind(args, kwargs)
        for op in self.diagram.ops:
            if op.kind in ("input", "output", "delete"):
                continue
            result = getattr(self, "_" + op.kind)(op, *(values[v] for v in op.inputs))
            for v, tensor in zip(op.outputs, result if isinstance(result, tuple) else (result,)):
                self._check(op, v, tensor, f"the result of {op.name}:")
                values[v] = tensor
        return values

    def _bind(self, args, kwargs) -> dict[int, torch.Tensor]:
        names = self.input_names
        if len(args) > len(names) or set(kwargs) - set(names[len(args):]):
            extra = [n for n in kwargs if n not in names[len(args):]]
            raise NcdError(f"the diagram takes {len(names)} input(s) ({', '.join(names)})"
                           + (f"; unexpected or repeated: {', '.join(extra)}" if extra else f", got {len(args)}"))
        given = dict(zip(names, args), **kwargs)
        missing = [n for n in names if n not in given]
        if missing:
            raise NcdError(f"missing input(s): {', '.join(missing)}", hint="the diagram takes " + ", ".join(names))
        values = {}
        for op, vid, name in zip((self.diagram.producer(v) for v in self.diagram.inputs), self.diagram.inputs, names):
            tensor = torch.as_tensor(given[name])
            self._check(op, vid, tensor, f"input {name}:")
            values[vid] = tensor
        batches = {name: t.shape[:t.dim() - len(self.diagram.values[v].axes)] for (v, t), name in zip(values.items(), names)}
        try:
            torch.broadcast_shapes(*batches.values())
        except RuntimeError:
            shapes = ", ".join(f"{n} {shape_text(s)}" for n, s in batches.items())
            raise NcdError(f"the inputs' batch dimensions do not broadcast: {shapes}") from None
        return values

    def _check(self, op: Op, vid: int, tensor: torch.Tensor, what: str) -> None:
        axes = self.diagram.values[vid].axes
        expected = self.patterns.shape(axes)
        if tensor.dim() < len(axes) or tuple(tensor.shape[tensor.dim() - len(axes):]) != expected:
            raise NcdError(f"{what} expected {self.patterns.describe(axes)}, got {shape_text(tensor.shape)}", op.span,
                           "leading batch dimensions are allowed; the last ones must match the axes" if tensor.dim() else None)

    def _box(self, op: Op) -> nn.ParameterDict:
        """The learned tensors of a box, checked against its layout (they may have been replaced)."""
        box = getattr(self, op.name)
        for param, axes in self.patterns.parameters(op).items():
            if tuple(box[param].shape) != self.patterns.shape(axes):
                raise NcdError(f"{op.name}.{param}: expected {self.patterns.describe(axes)}, got {shape_text(box[param].shape)}", op.span)
        return box

    # -- boxes: one method per op kind ----------------------------------------
    def _linear(self, op: Op, x):
        box = self._box(op)
        y = einops.einsum(x, box.weight, self.patterns.linear(op))
        if "bias" in box:
            y = y + box.bias.reshape(box.bias.shape + (1,) * self.patterns.bias_trailing(op))
        return y

    def _einsum(self, op: Op, *xs):
        return einops.einsum(*xs, self.patterns.einsum(op))

    def _rearrange(self, op: Op, x):
        return einops.rearrange(x, self.patterns.rearrange(op), **self.patterns.rearrange_sizes(op))

    def _elementwise(self, op: Op, x):
        fn = op.params["fn"]
        if fn == "dropout":
            return nn.functional.dropout(x, op.params["p"], self.training)
        if fn == "identity":
            return x
        return {"relu": torch.relu, "gelu": nn.functional.gelu, "silu": nn.functional.silu,
                "sigmoid": torch.sigmoid, "tanh": torch.tanh, "exp": torch.exp}[fn](x)

    def _scale(self, op: Op, x):
        return x * op.params["factor"]

    def _softmax(self, op: Op, x):
        (axes,) = self.patterns.values(op)
        dims = self.patterns.dims(axes, op.params["axes"])
        return torch.softmax(x, dims[0]) if len(dims) == 1 else (x - x.logsumexp(dims, keepdim=True)).exp()

    def _norm(self, op: Op, x):
        order = self.patterns.norm_order(op)
        if order:
            x = einops.rearrange(x, order[0])
        n = len(op.params["axes"])
        box = self._box(op) if op.params["affine"] else {}
        weight, bias, eps = box.get("weight"), box.get("bias"), op.params["eps"]
        if op.params["fn"] == "layernorm":
            x = nn.functional.layer_norm(x, x.shape[-n:], weight, bias, eps)
        elif op.params["fn"] == "rmsnorm":
            x = nn.functional.rms_norm(x, x.shape[-n:], weight, eps)
        else:  # batchnorm: statistics over the named axes, one scale and shift per remaining axis
            dims = tuple(range(-n, 0))
            x = (x - x.mean(dims, keepdim=True)) / (x.var(dims, keepdim=True, unbiased=False) + eps).sqrt()
            if weight is not None:
                x = x * weight.reshape(weight.shape + (1,) * n) + bias.reshape(bias.shape + (1,) * n)
        return einops.rearrange(x, order[1]) if order else x

    def _add(self, op: Op, *xs):
        return sum(xs[1:], xs[0])

    def _copy(self, op: Op, x):
        return tuple(x for _ in op.outputs)
