"""Bounds: a clamp between numbers (``x.clamp(min, max)``, ``clamp_min``, ``clamp_max``, ``F.hardtanh`` at bounds
other than ReLU6's) as ``clamp ... with min=..., max=...``, and the larger or smaller of two tensors
(``torch.maximum``, ``torch.minimum``) as ``maximum(A, B)``, ``minimum(A, B)``."""
from __future__ import annotations

import math

from .seen import Seen, Unsupported


class BoundOps:
    """Methods of the importer's mapper (:class:`.mapping.Mapper`) for clamps and element-wise extremes."""

    def op_clamp(self, node, name):
        """``x.clamp(min, max)``, either left out, ``clamp_min``, ``clamp_max``: ``clamp ... with min=..., max=...``."""
        if name == "clamp":
            return self._clamp(node, self.arg(node, 1, node.kwargs.get("min")), self.arg(node, 2, node.kwargs.get("max")))
        return self._clamp(node, *((self.arg(node, 1), None) if name == "clamp_min" else (None, self.arg(node, 1))))

    op_clamp_min = op_clamp_max = op_clamp

    def _clamp(self, node, low, high, x: Seen | None = None) -> Seen:
        """``x`` (the node's first argument if not given) held between ``low`` and ``high``, either None."""
        bounds = {k: v for k, v in (("min", low), ("max", high)) if v is not None}
        if not bounds or not all(isinstance(v, (int, float)) and math.isfinite(v) for v in bounds.values()) \
                or len(bounds) == 2 and low >= high:
            raise Unsupported("a clamp by tensors, or by no bounds or empty ones")
        x = self.get(node.args[0]) if x is None else x
        return Seen(x.dims, self.emit("clamp", [self.data(x)], self.prog.values[x.dsl].atoms, node,
                                      options={k: float(v) for k, v in bounds.items()}))

    def op_maximum(self, node, name):
        """``torch.maximum(a, b)`` (``torch.max(a, b)``), ``torch.minimum``: ``maximum(A, B)``, the operand with
        fewer axes broadcast over the other's."""
        a, b = self.get(node.args[0]), self.get(node.args[1])
        if a.number is not None or b.number is not None:  # of a tensor and a number held in one: a clamp
            x, number = (b, a.number) if a.number is not None else (a, b.number)
            if x.number is not None:
                raise Unsupported(f"the {name} of two numbers")
            return self._clamp(node, *((number, None) if name == "maximum" else (None, number)), x=x)
        first, second = self.broadcast_pair(node, a, b)
        return Seen(first.dims, self.emit(name, [self.data(first), self.data(second)], self.prog.values[first.dsl].atoms, node))

    op_minimum = op_maximum
