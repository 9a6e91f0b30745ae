"""A variance and a standard deviation (``x.var(dim)``, ``x.std(dim)``: a LayerNorm or a style loss written out), as the
language writes them: the mean of the squared difference from the mean, ``mean(square(X - mean(X: m)): m)``, times
n / (n - correction) where torch corrects (Bessel's, its default), and for the deviation its square root. A vector norm
(``torch.linalg.vector_norm``, ``x.norm(dim)``, ``F.normalize``'s) as its sum of squares' square root."""
from __future__ import annotations

import math

INFINITY = float("inf")

from .seen import Seen, Unsupported


class MomentOps:
    """Methods of the importer's mapper (:class:`.mapping.Mapper`) for variances and standard deviations."""

    def op_var(self, node, name):
        x = self.get(node.args[0])
        if node.target._overloadname == "correction":  # var(x, dim=None, *, correction=None, keepdim=False)
            correction, keep = node.kwargs.get("correction"), bool(node.kwargs.get("keepdim", False))
            correction = 1 if correction is None else correction
        else:  # var(x, dim, unbiased=True, keepdim=False)
            correction, keep = int(bool(self.arg(node, 2, True))), bool(self.arg(node, 3, False))
        dims = self.arg(node, 1)
        dims = range(len(x.dims)) if dims is None else [dims] if isinstance(dims, int) else dims
        dims = sorted({d % len(x.dims) for d in dims})
        acted = [x.dims[d] for d in dims]
        n = math.prod(self.atoms.size(d) for d in acted)
        if not self.leaves(acted) or n <= correction:
            raise Unsupported("a variance over no more elements than its correction")
        whole, atoms = self.prog.values[self.data(x)].atoms, self._without(x, acted)
        mean = self.emit("mean", [x.dsl], atoms, node, axes={"on": acted})
        squared = self.emit("square", [self.emit("sub", [x.dsl, mean], whole, node)], whole, node)
        out = self.emit("mean", [squared], atoms, node, axes={"on": acted})
        if correction:
            out = self.emit("scale", [out], atoms, node, scale=n / (n - correction))
        if name == "std":
            out = self.emit("sqrt", [out], atoms, node)
        return Seen(self._kept(x, dims, keep), out)

    op_std = op_var

    def op_linalg_vector_norm(self, node, name):
        """``torch.linalg.vector_norm(x, ord, dim)`` (ConvNeXt V2's global response norm) written out: the 2-norm as
        ``sqrt(sum(square(X): h w))``, the 1-norm as the sum of ``abs``, the largest absolute value (``ord=inf``) as its
        ``max``; other orders have no statement."""
        x = self.get(node.args[0])
        order = self.arg(node, 1, node.kwargs.get("ord", 2))
        if order not in (1, 2, INFINITY):
            raise Unsupported(f"a vector norm of order {order} (the language writes those of order 1, 2 and inf)")
        dims, keep = self.arg(node, 2, node.kwargs.get("dim")), bool(self.arg(node, 3, node.kwargs.get("keepdim", False)))
        dims = range(len(x.dims)) if dims is None else [dims] if isinstance(dims, int) else dims
        dims = sorted({d % len(x.dims) for d in dims})
        acted = [x.dims[d] for d in dims]
        each = self.emit("square" if order == 2 else "abs", [self.data(x)], self.prog.values[x.dsl].atoms, node)
        if not self.leaves(acted):  # over dims of one: each value's absolute value
            return Seen(self._kept(x, dims, keep), self.emit("sqrt", [each], self.prog.values[each].atoms, node) if order == 2 else each)
        self._held(x, acted)
        out = self.emit("max" if order == INFINITY else "sum", [each], self._without(x, acted), node, axes={"on": acted})
        if order == 2:
            out = self.emit("sqrt", [out], self.prog.values[out].atoms, node)
        return Seen(self._kept(x, dims, keep), out)
