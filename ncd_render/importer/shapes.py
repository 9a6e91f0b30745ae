"""Views, permutes, dropout and splits: operations that move no data or take a part of it."""
from __future__ import annotations

import itertools
import math

import torch

from ..errors import NcdError
from .graph import Param
from .seen import Seen, Unsupported, box_path, is_map


class ShapeOps:
    """Methods of the importer's mapper (:class:`.mapping.Mapper`) for views, permutes, dropout and splits: operations that move no data or take a part of it."""

    def op_view(self, node, name):
        seen = self.get(node.args[0])
        out = self.shape(node)
        src = self.shape(node.args[0])
        if name in ("expand", "expand_as"):
            return self._expanded(seen, src, out)
        if out == src:  # the same shape: the same atoms (a size-1 dimension stays the one it was)
            dims = list(seen.dims)
            self.float32 |= name in ("_to_copy", "to", "type_as") and self._to_float32(node)
        elif name in ("_to_copy", "to", "type_as") and len(out) == len(src):
            self.float32 |= self._to_float32(node)
            dims = list(seen.dims)
        else:
            try:
                dims = self.atoms.reshape(seen.dims, list(out))
            except NcdError as error:  # dimensions read across their boundaries (Transformer-XL's relative shift)
                raise Unsupported(error.message) from None
        return Seen(dims, seen.dsl, seen.param, seen.number)

    def _to_float32(self, node) -> bool:
        """Whether a cast makes float32 of another type, or asks for float32 by name (GPT-Neo's ``query.to(torch.float32)``:
        a no-op on float32 inputs, but it rounds what a float64 check gives it): then the module computes in float32
        whatever it is given, and is checked in float32."""
        asked = node.args[1:2] == (torch.float32,) or node.kwargs.get("dtype") == torch.float32
        return asked or self.cap.values[node].dtype == torch.float32 and self.cap.values[node.args[0]].dtype != torch.float32

    def op_pixel_shuffle(self, node, name):
        """``F.pixel_shuffle(x, r)`` (sub-pixel upsampling): a view and a permute, no statement; the channels split into
        (c, r, r), each r joining its spatial axis, [..., c (h r) (w r)], as a rearrange would write it."""
        seen, r = self.get(node.args[0]), node.args[1]
        sizes = [self.atoms.size(d) for d in seen.dims]
        *batch, channels, rows, cols = sizes
        split = self.atoms.reshape(seen.dims, batch + [channels // (r * r), r, r, rows, cols])
        b = len(batch)
        moved = [split[i] for i in [*range(b), b, b + 3, b + 1, b + 4, b + 2]]
        return Seen(self.atoms.reshape(moved, batch + [channels // (r * r), rows * r, cols * r]), seen.dsl, seen.param, seen.number)

    def op_permute(self, node, name):
        seen = self.get(node.args[0])
        n = len(seen.dims)
        if name in ("t", "numpy_T"):
            order = list(reversed(range(n)))
        elif name in ("transpose", "swapaxes"):
            i, j = (a % n for a in node.args[1:3])
            order = list(range(n))
            order[i], order[j] = order[j], order[i]
        elif name in ("movedim", "moveaxis"):  # torch.movedim(x, source, destination), ints or tuples
            source, destination = ([a % n for a in (x if isinstance(x, (list, tuple)) else [x])] for x in node.args[1:3])
            rest = iter(i for i in range(n) if i not in source)
            placed = dict(zip(destination, source))
            order = [placed[i] if i in placed else next(rest) for i in range(n)]
        else:
            order = [a % n for a in node.args[1]]
        dims = [seen.dims[i] for i in order]
        return Seen(dims, seen.dsl, seen.param, seen.number)

    def _expanded(self, seen: Seen, src: list, out: list) -> Seen:
        """``seen`` expanded from shape ``src`` to ``out``: each dim of one that grows a new atom, along which the
        diagram's tensor is copied where it is read (broadcast); a parameter's box has none of them."""
        dims = [self.atoms.new(s, "") for s in out[: len(out) - len(src)]]
        for d, s_in, s_out in zip(seen.dims, src, out[len(out) - len(src):]):
            dims.append(d if s_in == s_out else self.atoms.new(s_out, ""))
        if seen.param is not None and seen.dsl is None:
            return Seen(dims, seen.dsl, seen.param, seen.number, tuple(seen.spread) + tuple(d for d in dims if d not in seen.dims))
        return Seen(dims, seen.dsl, seen.param, seen.number)

    def op_repeat(self, node, name):
        """``x.repeat(...)`` copying only dims of one (a class token per frame, TimeSformer's): an expand, each copied
        along its new atom; repeating a dim of more (tiling it) has no statement."""
        seen, repeats = self.get(node.args[0]), list(node.args[1])
        src = [1] * (len(repeats) - len(seen.dims)) + list(self.shape(node.args[0]))
        if any(r != 1 and s != 1 for r, s in zip(repeats, src)):
            raise Unsupported("repeating a tensor along a dimension of more than one (tiling it: the language broadcasts instead)")
        ones = [self.atoms.new(1, "unit") for _ in repeats[len(seen.dims):]]
        return self._expanded(Seen(ones + seen.dims, seen.dsl, seen.param, seen.number, seen.spread), src, list(self.shape(node)))

    def op_repeat_interleave(self, node, name):
        """``x.repeat_interleave(r, dim)`` (grouped-query keys and values, one per query head): each element copied
        ``r`` times in place, which is ``x.unsqueeze(dim + 1).expand(..., r, ...)`` viewed with ``dim`` and the copies as
        one dim, as transformers' ``repeat_kv`` writes it: the dim splits into (dim, r) where it is read. Repeats that
        differ from element to element, or of the flattened tensor, have no statement."""
        seen, repeats, dim = self.get(node.args[0]), node.args[1], self.arg(node, 2)
        if isinstance(repeats, torch.fx.Node):  # a tensor of repeats, one per element: the same for every one, or none
            counts = self.cap.values[repeats].flatten().tolist()
            if len(set(counts)) != 1:
                raise Unsupported("repeating the elements of a dimension unequal numbers of times")
            repeats = counts[0]
        if dim is None:
            raise Unsupported("repeating the elements of the flattened tensor")
        dim %= len(seen.dims)
        src = list(self.shape(node.args[0]))
        copies = Seen(seen.dims[:dim + 1] + [self.atoms.new(1, "unit")] + seen.dims[dim + 1:], seen.dsl, seen.param, seen.number)
        copied = self._expanded(copies, src[:dim + 1] + [1] + src[dim + 1:], src[:dim + 1] + [int(repeats)] + src[dim + 1:])
        return Seen(self.atoms.reshape(copied.dims, list(self.shape(node))), seen.dsl, seen.param, seen.number)

    def op_dropout(self, node, name):
        """Dropout in evaluation does nothing; in training, ``dropout`` of its elements. Dropping whole channels
        (``nn.Dropout2d``'s ``feature_dropout``) or SELU's alpha dropout in training has no statement."""
        seen = self.get(node.args[0])
        p, train = float(self.arg(node, 1, 0.5)), bool(self.arg(node, 2, True))
        if not train or p == 0:
            return seen
        if name != "dropout":
            raise Unsupported(f"{name.replace('_', ' ')} in training")
        return Seen(seen.dims, self.emit("dropout", [self.data(seen)], self.prog.values[seen.dsl].atoms, node, options={"p": p}))

    op_feature_dropout = op_alpha_dropout = op_feature_alpha_dropout = op_dropout

    # -- splitting a tensor -----------------------------------------------------
    def op_select(self, node, name):
        seen = self.get(node.args[0])
        return self.selected(node, seen, node.args[1] % len(seen.dims), node.args[2])

    def selected(self, node, seen: Seen, dim: int, index: int) -> Seen:
        """``seen`` at ``index`` of its dim ``dim``, which goes (an ``index`` statement, none for a dim of one)."""
        leaves = self.atoms.leaves(seen.dims[dim])
        dims = seen.dims[:dim] + seen.dims[dim + 1:]
        if not leaves:
            return Seen(dims, seen.dsl, seen.param)
        if len(leaves) != 1:
            raise Unsupported("selecting from a flattened dimension")
        return self._pick(node, seen, leaves[0], index % self.atoms.size(leaves[0]), dims, anywhere=True)

    def _pick(self, node, seen: Seen, leaf: int, index: int, dims, anywhere: bool = False) -> Seen:
        """``seen`` at ``index`` of ``leaf``. One part of a packed projection is a map of its own: the first of its
        outputs cut into parts (GPT-2's q, k and v), or, ``anywhere``, one of them indexed (Falcon's [heads, 3, depth])."""
        if seen.param is not None:
            return Seen(dims, param=self._fix(seen.param, leaf, index))
        stmt = self.producer.get(seen.dsl)
        out = self.leaves(stmt.axes["out"]) if is_map(stmt) else []
        if self.atoms.find(leaf) in (out if anywhere else out[:1]):
            rest = [x for x in out if x != self.atoms.find(leaf)]
            params = {k: self._fix(p, leaf, index) for k, p in stmt.params.items()}
            atoms = [a for a in self.leaves(self.prog.values[stmt.out].atoms) if self.atoms.find(a) != self.atoms.find(leaf)]
            out = self.emit("linear", stmt.args, atoms, node, axes={"in": stmt.axes["in"], "out": rest}, params=params,
                            label=box_path(params["weight"]), options=dict(stmt.options))
            return Seen(dims, out)
        atoms = [a for a in self.dsl_leaves(seen) if self.atoms.find(a) != self.atoms.find(leaf)]
        return Seen(dims, self.emit("index", [self.data(seen)], atoms, node, axes={"on": [leaf]}, options={"at": index}))

    def picks_joined(self, tensors: list, dim: int):
        """``cat(tensors, dim)`` when the tensors are one tensor picked at every index of some of its axes, in order
        (Swin's patch merging: x[:, 0::2, 0::2], x[:, 1::2, 0::2], ..., joined along the channels): that tensor, its
        picked axes and the joined one flattened into one dim in their place, a view that makes no statement; or None."""
        picked = [self._picks(t) for t in tensors]
        if any(p is None for p in picked) or len({source for source, _ in picked}) != 1:
            return None
        source, first = picked[0][0], picked[0][1]
        axes = list(first)
        if not axes or any(set(at) != set(axes) for _, at in picked):
            return None
        joined = tensors[0].dims[dim]
        for t in tensors[1:]:
            if self.atoms.find(t.dims[dim]) != self.atoms.find(joined):
                return None
        for order in itertools.permutations(axes):  # the picks' order: which axis varies slowest
            grid = itertools.product(*(range(self.atoms.size(a)) for a in order))
            if all(tuple(at[a] for a in order) == want for (_, at), want in zip(picked, grid)) \
                    and len(picked) == math.prod(self.atoms.size(a) for a in order):
                merged = self.atoms.merge(list(order) + [joined])
                return Seen(tensors[0].dims[:dim] + [merged] + tensors[0].dims[dim + 1:], source)
        return None

    def _picks(self, seen: Seen):
        """(the value ``seen`` was picked from by ``index`` statements, {axis: index} of each pick), or None."""
        at, value = {}, seen.dsl
        while value is not None and (stmt := self.producer.get(value)) is not None and stmt.fn == "index" and "on" in stmt.axes:
            at[self.atoms.find(stmt.axes["on"][0])] = stmt.options["at"]
            value = stmt.args[0]
        return (value, at) if at and value is not None else None

    def _fix(self, param: Param, leaf: int, index: int) -> Param:
        """``param`` with one index of ``leaf`` taken; inside a run of parts, that part of the stored rows."""
        for run, (parts, first, part) in param.runs.items():
            leaves = self.atoms.leaves(run)
            if len(leaves) > 1 and self.atoms.find(leaves[0]) == self.atoms.find(leaf):
                self.atoms.unify(self.atoms.merge(leaves[1:]), part)
                return Param(param.name, param.dims, {**param.fixed, self.atoms.find(parts): first + index})
        return Param(param.name, param.dims, {**param.fixed, self.atoms.find(leaf): index}, param.runs)

    def _param_runs(self, seen: Seen, dim: int, sizes: list[int]) -> list:
        """A parameter cut into pieces of unequal sizes along ``dim``: each piece is one part, or a run of parts, of the stored rows."""
        unit = math.gcd(*sizes)
        parts, part = self.atoms.split(seen.dims[dim], [self.atoms.size(seen.dims[dim]) // unit, unit])
        pieces, first = [], 0
        for size in sizes:
            count = size // unit
            if count == 1:
                pieces.append(Seen(seen.dims[:dim] + [part] + seen.dims[dim + 1:],
                                   param=Param(seen.param.name, seen.param.dims, {**seen.param.fixed, self.atoms.find(parts): first})))
            else:
                run = self.atoms.new(size, "out")
                pieces.append(Seen(seen.dims[:dim] + [run] + seen.dims[dim + 1:],
                                   param=Param(seen.param.name, seen.param.dims, dict(seen.param.fixed), {run: (parts, first, part)})))
            first += count
        return pieces

    def _pieces(self, node, seen: Seen, dim: int, count: int, which=None) -> list:
        """``seen`` cut into ``count`` equal pieces along ``dim``: each piece, or those ``which`` names."""
        size = self.atoms.size(seen.dims[dim])
        fresh = self.atoms.atom(seen.dims[dim]).parts is None
        parts = self.atoms.split(seen.dims[dim], [count, size // count]) if self.atoms.leaves(seen.dims[dim]) else None
        if parts is None:
            raise Unsupported("splitting a size-1 dimension")
        if fresh:  # which piece: no heads of what each piece holds (axisnames.role)
            self.atoms.atom(parts[0]).role = "pieces"
        return [self._pick(node, seen, parts[0], i, seen.dims[:dim] + [parts[1]] + seen.dims[dim + 1:]) for i in which or range(count)]

    def op_slice(self, node, name):
        """``x[..., start:end]``: all of a dim (a view), none of it (an empty piece, which a concatenation
        leaves out: a rotary embedding over the whole head passes on an empty rest), one of equal parts
        (Phi-3's packed q, k and v; the rotated half of a head), taken as a split into parts is, or every
        step-th element (``x[:, 1::2]``, Swin's patch merging), index ``start`` of the dim split as (n / step, step)."""
        seen = self.get(node.args[0])
        dim = self.arg(node, 1, 0) % len(seen.dims)
        size = self.atoms.size(seen.dims[dim])
        start, end, step = slice(self.arg(node, 2), self.arg(node, 3), self.arg(node, 4, 1)).indices(size)
        taken = len(range(start, end, step))
        if taken == size:
            return Seen(list(seen.dims), seen.dsl, seen.param, seen.number)
        if taken == 0:
            return Seen(seen.dims[:dim] + [self.atoms.new(0, "")] + seen.dims[dim + 1:])
        source = self.rows_source(seen, dim) if step == 1 else None
        if source is not None:  # q, k and v of unequal sizes too (Phi-3's with fewer kv heads)
            return self.rows_of_map(node, source, seen, dim, start, start + taken)
        if step == 1 and not size % taken and not start % taken:  # a half of each head's depth (a partial rotary)
            return self._pieces(node, seen, dim, size // taken, [start // taken])[0]
        if step > 1 and not size % step and start < step and taken == size // step:  # every step-th from start (Swin's
            parts = self.atoms.split(seen.dims[dim], [taken, step]) if self.atoms.leaves(seen.dims[dim]) else None  # merging)
            if parts is not None:  # the dim as (taken, step): index start of the inner one
                return self._pick(node, seen, parts[1], start, seen.dims[:dim] + [parts[0]] + seen.dims[dim + 1:])
        if step == 1 and len(self.atoms.leaves(seen.dims[dim])) == 1 and seen.param is None:  # a run of one axis (gpt-oss's
            return self._run(node, seen, dim, start, taken)  # scores, its sinks sliced off)
        raise Unsupported("a slice that is not one of equal parts, nor every step-th of a whole dim, nor a run of one axis")

    def _run(self, node, seen: Seen, dim: int, start: int, taken: int) -> Seen:
        """``taken`` elements of ``dim`` (one axis) from ``start``, as a new axis: ``index(X: t -> s) with at=start``."""
        (leaf,) = self.atoms.leaves(seen.dims[dim])
        run = self.atoms.new(taken, "")
        atoms = [run if self.atoms.find(a) == self.atoms.find(leaf) else a for a in self.dsl_leaves(seen)]
        out = self.emit("index", [self.data(seen)], atoms, node, axes={"in": [leaf], "out": [run]}, options={"at": start})
        return Seen(seen.dims[:dim] + [run] + seen.dims[dim + 1:], out)

    def rows_source(self, seen: Seen, dim: int):
        """The map whose outermost output (the outermost rows of its weight) ``dim`` of ``seen`` is, or None."""
        leaves = self.atoms.leaves(seen.dims[dim])
        stmt = self.producer.get(seen.dsl) if seen.param is None and len(leaves) == 1 else None
        out = self.leaves(stmt.axes["out"]) if is_map(stmt) else []
        if not out or out[0] != self.atoms.find(leaves[0]) or self.atoms.leaves(stmt.params["weight"].dims[0])[:1] != out[:1] \
                or any(p.fixed or p.runs or p.rows is not None for p in stmt.params.values()):
            return None
        return stmt

    def rows_of_map(self, node, stmt, seen: Seen, dim: int, start: int, stop: int) -> Seen:
        """``seen[..., start:stop, ...]`` along ``dim`` where ``seen`` is the result of the map ``stmt`` and ``dim`` its
        outermost output (:meth:`rows_source`): a map of its own with those rows of the weight and bias (Falcon-7B's
        query_key_value viewed as [heads + 2, head depth]: its queries the first heads, its key and value one head each)."""
        out = self.leaves(stmt.axes["out"])
        rest, per = out[1:], math.prod(self.atoms.size(x) for x in out[1:])
        run = self.atoms.new(stop - start, self.atoms.atom(out[0]).role)
        first = self.atoms.merge([run] + rest)  # the rows taken, as the stored weight's and bias's first dim
        params = {kind: Param(p.name, [first] + list(p.dims[1:]), shift=p.shift, rows=(start * per, stop * per))
                  for kind, p in stmt.params.items()}
        atoms = [run if self.atoms.find(a) == out[0] else a for a in self.leaves(self.prog.values[stmt.out].atoms)]
        part = self.parts_taken[stmt.out] = self.parts_taken.get(stmt.out, -1) + 1  # q, k, v: parts 0, 1, 2, as an even split's
        made = self.emit("linear", stmt.args, atoms, node, axes={"in": stmt.axes["in"], "out": [run] + rest}, params=params,
                         label=f"{box_path(params['weight'])}.{part}", options=dict(stmt.options))
        return Seen(seen.dims[:dim] + [run] + seen.dims[dim + 1:], made)

    def op_chunk(self, node, name):
        seen = self.get(node.args[0])
        dim = self.arg(node, 2, 0) % len(seen.dims)
        count = len(self.cap.values[node])
        if self.atoms.size(seen.dims[dim]) % count:
            raise Unsupported("unequal chunks")
        return self._pieces(node, seen, dim, count)

    def op_split(self, node, name):
        seen = self.get(node.args[0])
        dim = self.arg(node, 2, 0) % len(seen.dims)
        sizes = [tuple(t.shape)[dim] for t in self.cap.values[node]]
        if len(set(sizes)) != 1:
            source = self.rows_source(seen, dim) if seen.param is None else None
            starts = [sum(sizes[:n]) for n in range(len(sizes))]
            if source is not None:  # DeepSeek-V3's latent and its rotary part
                return [self.rows_of_map(node, source, seen, dim, a, a + size) for a, size in zip(starts, sizes)]
            if seen.param is None and len(self.atoms.leaves(seen.dims[dim])) == 1:  # runs of one axis (DeepSeek-V3's
                return [self._run(node, seen, dim, a, size) for a, size in zip(starts, sizes)]  # heads' own and rotary parts)
            if seen.param is None or dim != 0:
                raise Unsupported("pieces of unequal sizes")
            return self._param_runs(seen, dim, sizes)
        return self._pieces(node, seen, dim, len(self.cap.values[node]))

    op_split_with_sizes = op_split

    def op_unbind(self, node, name):
        seen = self.get(node.args[0])
        dim = self.arg(node, 1, 0) % len(seen.dims)
        leaves = self.atoms.leaves(seen.dims[dim])
        dims = seen.dims[:dim] + seen.dims[dim + 1:]
        return [self._pick(node, seen, leaves[0], i, dims) for i in range(self.atoms.size(seen.dims[dim]))]
