"""A sum of two tensors that share no dim, broadcast both ways, then added to (or taken from) a tensor with every dim:
the squared distances from each vector to each code, ``|z|^2 + |c|^2 - 2 z.c`` (a VQ-VAE's quantiser, a k-means or
nearest-neighbour step), as ``(sum of squares [n, 1] + sum of squares [e]) - 2 * matmul [n, e]``. The language adds
only terms sharing an axis, so the first sum has no statement of its own; the whole is one sum led by the full tensor,
``D = P + A + B`` (or, taking it away, ``N = P * -1``, ``D = N + A + B``, the -1 joining the scale P was made by where
there is one), each other term broadcast over the axes it lacks. Only where recomputing it in that order gives the recorded result.
"""
from __future__ import annotations

import torch

from .capture import Capture
from .patterns import Replacement, _is, agrees
from .seen import Seen, Unsupported


def recognise_pairwise(cap: Capture) -> dict:
    """Sums and differences of a full tensor and a sum broadcast both ways, to import as one sum led by the full tensor."""
    found = {}
    for node in cap.graph.nodes:
        if not (_is(node, "add") or _is(node, "sub")) or len(node.args) != 2 or node.kwargs.get("alpha", 1) != 1 \
                or not all(isinstance(a, torch.fx.Node) for a in node.args):
            continue
        for k, inner in enumerate(node.args):
            full = node.args[1 - k]
            if not _is(inner, "add") or len(inner.users) != 1 or inner.kwargs.get("alpha", 1) != 1 or (_is(node, "sub") and k == 1) \
                    or not all(isinstance(a, torch.fx.Node) for a in inner.args[:2]):
                continue
            a, b = inner.args[:2]
            values = [cap.values.get(x) for x in (a, b, full, node)]
            if not all(isinstance(v, torch.Tensor) and v.is_floating_point() for v in values):
                continue
            va, vb, vf, out = values
            if vf.shape != out.shape or va.shape == out.shape or vb.shape == out.shape or _shared(va, vb, out):
                continue
            sign = -1 if _is(node, "sub") else 1
            if agrees(sign * vf.double() + va.double() + vb.double(), out.double()):
                found[node] = Replacement([full, a, b], lambda mapper, node, f=full, a=a, b=b, s=sign: _led_by(mapper, node, f, a, b, s))
                break
    return found


def _shared(a: torch.Tensor, b: torch.Tensor, out: torch.Tensor) -> bool:
    """Whether ``a`` and ``b``, broadcast to ``out``, both vary along some dim of it (then they share an axis: an outer sum
    the language writes as it is)."""
    def varies(x):
        shape = (1,) * (out.dim() - x.dim()) + tuple(x.shape)
        return {d for d, n in enumerate(shape) if n != 1}
    return bool(varies(a) & varies(b))


def _led_by(mapper, node, full, a, b, sign: int) -> Seen:
    f = mapper.get(full)
    lead = mapper.data(f)
    if sign < 0:
        made = mapper.producer.get(lead)
        if made is not None and made.fn == "scale" and len(full.users) == 1:  # (-2 z.c: the scale there, negated)
            made.scale = -made.scale
        else:
            lead = mapper.emit("scale", [lead], mapper.prog.values[lead].atoms, node, scale=-1.0)
            f = Seen(f.dims, lead)
    terms = [mapper.broadcast_pair(node, f, mapper.get(x))[1] for x in (a, b)]
    return Seen(f.dims, mapper.emit("add", [lead] + [mapper.data(t) for t in terms], mapper.prog.values[lead].atoms, node))


class DistanceOps:
    """Methods of the importer's mapper (:class:`.mapping.Mapper`) for distances between every pair of vectors."""

    def op_cdist(self, node, name):
        """``torch.cdist(a, b)``: the Euclidean distance of every row of ``a`` to every row of ``b``, written out as the
        language has it: every pair's difference (an outer difference), squared, summed over the depth, its square root."""
        if self.arg(node, 2, node.kwargs.get("p", 2.0)) != 2:
            raise Unsupported("a distance other than the Euclidean")
        a, b = self.get(node.args[0]), self.get(node.args[1])
        for x, y in zip(reversed(a.dims[:-2] + a.dims[-1:]), reversed(b.dims[:-2] + b.dims[-1:])):  # depth, then batch
            if self.atoms.size(x) == self.atoms.size(y):
                self.atoms.unify(x, y)
        self.data(a), self.data(b)
        offsets = self._outer_sum(node, a, b, "sub").dsl  # every pair's difference: a's rows, the depth, b's rows
        pairs = self.emit("square", [offsets], self.prog.values[offsets].atoms, node)
        rest = self._without(Seen([], pairs), [a.dims[-1]])
        summed = self.emit("sum", [pairs], rest, node, axes={"on": [a.dims[-1]]})
        return Seen(a.dims[:-1] + [b.dims[-2]], self.emit("sqrt", [summed], rest, node))
