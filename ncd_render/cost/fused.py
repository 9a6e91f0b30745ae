"""The Napkin model of a fused section: one kernel whose intermediates stay in
shared memory, split into groups (tiling) and streamed chunks.

Every axis of the section gets a role:

* ``group`` (tiling, a group partition): every box of the kernel has the axis
  and is independent along it (so no box is computed twice); the kernel runs
  one group per ``g`` indices, and an input without the axis is sent again to
  every group (FlashAttention's K and V, a matmul's B);
* ``stream`` (a stream partition, at most one axis): summed over, so it can be
  read in chunks of ``s`` while accumulating; a SoftMax over it may come first
  when a sum over it follows (the online-softmax correction, one multiply per
  accumulator element per extra chunk), and so may an L2 norm (``rmsnorm``
  without a learned scale: its sum of squares accumulates beside the sum, and
  the result is scaled once, with no correction). Streaming cuts memory, not transfers;
* ``whole``: everything else (norm axes, regrouped axes, ...), kept entire.

An unfold inside the kernel is an implicit GEMM, as cuDNN runs a convolution:
its blocks stay on chip, and the array it reads is read in *windows*: a group
of ``g`` block positions along a tiled axis reads ``(g - 1)·stride + reach``
input positions (``reach = dilation·(kernel - 1) + 1``), so neighbouring
groups read their overlap (the halo) again.

The plan minimises HBM transfers subject to the group's arrays fitting in
shared memory, then FLOPs (the online-softmax correction), then the number of
groups; group and chunk sizes are powers of two (or the whole axis). Every
choice is tried when there are at most ``EXHAUSTIVE`` of them (the gallery's
sections, a matmul, attention); beyond that a budgeted climb from the smallest
tiles finds a good one in time polynomial in the number of axes.

>>> from ncd_render.parse import parse
>>> from ncd_render.ir import build
>>> from ncd_render.cost.boxes import work
>>> d = build(parse('''axis a = 1024
... axis b = 1024
... axis c = 1024
... input A[a b], B[b c]
... section "matmul" fused
...   C = einsum(A, B: a b, b c -> a c)
... end
... output C'''))
>>> p = plan(d, [(op, work(d, op)) for op in d.ops], {2}, itemsize=2, limit=64 * 1024)
>>> dict(p.roles), p.shared_bytes
({'a': ('group', 128), 'b': ('stream', 64), 'c': ('group', 128)}, 65536)
>>> p.hbm_bytes == 2 * (1024 ** 3 * (1 / 128 + 1 / 128) + 1024 ** 2)  # abc (1/g_a + 1/g_c) + ac values
True
"""
from __future__ import annotations

import math
from typing import Mapping

from .. import ops
from ..errors import NcdError
from ..ir import Diagram, Op
from ..records import record
from .boxes import MAP, SCALED, SOFTMAX, SUM, WHOLE, Work, elements

# Tile choices (per streamed axis) tried one by one; a section with more is searched by climbing.
EXHAUSTIVE = 4096
CLIMB_BUDGET = 20_000  # tile choices a climb may cost


@record
class Plan:
    """How a fused kernel splits its axes, and what that costs (bytes and FLOPs)."""

    roles: Mapping[str, tuple[str, int]]  # axis -> (role, tile, chunk or window size)
    groups: int
    shared_bytes: float  # shared memory one group needs
    read_once: float     # each input read from HBM once
    resent: float        # inputs read again by further groups
    written: float       # outputs written to HBM
    matmul_flops: int
    vector_flops: int    # including the online-softmax correction
    correction_flops: int

    @property
    def hbm_bytes(self) -> float:
        return self.read_once + self.resent + self.written


def plan(diagram: Diagram, boxes: list[tuple[Op, Work]], inside: set[int], itemsize: float, limit: float) -> Plan:
    """The cheapest plan for the ops ``inside`` (ids) run as one kernel.

    ``boxes`` are all the diagram's ops with their work (to see which values
    leave the section), ``itemsize`` bytes per real value, ``limit`` bytes of
    shared memory per group.
    """
    return section(diagram, boxes, inside, itemsize).search(limit)


