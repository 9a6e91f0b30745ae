"""Convolutions (grouped, depthwise and pointwise too) as ★ then a learned map, and upsampling; pooling's ★ is
:meth:`ConvolutionOps._blocks` too."""
from __future__ import annotations

from ..ops.window import blocks as block_count
from ..options import one
from .seen import Seen, Unsupported, box_path, conv_padding, linear_order, pair

SPATIAL_ROLES = {1: ("seq",), 2: ("rows", "cols")}  # a 1-D convolution runs along a sequence (Mamba's, wav2vec's)
SPATIAL = {"seq", "rows", "cols"}


class ConvolutionOps:
    """Methods of the importer's mapper (:class:`.mapping.Mapper`) for convolutions and upsampling."""

    def op_conv2d(self, node, name):
        return self._convolution(node, 2)

    def op_conv1d(self, node, name):
        return self._convolution(node, 1)

    def _convolution(self, node, n: int) -> Seen:
        """A convolution over the last ``n`` dims: ★ (``unfold``), then a learned map over the kernel and channel
        axes; a grouped one splits the channels into groups, each with its own map (``linear ... with per=g``)."""
        x, w = self.get(node.args[0]), self.get(node.args[1])
        b = self.get(node.args[2]) if self.arg(node, 2) is not None else None
        groups = self.arg(node, 6, 1)
        if w.param is None:
            raise Unsupported("a convolution with computed weights")
        channel = x.dims[-n - 1]
        if self.atoms.atom(channel).role in SPATIAL:  # an input's guessed layout ([batch, seq, hidden]) read anew as [batch, channels, seq]
            self.atoms.atom(channel).role, self.atoms.atom(channel).width = "channels", False
        o, c, *kernel_dims = w.dims
        settings = [self.arg(node, k, d) for k, d in ((3, 1), (4, 0), (5, 1))]
        settings[1] = conv_padding(settings[1], [self.atoms.size(k) for k in kernel_dims], settings[0], settings[2])
        if all(self.atoms.size(k) == 1 for k in kernel_dims) and set(pair(settings[0], n)) == {1} and set(pair(settings[1], n)) == {0}:
            # a pointwise (1x1) convolution is a map of the channels at every pixel: no ★ (grouped: a map per group)
            return self._pointwise(node, x, w, b, channel, c, o, n, groups)
        blocks, blocks_atoms, outs, kernels = self._blocks(node, x, [self.atoms.size(k) for k in kernel_dims], *settings)
        for kernel, made in zip(kernel_dims, kernels):
            self.atoms.atom(kernel).wire = True  # a kernel of one (a strided 1x1 convolution) keeps its axis, as the ★'s does
            self.atoms.unify(kernel, made)
        if groups == 1:
            self.atoms.unify(c, channel)
            acted, new, per = [*kernel_dims, channel], [o], []
        else:  # channels (g c) and outputs (g d): group g's outputs read only its own channels
            group, part, out_part = self._split_groups(channel, c, o, groups)
            # one output a group (ConvNeXt's and MobileNet's depthwise kernels): the map ends in no axis, ``linear(B: i j -> ) with per=c``
            acted, new, per = kernel_dims + ([part] if part is not None else []), [out_part] if out_part is not None else [], [group]
        out_atoms = linear_order(self.leaves(blocks_atoms), self.leaves(acted), self.leaves(new), self.atoms)
        params = {"weight": w.param}
        if b is not None:
            self.atoms.unify(b.dims[0], o)
            params["bias"] = b.param
        out = self.emit("linear", [blocks], out_atoms, node, axes={"in": acted, "out": new, **({"per": per} if per else {})},
                        params=params, options={"bias": b is not None}, label=box_path(w.param))
        return Seen(x.dims[:-n - 1] + [o] + outs, out)

    def _split_groups(self, channel: int, c: int, o: int, groups: int) -> tuple[int, int | None, int | None]:
        """A grouped convolution's input ``channel`` (the weight's ``c`` a group's part of it) and outputs ``o``, each
        split into (group, part within it): (the group axis, the channels' part, the outputs' part), a part None where
        each index is a group of its own."""
        group, part = self._grouped(channel, groups)
        if len(self.atoms.leaves(group)) != 1:
            raise Unsupported("a grouped convolution whose groups cut across the axes its channels are made of")
        out_group, out_part = self._grouped(o, groups)
        self.atoms.unify(out_group, group)
        if part is not None:  # several channels a group: the group is an axis of its own
            self.atoms.atom(group).role = "groups"
            self.atoms.unify(c, part)
        if out_part is not None:
            self.atoms.atom(out_part).role = "channels"
        return group, part, out_part

    def _grouped(self, axis: int, groups: int) -> tuple[int, int | None]:
        """``axis`` as (its group, its part within the group), split when a group holds more than one index;
        (``axis``, None) when each index is a group of its own."""
        if self.atoms.size(axis) == groups:
            return axis, None
        group, part = self.atoms.split(axis, [groups, self.atoms.size(axis) // groups])
        return group, part

    def _pointwise(self, node, x: Seen, w: Seen, b: Seen | None, channel: int, c: int, o: int, n: int, groups: int) -> Seen:
        """A 1x1 convolution: ``linear(X: c -> o)`` over the channels, broadcast over the pixels; grouped (ShuffleNet's),
        ``linear(X: c -> d) with per=g``, the channels (g c) and the outputs (g d)."""
        acted, new, per = [channel], [o], []
        if groups == 1:
            self.atoms.unify(c, channel)
        else:
            group, part, out_part = self._split_groups(channel, c, o, groups)
            if part is None and out_part is None:  # a channel a group, one output each (depthwise): a scale and a shift per channel
                return self._depthwise_pointwise(node, x, w, b, group)
            acted, new, per = [part] if part is not None else [], [out_part] if out_part is not None else [], [group]
        out_atoms = linear_order(self.dsl_leaves(x), self.leaves(acted), self.leaves(new), self.atoms)
        params = {"weight": w.param}
        if b is not None:
            self.atoms.unify(b.dims[0], o)
            params["bias"] = b.param
        out = self.emit("linear", [self.data(x)], out_atoms, node, axes={"in": acted, "out": new, **({"per": per} if per else {})},
                        params=params, options={"bias": b is not None}, label=box_path(w.param))
        return Seen(x.dims[:-n - 1] + [o] + x.dims[-n:], out)

    def _depthwise_pointwise(self, node, x: Seen, w: Seen, b: Seen | None, channel: int) -> Seen:
        """A depthwise 1x1 convolution, ``layerscale(X: c)`` then (with its bias) ``bias(X: c)``."""
        atoms = self.dsl_leaves(x)
        out = self.emit("layerscale", [self.data(x)], atoms, node, axes={"on": [channel]}, params={"weight": w.param},
                        label=box_path(w.param))
        if b is not None:
            self.atoms.unify(b.dims[0], channel)
            out = self.emit("bias", [out], atoms, node, axes={"on": [channel]}, params={"weight": b.param}, label=box_path(b.param))
        return Seen(list(x.dims), out)

    def _spatial_outs(self, node, spatial: list[int], sizes=None) -> list[int]:
        """The result's spatial dims (``sizes``, else the node's last ones): width axes, the input's own where the size is kept."""
        outs = []
        for d, size, role in zip(spatial, sizes or self.shape(node)[-len(spatial):], SPATIAL_ROLES[len(spatial)]):
            self.atoms.atom(d).width = True
            if self.atoms.atom(d).role not in SPATIAL:
                self.atoms.atom(d).role = role
            outs.append(d if self.atoms.size(d) == size else self.atoms.new(size, self.atoms.atom(d).role or role, width=True))
        return outs

    def _blocks(self, node, x: Seen, kernel, stride, padding, dilation, sized: bool = False):
        """★ of x's last ``len(kernel)`` (spatial) dims: (the blocks' DSL value, its atoms, the block positions, the kernel
        axes); ``sized``: the positions' sizes from the settings, not the node's last dims (``F.unfold``'s are flattened)."""
        n = len(kernel) if isinstance(kernel, (list, tuple)) else 2
        stride, padding, dilation, kernel = (pair(v, n) for v in (stride, padding, dilation, kernel))
        if isinstance(padding[0], str):
            raise Unsupported(f"a convolution or pooling padded '{padding[0]}'")
        same = set(stride) == {1} and all(p == d * (k - 1) / 2 for p, k, d in zip(padding, kernel, dilation))  # padding=same
        spatial = x.dims[-n:]
        sizes = [block_count(self.atoms.size(a), k, s, d, p) for a, k, s, d, p in zip(spatial, kernel, stride, dilation, padding)] \
            if sized else None
        outs = self._spatial_outs(node, spatial, sizes)
        kernels = [self.atoms.new(k, "kernel") for k in kernel]
        for k in outs + kernels:  # a kernel of one (a strided 1x1 convolution), or one block, still has its axes: the ★ maps to them
            self.atoms.atom(k).wire = True
        blocks_atoms = linear_order(self.dsl_leaves(x), self.leaves(spatial), outs + kernels, self.atoms)  # (rows a view split: their atoms)
        options = {"stride": one(stride), "padding": "same" if same and len(set(padding)) > 1 else one(padding), "dilation": one(dilation),
                   **({"kernel": kernel[0]} if len(set(kernel)) == 1 else {})}  # (a kernel not square: its axes' sizes)
        blocks = self.emit("unfold", [self.data(x)], blocks_atoms, node, axes={"in": list(spatial), "out": outs + kernels}, options=options)
        return blocks, blocks_atoms, outs, kernels

    def op_im2col(self, node, name):
        """``F.unfold(x, kernel, dilation, padding, stride)``: ★ (``unfold``), its result viewed as torch gives it,
        [..., (c i j), (h2 w2)]: each block's channels and kernel offsets, then the blocks."""
        x = self.get(node.args[0])
        kernel, dilation, padding, stride = (self.arg(node, k) for k in range(1, 5))
        blocks, _, outs, kernels = self._blocks(node, x, kernel, stride, padding, dilation, sized=True)
        return Seen(x.dims[:-3] + [self.atoms.merge([x.dims[-3]] + kernels), self.atoms.merge(outs)], blocks)

    def op_upsample_nearest2d(self, node, name):
        """``nn.Upsample(scale_factor=k)``, nearest: ``upsample(X: h w -> h2 w2) with factor=k``, the same whole
        factor both ways (found from the shapes, so ``size=`` and ``scale_factor=`` read alike)."""
        return self._upsample(node, 2, "nearest")

    def op_upsample_bilinear2d(self, node, name):
        """Bilinear upsampling, the half-pixel way (``align_corners=False``): ``upsample ... with factor=k, linear``;
        with ``align_corners=True``, ``... linear, corners``."""
        return self._upsample(node, 2, "bilinear")

    def op_upsample_linear1d(self, node, name):
        return self._upsample(node, 1, "linear")

    def _upsample(self, node, n: int, mode: str) -> Seen:
        x = self.get(node.args[0])
        spatial, made = x.dims[-n:], self.shape(node)[-n:]
        factors = [out / self.atoms.size(d) for d, out in zip(spatial, made)]
        if any(f != int(f) or f < 1 for f in factors):
            raise Unsupported(f"{mode} upsampling by other than a whole factor each way")
        corners = mode != "nearest" and bool(self.arg(node, 2, node.kwargs.get("align_corners", False)))
        return self.upsampled(node, x, [int(f) for f in factors], mode != "nearest", corners)

    def upsampled(self, node, x: Seen, factors: list[int], linear: bool = False, corners: bool = False) -> Seen:
        """``x``'s last ``len(factors)`` dims each stretched by its whole factor: ``upsample`` over the axes stretched,
        a factor each where they differ (``nn.Upsample(scale_factor=(2, 1))`` stretches the rows alone); ``x`` itself
        where every factor is 1 (SegFormer's head resizing its finest level to its own size)."""
        n = len(factors)
        if set(factors) == {1}:
            return x
        spatial = x.dims[-n:]
        outs = self._spatial_outs(node, spatial, [self.atoms.size(d) * f for d, f in zip(spatial, factors)])
        moved, made = ([d for d, f in zip(dims, factors) if f > 1] for dims in (spatial, outs))
        stretched = [f for f in factors if f > 1]
        atoms = linear_order(self.dsl_leaves(x), moved, made, self.atoms)
        options = {"factor": one(stretched), **({"linear": True} if linear else {}), **({"corners": True} if corners else {})}
        out = self.emit("upsample", [self.data(x)], atoms, node, axes={"in": moved, "out": made}, options=options)
        return Seen(x.dims[:-n] + outs, out)
