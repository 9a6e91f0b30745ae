"""Run a diagram: ``compile_diagram(diagram)`` is an ``nn.Module`` computing it.

Each learned box becomes a submodule named after the box holding its
``weight`` (and ``bias``), so ``state_dict()`` reads ``L_Q.weight``,
``L_Q.bias``, ... (layouts in :mod:`.patterns`); a repeated block keeps one
set of boxes per repetition (``encoder_layer.3.N_1.weight``, see
:mod:`.structure`). Components run expanded, whatever depth the diagram was
drawn at. ``forward`` takes the diagram's inputs, by name or in declaration
order, and returns its output (a tuple when there are several). Inputs may
carry leading batch dimensions, ``[*batch, *axes]``; each batch element is
computed independently, except that batch norm takes its statistics over the
batch too. Every value is checked against the sizes of its axes as it is
made, and a mismatch is an :class:`~ncd_render.errors.NcdError` pointing at
the statement.

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

from .. import ops
from ..errors import NcdError, plural
from ..ir import Diagram, Op
from ..opaque import refuse
from . import functional
from .budget import require_runs
from .patterns import Patterns, shape_text
from .structure import Repeat, expanded, plan


def compile_diagram(diagram: Diagram) -> "DiagramModule":
    """The diagram as a module; ``module.diagram`` is the diagram it runs (components expanded)."""
    return DiagramModule(diagram)


class _Runtime:
    """What an op's ``run`` rule uses (:mod:`ncd_render.ops` imports no torch itself)."""

    torch, nn, einops, functional = torch, nn, einops, functional

    def __init__(self, module: "DiagramModule", values: dict[int, torch.Tensor]):
        self.patterns, self.training, self.values, self.module = module.patterns, module.training, values, module

    @property
    def real(self) -> torch.dtype | None:
        """The dtype of the module's parameters (None when it has none): what a table computed from integers, a
        model's buffer, takes on (``sinusoid``), as ``.double()`` turns a model's buffers too."""
        return next((p.dtype for p in self.module.parameters()), None)


