"""A mask the model is given: ``scores.masked_fill(mask, -inf)`` with ``mask`` a boolean input (a key-padding
mask, ``pad[:, None, None, :]``; a graph's non-edges) as ``mask(S, M)``, the mask broadcast over the axes it lacks;
so too its additive form, ``zeros_like(mask, dtype=float).masked_fill(mask, -inf)`` added to the scores, by ``+`` or
as ``scaled_dot_product_attention``'s mask or ``baddbmm``'s addend (``nn.MultiheadAttention``'s
``key_padding_mask``, with or without its weights), where nothing else reads it (two masks merged stay opaque).
The lowest value may be written as -inf, ``torch.finfo(dtype).min`` or a number at most -1e9 (``ncd check``
counts each as -inf). A causal mask the model builds itself is recognised whole (:mod:`.masks`).
"""
from __future__ import annotations

import math

import torch

from .patterns import Replacement, _is
from .seen import VIEWS, Seen, Unsupported, target_name

LOWEST = -1e9  # a fill at or below this hides a score as -inf does (exp of it is 0 in every dtype)
ZEROS = {"zeros_like", "zeros", "new_zeros"}  # what an additive mask is filled into


class HidingOps:
    """Methods of the importer's mapper (:class:`.mapping.Mapper`) for masks by a tensor."""

    def op_masked_fill(self, node, name):
        """``x.masked_fill(mask, value)``: ``mask(X, M)`` where ``value`` hides (-inf, or about as low) and ``mask`` is
        boolean data the model is given, broadcast over x."""
        if not _hides(node.args[2] if len(node.args) > 2 else node.kwargs.get("value")):
            raise Unsupported("a masked_fill with a value other than -inf (or at most -1e9)")
        return self._masked(node, node.args[0], node.args[1], keep=False)

    def op_where(self, node, name):
        """``torch.where(mask, x, -inf)``: ``mask(X, M) with keep``; ``torch.where(mask, -inf, x)``: ``mask(X, M)``."""
        mask, a, b = node.args[:3]
        if _hides(b) and isinstance(a, torch.fx.Node):
            return self._masked(node, a, mask, keep=True)
        if _hides(a) and isinstance(b, torch.fx.Node):
            return self._masked(node, b, mask, keep=False)
        raise Unsupported("a where that picks other than a tensor or -inf")

    def _masked(self, node, scores_node, mask_node, keep: bool) -> Seen:
        """``mask(S, M)`` (``keep``: ``with keep``) of the nodes given, the mask boolean data the model is given."""
        if not isinstance(mask_node, torch.fx.Node):
            raise Unsupported("a mask that is not a tensor")
        keep ^= mask_node in self.negated  # (~m: the flags the other way round)
        x, mask = self.get(scores_node), self.get(mask_node)
        if mask.dsl is None or self.prog.values[mask.dsl].dtype != "bool":
            raise Unsupported("a mask that is not boolean data the model is given")
        return self.hidden(node, x, mask, keep)

    def op_bitwise_not(self, node, name):
        """``~m`` (``m.logical_not()``) of flags the model is given, read only as a mask (through views): the flags
        themselves, each node that reads them noted (``negated``) to write the mask the other way round."""
        x = self.get(node.args[0])
        if x.dsl is None or self.prog.values[x.dsl].dtype != "bool":
            raise Unsupported("a not of other than flags the model is given")
        read = _read_as_mask(node)
        if read is None:
            raise Unsupported("flags turned the other way round and read other than as a mask")
        self.negated |= read
        return x

    op_logical_not = op_bitwise_not

    def hidden(self, node, scores: Seen, mask: Seen, keep: bool = False) -> Seen:
        """``mask(S, M)`` (``keep``: ``with keep``), the mask broadcast over the axes of the scores it lacks."""
        if mask.dsl is None or self.prog.values[mask.dsl].dtype != "bool":
            raise Unsupported("a mask that is not boolean data the model is given")
        first, hidden = self.broadcast_pair(node, scores, mask)
        if first.dsl != scores.dsl:  # the mask holds axes the scores lack: the result is the mask's shape
            raise Unsupported("a mask with axes the scores lack")
        return Seen(first.dims, self.emit("mask", [self.data(first), self.data(hidden)], self.prog.values[first.dsl].atoms, node,
                                          axes={"on": []}, options={"keep": True} if keep else {}))


