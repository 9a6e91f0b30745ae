"""What the importer knows of each captured tensor (:class:`Seen`), and the small helpers
the operation mappers share."""
from __future__ import annotations

from dataclasses import dataclass

import torch

from .. import ops
from .axes import Atoms
from .graph import Param

# operations that move no data: a view of a tensor's dims, a copy, a cast (their result is the same atoms, regrouped)
VIEWS = {"view", "reshape", "_unsafe_view", "flatten", "unflatten", "squeeze", "unsqueeze", "contiguous", "clone",
         "alias", "detach", "_to_copy", "to", "type_as", "lift_fresh_copy", "expand", "expand_as", "view_as", "reshape_as"}


@dataclass
class Seen:
    """A captured tensor as the importer sees it: the atom of each dimension, and where its
    data is: a DSL value, a parameter, or a number."""

    dims: list[int]
    dsl: int | None = None
    param: Param | None = None
    number: float | None = None
    spread: tuple = ()  # dims a parameter was expanded along (gpt-oss's sinks, per head, over every query): no axes of its box


class Unsupported(Exception):
    """An operation the DSL has no statement for."""


# one axis on both sides of a sum or product broadcast both ways: every pair of its positions, which no axis names twice
WITH_ITSELF = "a sum or product of an axis with itself, broadcast both ways (every pair of its positions)"


def is_map(stmt) -> bool:
    """Whether a statement is a learned map on axes (a ``linear``), as the op registry declares its kind:
    one that acts on the axes it names and holds a weight."""
    return stmt is not None and ops.get(stmt.fn).hold == "acts" and "weight" in stmt.params


def is_contraction(stmt) -> bool:
    """Whether a statement is a product of two tensors (an ``einsum``): it names the axes it contracts."""
    return stmt is not None and "depth" in stmt.axes


def at_cup(stmt) -> bool:
    """Whether the registry writes a statement's kind at a contraction's cup (a scale by a number)."""
    return stmt is not None and ops.get(stmt.fn).at_cup


def letters(spec: str, ndim: int) -> list[str]:
    """An einsum operand's letters, one per dimension; ``...`` becomes ``.0``, ``.1``, ... counted from the right."""
    if "..." not in spec:
        return list(spec)
    before, after = spec.split("...")
    count = ndim - len(before) - len(after)
    return list(before) + [f".{count - 1 - i}" for i in range(count)] + list(after)


def linear_order(x_atoms, acted, new, atoms: Atoms) -> list[int]:
    """The atoms of a linear map's result, as the DSL orders them: the new ones where the first acted-on one was."""
    acted = set(map(atoms.find, acted))
    x_atoms = [atoms.find(a) for a in x_atoms]
    first = min(i for i, a in enumerate(x_atoms) if a in acted)
    rest = [a for a in x_atoms if a not in acted]
    before = [a for a in x_atoms[:first] if a not in acted]
    return before + list(new) + rest[len(before):]


def box_path(param: Param) -> str:
    """A learned box's name from its weight's: ``self_attn.q_proj.weight`` -> ``self_attn.q_proj``, ``in_proj_weight`` -> ``in_proj``."""
    name = param.name
    for suffix in (".weight", "_weight", ".bias", "_bias", ".running_mean", ".running_var"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    return name + "".join(f".{i}" for i in param.fixed.values())


def pair(v, n: int = 2):
    """A setting per spatial dimension: ``v`` itself when a list, else ``v`` for each of ``n``."""
    return tuple(v) if isinstance(v, (list, tuple)) else (v,) * n


def conv_padding(padding, kernel: list[int], stride, dilation):
    """A convolution's padding as numbers: ``"valid"`` none, ``"same"`` half the dilated kernel each way (EfficientNet's,
    Keras-style), where that is a whole number and the stride is one; as given otherwise.

    >>> conv_padding("same", [3, 3], 1, 1), conv_padding("valid", [3, 3], 1, 1), conv_padding(2, [5, 5], 1, 1)
    ([1, 1], 0, 2)
    """
    if padding == "valid":
        return 0
    if padding == "same":
        reach = [d * (k - 1) for k, d in zip(kernel, pair(dilation, len(kernel)))]
        if set(pair(stride, len(kernel))) != {1} or any(r % 2 for r in reach):
            raise Unsupported("padding='same' that pads one side more than the other (an even kernel, or a stride)")
        return [r // 2 for r in reach]
    return padding


ALIASES = {"multiply": "mul", "divide": "div", "true_divide": "div", "subtract": "sub"}  # aten's other names of one operation


def target_name(node) -> str:
    """What a graph node calls, without overload or in-place mark, by the operation's one name: ``relu`` for
    ``aten.relu_.default``, ``mul`` for ``aten.multiply.Tensor`` (ConvBERT's ``torch.multiply``)."""
    target = node.target
    name = getattr(getattr(target, "overloadpacket", None), "__name__", None) or getattr(target, "__name__", str(target))
    name = name.rstrip("_") if name.endswith("_") and not name.startswith("_") else name
    return ALIASES.get(name, name)


def through_views(node):
    """The node a chain of views and casts (:data:`VIEWS`: GPT-2 casts its position embeddings to the tokens' dtype)
    starts from."""
    while node.op in ("call_function", "call_method") and target_name(node) in VIEWS and node.args \
            and isinstance(node.args[0], torch.fx.Node):
        node = node.args[0]
    return node


def op_name(node) -> str:
    """``aten.cumsum`` for ``aten.cumsum.default``."""
    name = str(node.target)
    return name.rsplit(".", 1)[0] if name.startswith("aten.") and name.count(".") >= 2 else name


def module_path(node) -> str:
    stack = node.meta.get("nn_module_stack") or {}
    return list(stack.values())[-1][0] if stack else ""


def flat(x):
    if isinstance(x, (list, tuple)):
        return [y for v in x for y in flat(v)]
    return [x] if isinstance(x, torch.fx.Node) else []


def shapes_text(node, values) -> str:
    value = values.get(node)
    if isinstance(value, torch.Tensor):
        return "[" + " ".join(map(str, value.shape)) + "]"
    if isinstance(value, (list, tuple)):
        return ", ".join("[" + " ".join(map(str, v.shape)) + "]" for v in value if isinstance(v, torch.Tensor))
    return ""


def input_roles(value, dtype) -> list[str]:
    """Default roles of an input's dimensions: ids are positions; the last real dimension is depth,
    the ones before it positions; an image [batch, channels, rows, cols]."""
    n = value.dim()
    if dtype in ("int", "bool"):  # ids or flags: of positions
        return (["batch"] if n > 1 else []) + ["seq"] * (n - (1 if n > 1 else 0))
    if n == 4:
        return ["batch", "channels", "rows", "cols"]
    if n == 3:
        return ["batch", "seq", "hidden"]
    if n == 2:
        return ["seq", "hidden"]
    return ["hidden"] * n