def section(diagram: Diagram, boxes: list[tuple[Op, Work]], inside: set[int], itemsize: float) -> "_Section":
    """The ops ``inside`` as one kernel, ready to cost any choice of tiles (``cost``): the planner's
    own search, or the real kernel tiles of :mod:`.kernel_tiles`."""
    return _Section(diagram, boxes, inside, itemsize)


class _Section:
    def __init__(self, diagram: Diagram, boxes, inside: set[int], itemsize: float):
        self.diagram = diagram
        self.itemsize = itemsize
        root: dict = {}
        for op, w in boxes:  # free boxes (copies, views) hand on their input's memory
            if not w.kernels and w.reads:
                for x in w.writes:
                    root[x.key] = root.get(w.reads[0].key, w.reads[0].key)
        self.root = lambda key: root.get(key, key)  # noqa: E731
        self.arrays: dict = {x.key: x for _, w in boxes for x in w.writes + w.reads}
        self.boxes = [(op, w) for op, w in boxes if op.id in inside]
        self.kernels = [(op, w) for op, w in self.boxes if w.kernels]
        produced = {self.root(x.key) for _, w in self.kernels for x in w.writes}
        read = dict.fromkeys(self.root(x.key) for _, w in self.boxes for x in w.reads)
        self.external = [k for k in read if k not in produced]
        leaving = {self.root(x.key) for op, w in boxes if op.id not in inside for x in w.reads}
        self.outputs = [k for k in dict.fromkeys(self.root(x.key) for _, w in self.kernels for x in w.writes) if k in leaving]
        self.resident = list(dict.fromkeys(self.external + [self.root(x.key) for _, w in self.kernels for x in w.writes]))
        self.usage: dict[str, set[str]] = {}
        for _, w in self.boxes:
            for a, use in w.usage.items():
                self.usage.setdefault(a, set()).add(use)
        elements(diagram, list(self.usage))  # every axis needs a size
        self.size = {a: diagram.axes[a].size for a in self.usage}
        self.full = {k: self.nbytes(k) * elements(diagram, self.arrays[k].axes) for k in self.resident}
        self.matmul_flops = sum(w.matmul_flops for _, w in self.kernels)
        self.vector_flops = sum(w.vector_flops for _, w in self.kernels)
        self.windows = {self.root(x.key): w.windows for _, w in self.kernels if w.windows for x in w.reads}
        self.tiles = self.tileable()

    # -- which axes may be split how -------------------------------------------
    def tileable(self) -> list[str]:
        return [a for a in sorted(self.usage) if self.usage[a] == {MAP} and all(a in w.usage for _, w in self.kernels)]

    def readers(self, key) -> list[tuple[Op, Work]]:
        return [(op, w) for op, w in self.boxes if any(self.root(x.key) == key for x in w.reads)]

    def streamable(self, axis: str) -> bool:
        """A sum over ``axis`` accumulates chunk by chunk: nothing after the sum
        uses the axis, and every SoftMax or L2 norm over it reaches the sum through
        boxes that commute with its rescaling, without leaving the kernel."""
        if SUM not in self.usage[axis] or WHOLE in self.usage[axis]:
            return False
        frontier = [self.root(x.key) for _, w in self.kernels if w.usage.get(axis) == SUM for x in w.writes]
        seen = set()
        while frontier:
            key = frontier.pop()
            if key in seen:
                continue
            seen.add(key)
            if axis in self.arrays[key].axes:
                return False
            frontier += [self.root(x.key) for _, w in self.readers(key) for x in w.writes]
        for op, w in self.kernels:
            if w.usage.get(axis) in (SOFTMAX, SCALED) and not self._rescalable(w, axis):
                return False
        return True

    def _rescalable(self, w: Work, axis: str, seen: set | None = None) -> bool:
        seen = set() if seen is None else seen  # arrays already followed (a value read twice is one array)
        for key in (self.root(x.key) for x in w.writes):
            if key in seen:
                continue
            seen.add(key)
            if key in self.outputs:
                return False
            for op, reader in self.readers(key):
                commutes = not reader.kernels or ops.of(op).rescalable_of(op)  # f(c·x) = c·f(x): scaling, einsum, relu, dropout
                if reader.usage.get(axis) == SUM and commutes and ops.of(op).gemm:  # the contraction absorbs the rescaling
                    continue
                if not commutes or reader.usage.get(axis) != MAP or not self._rescalable(reader, axis, seen):
                    return False
        return True

    def rescaled(self, axis: str | None) -> int:
        """Elements of the accumulators a streamed SoftMax over ``axis`` feeds: rescaled at each new chunk."""
        out, frontier = [], [self.root(x.key) for _, w in self.kernels if axis and w.usage.get(axis) == SOFTMAX for x in w.writes]
        seen = set(frontier)
        while frontier:
            for op, w in self.readers(frontier.pop()):
                keys = [self.root(x.key) for x in w.writes]
                if w.usage.get(axis) == SUM:
                    out.extend(keys)
                else:
                    frontier.extend(k for k in keys if k not in seen)
                    seen.update(keys)
        return sum(elements(self.diagram, self.arrays[k].axes) for k in dict.fromkeys(out))

    # -- costs of one choice of roles ----------------------------------------
    def nbytes(self, key) -> float:
        return self.arrays[key].itemsize or self.itemsize

    def extent(self, key, axis: str, tile: dict) -> int:
        """How many indices of ``axis`` one group holds of array ``key``: its tile, or
        for an array an unfold reads, the window its block positions need."""
        block, stride, reach = self.windows.get(key, {}).get(axis, (None, 0, 0))
        if axis not in tile:  # an axis of the array a view inside the kernel reads, e.g. r of X[r c] read as (r c): kept whole
            return self.diagram.axes[axis].size
        if block not in self.tiles:
            return tile[axis]
        return min(self.size[axis], (tile[block] - 1) * stride + reach)

    def search(self, limit: float) -> Plan:
        tiles = self.tiles
        best, need = None, math.inf
        for stream in [None] + [a for a in sorted(self.usage) if self.streamable(a)]:
            split = tiles + ([stream] if stream else [])
            smallest = {a: 1 if a in split else self.size[a] for a in self.usage}
            least = self._memory(smallest)
            need = min(need, least)
            if least > limit:
                continue
            rescaled = self.rescaled(stream)
            choices = math.prod(len(_options(self.size[a])) for a in split)
            found = self._fitting(split, smallest, limit) if choices <= EXHAUSTIVE else \
                [self._climb(split, smallest, limit, lambda tile: self._key(self.cost(tile, tiles, stream, rescaled)))]
            for tile in found:
                candidate = self.cost(tile, tiles, stream, rescaled)
                key = self._key(candidate)
                if best is None or key < best[0]:
                    best = (key, candidate)
        if best is None:
            kept = [a for a in sorted(self.usage) if a not in tiles]
            raise NcdError(f"the fused kernel needs at least {binary(need)} of shared memory per group, "
                           f"more than the {binary(limit)} there is",
                           hint=f"it cannot tile {', '.join(kept)}; fuse fewer boxes or give them smaller sizes")
        return best[1]

    @staticmethod
    def _key(p: Plan) -> tuple:
        """What the plan minimises: HBM traffic, then FLOPs, then groups; then it prefers more shared memory."""
        return p.hbm_bytes, p.matmul_flops + p.vector_flops, p.groups, -p.shared_bytes

    def _climb(self, split: list[str], start: dict, limit: float, key) -> dict:
        """A good fitting choice of tiles when there are too many to try them all: from the smallest
        tiles, take the step (one tile to its next size, or one up and one down) that lowers ``key``
        most, until no step does or CLIMB_BUDGET choices have been costed. Polynomial in the axes."""
        options = {a: _options(self.size[a]) for a in split}
        at = {a: 0 for a in split}
        tile, best = dict(start), key(start)
        budget = CLIMB_BUDGET
        while budget > 0:
            steps = [((a, 1),) for a in reversed(split) if at[a] + 1 < len(options[a])]  # ties: later axes grow first, as when trying all
            if not steps:
                break
            moved = self._best_step(steps, options, at, tile, best, limit, key)
            if moved is None:  # stuck: trade one tile for another
                steps = [((a, -1), (b, 1)) for a in split if at[a] for b in split if b != a and at[b] + 1 < len(options[b])]
                moved = self._best_step(steps, options, at, tile, best, limit, key)
            budget -= len(steps)
            if moved is None:
                break
            best, step = moved
            for a, d in step:
                at[a] += d
                tile[a] = options[a][at[a]]
        return tile

    def _best_step(self, steps, options, at, tile, best, limit, key):
        found = None
        for step in steps:
            trial = {**tile, **{a: options[a][at[a] + d] for a, d in step}}
            if self._memory(trial) > limit:
                continue
            k = key(trial)
            if k < (found[0] if found else best):
                found = (k, step)
        return found

    def _memory(self, tile: dict) -> float:
        return sum(self.nbytes(k) * math.prod(self.extent(k, a, tile) for a in self.arrays[k].axes) for k in self.resident)

    def _fitting(self, split: list[str], start: dict, limit: float):
        """Every power-of-two (or whole-axis) choice of tile sizes that fits, smallest first."""
        def walk(i, tile):
            if i == len(split):
                yield dict(tile)
                return
            for g in _options(self.size[split[i]]):
                tile[split[i]] = g
                if self._memory(tile) > limit:
                    break
                yield from walk(i + 1, tile)
            tile[split[i]] = 1

        if self._memory(start) <= limit:
            yield from walk(0, dict(start))

    def cost(self, tile: dict, tiles: list[str], stream: str | None, rescaled: int) -> Plan:
        count = {a: -(-self.size[a] // tile[a]) for a in tiles}

        def sent(k) -> float:
            """Times array k is read: once per group along the tiled axes it lacks, its windows overlapping."""
            axes, windows = self.arrays[k].axes, self.windows.get(k, {})
            along = set(axes) | {block for block, _, _ in windows.values()}
            halo = math.prod(max(1.0, count[b] * self.extent(k, a, tile) / self.size[a]) for a, (b, _, _) in windows.items() if b in tiles)
            return halo * math.prod(count[a] for a in tiles if a not in along)

        full = self.full
        once = sum(full[k] for k in self.external)
        resent = sum(full[k] * (sent(k) - 1) for k in self.external)
        correction = (-(-self.size[stream] // tile[stream]) - 1) * rescaled if stream else 0
        roles = {a: ("group" if a in tiles else "stream" if a == stream else "whole", tile[a]) for a in sorted(self.usage)}
        for k, windows in self.windows.items():  # input axes read in windows of tiled block positions
            roles.update({a: ("window", self.extent(k, a, tile)) for a, (b, _, _) in windows.items() if b in tiles and a not in tiles})
        return Plan(roles, math.prod(count.values()), self._memory(tile), once, resent, sum(full[k] for k in self.outputs),
                    self.matmul_flops, self.vector_flops + correction, correction)


def _options(n: int) -> list[int]:
    """The tile sizes of an axis of size n: powers of two below n, and n itself."""
    return [1 << i for i in range(n.bit_length()) if 1 << i < n] + [n]


def binary(n: float) -> str:
    """``n`` bytes in KiB, MiB, GiB or TiB, whichever reads best.

    >>> binary(163 * 1024), binary(38654705664 * 1024)
    ('163 KiB', '36 TiB')
    """
    for unit, scale in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n / 1024:.3g} KiB"