def recognise_additive(cap) -> dict:
    """A boolean mask's additive form, ``zeros_like(mask, dtype=float).masked_fill(mask, -inf)`` read only by adding it
    (through views): the mask itself, each node that adds it noted (``mapper.additive``) to write ``mask(S, M)`` there."""
    found = {}
    for node in cap.graph.nodes:
        if _is(node, "masked_fill") and _hides(node.args[2] if len(node.args) > 2 else node.kwargs.get("value")) \
                and _boolean(node.args[1]) and any(_is(node.args[0], name) for name in ZEROS) \
                and list(cap.values[node].shape) == list(cap.values[node.args[1]].shape):
            added = _added(node)
            if added is not None:
                found[node] = Replacement([node.args[1]], lambda mapper, node, added=added: _noted(mapper, node, added))
    return found


def _noted(mapper, node, added: set) -> Seen:
    keep = node.args[1] in mapper.negated  # (the additive form of ~m: -inf where m is false)
    mapper.additive.update(dict.fromkeys(added, keep))
    return mapper.get(node.args[1])


def _hides(value) -> bool:
    """Whether a value filled in hides a score: -inf, or about as low."""
    return isinstance(value, (int, float)) and (value == -math.inf or value <= LOWEST)


def _boolean(node) -> bool:
    return isinstance(node, torch.fx.Node) and node.meta.get("val") is not None and node.meta["val"].dtype == torch.bool


def _read_as_mask(node) -> set | None:
    """``node`` and its views, where every reader past them masks by it (``masked_fill``'s mask, ``where``'s
    condition, ``scaled_dot_product_attention``'s mask); else None."""
    return _through_views(node, lambda user, name, at: name == "masked_fill" and user.args[1] is at
                          or name == "where" and user.args[0] is at or _attention_mask(user, name, at))


def _added(node) -> set | None:
    """``node`` and its views, where every reader past them adds it (``+``, ``baddbmm``'s addend, or as
    ``scaled_dot_product_attention``'s mask), and no other such mask with it (an ``attn_mask`` and a
    ``key_padding_mask`` merged: no mask(S, M) says either); else None."""
    def adds(user, name, at) -> bool:
        if name == "add" and user.kwargs.get("alpha", 1) == 1:
            return not any(_additive_source(other) for other in user.args if other is not at)
        return name == "baddbmm" and user.args[0] is at and user.kwargs.get("beta", 1) == 1 or _attention_mask(user, name, at)
    return _through_views(node, adds)


def _through_views(node, reads) -> set | None:
    """``node`` and its views down to what reads them, where ``reads(user, name, at)`` accepts every reader (zeros of
    its shape, to fill, read no value); else None."""
    seen, stack = {node}, [node]
    while stack:
        at = stack.pop()
        for user in at.users:
            name = _called(user)
            if name in VIEWS:
                seen.add(user)
                stack.append(user)
            elif name not in ZEROS and not reads(user, name, at):
                return None
    return seen


def _attention_mask(user, name, at) -> bool:
    return name == "scaled_dot_product_attention" and (user.args[3:4] == (at,) or user.kwargs.get("attn_mask") is at)


def _additive_source(node) -> bool:
    """Whether ``node`` is, through views, a boolean mask's additive form, ``zeros_like(mask).masked_fill(mask, -inf)``."""
    while isinstance(node, torch.fx.Node) and _called(node) in VIEWS:
        node = node.args[0]
    return isinstance(node, torch.fx.Node) and _is(node, "masked_fill") and any(_is(node.args[0], name) for name in ZEROS)


def _called(node) -> str | None:
    """The aten operation a graph node calls (``masked_fill`` for ``aten.masked_fill_.Scalar``), or None."""
    return target_name(node) if node.op == "call_function" and hasattr(node.target, "overloadpacket") else None
