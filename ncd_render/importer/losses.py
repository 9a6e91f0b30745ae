"""Losses as the language writes them: ``F.mse_loss`` the mean (or sum) of the squared difference,
``square(P - T)``, ``F.l1_loss`` of its absolute value, and ``F.binary_cross_entropy_with_logits``
of ``softplus(X) - X * T`` (what it computes, written without its log and exp); and
``torch.broadcast_tensors``, which ``F.mse_loss`` and ``F.l1_loss`` call first: of operands of one shape,
the operands themselves."""
from __future__ import annotations

from .seen import Seen, Unsupported

REDUCTIONS = {0: None, 1: "mean", 2: "sum", "none": None, "mean": "mean", "sum": "sum"}  # (aten's enum, F's names)


class LossOps:
    """Methods of the importer's mapper (:class:`.mapping.Mapper`) for losses of a prediction against a target."""

    def op_mse_loss(self, node, name):
        return self._loss(node, "square")

    def op_l1_loss(self, node, name):
        return self._loss(node, "abs")

    def op_binary_cross_entropy_with_logits(self, node, name):
        """``softplus(x) - x t`` of the logits x and the targets t (a focal loss's and a detector's), then their mean or
        sum; with no per-element ``weight`` or ``pos_weight``."""
        logits, target = self.get(node.args[0]), self.get(node.args[1])
        if self.arg(node, 2, node.kwargs.get("weight")) is not None or self.arg(node, 3, node.kwargs.get("pos_weight")) is not None:
            raise Unsupported("a binary cross-entropy with weights")
        if logits.param is not None or target.param is not None:
            raise Unsupported("a loss against a learned tensor")
        soft = Seen(logits.dims, self.emit("softplus", [self.data(logits)], self.prog.values[self.data(logits)].atoms, node))
        error = self._in_order(node, "sub", soft, self._in_order(node, "mul", logits, target))
        return self._reduced(node, error, error.dsl, REDUCTIONS[self.arg(node, 4, node.kwargs.get("reduction", 1))])

    def _loss(self, node, fn: str) -> Seen:
        """``fn`` (square, abs) of the prediction less the target, then their mean or sum, as ``reduction`` asks."""
        prediction, target = self.get(node.args[0]), self.get(node.args[1])
        if prediction.param is not None or target.param is not None:
            raise Unsupported("a loss against a learned tensor")
        reduction = REDUCTIONS[self.arg(node, 2, node.kwargs.get("reduction", 1))]
        error = self._in_order(node, "sub", prediction, target)
        out = self.emit(fn, [error.dsl], self.prog.values[error.dsl].atoms, node)
        return self._reduced(node, error, out, reduction)

    def _reduced(self, node, error: Seen, out: int, reduction: str | None) -> Seen:
        """The loss ``out`` of each element of ``error``'s shape, or its mean or sum (``reduction``)."""
        if reduction is None:
            return Seen(error.dims, out)
        if not self.leaves(error.dims):  # (a loss of one number: that number)
            return Seen([], out)
        return Seen([], self.emit(reduction, [out], [], node, axes={"on": list(error.dims)}))

    def op_broadcast_tensors(self, node, name):
        """Operands all of the shape they broadcast to, as a loss's are: each as it is (the sums and products
        that follow broadcast by themselves)."""
        tensors = [self.get(t) for t in node.args[0]]
        if any(t.number is not None for t in tensors) or len({tuple(map(self.atoms.size, t.dims)) for t in tensors}) != 1:
            raise Unsupported("broadcasting tensors of different shapes to one")
        return tensors
