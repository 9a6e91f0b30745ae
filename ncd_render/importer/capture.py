"""Load ``FILE.py:FUNC``, run the module it returns, and capture its computation.

The graph comes from ``torch.export`` (``torch.fx.symbolic_trace`` where export
cannot); every node's concrete value on the example inputs is recorded, so later
stages can recognise patterns (an RMSNorm, rotary positions) by what they compute.
"""
from __future__ import annotations

import contextlib
import importlib.util
import io
import logging
import re
import sys
import traceback
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path

import torch
from torch import nn
from torch.utils import _pytree as pytree

from ..errors import NcdError, python_syntax_error
from ..pytorch.inputs import without_values


@dataclass
class Capture:
    """A module's computation on its example inputs: an fx graph (parameters as
    ``get_attr`` nodes), each node's value, and the module it ran."""

    module: nn.Module
    inputs: tuple
    graph: torch.fx.Graph
    values: dict = field(default_factory=dict)
    how: str = "torch.export"
    original: nn.Module | None = None


def load_function(spec: str):
    """The ``(module, inputs)`` that ``FUNC()`` in ``FILE.py:FUNC`` returns."""
    path, colon, name = spec.rpartition(":")
    if not colon or not path.endswith(".py") or not name.isidentifier():
        raise NcdError(f"'{spec}' is not FILE.py:FUNCTION", hint="for example: ncd import model.py:make -o model.ncd")
    if not Path(path).is_file():
        raise NcdError(f"file '{path}' does not exist")
    module_spec = importlib.util.spec_from_file_location("ncd_import_" + re.sub(r"\W", "_", Path(path).stem), path)
    source = importlib.util.module_from_spec(module_spec)
    with _beside(path):
        try:
            module_spec.loader.exec_module(source)
        except (Exception, SystemExit) as error:  # (a syntax error where it is, with a caret, as a diagram's)
            raise python_syntax_error(error, path, "the model file") or \
                NcdError(f"cannot load {path}: {_what(error)}", hint=_where(error)) from None
        function = getattr(source, name, None)
        if not callable(function):
            raise NcdError(f"{path} defines no function '{name}'",
                           hint="define it to return (module, example_inputs): an nn.Module and a tuple of tensors")
        try:
            result = function()
        except (Exception, SystemExit) as error:
            raise NcdError(f"{spec} raised {_what(error)}", hint=_where(error)) from None
    return checked_result(result, spec)


@contextlib.contextmanager
def _beside(path: str):
    """The file's folder first on ``sys.path`` while it loads and makes its module, as ``python FILE.py`` has it:
    a model file that imports a helper beside it (``from layers import Block``) finds it."""
    folder = str(Path(path).resolve().parent)
    sys.path.insert(0, folder)
    try:
        yield
    finally:
        sys.path.remove(folder)


def checked_result(result, spec: str) -> tuple[nn.Module, tuple]:
    """``result`` as (module, tuple of tensors), or an error saying what it is instead."""
    if not (isinstance(result, tuple) and len(result) == 2):
        raise NcdError(f"{spec} returned {type(result).__name__}, not (module, example_inputs)",
                       hint="return an nn.Module and a tuple of example tensors")
    module, inputs = result
    if isinstance(inputs, torch.Tensor):
        inputs = (inputs,)
    if not isinstance(module, nn.Module):
        raise NcdError(f"{spec} returned {type(module).__name__} as its module, not an nn.Module")
    nested = next((k for k, x in enumerate(inputs, 1) if isinstance(x, (tuple, list))), None) if isinstance(inputs, (tuple, list)) else None
    if nested is not None:  # (nn.LSTM's (x, (h0, c0)))
        raise NcdError(f"{spec}: its example input {nested} is a {type(inputs[nested - 1]).__name__} of tensors; each "
                       "input of a diagram is one tensor", hint="wrap the module in one whose forward takes each tensor "
                       "as an argument of its own: forward(self, x, h0, c0): return self.lstm(x, (h0, c0))")
    if not isinstance(inputs, (tuple, list)) or not inputs or not all(isinstance(x, torch.Tensor) for x in inputs):
        raise NcdError(f"{spec} must return a non-empty tuple of tensors as its example inputs",
                       hint="for example: return model, (torch.randn(2, 5, 16),)")
    held = [("parameter or buffer " + name, t) for name, t in chain(module.named_parameters(), module.named_buffers())]
    for what, t in [*held, *((f"example input {k}", x) for k, x in enumerate(inputs, 1))]:
        kind = without_values(t)
        if kind is not None:  # (meta tensors hold no values: Tensor.item() raised, a traceback)
            raise NcdError(f"{spec}: its {what} is {kind}: ncd import runs the module on dense tensors with values",
                           hint="build the module and its inputs on the CPU (module.to_empty(device='cpu') and load its weights)")
    for number, x in enumerate(inputs, 1):  # what a diagram's input cannot be: refused here, before any capture
        what = (f"is complex ({x.dtype}): a diagram's tensors are real or integer" if x.is_complex() else
                "is a single number, with no dimension: a diagram's input has at least one axis" if x.dim() == 0 else
                f"holds a single number (shape {list(x.shape)}): its dimensions of size 1 are dropped, and a diagram's input "
                "has at least one axis" if x.numel() == 1 and x.dim() > 1 else
                f"has a dimension of size 0 (shape {list(x.shape)}): every axis has at least one element" if not x.numel() else "")
        if what:
            raise NcdError(f"{spec}: example input {number} of {len(inputs)} {what}",
                           hint="give it the shape and kind of the data the module runs on, for example torch.randn(2, 5, 16)")
    return module, _apart(tuple(inputs))


