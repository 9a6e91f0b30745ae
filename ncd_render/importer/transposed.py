"""A transposed convolution (``nn.ConvTranspose2d``, ``nn.ConvTranspose1d``: a UNet's and a decoder's up-convolution)
as the paper draws it: a learned map from the channels to the outputs and the kernel axes, ``linear(X: c -> o p q)``,
then the mirrored ★ that adds each block into its place, ``fold(U: h w p q -> h2 w2) with kernel=2, stride=2``,
then the one bias per output channel, ``bias(U: o)`` (added once a pixel, after the fold, as torch adds it)."""
from __future__ import annotations

from ..options import one
from .seen import Seen, Unsupported, box_path, linear_order, pair


class TransposedOps:
    """Methods of the importer's mapper (:class:`.mapping.Mapper`) for transposed convolutions."""

    def op_conv_transpose2d(self, node, name):
        return self._transposed(node, 2)

    def op_conv_transpose1d(self, node, name):
        return self._transposed(node, 1)

    def _transposed(self, node, n: int) -> Seen:
        """``conv_transpose(x, weight [c, o, k...], bias, stride, padding, output_padding, groups, dilation)``, ungrouped,
        the same settings every way but the kernel's size."""
        x, w = self.get(node.args[0]), self.get(node.args[1])
        b = self.get(node.args[2]) if self.arg(node, 2) is not None else None
        stride, padding, extra, dilation = (pair(self.arg(node, k, d), n) for k, d in ((3, 1), (4, 0), (5, 0), (7, 1)))
        if w.param is None or b is not None and b.param is None:
            raise Unsupported("a transposed convolution with computed weights")
        if self.arg(node, 6, 1) != 1:
            raise Unsupported("a grouped transposed convolution")
        kernel = [self.atoms.size(k) for k in w.dims[2:]]  # (a kernel not square: its axes' sizes, each its own)
        channel, spatial = x.dims[-n - 1], x.dims[-n:]
        c, o, *kernels = w.dims
        self.atoms.unify(c, channel)
        w.param.inputs_first = True  # stored [in, out, ...]: where in and out are one axis, the pairing must know which is which
        for k in kernels:
            self.atoms.atom(k).role, self.atoms.atom(k).wire = "kernel", True
        for d in (channel, o, *spatial):  # one channel, or a map of one pixel (a generator's latent): still wires
            self.atoms.atom(d).wire = True
        for d in (channel, o):  # (a view of a map's output as an image named its channels as it guessed: h, a height)
            self.atoms.atom(d).role, self.atoms.atom(d).width = "channels", False
        mapped_atoms = linear_order(self.dsl_leaves(x), self.leaves([channel]), self.leaves([o, *kernels]), self.atoms)
        mapped = self.emit("linear", [self.data(x)], mapped_atoms, node, axes={"in": [channel], "out": [o, *kernels]},
                           params={"weight": w.param}, options={"bias": False}, label=box_path(w.param))
        outs = self._spatial_outs(node, spatial)
        options = {"stride": one(stride), "padding": one(padding), "dilation": one(dilation), "output_padding": one(extra),
                   **({"kernel": kernel[0]} if len(set(kernel)) == 1 else {})}
        acted = [*spatial, *kernels]
        out_atoms = linear_order(mapped_atoms, self.leaves(acted), outs, self.atoms)
        out = self.emit("fold", [mapped], out_atoms, node, axes={"in": acted, "out": outs}, options=options)
        if b is not None:
            self.atoms.unify(b.dims[0], o)
            out = self.emit("bias", [out], out_atoms, node, axes={"on": [o]}, params={"weight": b.param}, label=box_path(b.param))
        return Seen(x.dims[:-n - 1] + [o] + outs, out)
