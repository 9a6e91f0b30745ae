"""Pooling, 1-D or 2-D: a window's largest or mean value (★, then ``max`` or ``mean`` over the kernel axes), and
pooling over the whole map, adaptive to one value per channel or by a window the map's size (``mean(H: h w)``)."""
from __future__ import annotations

from .learned import nonnegative
from .seen import Seen, Unsupported, pair


class PoolingOps:
    """Methods of the importer's mapper (:class:`.mapping.Mapper`) for pooling (its ★ is :meth:`.convolutions.ConvolutionOps._blocks`)."""

    def op_max_pool2d(self, node, name):
        """Max pooling (1-D or 2-D): ★, then the largest over the kernel axes. ★ pads with zeros where max pooling pads with
        -inf; the two agree when what is pooled is never negative (ResNet's stem pools a ReLU's output): every
        window holds one value of the input at least (torch allows at most half a kernel of padding), so its
        largest is at least 0, and a padded 0 changes nothing. Where it may be negative, undilated, the edges are
        repeated first (``pad ... with mode=replicate``) and the ★ pads nothing: every window over the padding holds the
        edge it repeats (torch pads at most half a kernel), so its largest is the same as over -inf. With ``ceil_mode``
        (GoogLeNet's, SqueezeNet's), a last window that runs past the edge is kept: the edge is repeated that much further
        on the right (:func:`past_the_edge`), as the window still holds the edge itself."""
        x = self.get(node.args[0])
        kernel = self.arg(node, 1)
        stride, padding, dilation = self.arg(node, 2) or kernel, self.arg(node, 3, 0), self.arg(node, 4, 1)
        n = _spatial(kernel)
        settings = [pair(v, n) for v in (kernel, stride, padding, dilation)]
        over = past_the_edge([self.atoms.size(d) for d in x.dims[-n:]], *settings) if self.arg(node, 5, False) else (0,) * n
        if not any(over) and self._whole_map(x, kernel, padding, dilation):
            return self._over_map(node, x, "max", n)
        if any(over) or any(pair(padding, n)) and not nonnegative(node.args[0]):
            if set(pair(dilation, n)) != {1}:
                raise Unsupported("dilated max pooling of values that may be negative, or with ceil_mode (the diagram's ★ "
                                  "pads with zeros)")
            x = self.padded(node, x, {at: (p, p + more) for at, p, more in zip(range(len(x.dims) - n, len(x.dims)), pair(padding, n), over)},
                            "replicate")
            padding = 0
        return self._pool(node, x, "max", kernel, stride, padding, dilation)

    def op_avg_pool2d(self, node, name):
        """Average pooling (1-D or 2-D): ★, then the mean over the kernel axes (padding counted, as torch's default).
        ``ceil_mode`` where no window runs past the edge, and ``count_include_pad=False`` where nothing is padded, change
        nothing (ResNet-D's shortcut, ``nn.AvgPool2d(2, 2, ceil_mode=True, count_include_pad=False)`` of an even map);
        where they would, an edge window divides by fewer values, which the mean does not, so it stays opaque."""
        x = self.get(node.args[0])
        kernel = self.arg(node, 1)
        stride, padding = self.arg(node, 2) or kernel, self.arg(node, 3, 0)
        n = _spatial(kernel)
        past = self.arg(node, 4, False) and any(past_the_edge([self.atoms.size(d) for d in x.dims[-n:]],
                                                               *(pair(v, n) for v in (kernel, stride, padding, 1))))
        if past or not self.arg(node, 5, True) and any(pair(padding, n)) or self.arg(node, 6) is not None:
            raise Unsupported("average pooling whose edge windows divide by fewer values (ceil_mode with a window past the "
                              "edge, count_include_pad=False with padding), or with a divisor")
        if self._whole_map(x, kernel, padding, 1):
            return self._over_map(node, x, "mean", _spatial(kernel))
        return self._pool(node, x, "mean", kernel, stride, padding, 1)

    def op_adaptive_avg_pool2d(self, node, name):
        """Global average pooling (``nn.AdaptiveAvgPool2d(1)``, a classifier's head): the mean over the spatial axes."""
        return self._global_pool(node, "mean")

    def op_adaptive_max_pool2d(self, node, name):
        return [self._global_pool(node, "max"), None]  # (the largest values, where they are): only the values have a statement

    def _global_pool(self, node, fn) -> Seen:
        """Adaptive pooling: to one value per channel, or along one spatial dim only (coordinate attention's
        ``nn.AdaptiveAvgPool2d((None, 1))``, a mean over each row), ``fn`` over the dims pooled to one; to sizes that
        divide the map's (``nn.AdaptiveAvgPool2d((2, 2))`` of an 8 x 8 map), windows that tile it, ★ strided by the
        window; to sizes the map's divide (VGG's ``(7, 7)`` of a map of one pixel), each value repeated over the
        windows that hold it alone, ``upsample``. Windows that overlap unevenly stay opaque."""
        x = self.get(node.args[0])
        sizes, spatial = pair(self.arg(node, 1)), x.dims[-2:]
        have = [self.atoms.size(d) for d in spatial]
        if all(s in (1, h) for s, h in zip(sizes, have)):
            pooled = [d for s, d, h in zip(sizes, spatial, have) if s == 1 and h > 1]
            return self._over(node, x, fn, pooled) if pooled else x
        if all(h % s == 0 for s, h in zip(sizes, have)):
            window = [h // s for s, h in zip(sizes, have)]
            return self._pool(node, x, fn, window, window, 0, 1, sized=True)  # (adaptive max pooling's node is a pair)
        if all(s % h == 0 for s, h in zip(sizes, have)):
            return self.upsampled(node, x, [s // h for s, h in zip(sizes, have)])
        raise Unsupported("adaptive pooling to sizes that neither divide the map's nor are whole multiples of them")

    def _whole_map(self, x: Seen, kernel, padding, dilation) -> bool:
        """Whether a pooling window, unpadded and undilated, is the whole map (``F.avg_pool2d(x, x.shape[2:])``, CBAM's)."""
        n = _spatial(kernel)
        return not any(pair(padding, n)) and pair(dilation, n) == (1,) * n and \
            tuple(pair(kernel, n)) == tuple(self.atoms.size(d) for d in x.dims[-n:])

    def _over_map(self, node, x: Seen, fn, n: int = 2) -> Seen:
        """``fn`` over the ``n`` spatial dims (``mean(H: h w)``), which stay as dims of one."""
        return self._over(node, x, fn, x.dims[-n:])

    def _over(self, node, x: Seen, fn, pooled: list) -> Seen:
        """``fn`` over the dims ``pooled`` of ``x``, which stay as dims of one."""
        gone = set(map(self.atoms.find, self.leaves(pooled)))
        out = self.emit(fn, [self.data(x)], [a for a in self.dsl_leaves(x) if a not in gone], node, axes={"on": list(pooled)})
        return Seen([self.atoms.new(1, "unit") if d in pooled else d for d in x.dims], out)

    def _pool(self, node, x: Seen, fn, kernel, stride, padding, dilation, sized: bool = False) -> Seen:
        blocks, blocks_atoms, outs, kernels = self._blocks(node, x, kernel, stride, padding, dilation, sized)
        atoms = [a for a in blocks_atoms if a not in set(map(self.atoms.find, kernels))]
        out = self.emit(fn, [blocks], atoms, node, axes={"on": kernels})
        return Seen(x.dims[:-len(outs)] + outs, out)

    op_max_pool1d, op_avg_pool1d = op_max_pool2d, op_avg_pool2d  # (one spatial dim: a 1-D kernel, [k])


def past_the_edge(sizes, kernel, stride, padding, dilation) -> tuple[int, ...]:
    """How far each axis's last window runs past its right edge, padding included, where ``ceil_mode`` keeps it: 0
    where every window fits. torch keeps a last window that starts inside the input or its left padding.

    >>> past_the_edge([112, 8], [3, 2], [2, 2], [0, 0], [1, 1])  # GoogLeNet's 3 x 3 pooling by 2, then one that fits
    (1, 0)
    """
    out = []
    for size, k, s, p, d in zip(sizes, kernel, stride, padding, dilation):
        reach, room = d * (k - 1) + 1, size + 2 * p
        blocks = -(-(room - reach) // s) + 1  # rounded up
        if (blocks - 1) * s >= size + p:  # the last would start in the right padding
            blocks -= 1
        out.append(max(0, (blocks - 1) * s + reach - room))
    return tuple(out)


def _spatial(kernel) -> int:
    """How many spatial dims a pooling runs over: its kernel's length (aten gives a 1-D pooling's as [k]), else 2."""
    return len(kernel) if isinstance(kernel, (list, tuple)) else 2