def _apart(inputs: tuple) -> tuple:
    """``inputs`` with each one that shares memory with an earlier one (the same tensor given twice, ``(t, t)``, or a
    view of it) copied: captured as given, the two were one input, and the diagram read the second as the first's.

    >>> t = torch.zeros(2, 3)
    >>> a, b, c = _apart((t, t, t[0]))
    >>> a is t, b is t, c.data_ptr() == t.data_ptr()
    (True, False, False)
    """
    seen: set[int] = set()
    out = []
    for x in inputs:
        memory = x.untyped_storage().data_ptr()
        out.append(x.clone() if memory in seen else x)
        seen.add(memory)
    return tuple(out)


@contextlib.contextmanager
def _quiet():
    """What torch prints while capturing, kept from the terminal: when export fails on data-dependent control flow
    it prints the whole graph traced so far (540 lines for Longformer), before the one-paragraph error that says why."""
    chatter, previous = io.StringIO(), logging.root.manager.disable
    logging.disable(logging.WARNING)  # and its loggers' warnings ("Unable to find user code corresponding to {u0}")
    try:
        with contextlib.redirect_stdout(chatter), contextlib.redirect_stderr(chatter):
            yield
    finally:
        logging.disable(previous)


def capture(module: nn.Module, inputs: tuple, where: str = "the module") -> Capture:
    """Run ``module`` on ``inputs`` (an error when it fails), then capture its graph and values."""
    try:
        with torch.no_grad():
            result = module(*inputs)
    except (Exception, SystemExit) as error:
        raise NcdError(f"{where} fails on its example inputs: {_what(error)}", hint=_where(error)) from None
    if not any(isinstance(x, torch.Tensor) for x in pytree.tree_leaves(result)):
        raise NcdError(f"{where} returns no tensor on its example inputs, but {_shown(result)}: a diagram draws what computes its outputs",
                       hint="return the tensor (or tuple or dict of tensors) the module computes")
    try:  # (without gradients, as it ran: a no_grad inside, transformers' rotary tables, is then no wrapped subgraph)
        with torch.no_grad(), _quiet():
            graph_module, how = torch.export.export(module, inputs, strict=False).module(), "torch.export"
    except Exception as export_error:  # data-dependent control flow, unsupported python: try the symbolic tracer
        try:
            with _quiet():
                graph_module, how = torch.fx.symbolic_trace(module), "torch.fx"
        except Exception:
            raise NcdError(f"cannot capture {where}: torch.export failed ({type(export_error).__name__}: "
                           f"{str(export_error).strip().splitlines()[0] if str(export_error).strip() else ''}), "
                           "and so did torch.fx", hint=_capture_hint(export_error)) from None
    values = _record(graph_module, inputs)
    return Capture(graph_module, inputs, graph_module.graph, values, how, module)


def _record(graph_module: torch.fx.GraphModule, inputs: tuple) -> dict:
    """Every node's value on the example inputs (an fx Interpreter run)."""
    values = {}

    class Recorder(torch.fx.Interpreter):
        def run_node(self, node):
            value = super().run_node(node)
            values[node] = value
            return value

    flat, _ = pytree.tree_flatten(inputs)
    with torch.no_grad():
        Recorder(graph_module).run(*flat)
    return values


def _shown(value) -> str:
    """``value`` in a few words: its type, and what it is where that is short."""
    text = repr(value)
    return f"{type(value).__name__} {text}" if len(text) <= 40 else type(value).__name__


def _what(error: BaseException) -> str:
    if isinstance(error, SystemExit):
        return f"sys.exit({error.code!r})"
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


def _where(error: BaseException) -> str | None:
    frames = traceback.extract_tb(error.__traceback__)
    return f"raised at {frames[-1].filename}:{frames[-1].lineno}" if frames else None


def _capture_hint(error: Exception) -> str:
    hint = "capture needs a forward without data-dependent control flow (loops or branches on tensor values)"
    if "data-dependent" in str(error) or "GuardOnDataDependent" in type(error).__name__:
        hint += ("; transformers' mixture-of-experts blocks loop over the experts hit unless built with "
                 "config._experts_implementation = 'batched_mm'")
    return hint
