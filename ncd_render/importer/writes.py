"""Writes in place that later operations read: ``prev[:, 0] = 0`` after ``torch.roll`` (a token shift), ``x.add_(1)``
with ``x`` read again. The importer follows values, not memory: an operation's result is what the statements make of
its inputs, so a write into a tensor (or a view of it) that something later reads would be lost without a word, and
the diagram would be wrong. Such a graph is refused, naming the line that writes; a write whose own result is what
later operations read (``nn.ReLU(inplace=True)``, ``out += identity``) is followed as the operation it is."""
from __future__ import annotations

import torch

from ..errors import NcdError
from .seen import module_path, op_name


def _writes(node) -> bool:
    schema = getattr(node.target, "_schema", None)
    return schema is not None and any(a.alias_info is not None and a.alias_info.is_write for a in schema.arguments)


def _is_view(node) -> bool:
    """Whether ``node``'s result shares its first argument's memory (a select, a slice, a view, a transpose)."""
    schema = getattr(node.target, "_schema", None)
    if schema is None or not schema.returns or not node.args or not isinstance(node.args[0], torch.fx.Node):
        return False
    alias = schema.returns[0].alias_info
    return alias is not None and not alias.is_write


def _base(node):
    while node.op == "call_function" and _is_view(node):
        node = node.args[0]
    return node


def _aliases(base) -> set:
    """``base`` and every view of it, through views of views."""
    found, stack = {base}, [base]
    while stack:
        for user in stack.pop().users:
            if user.op == "call_function" and _is_view(user) and user.args[0] in found and user not in found:
                found.add(user)
                stack.append(user)
    return found


def refuse_lost_writes(graph, needed: set, replaced: dict) -> None:
    """Raise where a write in place changes a tensor that an operation after it reads otherwise than through the
    write's own result (see the module); ``needed``: the nodes the outputs are computed from, ``replaced``: those a
    recogniser computes whole (the overlap-adds of a fold, written into slices of one tensor)."""
    order = {node: k for k, node in enumerate(graph.nodes)}
    recognised = {_base(r) for r in replaced}  # (a tensor a recogniser reads whole, with every write into it)
    for node in graph.nodes:
        if node.op != "call_function" or not _writes(node) or not isinstance(node.args[0], torch.fx.Node):
            continue
        base = _base(node.args[0])
        if base in recognised:
            continue
        written = _aliases(base)
        later = [user for alias in written for user in alias.users
                 if user is not node and user not in written and user in needed and order[user] > order[node]]
        if later:
            trace = (node.meta.get("stack_trace") or "").strip().splitlines()
            line = f" ({trace[-2].strip()}: {trace[-1].strip()})" if len(trace) >= 2 else ""
            raise NcdError(f"{op_name(node)} in {module_path(node) or 'the top module'} writes in place into a tensor that "
                           f"{op_name(min(later, key=order.get))} reads afterwards{line}; the importer follows values, "
                           "not memory, and would lose the write",
                           hint="write it without changing a tensor in place: torch.cat or F.pad for a shift filled with "
                                "zeros, torch.where or masked_fill (not masked_fill_) for a masked value")
