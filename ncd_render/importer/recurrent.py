"""Recurrent cells and layers written out as the language's statements: ``nn.GRUCell`` and ``nn.LSTMCell``
(aten's ``gru_cell``, ``lstm_cell``), and ``nn.GRU`` and ``nn.LSTM`` over a whole sequence (``gru``,
``lstm``), unrolled over the example's time steps.

torch computes a GRU step, for the input x and state h, with ``weight_ih`` and ``weight_hh`` each the
rows of three maps (r, z, n) stacked::

    r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
    z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
    h' = (1 - z) * n + z * h

and h' is written n + z (h - n), as ``tests/corpus/gru_cell.ncd`` writes it. An LSTM step's four maps
each side (i, f, g, o) make c' = sigmoid(f) c + sigmoid(i) tanh(g) and h' = sigmoid(o) tanh(c'). Each
map is a ``linear`` with its rows of the stored weight and bias, labelled as torch's documentation
names it (W_{ir}, W_{hr}, ...). A layer's first state, when torch makes it zeros, has no maps: its
biases alone are added (a ``bias`` box, b_{hr}) and r * b_{hn} is a ``layerscale``. A bidirectional layer
runs a second cell from the last step back, each step's two states joined along the features.
"""
from __future__ import annotations

from .graph import Param
from .seen import Seen, Unsupported, linear_order, module_path, target_name

GATES = {"gru": "rzn", "lstm": "ifgo"}  # the order of the maps' rows in weight_ih and weight_hh
SEQUENCES = {"gru", "lstm"}