class DiagramModule(nn.Module):
    def __init__(self, diagram: Diagram):
        super().__init__()
        self.diagram = expanded(diagram)
        refuse(self.diagram, "a diagram module")
        self.patterns = Patterns(self.diagram)
        self.patterns.check()
        require_runs(self.diagram)  # every repetition gets modules: refuse a billion before making one
        self.plan = plan(self.patterns)
        self._add_boxes(self, self.plan)

    def _add_boxes(self, container: nn.Module, items) -> None:
        for item in items:
            if isinstance(item, Repeat):
                section = self.diagram.sections[item.section]
                self._claim(container, item.name, section.span)
                container.add_module(item.name, nn.ModuleList(self._repetition(item.body) for _ in range(item.times)))
                continue
            op = self.diagram.ops[item]
            layout = self.patterns.parameters(op)
            if layout:
                self._claim(container, op.name, op.span)
                container.add_module(op.name, nn.ParameterDict({p: nn.Parameter(self._initial(op, p, axes)) for p, axes in layout.items()}))

    def _repetition(self, body) -> nn.ModuleDict:
        boxes = nn.ModuleDict()
        self._add_boxes(boxes, body)
        return boxes

    @staticmethod
    def _claim(container: nn.Module, name: str, span) -> None:
        if hasattr(container, name):
            raise NcdError(f"a learned box or repeated block cannot be called '{name}' in PyTorch", span,
                           "give it another label with 'as NAME', or the block another title")

    def _initial(self, op: Op, param: str, axes) -> torch.Tensor:
        """A learned tensor as its kind says it starts: zeros, ones, normal (``randn``), normal
        keeping the variance of the input (``fan_in``), or ``("fill", value)``."""
        shape, start = self.patterns.shape(axes), ops.of(op).need("initial")(op, param)
        if start == "fan_in":
            return torch.randn(shape) / math.sqrt(self.patterns.fan_in(op))
        if isinstance(start, tuple):
            return torch.full(shape, start[1])
        return {"zeros": torch.zeros, "ones": torch.ones, "randn": torch.randn}[start](shape)

    @property
    def input_names(self) -> list[str]:
        return [self.diagram.values[v].name for v in self.diagram.inputs]

    def forward(self, *args, **kwargs):
        values = self.run(*args, **kwargs)
        outputs = tuple(values[v] for v in self.diagram.outputs)
        return outputs[0] if len(outputs) == 1 else outputs

    def run(self, *args, **kwargs) -> dict[int, torch.Tensor]:
        """Every value the diagram computes, by value id (``self.diagram.values``); a value made
        in a repeated block holds its last repetition's tensor."""
        values = self._bind(args, kwargs)
        self._execute(self.plan, values, self, "")
        return values

    def _execute(self, items, values: dict[int, torch.Tensor], boxes: nn.Module, prefix: str) -> None:
        for item in items:
            if isinstance(item, Repeat):
                for i, repetition in enumerate(getattr(boxes, item.name)):
                    if i:  # what the last repetition left goes round (all at once: a block may swap values)
                        values.update({v: values[leaving] for leaving, entering in item.feeds.items() for v in entering})
                    self._execute(item.body, values, repetition, f"{prefix}{item.name}.{i}.")
                continue
            op = self.diagram.ops[item]
            box = self._box(op, boxes, prefix) if self.patterns.parameters(op) else None
            result = ops.of(op).need("run")(op, box, [values[v] for v in op.inputs], _Runtime(self, values))
            for v, tensor in zip(op.outputs, result if isinstance(result, tuple) else (result,)):
                self._check(op, v, tensor, f"the result of {op.name}:")
                values[v] = tensor

    def _bind(self, args, kwargs) -> dict[int, torch.Tensor]:
        names = self.input_names
        if len(args) > len(names) or set(kwargs) - set(names[len(args):]):
            extra = [n for n in kwargs if n not in names[len(args):]]
            raise NcdError(f"the diagram takes {plural(len(names), 'input')} ({', '.join(names)})"
                           + (f"; unexpected or repeated: {', '.join(extra)}" if extra else f", got {len(args)}"))
        given = dict(zip(names, args), **kwargs)
        missing = [n for n in names if n not in given]
        if missing:
            raise NcdError(f"missing input(s): {', '.join(missing)}", hint="the diagram takes " + ", ".join(names))
        values = {}
        for op, vid, name in zip((self.diagram.producer(v) for v in self.diagram.inputs), self.diagram.inputs, names):
            tensor = torch.as_tensor(given[name])
            self._check(op, vid, tensor, f"input {name}:")
            integer = not (tensor.is_floating_point() or tensor.is_complex() or tensor.dtype == torch.bool)
            if self.diagram.values[vid].dtype == "int" and not integer:
                raise NcdError(f"input {name}: expected integer ids, got {tensor.dtype}", op.span, "convert them with .long()")
            if self.diagram.values[vid].dtype == "bool" and tensor.dtype != torch.bool:
                raise NcdError(f"input {name}: expected booleans, got {tensor.dtype}", op.span, "convert them with .bool()")
            if self.diagram.values[vid].dtype == "real" and not tensor.is_floating_point():
                raise NcdError(f"input {name}: expected real numbers, got {tensor.dtype}", op.span,
                               "convert them with .float(), or declare the input 'int' (ids) or 'bool' (a mask)")
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

    def _box(self, op: Op, boxes: nn.Module, prefix: str) -> nn.ParameterDict:
        """The learned tensors of a box, checked against its layout (they may have been replaced)."""
        box = getattr(boxes, op.name)
        for param, axes in self.patterns.parameters(op).items():
            if tuple(box[param].shape) != self.patterns.shape(axes):
                raise NcdError(f"{prefix}{op.name}.{param}: expected {self.patterns.describe(axes)}, "
                               f"got {shape_text(box[param].shape)}", op.span)
        return box
