"""Element-wise functions, softmax, sums, products and reductions (concatenation: :mod:`.joins`)."""
from __future__ import annotations

import torch

from .seen import WITH_ITSELF, Seen, Unsupported, box_path, is_map

ELEMENTWISE = {"relu": "relu", "gelu": "gelu", "silu": "silu", "sigmoid": "sigmoid", "tanh": "tanh", "exp": "exp",
               "softplus": "softplus", "mish": "mish", "hardswish": "hardswish", "leaky_relu": "leaky_relu",
               "relu6": "relu6", "hardtanh": "relu6", "square": "square", "elu": "elu", "log": "log", "sqrt": "sqrt",
               "rsqrt": "rsqrt", "abs": "abs", "sin": "sin", "cos": "cos", "softsign": "softsign", "log_sigmoid": "logsigmoid",
               "hardsigmoid": "hardsigmoid", "selu": "selu"}
POWERS = {2: "square", 0.5: "sqrt", -0.5: "rsqrt"}  # x ** p as an element-wise function


class ElementOps:
    """Methods of the importer's mapper (:class:`.mapping.Mapper`) for element-wise functions, softmax, sums, products and reductions."""

    def op_elementwise(self, node, name):
        options = {}
        if name == "gelu":  # F.gelu(x, approximate="tanh"): transformers' gelu_pytorch_tanh
            options = {"approximate": node.kwargs.get("approximate", self.arg(node, 1, "none"))}
        elif name == "leaky_relu":
            options = {"slope": float(self.arg(node, 1, node.kwargs.get("negative_slope", 0.01)))}
        elif name == "hardtanh" and (self.arg(node, 1, -1.0), self.arg(node, 2, 1.0)) != (0.0, 6.0):  # (0 to 6: nn.ReLU6)
            return self._clamp(node, self.arg(node, 1, -1.0), self.arg(node, 2, 1.0))
        elif name == "elu" and (self.arg(node, 1, node.kwargs.get("alpha", 1.0)), self.arg(node, 2, 1), self.arg(node, 3, 1)) != (1.0, 1, 1):
            raise Unsupported("an ELU with an alpha or scale other than 1 (SELU's)")
        elif name == "softplus" and self.arg(node, 2, node.kwargs.get("threshold", 20)) != 20:
            raise Unsupported("softplus with a threshold other than 20")
        x = self.get(node.args[0])
        beta = float(self.arg(node, 1, node.kwargs.get("beta", 1))) if name == "softplus" else 1.0
        if beta != 1:  # softplus(beta x) / beta, torch's threshold on beta x as the plain one's on its input: exact
            atoms = self.prog.values[self.data(x)].atoms
            scaled = self.emit("scale", [self.data(x)], atoms, node, scale=beta)
            return Seen(x.dims, self.emit("scale", [self.emit("softplus", [scaled], atoms, node)], atoms, node, scale=1 / beta))
        return Seen(x.dims, self.emit(ELEMENTWISE[name], [self.data(x)], self.prog.values[x.dsl].atoms, node, options=options))

    def op_pow(self, node, name):
        """``x ** 2`` is ``square(X)``, ``x ** 0.5`` and ``x ** -0.5`` are ``sqrt(X)`` and ``rsqrt(X)``; other powers of a
        tensor have no statement."""
        power = self.arg(node, 1)
        if not isinstance(node.args[0], torch.fx.Node):  # base ** x (ALiBi's slopes, 2 ** -arange)
            raise Unsupported("a number raised to a tensor's power")
        if not isinstance(power, (int, float)) or power not in POWERS:
            raise Unsupported("a power of a tensor other than its square, square root or reciprocal square root")
        x = self.get(node.args[0])
        return Seen(x.dims, self.emit(POWERS[power], [self.data(x)], self.prog.values[x.dsl].atoms, node))

    def op_softmax(self, node, name):
        return self.softmax(node, node.args[0])

    def op_log_softmax(self, node, name):
        """``F.log_softmax``: the softmax, then its log (two marks, ◁ then ➤log➤)."""
        probabilities = self.softmax(node, node.args[0])
        return Seen(probabilities.dims, self.emit("log", [probabilities.dsl], self.prog.values[probabilities.dsl].atoms, node))

    def softmax(self, node, source):
        """The softmax ``node`` of ``source`` (its own first argument, or what it was computed from: :mod:`.shifted`)."""
        x = self.get(source)
        upcast = isinstance(source, torch.fx.Node) and source.op == "call_function" and source.target in (
            torch.ops.aten.to.dtype, torch.ops.aten._to_copy.default) and \
            (source.args[1:2] == (torch.float32,) or source.kwargs.get("dtype") == torch.float32)
        if self.arg(node, 2, node.kwargs.get("dtype")) == torch.float32 or upcast:  # softmax(x, dtype=float32), or of x.float()
            self.float32 = True  # attention: the module computes it in float32 whatever it is given, so it is checked in float32
        dim = node.args[1] % len(x.dims)
        if not self.atoms.leaves(x.dims[dim]):  # (its ones could be drawn; an axis of one is no wire of the scores)
            raise Unsupported("a softmax over a dim of one")
        return Seen(x.dims, self.emit("softmax", [self.data(x)], self.prog.values[x.dsl].atoms, node, axes={"on": [x.dims[dim]]}))

    def op_mul(self, node, name):
        a, b = (self._stored_number(self.get(x)) for x in node.args[:2])
        if b.number is not None or a.number is not None:
            x, c = (a, b.number) if b.number is not None else (b, a.number)
            if c == 1 and x.number is None:  # a scale of one (BART's embed_scale when it does not scale): the tensor itself
                return x
            return Seen(x.dims, self.emit("scale", [self.data(x)], self.prog.values[self.data(x)].atoms, node, scale=c))
        if _unread(a) != _unread(b):
            return self._learned_over(node, "layerscale", *((a, b) if _unread(b) else (b, a)))
        try:
            a, b = self.broadcast_pair(node, a, b)
        except Unsupported:  # each has an axis the other lacks: an outer product (ALiBi's slope per head times key positions)
            return self._outer(node, a, b)
        return Seen(a.dims, self.emit("mul", [self.data(a), self.data(b)], self.prog.values[a.dsl].atoms, node))

    def _outer(self, node, a: Seen, b: Seen) -> Seen:
        """``a * b`` broadcast both ways, as an einsum that contracts nothing: each dimension of the result is
        the operand's that is not of size one."""
        b = self._apart(node, a, b)
        dims = self._both_ways(node, a, b)
        out = self.emit("einsum", [self.data(a), self.data(b)], self.leaves(dims), node, axes={"depth": []})
        return Seen(dims, out)

    def _apart(self, node, a: Seen, b: Seen) -> Seen:
        """``b`` with a second name for each axis it holds where ``a`` has none (or a dim of one) and that ``a`` holds
        elsewhere: every pair of the positions, a's beside b's (GAT's scores, one term per query plus one per key of
        the same nodes, ``a[:, :, None] + b[:, None]``; Mamba-2's differences of cumulative sums). Dims torch pairs, in
        the same place and of one size, are first made one axis (two maps' heads)."""
        pad = len(self.shape(node))
        da, db = ([None] * (pad - len(x.dims)) + list(x.dims) for x in (a, b))
        for x, y in zip(da, db):
            if x is not None and y is not None and self.atoms.size(x) == self.atoms.size(y) > 1 and not self.atoms.related(x, y):
                self.atoms.unify(x, y)
        held = set(map(self.atoms.find, self.leaves(a.dims)))
        clash = held & {self.atoms.find(leaf) for x, y in zip(da, db) if y is not None and (x is None or self.atoms.size(x) == 1)
                        for leaf in self.atoms.leaves(y)}
        if not clash:
            return b
        renamed = {old: self.atoms.second_name(old) for old in sorted(clash)}
        dsl = self._rename(node, b, renamed)
        roots = lambda d: set(map(self.atoms.find, self.atoms.leaves(d)))  # noqa: E731
        return Seen([self.atoms.merge([renamed.get(self.atoms.find(x), x) for x in self.atoms.leaves(d)]) if roots(d) & clash else d
                     for d in b.dims], dsl)

    def _both_ways(self, node, a: Seen, b: Seen) -> list:
        """The dimensions of ``a`` and ``b`` broadcast both ways, as torch pairs them from the right: each the
        operand's that is not of size one."""
        pad = len(self.shape(node))
        da, db = ([None] * (pad - len(x.dims)) + list(x.dims) for x in (a, b))
        dims = [x if y is None or (x is not None and self.atoms.size(x) != 1) else y for x, y in zip(da, db)]
        roots = [self.atoms.find(d) for d in self.leaves(dims)]
        if len(set(roots)) < len(roots):
            raise Unsupported(WITH_ITSELF)
        return dims

    def _stored_number(self, seen: Seen) -> Seen:
        """``seen`` as a number when it is one kept as a buffer, a constant, not learned (Gemma's embedding scale,
        sqrt of the depth); else ``seen``."""
        if seen.param is None or seen.param.fixed or any(self.atoms.size(d) != 1 for d in seen.dims):
            return seen
        try:
            buffer = self.cap.original.get_buffer(seen.param.name)
        except AttributeError:  # a parameter: learned
            return seen
        return Seen([], number=float(buffer.reshape(()))) if buffer.numel() == 1 else seen

    def _learned_over(self, node, fn: str, x: Seen, w: Seen) -> Seen:
        """``x * w`` or ``x + w`` for a learned ``w`` over some of ``x``'s trailing dimensions (the rest of one,
        broadcast): ConvNeXt's and CaiT's layer scale, ``layerscale(X: c)``, or of none, a learned temperature,
        ``layerscale(X)``; ViT's position table, ``bias(X: y m)``."""
        if len(w.dims) > len(x.dims):
            raise Unsupported("a learned tensor of more dimensions than the data")
        acted = []
        for d, e in zip(reversed(x.dims), reversed(w.dims)):
            if self.atoms.size(e) == 1:
                continue
            if self.atoms.size(e) != self.atoms.size(d):
                raise Unsupported("a learned tensor that does not broadcast over the data")
            self.atoms.unify(d, e)
            acted.insert(0, d)
        if not acted and fn != "layerscale":
            raise Unsupported("a learned number added")
        out = self.emit(fn, [self.data(x)], self.prog.values[x.dsl].atoms, node, axes={"on": acted},
                        params={"weight": w.param}, label=box_path(w.param))
        return Seen(x.dims, out)

    def op_div(self, node, name):
        a, b = self.get(node.args[0]), self.get(node.args[1])
        if b.number == 0 or a.number is not None or node.kwargs.get("rounding_mode") is not None:
            raise Unsupported("division by zero, of a number, or rounded")
        if b.number is not None:
            return Seen(a.dims, self.emit("scale", [self.data(a)], self.prog.values[self.data(a)].atoms, node, scale=1 / b.number))
        return self._in_order(node, "div", a, b)

    def op_prelu(self, node, name):
        """nn.PReLU: one slope a channel (dim 1, or 0 of a vector) or one for all, ``prelu(X: c)`` or ``prelu(X)``."""
        x, w = self.get(node.args[0]), self.get(node.args[1])
        if w.param is None:
            raise Unsupported("a PReLU whose slopes are not learned")
        slopes = self.atoms.size(w.dims[0]) if w.dims else 1
        acted = []
        if slopes != 1:
            channel = x.dims[1 if len(x.dims) > 1 else 0]
            self.atoms.unify(channel, w.dims[0])
            acted = [channel]
        out = self.emit("prelu", [self.data(x)], self.prog.values[x.dsl].atoms, node, axes={"on": acted},
                        params={"weight": w.param}, label=box_path(w.param))
        return Seen(x.dims, out)

    def op_glu(self, node, name):
        """nn.GLU: the input halved along ``dim``, the first half times the sigmoid of the second."""
        seen = self.get(node.args[0])
        dim = self.arg(node, 1, -1) % len(seen.dims)
        if self.atoms.size(seen.dims[dim]) % 2:
            raise Unsupported("halving a dimension of odd size")
        first, second = self._pieces(node, seen, dim, 2)
        gate = self.emit("sigmoid", [self.data(second)], self.prog.values[second.dsl].atoms, node)
        return Seen(first.dims, self.emit("mul", [self.data(first), gate], self.prog.values[first.dsl].atoms, node))

    def op_add(self, node, name):
        if node.args[1] in self.additive or node.args[0] in self.additive:  # scores plus a boolean mask's additive form
            scores, added = node.args if node.args[1] in self.additive else node.args[::-1]
            return self.hidden(node, self.get(scores), self.get(added), self.additive[added])
        a, b = self.get(node.args[0]), self.get(node.args[1])
        if _unread(b) and a.dsl is not None and len(node.args[0].users) == 1:
            stmt = self.producer.get(a.dsl)  # a map's result plus a parameter over its outputs: the map's bias
            out = self.leaves(stmt.axes["out"]) if is_map(stmt) else None
            if out is not None and not stmt.options.get("bias") and len(b.dims) <= len(a.dims):
                for x, y in zip(reversed(a.dims), reversed(b.dims)):
                    if self.atoms.size(x) == self.atoms.size(y):  # (a dim of one broadcasts: BART's final_logits_bias [1, v])
                        self.atoms.unify(x, y)
                if sorted(self.leaves(b.dims)) == sorted(map(self.atoms.find, out)):
                    stmt.options["bias"] = True
                    stmt.params["bias"] = b.param
                    return a
        if b.number == 0 and a.dsl is not None:
            return a  # plus zero (DeBERTa adds its relative attention, 0 when it has none)
        if a.number == 0 and b.dsl is not None and node.kwargs.get("alpha", 1) == 1:
            return b
        if node.kwargs.get("alpha", 1) != 1:
            raise Unsupported("adding a multiple")
        if a.number is not None or b.number is not None:  # x + 1: DiT's modulation, x (1 + scale) + shift
            return self._offset(node, *((a, b.number) if b.number is not None else (b, a.number)))
        if _unread(a) != _unread(b):  # a learned table added (ViT's position embeddings)
            return self._learned_over(node, "bias", *((a, b) if _unread(b) else (b, a)))
        return self.broadcast_sum(node, a, b)

    def op_sub(self, node, name):
        """``a - b`` of two tensors (``a - alpha b`` only with alpha 1), b broadcast over the axes it lacks."""
        a, b = self.get(node.args[0]), self.get(node.args[1])
        if node.kwargs.get("alpha", 1) != 1:
            raise Unsupported("subtracting a multiple")
        if b.number is not None:
            return self._offset(node, a, -b.number)
        if a.number is not None:
            return self._offset(node, b, a.number, negate=True)
        if _unread(a) != _unread(b):
            raise Unsupported("subtracting a learned tensor")
        return self._in_order(node, "sub", a, b)

    def op_neg(self, node, name):
        """``-x``: a scale by -1 (Mamba's ``-exp(A_log)``)."""
        x = self.get(node.args[0])
        if x.number is not None:
            return Seen([], number=-x.number)
        return Seen(x.dims, self.emit("scale", [self.data(x)], self.prog.values[self.data(x)].atoms, node, scale=-1.0))

    def op_rsub(self, node, name):
        """``torch.rsub(x, c)``, what ``1 - x`` records: ``c - x``."""
        if self.arg(node, 2, node.kwargs.get("alpha", 1)) != 1:
            raise Unsupported("subtracting a multiple")
        return self._offset(node, self.get(node.args[0]), self.arg(node, 1), negate=True)

    def _offset(self, node, x: Seen, number, negate: bool = False) -> Seen:
        """``x + number``, or, ``negate``, ``number - x``: an offset mark (``X + 1``, ``1 - X``)."""
        if x.number is not None or not isinstance(number, (int, float)):
            raise Unsupported("a sum of numbers, or of a complex number")
        if number == 0 and not negate:
            return x
        return Seen(x.dims, self.emit("offset", [self.data(x)], self.prog.values[self.data(x)].atoms, node,
                                      options={"number": float(number), "negate": negate}))

    def _in_order(self, node, fn: str, a: Seen, b: Seen) -> Seen:
        """``a - b`` or ``a / b``, joins whose operands may not trade places: b broadcast over the axes it lacks, never
        the other way round; a difference where each has an axis the other lacks is an outer one (every pair of
        points' offset, ``a[:, :, None] - b[:, None]``)."""
        try:
            first, second = self.broadcast_pair(node, a, b)
        except Unsupported:
            if fn != "sub":
                raise
            return self._outer_sum(node, a, b, "sub")
        if first.dsl != a.dsl:  # (the pair puts first the operand with every axis)
            raise Unsupported("a difference or quotient by a tensor with axes the other lacks")
        return Seen(first.dims, self.emit(fn, [self.data(first), self.data(second)], self.prog.values[first.dsl].atoms, node))

    def broadcast_sum(self, node, a: Seen, b: Seen) -> Seen:
        """``a + b``, the operand with fewer axes broadcast over the other's (the language's ``+``, its terms in that order);
        where each has an axis the other lacks and they share one, an outer sum (additive attention's
        ``Wa(q)[:, :, None] + Ua(k)[:, None]``): the result is ``a``'s axes, then ``b``'s own."""
        try:
            first, second = self.broadcast_pair(node, a, b)
        except Unsupported:  # each has an axis the other lacks
            return self._outer_sum(node, a, b)
        return Seen(first.dims, self.emit("add", [self.data(first), self.data(second)], self.prog.values[first.dsl].atoms, node))

    def _outer_sum(self, node, a: Seen, b: Seen, fn: str = "add") -> Seen:
        """``a + b`` (or, ``fn`` "sub", ``a - b``) broadcast both ways, the language's outer sum: ``a``'s axes, then
        ``b``'s own; where they share no axis (Swin's mask of two ranges), none the language writes."""
        b = self._apart(node, a, b)
        mine = set(map(self.atoms.find, self.dsl_leaves(a)))
        atoms = self.prog.values[b.dsl].atoms
        own = [t for t in atoms if not mine & set(map(self.atoms.find, self.atoms.leaves(t)))]
        if len(own) == len(atoms):
            raise Unsupported("each operand has an axis the other lacks, and they share none")
        out = self.emit(fn, [self.data(a), self.data(b)], self.prog.values[a.dsl].atoms + own, node)
        return Seen(self._both_ways(node, a, b), out)

    def _reduce(self, node, fn):
        x = self.get(node.args[0])
        dims = self.arg(node, 1)
        keep = bool(self.arg(node, 2, False))
        dims = list(range(len(x.dims))) if dims is None else ([dims] if isinstance(dims, int) else list(dims))
        dims = [d % len(x.dims) for d in dims]
        acted, rest = [x.dims[d] for d in dims], self._kept(x, dims, keep)
        if not self.leaves(acted):  # over dims of one (HunYuan's sum over its one expert): the values as they are
            return Seen(rest, self.data(x))
        self._held(x, acted)
        return Seen(rest, self.emit(fn, [self.data(x)], self._without(x, acted), node, axes={"on": acted}))

    def _held(self, x: Seen, acted: list[int]) -> None:
        """Refuse to act on dims the diagram's tensor only stands copied along (an expand's, a repeat's): it has no such axes."""
        held = set(map(self.atoms.find, self.dsl_leaves(x)))
        if any(self.atoms.find(a) not in held for a in self.leaves(acted)):
            raise Unsupported("reducing along a dim the tensor was only copied along (an expand or a repeat of a dim of one)")

    def _kept(self, x: Seen, dims: list[int], keep: bool) -> list[int]:
        """``x``'s dims less those numbered ``dims``, a reduction's result; each kept as a dim of one where ``keep``."""
        if keep:
            return [self.atoms.new(1, "unit") if i in dims else d for i, d in enumerate(x.dims)]
        return [d for i, d in enumerate(x.dims) if i not in dims]

    def _without(self, x: Seen, acted: list[int]) -> list[int]:
        """The atoms of ``x``'s DSL value less those of the dims ``acted``: the value a reduction over them makes."""
        gone = set(map(self.atoms.find, self.leaves(acted)))
        return [a for a in self.dsl_leaves(x) if a not in gone]

    def op_mean(self, node, name):
        return self._reduce(node, "mean")

    def op_sum(self, node, name):
        return self._reduce(node, "sum")

    def op_amax(self, node, name):
        return self._reduce(node, "max")

    def op_amin(self, node, name):
        return self._reduce(node, "min")

    def op_max(self, node, name):
        """``x.max(dim)``: (the largest values, where they are: ``max`` and ``argmax``); ``x.max()``: the largest."""
        if self.arg(node, 1) is None:
            return self._reduce(node, name)
        return [self._reduce(node, name), self.op_argmax(node, "arg" + name)]

    op_min = op_max  # x.min(dim), x.min(): the smallest

    def op_argmax(self, node, name):
        """``x.argmax(dim)``: integer ids of where along ``dim`` the largest value is (``argmin``: the smallest); over
        all of a tensor of several dims, a place in it flattened, which the language does not write."""
        x = self.get(node.args[0])
        dim, keep = self.arg(node, 1, node.kwargs.get("dim")), bool(self.arg(node, 2, node.kwargs.get("keepdim", False)))
        if dim is None and len(x.dims) > 1:
            raise Unsupported("the place of the largest or smallest of a whole tensor of several dims")
        dim = 0 if dim is None else dim % len(x.dims)
        if len(self.atoms.leaves(x.dims[dim])) != 1:
            raise Unsupported("the place of the largest or smallest along a dim of several axes or of one")
        self._held(x, [x.dims[dim]])
        out = self.emit(name, [self.data(x)], self._without(x, [x.dims[dim]]), node, axes={"on": [x.dims[dim]]})
        self.prog.values[out].dtype = "int"
        return Seen(self._kept(x, [dim], keep), out)

    op_argmin = op_argmax


def _unread(seen: Seen) -> bool:
    """Whether ``seen`` is a parameter not yet read as data, so a scale or a bias of what it meets; once read (its
    ``learned`` box made: Perceiver's latents, normed, then added back to the attention's result) it is that data."""
    return seen.param is not None and seen.dsl is None
