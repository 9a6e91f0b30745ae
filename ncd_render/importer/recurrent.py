"""Recurrent cells: ``nn.GRUCell``'s and ``nn.LSTMCell``'s aten operations, ``gru_cell`` and ``lstm_cell``,
written out as the language's statements.

torch computes, for the input x and state h, with ``weight_ih`` and ``weight_hh`` each the rows of
three maps (r, z, n) stacked::

    r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
    z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
    h' = (1 - z) * n + z * h

and h' is written n + z (h - n), as ``tests/corpus/gru_cell.ncd`` writes it. An LSTM cell's four
maps each side (i, f, g, o) make c' = sigmoid(f) c + sigmoid(i) tanh(g) and h' = sigmoid(o) tanh(c').
Each map is a ``linear`` with its rows of the stored weight and bias, labelled as torch's
documentation names it (W_{ir}, W_{hr}, ...).
"""
from __future__ import annotations

from .graph import Param
from .seen import Seen, Unsupported, linear_order, module_path

GATES = {"gru": "rzn", "lstm": "ifgo"}  # the order of the maps' rows in weight_ih and weight_hh


class RecurrentOps:
    """Methods of the importer's mapper (:class:`.mapping.Mapper`) for recurrent cells."""

    def op_gru_cell(self, node, name):
        x, h = self.get(node.args[0]), self.get(node.args[1])
        maps = self._gates(node, x, h, "gru")
        r = self._elementwise(node, "sigmoid", self._elementwise(node, "add", maps["ir"], maps["hr"]))
        z = self._elementwise(node, "sigmoid", self._elementwise(node, "add", maps["iz"], maps["hz"]))
        n = self._elementwise(node, "tanh", self._elementwise(node, "add", maps["in"], self._elementwise(node, "mul", r, maps["hn"])))
        moved = self._elementwise(node, "mul", z, self._elementwise(node, "sub", self.data(h), n))
        return Seen(h.dims, self._elementwise(node, "add", n, moved))

    def op_lstm_cell(self, node, name):
        x, (h, c) = self.get(node.args[0]), (self.get(a) for a in node.args[1])
        for a, b in zip(h.dims, c.dims):
            self.atoms.unify(a, b)
        maps = self._gates(node, x, h, "lstm")
        i, f, g, o = (self._elementwise(node, "tanh" if gate == "g" else "sigmoid",
                                        self._elementwise(node, "add", maps["i" + gate], maps["h" + gate])) for gate in GATES["lstm"])
        kept = self._elementwise(node, "mul", f, self.data(c))
        cell = self._elementwise(node, "add", kept, self._elementwise(node, "mul", i, g))
        state = self._elementwise(node, "mul", o, self._elementwise(node, "tanh", cell))
        return [Seen(h.dims, state), Seen(h.dims, cell)]

    def _gates(self, node, x: Seen, h: Seen, cell: str) -> dict[str, int]:
        """Every map of a cell, by side (i: of the input, h: of the state) and gate: ``{"ir": ..., "hr": ...}``."""
        weights = [self.get(node.args[i]) for i in (2, 3)]
        biases = [self.get(node.args[i]) if self.arg(node, i) is not None else None for i in (4, 5)]
        if any(w.param is None for w in weights) or any(b is not None and b.param is None for b in biases):
            raise Unsupported(f"a {cell.upper()} cell whose weights are not the module's parameters")
        for a, b in zip(x.dims[:-1], h.dims[:-1]):  # a batch: the input's and the state's are one
            self.atoms.unify(a, b)
        state = h.dims[-1]
        prefix = module_path(node) + "." if module_path(node) else ""
        maps = {}
        for side, (source, weight, bias) in zip("ih", zip((x, h), weights, biases)):
            self.atoms.unify(source.dims[-1], weight.dims[-1])
            for k, gate in enumerate(GATES[cell]):
                maps[side + gate] = self._rows(node, source, state, weight, bias, k, f"{prefix}W_{{{side}{gate}}}")
        return maps

    def _rows(self, node, source: Seen, state: int, weight: Seen, bias: Seen | None, k: int, label: str) -> int:
        """The map of the ``k``-th block of rows of ``weight`` (and ``bias``), from ``source``'s last dim to ``state``."""
        size = self.atoms.size(state)
        rows = (k * size, (k + 1) * size)
        params = {"weight": Param(weight.param.name, [state] + list(weight.param.dims[1:]), rows=rows)}
        if bias is not None:
            params["bias"] = Param(bias.param.name, [state], rows=rows)
        acted = self.atoms.leaves(source.dims[-1])
        atoms = linear_order(self.dsl_leaves(source), acted, self.atoms.leaves(state), self.atoms)
        return self.emit("linear", [self.data(source)], atoms, node, axes={"in": [source.dims[-1]], "out": [state]},
                         params=params, options={"bias": bias is not None}, label=label)

    def _elementwise(self, node, fn: str, *args: int) -> int:
        """``fn`` of DSL values of one shape (a sum, product or difference, or a function of one)."""
        return self.emit(fn, list(args), self.prog.values[args[-1]].atoms, node)
