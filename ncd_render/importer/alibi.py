"""ALiBi biases that a model builds from positions alone (BLOOM's ``build_alibi_tensor``, MPT's),
recognised by their recorded value: a tensor fed by no input or parameter (constants and buffers
may feed it), added to the scores (by ``add``, or as ``baddbmm``'s first operand), whose every row
is each head's ALiBi slope times the key's position. A row may be shifted by a constant (BLOOM adds
slope times the key's position, not its distance from the query) only where the scores go on to a
softmax over the keys, which no such shift changes. It becomes one ``alibi(S: y x h)`` box; what
built the bias is not imported.

>>> slopes = torch.tensor([2.0 ** -4, 2.0 ** -8])[:, None, None]  # two heads'
>>> keys, distance = torch.arange(4.0), torch.arange(4.0) - torch.arange(4.0)[:, None]
>>> _heads(slopes * keys, torch.zeros(2, 4, 4)), _heads(slopes * distance, torch.zeros(2, 4, 4))  # BLOOM's, the paper's
((2, False, False), (2, True, False))
>>> _heads(slopes.flip(0) * keys, torch.zeros(2, 4, 4)) is None  # slopes of no ALiBi
True
"""
from __future__ import annotations

import torch

from ..pytorch.functional import alibi
from .capture import Capture
from .patterns import ATOL, RTOL, Replacement, _is
from .recomputed import _fed_by_learning
from .seen import Seen, Unsupported

PASSING = {"view", "reshape", "_unsafe_view", "unsqueeze", "squeeze", "contiguous", "clone", "_to_copy", "to", "type_as",
           "masked_fill", "add", "mul", "div", "dropout"}  # what may come between the scores and their softmax (a mask, a cast,
#   Falcon's scale after the bias)


def recognise_alibi(cap: Capture) -> dict:
    """The products and additions to import with one ``alibi`` box (what built the bias is not imported)."""
    fed, found = _fed_by_learning(cap), {}
    for node in cap.graph.nodes:
        if _is(node, "baddbmm") and node.kwargs.get("beta", 1) == 1 and _constant(node.args[0], fed) \
                and all(a in fed for a in node.args[1:3]):
            heads = _heads(cap.values.get(node.args[0]), cap.values.get(node))
            if heads and (heads[1] or _softmax_after(node)):
                found[node] = Replacement(list(node.args[1:3]), _product(heads[0], heads[2]))
        elif _is(node, "add") and len(node.args) == 2:
            for scores, bias in (node.args, node.args[::-1]):
                if _constant(bias, fed) and scores in fed:
                    heads = _heads(cap.values.get(bias), cap.values.get(node))
                    if heads and (heads[1] or _softmax_after(node)):
                        found[node] = Replacement([scores], _added(heads[0], heads[2], scores))
                        break
    return found


def _constant(arg, fed) -> bool:
    return isinstance(arg, torch.fx.Node) and arg not in fed


def _heads(bias, scores) -> tuple[int, bool, bool] | None:
    """(heads, exact, last) when ``bias``, broadcast over ``scores``, is ALiBi's: each head's slope times the key's
    position, tiled over the batch; ``exact`` when it is the slope times the key's distance from the query, unshifted.
    The scores' last two dims are queries and keys, the heads among the dims before; or, ``last``, their last three
    are queries, keys and heads (``ncd compile``'s ``alibi`` helper adds it so). Else None."""
    for last in (False, True):
        found = _heads_in(bias, scores, last)
        if found is not None:
            return (*found, last)
    return None


def _heads_in(bias, scores, last: bool) -> tuple[int, bool] | None:
    if not (isinstance(bias, torch.Tensor) and isinstance(scores, torch.Tensor)) or scores.dim() < 3 or not bias.is_floating_point():
        return None
    try:
        b = bias.expand(scores.shape)
    except RuntimeError:
        return None
    b = b.movedim(-1, -3) if last else b
    queries, keys = b.shape[-2:]
    b = b.reshape(-1, queries, keys).double().cpu()
    if keys < 2:
        return None
    slopes = b[:, 0, 1] - b[:, 0, 0]
    ramp = slopes[:, None, None] * torch.arange(keys, dtype=torch.float64)
    if not torch.allclose(b - b[:, :, :1], ramp.expand_as(b), rtol=RTOL, atol=ATOL):
        return None
    exact = torch.allclose(b[:, :, 0], -slopes[:, None] * torch.arange(queries, dtype=torch.float64), rtol=RTOL, atol=ATOL)
    for heads in range(1, len(slopes) + 1):
        if len(slopes) % heads == 0:
            expected = alibi(torch.zeros(1, 2, heads, dtype=torch.float64), 0, 1, 2)[0, 1]  # each head's slope (key 1, query 0)
            if torch.allclose(slopes, expected.repeat(len(slopes) // heads), rtol=RTOL, atol=ATOL):
                return heads, exact
    return None


def _softmax_after(node) -> bool:
    """Whether ``node``'s scores go on, through views, casts and masks only, to a softmax over their last dim."""
    while True:
        users = [u for u in node.users if not _is(u, "_assert_tensor_metadata")]  # (export's checks of a cast: no use)
        if len(users) != 1:
            return False
        (node,) = users
        if _is(node, "softmax") or _is(node, "_softmax"):
            return node.args[1] in (-1, len(node.meta["val"].shape) - 1) if "val" in node.meta else node.args[1] == -1
        if not any(_is(node, name) for name in PASSING):
            return False


def _with_alibi(mapper, node, seen: Seen, heads: int, last: bool) -> Seen:
    """``seen``, the scores, with ``alibi`` over their last two dims and the dim before of ``heads`` (``last``: over
    the two before their last, the heads' dim)."""
    queries, keys = seen.dims[-3:-1] if last else seen.dims[-2:]
    found = [a for a in mapper.leaves(seen.dims[-1:] if last else seen.dims[:-2]) if mapper.atoms.size(a) == heads]
    if not found:
        raise Unsupported("an ALiBi bias whose heads are not a dim of the scores")
    for d in (queries, keys):
        mapper.atoms.atom(d).width = True
    atoms = mapper.prog.values[mapper.data(seen)].atoms
    return Seen(seen.dims, mapper.emit("alibi", [seen.dsl], atoms, node, axes={"on": [queries, keys, found[-1]]}))


def _product(heads: int, last: bool):
    return lambda mapper, node: _with_alibi(mapper, node, mapper.baddbmm_product(node), heads, last)


def _added(heads: int, last: bool, scores):
    return lambda mapper, node: _with_alibi(mapper, node, mapper.get(scores), heads, last)
