"""Products: matmuls, attention and einsums."""
from __future__ import annotations

import torch

from .seen import Seen, Unsupported, box_path, letters, linear_order


class ProductOps:
    """Methods of the importer's mapper (:class:`.mapping.Mapper`) for products: matmuls, attention and einsums."""

    def op_matmul(self, node, name):
        a, b = self.get(node.args[0]), self.get(node.args[1])
        if b.param is not None and a.param is None and len(b.dims) == 2:  # x @ W.T: a linear map (Falcon's FalconLinear)
            return self._linear(node, a, b, None, b.dims[0], b.dims[1])
        return self._matmul(node, a, b)

    op_bmm = op_mm = op_matmul

    def op_cosine_similarity(self, node, name):
        """``F.cosine_similarity(a, b, dim)``: each divided by its L2 norm (a scaled ``rmsnorm``, as :mod:`.normalized`
        writes ``F.normalize``), then their product summed over ``dim``, an einsum; torch's eps only guards a zero norm."""
        a, b = self.get(node.args[0]), self.get(node.args[1])
        if len(a.dims) != len(b.dims) or [self.atoms.size(d) for d in a.dims] != [self.atoms.size(d) for d in b.dims]:
            raise Unsupported("a cosine similarity of tensors of different shapes")
        dim = self.arg(node, 2, node.kwargs.get("dim", 1)) % len(a.dims)
        for x, y in zip(a.dims, b.dims):
            self.atoms.unify(x, y)
        unit = [self._normalized(node, seen, dim) for seen in (a, b)]
        atoms = [x for x in self.prog.values[unit[0]].atoms if self.atoms.find(x) not in set(map(self.atoms.find, self.leaves([a.dims[dim]])))]
        out = self.emit("einsum", unit, atoms, node, axes={"depth": [a.dims[dim]]})
        return Seen(a.dims[:dim] + a.dims[dim + 1:], out)

    def _normalized(self, node, seen: Seen, dim: int) -> int:
        """``seen`` over its L2 norm along ``dim``: ``rmsnorm(X: m) with eps=1e-12`` then ``* m^-1/2``."""
        normed = self._norm(node, "rmsnorm", seen, [seen.dims[dim]], {}, 1e-12)
        return self.emit("scale", [normed.dsl], self.prog.values[normed.dsl].atoms, node, scale=self.atoms.size(seen.dims[dim]) ** -0.5)

    def op_baddbmm(self, node, name):
        """``beta * input + alpha * (batch1 @ batch2)``: the product with its scale at the cup, then a sum
        broadcasting ``input`` (BLOOM's ALiBi bias per head and key, added to every query's scores)."""
        beta = node.kwargs.get("beta", 1)
        s = self.baddbmm_product(node)
        if beta == 1 and node.args[0] in self.additive:  # a boolean mask's additive form (nn.MultiheadAttention's, with weights)
            return self.hidden(node, s, self.get(node.args[0]), self.additive[node.args[0]])
        x = self.get(node.args[0])
        if beta == 0:
            return s
        if x.number is not None:
            raise Unsupported("adding a constant")
        if beta != 1:
            x = Seen(x.dims, self.emit("scale", [self.data(x)], self.prog.values[self.data(x)].atoms, node, scale=beta))
        return self.broadcast_sum(node, s, x)

    def baddbmm_product(self, node) -> Seen:
        """``alpha * (batch1 @ batch2)`` of a ``baddbmm``, its scale at the cup."""
        alpha = node.kwargs.get("alpha", 1)
        return self._matmul(node, self.get(node.args[1]), self.get(node.args[2]), scale=alpha if alpha != 1 else None)

    def _matmul(self, node, a: Seen, b: Seen, scale=None) -> Seen:
        if len(a.dims) < 2 or len(b.dims) < 2:
            raise Unsupported("a product with a vector")
        i, j1 = a.dims[-2:]
        j2, l = b.dims[-2:]
        batch_a, batch_b = a.dims[:-2], b.dims[:-2]
        for x, y in zip(reversed(batch_a), reversed(batch_b)):
            if self.atoms.size(x) == self.atoms.size(y):
                self.atoms.unify(x, y)
        batch = batch_a if len(batch_a) >= len(batch_b) else batch_b
        b_dsl = self.data(b)
        renamed = self.atoms.second_names(j1, j2)
        if renamed:   # keys renamed beside queries: the other operand takes the new names
            b_dsl = self._rename(node, b, renamed)
        else:
            # the positions the other operand contracts are those ``a`` keeps as its queries (gpt-oss's weights, the sink
            # joined to them sliced off again): the other operand calls them by second names
            if not set(map(self.atoms.find, self.atoms.leaves(j1))) & set(map(self.atoms.find, self.leaves(batch_a + [i]))):
                b_dsl, j2 = self._keys_renamed(node, b.dims, b_dsl, j2, batch_a + [i])
            self.atoms.unify(j1, j2)
        # queries and keys are the same positions (Swin's windows: their rows and columns): the keys get second names
        b_dsl, l = self._keys_renamed(node, b.dims, b_dsl, l, batch_a + [i])
        out_dims = batch + [i, l]
        # the batch axes (heads, and query heads that share a key head) last, as a hand-written einsum has them
        shared = set(map(self.atoms.find, self.leaves(batch_a))) | set(map(self.atoms.find, self.leaves(batch_b)))
        order = self.leaves(out_dims)
        order = self._diagonal_last(order, shared)
        out = self.emit("einsum", [self.data(a), b_dsl], order, node, scale=scale, axes={"depth": [j1]})
        return Seen(out_dims, out)

    def _keys_renamed(self, node, dims: list, dsl: int, dim: int, queries: list) -> tuple[int, int]:
        """(``dsl``, ``dim``) with a second name for each leaf of ``dim`` that ``queries`` also hold: a ``rename`` of the
        value ``dsl`` (over ``dims``), and ``dim`` made of the new names; as they were where none is held."""
        clash = set(map(self.atoms.find, self.atoms.leaves(dim))) & set(map(self.atoms.find, self.leaves(queries)))
        if not clash:
            return dsl, dim
        renamed = {old: self.atoms.second_name(old) for old in sorted(clash)}
        return self._rename(node, Seen(dims, dsl), renamed), self.atoms.merge([renamed.get(self.atoms.find(x), x) for x in self.atoms.leaves(dim)])

    def _diagonal_last(self, order: list[int], shared: set[int]) -> list[int]:
        """A product's result with the axes both operands keep (heads, a batch) last, as a hand-written
        einsum has them; positions stay where they are (an expert mix keeps its tokens first)."""
        last = {x for x in order if self.atoms.find(x) in shared and not self.atoms.atom(x).width}
        return [x for x in order if x not in last] + [x for x in order if x in last]

    def _rename(self, node, seen: Seen, renamed: dict[int, int]) -> int:
        """``seen`` with each atom ``renamed`` maps (roots) called by its new name."""
        atoms = [renamed.get(self.atoms.find(x), x) for x in self.dsl_leaves(seen)]
        return self.emit("rename", [self.data(seen)], atoms, node, axes={"from": list(renamed), "to": list(renamed.values())})

    def op_bilinear(self, node, name):
        """``nn.Bilinear``, x1ᵀ W x2 + b: a learned tensor W [o m n] contracted with both inputs in one einsum
        (``einsum(A, W, B: y m, o m n, y n -> y o)``), then its bias."""
        a, b, w = (self.get(x) for x in node.args[:3])
        bias = self.get(node.args[3]) if self.arg(node, 3) is not None else None
        if w.param is None or bias is not None and bias.param is None or len(w.dims) != 3:
            raise Unsupported("a bilinear form with computed weights")
        out, m, n = w.dims
        self.atoms.unify(m, a.dims[-1])
        self.atoms.unify(n, b.dims[-1])
        if self.atoms.find(m) == self.atoms.find(n):
            raise Unsupported("a bilinear form of a tensor with itself")
        for x, y in zip(a.dims[:-1], b.dims[:-1]):
            self.atoms.unify(x, y)
        self.atoms.atom(out).role = "channels"
        atoms = self.leaves(a.dims[:-1] + [out])
        made = self.emit("einsum", [self.data(a), self.data(w), self.data(b)], atoms, node, axes={"depth": [m, n]})
        if bias is not None:
            self.atoms.unify(bias.dims[0], out)
            made = self.emit("bias", [made], atoms, node, axes={"on": [out]}, params={"weight": bias.param}, label=box_path(bias.param))
        return Seen(a.dims[:-1] + [out], made)

    def op_scaled_dot_product_attention(self, node, name):
        mask = self.arg(node, 3, node.kwargs.get("attn_mask"))
        causal = bool(self.arg(node, 5, node.kwargs.get("is_causal", False)))
        if isinstance(mask, torch.fx.Node) and self.cap.values[mask].dtype == torch.bool:  # true where the key takes part
            seen = self.get(mask)
            if seen.dsl is None or self.prog.values[seen.dsl].dtype != "bool":
                raise Unsupported("attention with a mask of booleans that is neither causal nor open, nor given")
            return self.attention(node, causal, hidden=(seen, mask not in self.negated))
        if mask is not None and not (isinstance(mask, torch.fx.Node) and self.cap.values[mask].is_floating_point()):
            raise Unsupported("attention with a mask that is neither numbers nor booleans")
        if mask in self.additive:  # a boolean mask's additive form (nn.MultiheadAttention's key_padding_mask)
            return self.attention(node, causal, hidden=(self.get(mask), self.additive[mask]))
        return self.attention(node, causal, bias=self.get(mask) if mask is not None else None)

    def attention(self, node, causal: bool, window: int | None = None, bias: Seen | None = None, hidden=None) -> Seen:
        """``scaled_dot_product_attention``'s q, k and v as einsums and a softmax, with a causal mask where ``causal``
        (its own mask argument set aside: :mod:`.masks` hands over a causal one, and its sliding ``window``), and
        ``bias``, a mask of numbers, added to the scaled scores (Swin's relative position bias, BEiT's), or
        ``hidden``, a boolean mask and whether it keeps where true (else hides), as ``mask(S, M)`` (:mod:`.hiding`)."""
        q, k, v = (self.get(a) for a in node.args[:3])
        scale = self.arg(node, 6, node.kwargs.get("scale"))
        if float(self.arg(node, 4, node.kwargs.get("dropout_p", 0.0))) != 0.0:
            raise Unsupported("attention with dropout")
        if len(q.dims) >= 3 and len(k.dims) >= 3 and self.atoms.size(q.dims[-3]) != self.atoms.size(k.dims[-3]):
            groups, rest = divmod(self.atoms.size(q.dims[-3]), self.atoms.size(k.dims[-3]))
            if rest:
                raise Unsupported("query heads that are not a multiple of the key heads")
            shared, _ = self.atoms.split(q.dims[-3], [self.atoms.size(k.dims[-3]), groups])  # query head i reads key head i // groups
            self.atoms.unify(shared, k.dims[-3])
            self.atoms.unify(v.dims[-3], k.dims[-3])
        depth = self.atoms.size(q.dims[-1])
        kt = Seen(k.dims[:-2] + [k.dims[-1], k.dims[-2]], k.dsl)
        s = self._matmul(node, q, kt, scale=scale if scale is not None else depth ** -0.5)
        if causal:
            s = Seen(s.dims, self.emit("mask", [s.dsl], self.prog.values[s.dsl].atoms, node, axes={"on": s.dims[-2:]},
                                         options={"causal": True, **({"window": window} if window else {})}))
        if bias is not None:
            s = self.broadcast_sum(node, s, bias)
        if hidden is not None:
            s = self.hidden(node, s, *hidden)
        p = Seen(s.dims, self.emit("softmax", [s.dsl], self.prog.values[s.dsl].atoms, node, axes={"on": [s.dims[-1]]}))
        return self._matmul(node, p, v)

    def op_einsum(self, node, name):
        equation, operands = node.args[0], [self.get(t) for t in node.args[1]]
        if len(operands) != 2 or "->" not in equation:
            raise Unsupported("an einsum of other than two tensors, or without '->'")
        specs, out = equation.replace(" ", "").split("->")
        specs = specs.split(",")
        per_operand = [letters(spec, len(seen.dims)) for spec, seen in zip(specs, operands)]
        out_letters = letters(out, len(self.shape(node)))
        dims, renamed = {}, {}
        for k, (seen, names) in enumerate(zip(operands, per_operand)):
            for d, letter in zip(seen.dims, names):
                seconds = self.atoms.second_names(dims[letter], d) if letter in dims and k == 1 and seen.dsl is not None else {}
                if seconds:
                    renamed.update(seconds)  # keys renamed beside queries: this operand takes the new names
                elif letter in dims and self.atoms.size(dims[letter]) == self.atoms.size(d) > 1:
                    self.atoms.unify(dims[letter], d)
                elif letter not in dims or self.atoms.size(dims[letter]) == 1:
                    dims[letter] = d
        (a, b), (la, lb) = operands, per_operand
        both_data = a.param is None and b.param is None  # (of two parameters, the first is read as data: Perceiver's latents)
        if both_data:
            b_dsl = self.data(b)
            if renamed:
                b_dsl = self._rename(node, Seen(b.dims, b_dsl), renamed)
            kept = [dims[x] for x in la if x in out_letters]
            for letter in [x for x in lb if x in out_letters and x not in la]:
                # queries and keys are the same positions (Swin's windows: their rows and columns): the keys get second names
                b_dsl, dims[letter] = self._keys_renamed(node, b.dims, b_dsl, dims[letter], kept)
        out_dims = [dims[letter] for letter in out_letters]
        if both_data:
            order = self.leaves(out_dims)
            shared = set(map(self.atoms.find, self.leaves([dims[x] for x in set(la) & set(lb) & set(out_letters)])))
            order = self._diagonal_last(order, shared)
            if len(set(map(self.atoms.find, order))) != len(order):
                raise Unsupported("an einsum whose result has one axis twice")
            depth = [dims[x] for x in dict.fromkeys(la) if x in lb and x not in out_letters]  # contracted: a scale is its power
            return Seen(out_dims, self.emit("einsum", [self.data(a), b_dsl], order, node, axes={"depth": depth}))
        (x, lx), (w, lw) = ((a, la), (b, lb)) if b.param is not None else ((b, lb), (a, la))
        contracted = [letter for letter in lx if letter in lw and letter not in out_letters]
        per = [letter for letter in lw if letter in lx and letter in out_letters]  # a weight of its own per index (experts)
        made = [letter for letter in lw if letter in out_letters and letter not in per]
        if len(contracted) + len(made) + len(per) != len(lw) or not contracted or len(per) > 1:
            raise Unsupported("an einsum with a parameter that is not a linear map")
        acted = [dims[letter] for letter in contracted]
        new = [dims[letter] for letter in made]
        atoms = linear_order(self.dsl_leaves(x), self.leaves(acted), self.leaves(new), self.atoms)
        label = box_path(w.param)
        axes = {"in": acted, "out": new, **({"per": [dims[per[0]]]} if per else {})}
        for letter in per:
            self.atoms.atom(dims[letter]).role = "experts"
        stmt = self.emit("linear", [self.data(x)], atoms, node, axes=axes, params={"weight": w.param},
                         options={"bias": False}, label=label)
        return Seen(out_dims, stmt)
