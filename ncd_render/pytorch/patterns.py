"""A diagram in torch terms: identifiers, parameter layouts, einops patterns.

Shared by :mod:`.compile` (which runs a diagram) and :mod:`.codegen` (which
writes it out as source). Every pattern starts with ``...``: values may carry
leading batch dimensions, and each batch element is an independent copy of
the diagram (except in batch norm, whose statistics span the batch).

Parameter layouts (the shapes of the learned tensors, as axis names):

* linear: ``weight`` = output axes + input axes (nn.Linear's ``[out, in]``,
  generalised to several axes); ``bias`` = output axes; ``with per=e`` puts
  ``e`` first in both (one nn.Linear per expert, stacked).
* layernorm: ``weight`` and ``bias`` over the normalised axes; rmsnorm:
  ``weight`` only; batchnorm: ``weight`` and ``bias`` over the axes it does
  *not* normalise over (the channels), as nn.BatchNorm does.
* embedding: ``weight`` = vocabulary axis + output axes (nn.Embedding's
  ``[num_embeddings, dim]``).
* topk ``with select_bias``: ``bias`` over the chosen axis.
* layerscale: ``weight`` over the axes it names.

Each kind declares its layout in its module of :mod:`ncd_render.ops`.

>>> from ncd_render.parse import parse
>>> from ncd_render.ir import build
>>> d = build(parse("axis y = 3\\naxis m = 4\\naxis h = 2\\naxis k = 2\\ninput X[y m]\\n"
...                 "Q = linear(X: m -> k h) with bias as L_Q\\nY = linear(Q: k h -> m) as L_O\\noutput Y\\n"))
>>> p = Patterns(d)
>>> p.linear(d.ops[1]), p.parameters(d.ops[1])
('... y m, k h m -> ... y k h', {'weight': ('k', 'h', 'm'), 'bias': ('k', 'h')})
>>> p.linear(d.ops[2])
'... y k h, m k h -> ... y m'
>>> d = build(parse("axis m = 4\\ninput X[m]\\nY = linear(X: m -> m) as L\\noutput Y\\n"))
>>> Patterns(d).linear(d.ops[1])
'... m_in, m m_in -> ... m'
"""
from __future__ import annotations

import keyword
import math
import re
import unicodedata

from .. import ops
from ..errors import NcdError
from ..ir import Diagram, Op

# Names a generated module uses for itself; tensors and axes avoid them.
EINSUM_AXES = 52  # the letters torch.einsum names axes with, a-z and A-Z
RESERVED = {"self", "super", "torch", "nn", "einsum", "rearrange", "axis"}
#: what an nn.Module answers to (torch 2.13, without torch imported: ``ncd compile`` writes source alone); a box or a
#: block of one of these names would replace it (``self.forward``, ``self.training``), or be refused
MODULE_ATTRIBUTES = frozenset({
    "T_destination", "add_module", "apply", "bfloat16", "buffers", "call_super_init", "children", "compile", "cpu", "cuda",
    "double", "dump_patches", "eval", "extra_repr", "float", "forward", "get_buffer", "get_extra_state", "get_parameter",
    "get_submodule", "half", "ipu", "load_state_dict", "modules", "mtia", "named_buffers", "named_children", "named_modules",
    "named_parameters", "parameters", "register_backward_hook", "register_buffer", "register_forward_hook",
    "register_forward_pre_hook", "register_full_backward_hook", "register_full_backward_pre_hook",
    "register_load_state_dict_post_hook", "register_load_state_dict_pre_hook", "register_module", "register_parameter",
    "register_state_dict_post_hook", "register_state_dict_pre_hook", "requires_grad_", "set_extra_state", "set_submodule",
    "share_memory", "state_dict", "to", "to_empty", "train", "training", "type", "xpu", "zero_grad",
})


def identifier(name: str, taken: set[str]) -> str:
    """A python identifier (and einops axis name) for a DSL name, unique among ``taken``.

    >>> identifier("x'", set()), identifier("lambda", set()), identifier("m", {"m"})
    ('x_prime', 'lambda2', 'm2')
    >>> identifier("Ｘ", {"X"})  # Python reads the fullwidth Ｘ as X: the two were one argument, twice
    'X2'
    """
    base = re.sub(r"\W", "_", unicodedata.normalize("NFKC", name).replace("'", "_prime")).strip("_") or "t"
    if base[0].isdigit():
        base = "t" + base
    candidate, n = base, 1
    while candidate in taken or candidate in RESERVED or keyword.iskeyword(candidate):
        n += 1
        candidate = f"{base}{n}"
    taken.add(candidate)
    return candidate


def shape_text(shape) -> str:
    """``[2 128 512]``: a tensor's actual shape, for messages."""
    return "[" + " ".join(map(str, shape)) + "]"