class RecurrentOps:
    """Methods of the importer's mapper (:class:`.mapping.Mapper`) for recurrent cells and layers."""

    _in: str | None = None  # the module path the step being written puts its statements in (None: its node's)

    def op_gru_cell(self, node, name):
        x, h = self.get(node.args[0]), self.get(node.args[1])
        weights, biases = self._weights(node, [node.args[i] for i in (2, 3)], [self.arg(node, i) for i in (4, 5)], "gru")
        return self._step(node, "gru", x, h, None, weights, biases, _prefix(node))[0]

    def op_lstm_cell(self, node, name):
        x, (h, c) = self.get(node.args[0]), (self.get(a) for a in node.args[1])
        weights, biases = self._weights(node, [node.args[i] for i in (2, 3)], [self.arg(node, i) for i in (4, 5)], "lstm")
        return list(self._step(node, "lstm", x, h, c, weights, biases, _prefix(node)))

    def op_gru(self, node, name):
        return self._sequence(node, "gru")

    def op_lstm(self, node, name):
        return self._sequence(node, "lstm")

    def op_zeros(self, node, name):
        """A first state of zeros that only a recurrent layer reads (torch makes it when given none): no statement."""
        if not node.users or any(target_name(user) not in SEQUENCES for user in node.users):
            raise Unsupported("no DSL equivalent")
        return Seen([self.atoms.new(n, "unit" if n == 1 else "") for n in self.shape(node)])

    def _sequence(self, node, cell: str):
        """``nn.GRU`` / ``nn.LSTM`` over the sequence: each layer's cell at each time step, its input picked from the
        sequence by an index, the steps' states stacked back into one (a ``concat`` that names no axis of them)."""
        sequence = self.get(node.args[0])
        has_biases, layers, dropout, train, bidirectional, batch_first = node.args[3:9]
        if train and dropout and layers > 1:
            raise Unsupported(f"a {cell.upper()} layer with dropout between its layers, in training")
        first = list(node.args[1]) if cell == "lstm" else [node.args[1]]
        states = [None if target_name(s) == "zeros" else self.get(s) for s in first]
        params = list(node.args[2])
        per, directions = 4 if has_biases else 2, 2 if bidirectional else 1
        time = 1 if batch_first else 0
        for k, d in enumerate(sequence.dims[:-1]):  # positions along time, and a batch (whichever way round torch has them)
            atom = self.atoms.atom(self.atoms.find(d))
            atom.role, atom.width = ("seq", True) if k == time else ("batch", atom.width)
        for s in states:
            if s is not None:  # the layers of the first states are no batch
                self.atoms.atom(self.atoms.find(s.dims[0])).role = ""
        steps = self.atoms.size(sequence.dims[time])
        finals = []
        for layer in range(layers):
            runs = []
            for backward in range(directions):  # a bidirectional layer runs a second cell from the last step back
                k = layer * directions + backward
                group = params[k * per:(k + 1) * per]
                weights, biases = self._weights(node, group[:2], group[2:] or [None, None], cell)
                h, c = (self.selected(node, s, 0, k) if s is not None else None for s in states + [None] * (2 - len(states)))
                out = [None] * steps
                for t in reversed(range(steps)) if backward else range(steps):  # each step a section (a page's rows break there)
                    x = self.selected(node, sequence, time, t)
                    step = f"{_prefix(node)}{f'layer {layer + 1} ' if layers > 1 else ''}{'backward ' if backward else ''}step {t + 1}"
                    self.prog.sections.add(step)
                    h, c = self._step(node, cell, x, h, c, weights, biases, _prefix(node), step)
                    out[t] = h
                runs.append(out)
                finals.append((h, c))
            if backward:  # each step's two states joined along the features, forward first
                both = self.atoms.new(2 * self.atoms.size(runs[0][0].dims[-1]), "")
                runs = [[self._joined(node, a, b, both) for a, b in zip(*runs)]]
            sequence = self._stacked_along(node, runs[0], sequence.dims[time], time)
        return [sequence] + [self._stacked_along(node, [f[k] for f in finals], self.atoms.new(layers * directions, ""), 0)
                             for k in range(1 if cell == "gru" else 2)]

    def _joined(self, node, a: Seen, b: Seen, both: int) -> Seen:
        """``a`` and ``b`` joined along their features into ``both`` (a bidirectional step's output)."""
        atoms = [both if self.atoms.find(x) == self.atoms.find(a.dims[-1]) else x for x in self.dsl_leaves(a)]
        out = self.emit("concat", [a.dsl, b.dsl], atoms, node, axes={"on": [a.dims[-1], b.dims[-1]], "to": [both]})
        return Seen(a.dims[:-1] + [both], out)

    def _weights(self, node, weights, biases, cell: str):
        """The Seen of each weight (ih, hh) and bias (ih, hh; None without), which must be the module's parameters."""
        weights = [self.get(w) for w in weights]
        biases = [self.get(b) if b is not None else None for b in biases]
        if any(w.param is None for w in weights) or any(b is not None and b.param is None for b in biases):
            raise Unsupported(f"a {cell.upper()} whose weights are not the module's parameters")
        return weights, biases

    def _stacked_along(self, node, states: list[Seen], axis: int, dim: int) -> Seen:
        """The states, each of one position, stacked along ``axis`` at torch's dim ``dim``."""
        if not self.atoms.leaves(axis) or len(states) == 1:
            return Seen(states[-1].dims[:dim] + [axis] + states[-1].dims[dim:], states[-1].dsl)
        return self._stacked(node, [Seen(s.dims[:dim] + [self.atoms.new(1, "unit")] + s.dims[dim:], s.dsl) for s in states], dim, axis)

    def _step(self, node, cell: str, x: Seen, h: Seen | None, c: Seen | None, weights, biases, prefix: str, module=None):
        """One step of ``cell`` from input ``x`` and state ``h`` (and ``c``), None for zeros: (new state, new cell state);
        its statements in ``module`` (a made-up path, a section of its own), else in the node's."""
        self._in = module
        (w_ih, w_hh), (b_ih, b_hh) = weights, biases
        state = self._state_axis(x, h, w_hh)
        self.atoms.unify(x.dims[-1], w_ih.dims[-1])
        pre = {}
        for k, gate in enumerate(GATES[cell]):
            pre[gate] = self._rows(node, x, state, w_ih, b_ih, k, f"{prefix}W_{{i{gate}}}")
            if h is not None and not (cell == "gru" and gate == "n"):
                pre[gate] = self._fn(node, "add", pre[gate], self._rows(node, h, state, w_hh, b_hh, k, f"{prefix}W_{{h{gate}}}"))
            elif b_hh is not None and not (cell == "gru" and gate == "n"):
                pre[gate] = self._learned(node, "bias", pre[gate], state, b_hh, k, f"{prefix}b_{{h{gate}}}")
        dims = h.dims if h is not None else x.dims[:-1] + [state]
        for a, b in zip(c.dims if c is not None else [], dims):  # the cell state is laid out as the state
            self.atoms.unify(a, b)
        if cell == "gru":
            r, z = (self._fn(node, "sigmoid", pre[g]) for g in "rz")
            if h is not None:
                gated = self._fn(node, "mul", r, self._rows(node, h, state, w_hh, b_hh, 2, f"{prefix}W_{{hn}}"))
            else:
                gated = self._learned(node, "layerscale", r, state, b_hh, 2, f"{prefix}b_{{hn}}") if b_hh is not None else None
            n = self._fn(node, "tanh", self._fn(node, "add", pre["n"], gated) if gated is not None else pre["n"])
            if h is not None:
                new = self._fn(node, "add", n, self._fn(node, "mul", z, self._fn(node, "sub", self.data(h), n)))
            else:
                new = self._fn(node, "sub", n, self._fn(node, "mul", z, n))
            return Seen(dims, new), None
        i, f, o = (self._fn(node, "sigmoid", pre[g]) for g in "ifo")
        g = self._fn(node, "tanh", pre["g"])
        made = self._fn(node, "mul", i, g)
        kept = self._fn(node, "add", self._fn(node, "mul", f, self.data(c)), made) if c is not None else made
        return Seen(dims, self._fn(node, "mul", o, self._fn(node, "tanh", kept))), Seen(dims, kept)

    def _state_axis(self, x: Seen, h: Seen | None, w_hh: Seen) -> int:
        """The state's axis: the state's own last dim, one with the hh weight's columns; a batch shared with the input."""
        if h is None:
            return w_hh.dims[-1]
        for a, b in zip(x.dims[:-1], h.dims[:-1]):  # a batch: the input's and the state's are one
            self.atoms.unify(a, b)
        self.atoms.unify(h.dims[-1], w_hh.dims[-1])
        return h.dims[-1]

    def _rows(self, node, source: Seen, state: int, weight: Seen, bias: Seen | None, k: int, label: str) -> int:
        """The map of the ``k``-th block of rows of ``weight`` (and ``bias``), from ``source``'s last dim to ``state``."""
        rows = self._block(state, k)
        params = {"weight": Param(weight.param.name, [state] + list(weight.param.dims[1:]), rows=rows)}
        if bias is not None:
            params["bias"] = Param(bias.param.name, [state], rows=rows)
        acted = self.atoms.leaves(source.dims[-1])
        atoms = linear_order(self.dsl_leaves(source), acted, self.atoms.leaves(state), self.atoms)
        return self.emit("linear", [self.data(source)], atoms, node, axes={"in": [source.dims[-1]], "out": [state]},
                         params=params, options={"bias": bias is not None}, label=label, module=self._in)

    def _learned(self, node, fn: str, value: int, state: int, bias: Seen, k: int, label: str) -> int:
        """The ``k``-th block of ``bias`` as a learned box over the state's axis: added (``bias``) or a product (``layerscale``)."""
        params = {"weight": Param(bias.param.name, [state], rows=self._block(state, k))}
        return self.emit(fn, [value], self.prog.values[value].atoms, node, axes={"on": [state]}, params=params, label=label,
                         module=self._in)

    def _block(self, state: int, k: int) -> tuple[int, int]:
        size = self.atoms.size(state)
        return k * size, (k + 1) * size

    def _fn(self, node, fn: str, *args: int) -> int:
        """``fn`` of DSL values of one shape (a sum, product or difference, or a function of one)."""
        return self.emit(fn, list(args), self.prog.values[args[-1]].atoms, node, module=self._in)


def _prefix(node) -> str:
    return module_path(node) + "." if module_path(node) else ""
