"""Concatenation: ``torch.cat`` and ``torch.stack`` as ``concat``, one item joined to many (a class token) included."""
from __future__ import annotations

from .seen import Seen, Unsupported


class JoinOps:
    """Methods of the importer's mapper (:class:`.mapping.Mapper`) for joining tensors along a dim."""

    def op_cat(self, node, name):
        return self.joined(node, node.args[0], self.arg(node, 1, 0) % len(self.shape(node)))

    def op_stack(self, node, name):
        """``torch.stack(tensors, dim)``: each given a dim of one there, then joined along it."""
        dim = self.arg(node, 1, 0) % len(self.shape(node))
        pieces = [self.get(t) for t in node.args[0]]
        pieces = [Seen(p.dims[:dim] + [self.atoms.new(1, "unit")] + p.dims[dim:], p.dsl, p.param, p.number) for p in pieces]
        return self._stacked(node, pieces, dim) if len(pieces) > 1 else pieces[0]

    def joined(self, node, parts, dim: int) -> Seen:
        """The nodes ``parts`` joined along ``dim`` (``torch.cat``'s, or slices of one tensor filled in turn: :mod:`.filled`)."""
        tensors = [self.get(t) for t in parts if self.cap.values[t].numel()]  # an empty piece (an empty cache's) adds nothing
        picked = self.picks_joined(tensors, dim) if len(tensors) > 1 else None
        if picked is not None:  # one tensor picked at every index of some axes, joined: those axes and the joined one, as one
            return picked
        if len(tensors) > 1 and not any(self.atoms.leaves(t.dims[dim]) for t in tensors):
            return self._stacked(node, tensors, dim)
        if len(tensors) > 2 and (whole := self._join_all(node, tensors, dim)) is not None:
            return whole
        joined = tensors[-1]
        for tensor in reversed(tensors[:-1]):  # else each joined to those after it (DeiT's class and distillation
            joined = self._join(node, tensor, joined, dim)  # tokens, each of one, to the patches), a bar each
        return joined

    def _join_all(self, node, tensors: list[Seen], dim: int) -> Seen | None:
        """More than two tensors that each name the joined axis and share every other (an Inception block's four
        branches) joined by one ``concat(A, B, C, D: f, g, d, e -> o)``, one bar, as ``torch.cat`` joins them; None
        where one lacks the axis or an axis of the others (:meth:`_join` takes them two by two)."""
        if not all(self.atoms.leaves(t.dims[dim]) for t in tensors) or len({len(t.dims) for t in tensors}) != 1:
            return None
        self._same_elsewhere(tensors, dim)
        for t in tensors:
            self.data(t)
        kept = [{self.atoms.find(x) for x in self.dsl_leaves(t)} - {self.atoms.find(x) for x in self.atoms.leaves(t.dims[dim])}
                for t in tensors]
        if any(k != kept[0] for k in kept):
            return None
        first = tensors[0]
        head = self.atoms.atom(first.dims[dim])
        joined = self.atoms.new(sum(self.atoms.size(t.dims[dim]) for t in tensors), head.role, width=head.width)
        group = set(map(self.atoms.find, self.atoms.leaves(first.dims[dim])))
        atoms = [joined if self.atoms.find(x) in group else x for x in self.dsl_leaves(first)]
        atoms = [x for i, x in enumerate(atoms) if x != joined or joined not in atoms[:i]]
        out = self.emit("concat", [t.dsl for t in tensors], atoms, node, axes={"on": [t.dims[dim] for t in tensors], "to": [joined]})
        return Seen(first.dims[:dim] + [joined] + first.dims[dim + 1:], out)

    def _stacked(self, node, tensors: list[Seen], dim: int, joined: int | None = None) -> Seen:
        """Tensors each with a dim of one at ``dim``, joined there (torch.stack's, or CBAM's channel max and mean kept
        with a dim of one and joined): ``concat(A, B: , -> s)``, each one position of the new axis (``joined``, else a
        new one), laid out last."""
        self._same_elsewhere(tensors, dim)
        for t in tensors:
            self.data(t)  # (a learned operand becomes its box)
        kept = [set(map(self.atoms.find, self.dsl_leaves(t))) for t in tensors]
        full = max(range(len(tensors)), key=lambda k: len(kept[k]))
        if any(not k <= kept[full] for k in kept):
            raise Unsupported("stacking tensors whose other axes differ in their axes of one")
        joined = self.atoms.new(len(tensors), "") if joined is None else joined
        atoms = self.dsl_leaves(tensors[full]) + self.atoms.leaves(joined)
        out = self.emit("concat", [t.dsl for t in tensors], atoms, node, axes={"on": [t.dims[dim] for t in tensors], "to": [joined]})
        return Seen(tensors[full].dims[:dim] + [joined] + tensors[full].dims[dim + 1:], out)

    def _join(self, node, a: Seen, b: Seen, dim: int) -> Seen:
        """``a`` and ``b`` joined along ``dim``: ``concat(A, B: x1, x2 -> x)``."""
        if not self.atoms.leaves(a.dims[dim]) and not self.atoms.leaves(b.dims[dim]):
            raise Unsupported("joining two pieces of one (the language joins axes)")
        self._same_elsewhere([a, b], dim)
        on = [a.dims[dim], b.dims[dim]]
        for k, (seen, other) in enumerate(((a, b), (b, a))):  # one item joined to many (a class token to the patches)
            if not self.atoms.leaves(seen.dims[dim]) and self.atoms.leaves(other.dims[dim]):
                if self._holds_axis_of_one(seen, seen.dims[dim]):  # its axis of size 1 (ViT's learned class token's)
                    atom = self.atoms.atom(seen.dims[dim])
                    atom.wire = True
                    atom.width = any(self.atoms.atom(x).width for x in [other.dims[dim], *self.atoms.leaves(other.dims[dim])])
                    atom.role = atom.role if atom.role not in ("", "unit") else "token"
                else:  # a tensor computed without that dim (a token copied per frame, a mean): no axis named, one position
                    on[k] = self.atoms.new(1, "unit")
        self.data(a), self.data(b)  # (a learned operand, ViT's class token, becomes its box with its axis of one)
        kept = [{x for x in self.dsl_leaves(t) if x not in set(self.atoms.leaves(t.dims[dim]))} for t in (a, b)]
        if not (kept[0] <= kept[1] or kept[1] <= kept[0]):  # a dim of one drawn as a wire in one (a ★'s single row) and not in the other
            raise Unsupported("joining tensors whose other axes differ in their axes of one")
        # (one may lack axes the other has, a dim it had of one expanded: copied along them, DeepSeek-V3's rotary key;
        # the result is laid out as the one that names its joined axis, when the other names none)
        named = [bool(self.atoms.leaves(x)) for x in on]
        if named[0] != named[1] and not kept[1 - named.index(True)] <= kept[named.index(True)]:
            raise Unsupported("joining one position with more axes to a tensor that lacks some of them")
        full = (a if named[0] else b) if named[0] != named[1] else a if kept[1] <= kept[0] else b
        size = self.atoms.size(a.dims[dim]) + self.atoms.size(b.dims[dim])
        first = self.atoms.atom(on[named.index(True)])  # (the first that names its joined axis: the kind of axis made)
        joined = self.atoms.new(size, first.role, width=first.width)
        group = set(map(self.atoms.find, self.atoms.leaves(full.dims[dim])))  # (several, when the joined dim is a group: one axis made)
        atoms = [joined if self.atoms.find(x) in group else x for x in self.dsl_leaves(full)]
        atoms = [x for i, x in enumerate(atoms) if x != joined or joined not in atoms[:i]]
        out = self.emit("concat", [self.data(a), self.data(b)], atoms, node, axes={"on": on, "to": [joined]})
        return Seen(full.dims[:dim] + [joined] + full.dims[dim + 1:], out)

    def _same_elsewhere(self, tensors: list[Seen], dim: int) -> None:
        """Tensors joined along ``dim`` have the same axes at every other dim: each made one atom with the first's."""
        for t in tensors[1:]:
            for i, (x, y) in enumerate(zip(tensors[0].dims, t.dims)):
                if i != dim:
                    self.atoms.unify(x, y)

    def _holds_axis_of_one(self, seen: Seen, one: int) -> bool:
        """Whether the diagram's tensor for ``seen`` has its dim of one ``one`` as an axis: a learned one, whose box is
        made with it, or one whose value was made over it; not one computed without it (a view added it after)."""
        if seen.dsl is None:
            return seen.param is not None
        return self.atoms.find(one) in {self.atoms.find(x) for x in self.prog.values[seen.dsl].atoms}