class Patterns:
    """Identifiers and einops patterns for the boxes of one diagram."""

    def __init__(self, diagram: Diagram):
        self.diagram = diagram
        self.taken: set[str] = set()
        # plain axes come first in diagram.axes, so they keep their own names; groups (r c) become r_c
        self.ids = {name: identifier("_".join(axis.parts), self.taken) for name, axis in diagram.axes.items()}

    # -- axes ----------------------------------------------------------------
    def size(self, axis: str) -> int:
        return self.diagram.axes[axis].size

    def shape(self, axes) -> tuple[int, ...]:
        return tuple(self.size(a) for a in axes)

    def describe(self, axes) -> str:
        """``[y=128 m=512]``: a value's expected shape, for messages."""
        return "[" + " ".join(f"{a}={self.size(a)}" for a in axes) + "]"

    def spec(self, axes, groups: bool = False, batch: bool = True, rename: dict[str, str] | None = None) -> str:
        """``... y k h``; a grouped axis is one name (``r_c``), or an einops group ``(r c)`` when ``groups``."""
        words = ["..."] if batch else []
        for a in axes:
            parts = self.diagram.axes[a].parts
            if groups and len(parts) > 1:
                words.append("(" + " ".join(self.ids[p] for p in parts) + ")")
            else:
                words.append((rename or {}).get(a, self.ids[a]))
        return " ".join(words)

    def values(self, op: Op, which: str = "inputs") -> list[tuple[str, ...]]:
        return [self.diagram.values[v].axes for v in getattr(op, which)]

    # -- patterns ------------------------------------------------------------
    def linear(self, op: Op) -> str:
        """einsum pattern ``input, weight -> output`` of a linear box; an axis both read and
        written (``m -> m``) is called ``m_in`` on the input side; a ``per`` axis is in the
        weight, the output, and the input when it has one."""
        (x,), (out,) = self.values(op), self.values(op, "outputs")
        ins, outs = op.params["in_axes"], op.params["out_axes"]
        taken = set(self.taken)
        rename = {a: identifier(self.ids[a] + "_in", taken) for a in ins if a in outs}
        weight = self.spec(op.params["per"] + outs, batch=False) + " " + self.spec(ins, batch=False, rename=rename)
        return f"{self.spec(x, rename=rename)}, {weight} -> {self.spec(out)}"

    def bias_pattern(self, op: Op) -> str | None:
        """The rearrange lining a linear box's bias up with the trailing axes of its output
        (``e f -> f e``, ``k h -> k h 1``); None when it already does."""
        (out,) = self.values(op, "outputs")
        axes = op.params["per"] + op.params["out_axes"]
        if not axes:  # a map to a number (nn.Linear(m, 1), squeezed): its bias is one number, added everywhere
            return None
        tail = out[min(out.index(a) for a in axes):]
        if tail == axes:
            return None
        return f"{self.spec(axes, batch=False)} -> " + " ".join(self.ids[a] if a in axes else "1" for a in tail)

    def lined_up(self, axes, target, rename: dict[str, str] | None = None) -> str | None:
        """The rearrange laying a value of ``axes`` out as ``target``, a dim of one for each axis of ``target`` it
        lacks (it broadcasts there); ``rename``: an axis of ``target`` -> the value's axis in its place (a concat's
        joined axis). None when it is laid out so already."""
        mine = [(rename or {}).get(a, a) for a in target]
        if tuple(mine) == tuple(axes):
            return None
        return f"{self.spec(axes)} -> ... " + " ".join(self.ids[a] if a in axes else "()" for a in mine)

    def einsum(self, op: Op) -> str:
        (out,) = self.values(op, "outputs")
        return ", ".join(self.spec(x) for x in self.values(op)) + " -> " + self.spec(out)

    def rearrange(self, op: Op) -> str:
        (x,), (out,) = self.values(op), self.values(op, "outputs")
        return f"{self.spec(x, groups=True)} -> {self.spec(out, groups=True)}"

    def rearrange_sizes(self, op: Op, all_parts: bool = True) -> dict[str, int]:
        """Sizes einops needs to split the input's groups (all parts, or all but the last of each)."""
        (x,) = self.values(op)
        sizes = {}
        for a in x:
            parts = self.diagram.axes[a].parts
            if len(parts) > 1:
                sizes.update({self.ids[p]: self.size(p) for p in (parts if all_parts else parts[:-1])})
        return sizes

    def dims(self, axes, acted) -> tuple[int, ...]:
        """Negative dimension indices of ``acted`` within a value of ``axes`` (batch dims come first)."""
        return tuple(axes.index(a) - len(axes) for a in acted)

    def norm_order(self, op: Op) -> tuple[str, str] | None:
        """Patterns moving a norm's axes last (in spec order) and back; None when they already are."""
        (x,) = self.values(op)
        acted = op.params["axes"]
        moved = tuple(a for a in x if a not in acted) + acted
        if moved == x:
            return None
        return f"{self.spec(x)} -> {self.spec(moved)}", f"{self.spec(moved)} -> {self.spec(x)}"

    # -- parameters ----------------------------------------------------------
    def parameters(self, op: Op) -> dict[str, tuple[str, ...]]:
        """The learned tensors of a box and their axes (empty for boxes without weights), as its kind declares."""
        return ops.of(op).parameters(op)

    def fan_in(self, op: Op) -> int:
        return math.prod(self.shape(op.params["in_axes"]))

    def check(self) -> None:
        """Everything a diagram needs before it can run: sizes, and options that fit them."""
        self.require_sizes()
        for op in self.diagram.ops:
            used = {p for v in op.inputs + op.outputs for a in self.diagram.values[v].axes for p in self.diagram.axes[a].parts}
            if len(used) > EINSUM_AXES:  # (torch's own 'Too many axes in einsum' named no statement, as an ncd-render bug)
                raise NcdError(f"this statement's tensors have {len(used)} axes; PyTorch's einsum, which runs them, names at most "
                               f"{EINSUM_AXES}", op.span, "ncd render draws it; to check or compile it, give its tensors fewer axes")
            check = ops.of(op).check
            if check is not None:
                check(op, self)

    def require_sizes(self) -> None:
        """Every axis a tensor uses needs a number before the diagram can run."""
        used = {a for v in self.diagram.values.values() for a in v.axes}
        for name, axis in self.diagram.axes.items():
            for part in axis.parts if name in used else ():
                decl = self.diagram.axes[part]
                if decl.size is None:
                    raise NcdError(f"axis '{part}' has no size, so the diagram cannot run", decl.span,
                                   f"give it one in the file ('axis {part} = 16') or on the command line (--sizes {part}=16)")
