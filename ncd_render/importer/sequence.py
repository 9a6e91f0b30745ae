"""Moves along an axis of positions: ``torch.cumsum`` as ``cumsum(X: t)``, ``torch.flip`` as ``flip(X: t)``,
``torch.roll`` as ``roll(X: h w) with shift=...`` (a statement for each distinct shift: Swin's cyclic shift turns
rows and columns alike), and zero padding (``F.pad``, ``constant_pad_nd``) as ``pad(X: t -> u) with before=..., after=...``,
one statement for each dim it pads, the padded dim a new axis."""
from __future__ import annotations

from .seen import Seen, Unsupported, linear_order


MODES = {"reflection_pad": "reflect", "replication_pad": "replicate"}  # aten's padding kernels (..._pad2d) by what F.pad calls them


class SequenceOps:
    """Methods of the importer's mapper (:class:`.mapping.Mapper`) for cumulative sums, flips, rolls and padding."""

    def _positions(self, x: Seen, dims) -> list[int]:
        """The dims of ``x`` numbered ``dims`` (negative from the end) that are not of size one, each one axis."""
        picked = [x.dims[d % len(x.dims)] for d in ([dims] if isinstance(dims, int) else dims)]
        picked = [d for d in picked if self.atoms.size(d) != 1]
        if any(len(self.atoms.leaves(d)) != 1 for d in picked):
            raise Unsupported("a move along a dim that the diagram holds as several axes")
        return picked

    def op_cumsum(self, node, name):
        x = self.get(node.args[0])
        (on,) = self._positions(x, self.arg(node, 1, node.kwargs.get("dim"))) or [None]
        if on is None:
            return x
        return Seen(x.dims, self.emit("cumsum", [self.data(x)], self.prog.values[x.dsl].atoms, node, axes={"on": [on]}))

    def op_flip(self, node, name):
        x = self.get(node.args[0])
        on = self._positions(x, self.arg(node, 1, node.kwargs.get("dims")))
        if not on:
            return x
        return Seen(x.dims, self.emit("flip", [self.data(x)], self.prog.values[x.dsl].atoms, node, axes={"on": on}))

    def op_roll(self, node, name):
        x = self.get(node.args[0])
        shifts, dims = self.arg(node, 1, node.kwargs.get("shifts")), self.arg(node, 2, node.kwargs.get("dims"))
        if dims is None or dims == []:
            raise Unsupported("a roll of a whole tensor flattened")
        shifts, dims = ([shifts] if isinstance(shifts, int) else list(shifts)), ([dims] if isinstance(dims, int) else list(dims))
        out = self.data(x)
        for shift in dict.fromkeys(shifts):  # one statement for each distinct shift, over the dims it turns
            on = self._positions(x, [d for d, s in zip(dims, shifts) if s == shift])
            if on and shift % self.atoms.size(on[0]):
                out = self.emit("roll", [out], self.prog.values[x.dsl].atoms, node, axes={"on": on}, options={"shift": int(shift)})
        return Seen(x.dims, out)

    def op_pad(self, node, name):
        """Padding by zeros, or (``F.pad``'s ``mode``, or aten's ``reflection_pad2d`` and the like) by the positions
        mirrored, the edge repeated or the other end's: ``widths`` from the last dim back, (before, after) each; a
        dim padded both ways by nothing is kept."""
        x = self.get(node.args[0])
        widths = list(self.arg(node, 1, node.kwargs.get("pad")))
        if not any(widths):  # nothing padded (Swin's, when the windows divide the image): the tensor itself
            return x
        mode = self.arg(node, 2, node.kwargs.get("mode", "constant")) if name == "pad" else MODES.get(name[:-3], "constant")
        value = self.arg(node, 3 if name == "pad" else 2, node.kwargs.get("value")) if mode == "constant" else 0
        if mode not in ("constant", "reflect", "replicate", "circular") or value or any(not isinstance(w, int) or w < 0 for w in widths):
            raise Unsupported("padding by a number other than zero, or cropping")
        return self.padded(node, x, {len(x.dims) - 1 - k: (widths[2 * k], widths[2 * k + 1]) for k in range(len(widths) // 2)},
                           mode)

    def padded(self, node, x: Seen, widths: dict[int, tuple[int, int]], mode: str = "constant") -> Seen:
        """``x`` padded along each dim of ``widths`` by its (before, after), in ``mode``: a statement for each dim padded."""
        dims, out = list(x.dims), self.data(x)
        for at, (before, after) in widths.items():
            if not before and not after:
                continue
            (old,) = self._positions(Seen(dims, out), [at]) or [None]
            if old is None:
                raise Unsupported("padding a dim of one")
            atom = self.atoms.atom(old)
            new = self.atoms.new(self.atoms.size(old) + before + after, atom.role, width=atom.width)
            atoms = linear_order(self.prog.values[out].atoms, [old], [new], self.atoms)
            options = {k: v for k, v in (("before", before), ("after", after)) if v} | ({"mode": mode} if mode != "constant" else {})
            out = self.emit("pad", [out], atoms, node, axes={"in": [old], "out": [new]}, options=options)
            dims[at] = new
        return Seen(dims, out)

    op_constant_pad_nd = op_reflection_pad1d = op_reflection_pad2d = op_replication_pad1d = op_replication_pad2d = op_pad
