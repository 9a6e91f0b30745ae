"""Map captured aten operations to DSL statements, following dimension provenance.

Views, permutes and copies make no statement: they regroup or reorder the atoms
of a tensor (:mod:`.axes`), so the DSL tensor behind them is unchanged. Every
other operation the DSL has becomes its statement; one it does not have is
reported, never approximated.
"""
from __future__ import annotations

import math
import operator
from dataclasses import dataclass

import torch

from ..errors import NcdError
from .axes import Atoms
from .capture import Capture
from .graph import Param, Program, Stmt
from .experts import recognise_experts
from .patterns import recognise

ELEMENTWISE = {"relu": "relu", "gelu": "gelu", "silu": "silu", "sigmoid": "sigmoid", "tanh": "tanh", "exp": "exp"}
VIEWS = {"view", "reshape", "_unsafe_view", "flatten", "unflatten", "squeeze", "unsqueeze", "contiguous", "clone",
         "alias", "detach", "_to_copy", "to", "type_as", "lift_fresh_copy", "expand", "expand_as"}
PERMUTES = {"transpose", "permute", "t", "numpy_T", "swapaxes"}


@dataclass
class Seen:
    """A captured tensor as the importer sees it: the atom of each dimension, and where its
    data is: a DSL value, a parameter, or a number."""

    dims: list[int]
    dsl: int | None = None
    param: Param | None = None
    number: float | None = None


class Unsupported(Exception):
    """An operation the DSL has no statement for."""


def build_program(cap: Capture) -> Program:
    """The statements that compute ``cap``'s outputs."""
    return _Mapper(cap).run()


class _Mapper:
    def __init__(self, cap: Capture):
        self.cap = cap
        self.atoms = Atoms()
        self.prog = Program(self.atoms)
        self.seen: dict = {}
        self.producer: dict[int, Stmt] = {}
        self.replaced = {**recognise(cap), **recognise_experts(cap)}
        self.float32 = False

    # -- driver ---------------------------------------------------------------
    def run(self) -> Program:
        nodes = list(self.cap.graph.nodes)
        output = next(n for n in nodes if n.op == "output")
        needed = self._needed(output)
        for node in nodes:
            if node.op == "placeholder":
                self._input(node)
            elif node in needed and node.op in ("call_function", "get_attr"):
                try:
                    self._node(node)
                except Unsupported as error:
                    self.seen[node] = self._opaque(node)
                    self.prog.warnings.append(f"{_op_name(node)} {_shapes(node, self.cap.values)} in "
                                              f"{_module(node) or 'the top module'} is an opaque box: {error}")
        for arg in _flat(output.args[0]):
            seen = self.seen.get(arg)
            if seen is None or seen.dsl is None:
                raise NcdError(f"the module's output {arg} is not computed from its inputs")
            self.prog.outputs.append((seen.dsl, seen.dims))
        self.prog.float32 = self.float32
        return self.prog

    def _needed(self, output) -> set:
        needed, stack = set(), [output]
        while stack:
            node = stack.pop()
            if node in needed:
                continue
            needed.add(node)
            inputs = self.replaced[node].inputs if node in self.replaced else node.all_input_nodes
            stack.extend(inputs)
        return needed

    def _input(self, node) -> None:
        value = self.cap.values[node]
        dtype = "int" if not value.is_floating_point() else "real"
        roles = _input_roles(value, dtype)
        dims = [self.atoms.new(s, r, width=r in ("seq", "rows", "cols")) for s, r in zip(value.shape, roles)]
        vid = self.prog.value(dims, dtype, hint=node.name)
        self.prog.inputs.append((vid, dims, node.name))
        self.seen[node] = Seen(dims, dsl=vid)

    def _node(self, node) -> None:
        if node in self.replaced:
            self.seen[node] = self.replaced[node].emit(self, node)
            return
        if node.op == "get_attr":
            value = self.cap.values[node]
            if not isinstance(value, torch.Tensor):
                raise Unsupported("not a tensor")
            dims = [self.atoms.new(s, "out" if i == 0 else "") for i, s in enumerate(value.shape)]
            self.seen[node] = Seen(dims, param=Param(node.target, dims))
            return
        if node.target is operator.getitem:
            parent = self.seen[node.args[0]]
            if not isinstance(parent, list):
                raise Unsupported("indexing a tensor by python")
            self.seen[node] = parent[node.args[1]]
            return
        name = getattr(getattr(node.target, "overloadpacket", None), "__name__", None) or getattr(node.target, "__name__", str(node.target))
        name = name.rstrip("_") if name.endswith("_") and not name.startswith("_") else name
        handler = getattr(self, "op_" + name.lstrip("_"), None)
        if name in VIEWS:
            handler = self.op_view
        elif name in PERMUTES:
            handler = self.op_permute
        elif name in ELEMENTWISE:
            handler = self.op_elementwise
        if handler is None:
            raise Unsupported("no DSL equivalent")
        self.seen[node] = handler(node, name)

    def _opaque(self, node):
        """A box for an operation the language has no statement for: its tensor inputs in, its results out."""
        data = [self.seen[a] for a in _flat(list(node.args) + list(node.kwargs.values()))
                if isinstance(self.seen.get(a), Seen) and self.seen[a].dsl is not None]
        value = self.cap.values.get(node)
        results = value if isinstance(value, (list, tuple)) else [value]
        outs = []
        for i, result in enumerate(results):
            if not isinstance(result, torch.Tensor):
                outs.append(None)
                continue
            shape = tuple(result.shape)
            like = next((d for d in data if tuple(self.atoms.size(x) for x in d.dims) == shape), None)
            dims = list(like.dims) if like is not None else [self.atoms.new(n, "" if n > 1 else "unit") for n in shape]
            label = _op_name(node) + (f"[{i}]" if isinstance(value, (list, tuple)) else "")
            out = self.emit("opaque", [d.dsl for d in data], self.leaves(dims), node, label=label)
            if result.dtype in (torch.int64, torch.int32, torch.bool):
                self.prog.values[out].dtype = "real"
            outs.append(Seen(dims, out))
        return outs if isinstance(value, (list, tuple)) else outs[0]

    # -- helpers ----------------------------------------------------------------
    def arg(self, node, i, default=None):
        if i < len(node.args):
            return node.args[i]
        return default

    def get(self, x) -> Seen:
        if isinstance(x, torch.fx.Node):
            seen = self.seen.get(x)
            if seen is None:
                raise Unsupported(f"its input {x.name} could not be imported")
            return seen
        if isinstance(x, (int, float)):
            return Seen([], number=float(x))
        raise Unsupported(f"argument {x!r}")

    def shape(self, node):
        return tuple(self.cap.values[node].shape)

    def emit(self, fn, args, atoms, node, hint="", **fields) -> int:
        out = self.prog.value(atoms, hint=hint)
        stmt = Stmt(fn, out, list(args), module=_module(node), **fields)
        self.prog.stmts.append(stmt)
        self.producer[out] = stmt
        return out

    def leaves(self, dims) -> list[int]:
        return [leaf for d in dims for leaf in self.atoms.leaves(d)]

    def dsl_leaves(self, seen: Seen) -> list[int]:
        return self.leaves(self.prog.values[seen.dsl].atoms)

    def data(self, seen: Seen) -> int:
        if seen.dsl is None:
            raise Unsupported("a parameter or constant used as data" if seen.param else "a constant used as data")
        return seen.dsl

    def same_shape(self, a: Seen, b: Seen) -> None:
        """Pair two broadcast operands' dimensions from the right; both must hold every axis."""
        self.data(a), self.data(b)
        for x, y in zip(reversed(a.dims), reversed(b.dims)):
            if self.atoms.size(x) == self.atoms.size(y):
                self.atoms.unify(x, y)
        if sorted(map(self.atoms.find, self.dsl_leaves(a))) != sorted(map(self.atoms.find, self.dsl_leaves(b))):
            raise Unsupported("its operands have different shapes (a broadcast), which the diagram's + and * do not take")

    # -- shape-only operations ---------------------------------------------------
    def op_view(self, node, name):
        seen = self.get(node.args[0])
        out = self.shape(node)
        src = self.shape(node.args[0])
        if name in ("expand", "expand_as"):
            dims = [self.atoms.new(s, "") for s in out[: len(out) - len(src)]]
            for d, s_in, s_out in zip(seen.dims, src, out[len(out) - len(src):]):
                dims.append(d if s_in == s_out else self.atoms.new(s_out, ""))
        elif name in ("_to_copy", "to", "type_as") and len(out) == len(src):
            if self.cap.values[node].dtype == torch.float32 and self.cap.values[node.args[0]].dtype != torch.float32:
                self.float32 = True
            dims = list(seen.dims)
        else:
            dims = self.atoms.reshape(seen.dims, list(out))
        return Seen(dims, seen.dsl, seen.param, seen.number)

    def op_permute(self, node, name):
        seen = self.get(node.args[0])
        n = len(seen.dims)
        if name in ("t", "numpy_T"):
            order = list(reversed(range(n)))
        elif name in ("transpose", "swapaxes"):
            i, j = (a % n for a in node.args[1:3])
            order = list(range(n))
            order[i], order[j] = order[j], order[i]
        else:
            order = [a % n for a in node.args[1]]
        dims = [seen.dims[i] for i in order]
        return Seen(dims, seen.dsl, seen.param, seen.number)

    def op_dropout(self, node, name):
        seen = self.get(node.args[0])
        p, train = float(self.arg(node, 1, 0.5)), bool(self.arg(node, 2, True))
        if not train or p == 0:
            return seen
        return Seen(seen.dims, self.emit("dropout", [self.data(seen)], self.prog.values[seen.dsl].atoms, node, options={"p": p}))

    # -- splitting a tensor -----------------------------------------------------
    def op_select(self, node, name):
        seen = self.get(node.args[0])
        dim, index = node.args[1] % len(seen.dims), node.args[2]
        leaves = self.atoms.leaves(seen.dims[dim])
        dims = seen.dims[:dim] + seen.dims[dim + 1:]
        if not leaves:
            return Seen(dims, seen.dsl, seen.param)
        if len(leaves) != 1:
            raise Unsupported("selecting from a flattened dimension")
        return self._pick(node, seen, leaves[0], index % self.atoms.size(leaves[0]), dims)

    def _pick(self, node, seen: Seen, leaf: int, index: int, dims) -> Seen:
        if seen.param is not None:
            return Seen(dims, param=self._fix(seen.param, leaf, index))
        stmt = self.producer.get(seen.dsl)
        if stmt is not None and stmt.fn == "linear" and self.leaves(stmt.axes["out"])[:1] == [self.atoms.find(leaf)]:
            rest = self.leaves(stmt.axes["out"])[1:]   # one part of a packed projection: a map of its own
            params = {k: self._fix(p, leaf, index) for k, p in stmt.params.items()}
            atoms = [a for a in self.leaves(self.prog.values[stmt.out].atoms) if self.atoms.find(a) != self.atoms.find(leaf)]
            out = self.emit("linear", stmt.args, atoms, node, axes={"in": stmt.axes["in"], "out": rest}, params=params,
                            label=_box_path(params["weight"]), options=dict(stmt.options))
            return Seen(dims, out)
        atoms = [a for a in self.dsl_leaves(seen) if self.atoms.find(a) != self.atoms.find(leaf)]
        return Seen(dims, self.emit("index", [self.data(seen)], atoms, node, axes={"on": [leaf]}, options={"at": index}))

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

    def _pieces(self, node, seen: Seen, dim: int, count: int) -> list:
        size = self.atoms.size(seen.dims[dim])
        parts = self.atoms.split(seen.dims[dim], [count, size // count]) if self.atoms.leaves(seen.dims[dim]) else None
        if parts is None:
            raise Unsupported("splitting a size-1 dimension")
        return [self._pick(node, seen, parts[0], i, seen.dims[:dim] + [parts[1]] + seen.dims[dim + 1:]) for i in range(count)]

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

    # -- learned maps ---------------------------------------------------------------
    def op_linear(self, node, name):
        x, w = self.get(node.args[0]), self.get(node.args[1])
        b = self.get(node.args[2]) if self.arg(node, 2) is not None else None
        return self._linear(node, x, w, b, w.dims[-1], w.dims[0])

    def op_addmm(self, node, name):
        b, x, w = (self.get(a) for a in node.args[:3])
        if self.arg(node, 3, 1) != 1 or node.kwargs.get("beta", 1) != 1 or node.kwargs.get("alpha", 1) != 1:
            raise Unsupported("scaled addmm")
        return self._linear(node, x, w, b, w.dims[0], w.dims[1])

    def _linear(self, node, x: Seen, w: Seen, b: Seen | None, w_in: int, w_out: int) -> Seen:
        if w.param is None or (b is not None and b.param is None):
            if w.param is None and x.param is not None:
                raise Unsupported("a product with a parameter on the left")
            return self._matmul(node, x, w)
        self.atoms.unify(x.dims[-1], w_in)
        if b is not None:
            self.atoms.unify(b.dims[-1], w_out)
        acted = self.atoms.leaves(x.dims[-1])
        out_atoms = _linear_order(self.dsl_leaves(x), acted, self.atoms.leaves(w_out), self.atoms)
        params = {"weight": w.param}
        if b is not None:
            params["bias"] = b.param
        path = _box_path(w.param)
        out = self.emit("linear", [self.data(x)], out_atoms, node, axes={"in": [x.dims[-1]], "out": [w_out]},
                        params=params, options={"bias": b is not None}, label=path)
        return Seen(x.dims[:-1] + [w_out], out)

    def op_embedding(self, node, name):
        w, ids = self.get(node.args[0]), self.get(node.args[1])
        if w.param is None or self.prog.values[self.data(ids)].dtype != "int":
            raise Unsupported("an embedding of something other than integer inputs")
        self.atoms.atom(w.dims[0]).role = "vocab"
        atoms = self.dsl_leaves(ids) + self.atoms.leaves(w.dims[1])
        out = self.emit("embedding", [ids.dsl], atoms, node, axes={"vocab": [w.dims[0]], "out": [w.dims[1]]},
                        params={"weight": w.param}, label=_box_path(w.param))
        return Seen(ids.dims + [w.dims[1]], out)

    def op_layer_norm(self, node, name):
        x = self.get(node.args[0])
        count = len(node.args[1])
        w, b = (self.get(a) if a is not None else None for a in (self.arg(node, 2), self.arg(node, 3)))
        eps = float(self.arg(node, 4, 1e-5))
        if (w is None) != (b is None):
            raise Unsupported("a layer norm with a weight but no bias (or the other way round)")
        params = {}
        if w is not None:
            for p in (w, b):
                for d, e in zip(p.dims, x.dims[-count:]):
                    self.atoms.unify(d, e)
            params = {"weight": w.param, "bias": b.param}
        return self._norm(node, "layernorm", x, x.dims[-count:], params, eps)

    def _norm(self, node, fn, x: Seen, dims, params, eps) -> Seen:
        options = {"affine": bool(params), "eps": eps}
        label = _box_path(next(iter(params.values()))) if params else ""
        out = self.emit(fn, [self.data(x)], self.dsl_leaves(x), node, axes={"on": list(dims)}, params=params,
                        options=options, label=label)
        return Seen(x.dims, out)

    def op_batch_norm(self, node, name):
        x, w, b = (self.get(a) if a is not None else None for a in node.args[:3])
        training = bool(self.arg(node, 5, False))
        if not training:
            raise Unsupported("batch norm with running statistics (the module is in eval mode); import it in training mode")
        return self._batch_norm(node, x, w, b, float(self.arg(node, 7, 1e-5)))

    def op_native_batch_norm_legit_functional(self, node, name):
        x, w, b = (self.get(a) if a is not None else None for a in node.args[:3])
        if not bool(self.arg(node, 5, False)):
            raise Unsupported("batch norm with running statistics")
        return [self._batch_norm(node, x, w, b, float(self.arg(node, 7, 1e-5)))]

    def _batch_norm(self, node, x, w, b, eps):
        if w is None or b is None:
            raise Unsupported("batch norm without affine weights")
        self.atoms.unify(w.dims[0], x.dims[1])
        self.atoms.unify(b.dims[0], x.dims[1])
        self.atoms.atom(x.dims[0]).role = self.atoms.atom(x.dims[0]).role or "batch"
        self.prog.batchnorm = True
        return self._norm(node, "batchnorm", x, [d for i, d in enumerate(x.dims) if i != 1], {"weight": w.param, "bias": b.param}, eps)

    def op_conv2d(self, node, name):
        x, w = self.get(node.args[0]), self.get(node.args[1])
        b = self.get(node.args[2]) if self.arg(node, 2) is not None else None
        stride, padding, dilation = (_pair(self.arg(node, i, d)) for i, d in ((3, 1), (4, 0), (5, 1)))
        groups = self.arg(node, 6, 1)
        if groups != 1 or len(set(stride)) > 1 or len(set(padding)) > 1 or len(set(dilation)) > 1 or isinstance(padding[0], str):
            raise Unsupported("a grouped convolution, or one with different settings per direction")
        if w.param is None:
            raise Unsupported("a convolution with computed weights")
        channel, spatial = x.dims[-3], x.dims[-2:]
        o, c, i, j = w.dims
        self.atoms.unify(c, channel)
        for k, role in ((i, "kernel"), (j, "kernel")):
            self.atoms.atom(k).role = role
        out_shape = self.shape(node)[-2:]
        outs = []
        for d, size in zip(spatial, out_shape):
            self.atoms.atom(d).width = True
            outs.append(d if self.atoms.size(d) == size else self.atoms.new(size, self.atoms.atom(d).role, width=True))
        kernels = [i, j]
        x_atoms = self.dsl_leaves(x)
        first = min(x_atoms.index(self.atoms.find(s)) for s in spatial)
        rest = [a for a in x_atoms if a not in map(self.atoms.find, spatial)]
        blocks_atoms = rest[:first] + outs + kernels + rest[first:]
        options = {"stride": stride[0], "padding": padding[0], "dilation": dilation[0]}
        blocks = self.emit("unfold", [self.data(x)], blocks_atoms, node, axes={"in": list(spatial), "out": outs + kernels},
                           options=options)
        acted = [i, j, channel]
        out_atoms = _linear_order(self.leaves(blocks_atoms), self.leaves(acted), self.atoms.leaves(o), self.atoms)
        params = {"weight": w.param}
        if b is not None:
            self.atoms.unify(b.dims[0], o)
            params["bias"] = b.param
        out = self.emit("linear", [blocks], out_atoms, node, axes={"in": acted, "out": [o]}, params=params,
                        options={"bias": b is not None}, label=_box_path(w.param))
        dims = x.dims[:-3] + [o] + outs
        return Seen(dims, out)

    # -- products --------------------------------------------------------------
    def op_matmul(self, node, name):
        return self._matmul(node, self.get(node.args[0]), self.get(node.args[1]))

    op_bmm = op_mm = op_matmul

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
        if self.atoms.related(j1, j2):   # keys renamed beside queries: the other operand takes the new name
            b_dsl = self._rename(node, b, j2, j1)
        else:
            self.atoms.unify(j1, j2)
        clash = set(map(self.atoms.find, self.atoms.leaves(l))) & set(map(self.atoms.find, self.leaves(batch_a + [i])))
        if clash:
            (old,) = clash
            new = self.atoms.new(self.atoms.size(old), "seq", width=self.atoms.atom(old).width)
            self.atoms.atoms[new].renamed_from = old
            b_dsl = self._rename(node, Seen(b.dims, b_dsl), old, new)
            l = new if self.atoms.find(l) == old else self.atoms.merge([new if self.atoms.find(x) == old else x for x in self.atoms.leaves(l)])
        out_dims = batch + [i, l]
        shared = set(map(self.atoms.find, self.leaves(batch_a))) & set(map(self.atoms.find, self.leaves(batch_b)))
        order = self.leaves(out_dims)  # the diagonal (head) axes last, as a hand-written einsum has them
        order = [x for x in order if self.atoms.find(x) not in shared] + [x for x in order if self.atoms.find(x) in shared]
        out = self.emit("einsum", [self.data(a), b_dsl], order, node, scale=scale, axes={"depth": [j1]})
        return Seen(out_dims, out)

    def _rename(self, node, seen: Seen, old: int, new: int) -> int:
        atoms = [new if self.atoms.find(x) == self.atoms.find(old) else x for x in self.dsl_leaves(seen)]
        return self.emit("rename", [self.data(seen)], atoms, node, axes={"from": [old], "to": [new]})

    def op_scaled_dot_product_attention(self, node, name):
        q, k, v = (self.get(a) for a in node.args[:3])
        mask = self.arg(node, 3, node.kwargs.get("attn_mask"))
        causal = self.arg(node, 5, node.kwargs.get("is_causal", False))
        scale = self.arg(node, 6, node.kwargs.get("scale"))
        if mask is not None or float(self.arg(node, 4, node.kwargs.get("dropout_p", 0.0))) != 0.0:
            raise Unsupported("attention with a mask tensor or dropout")
        depth = self.atoms.size(q.dims[-1])
        kt = Seen(k.dims[:-2] + [k.dims[-1], k.dims[-2]], k.dsl)
        s = self._matmul(node, q, kt, scale=scale if scale is not None else depth ** -0.5)
        if causal:
            s = Seen(s.dims, self.emit("mask", [s.dsl], self.prog.values[s.dsl].atoms, node, axes={"on": s.dims[-2:]}))
        p = Seen(s.dims, self.emit("softmax", [s.dsl], self.prog.values[s.dsl].atoms, node, axes={"on": [s.dims[-1]]}))
        return self._matmul(node, p, v)

    def op_einsum(self, node, name):
        equation, operands = node.args[0], [self.get(t) for t in node.args[1]]
        if len(operands) != 2 or "->" not in equation:
            raise Unsupported("an einsum of other than two tensors, or without '->'")
        specs, out = equation.replace(" ", "").split("->")
        specs = specs.split(",")
        letters = [_letters(spec, len(seen.dims)) for spec, seen in zip(specs, operands)]
        out_letters = _letters(out, len(self.shape(node)))
        dims = {}
        for seen, names in zip(operands, letters):
            for d, letter in zip(seen.dims, names):
                if letter in dims and self.atoms.size(dims[letter]) == self.atoms.size(d) > 1:
                    self.atoms.unify(dims[letter], d)
                elif letter not in dims or self.atoms.size(dims[letter]) == 1:
                    dims[letter] = d
        out_dims = [dims[letter] for letter in out_letters]
        (a, b), (la, lb) = operands, letters
        if (a.param is None) == (b.param is None):
            if a.param is not None:
                raise Unsupported("an einsum of two parameters")
            order = self.leaves(out_dims)
            shared = set(map(self.atoms.find, self.leaves([dims[x] for x in set(la) & set(lb) & set(out_letters)])))
            order = [x for x in order if self.atoms.find(x) not in shared] + [x for x in order if self.atoms.find(x) in shared]
            if len(set(map(self.atoms.find, order))) != len(order):
                raise Unsupported("an einsum whose result has one axis twice")
            return Seen(out_dims, self.emit("einsum", [self.data(a), self.data(b)], order, node))
        (x, lx), (w, lw) = ((a, la), (b, lb)) if b.param is not None else ((b, lb), (a, la))
        contracted = [letter for letter in lx if letter in lw and letter not in out_letters]
        made = [letter for letter in lw if letter in out_letters]
        if len(contracted) + len(made) != len(lw) or not contracted:
            raise Unsupported("an einsum with a parameter that is not a linear map")
        acted = [dims[letter] for letter in contracted]
        new = [dims[letter] for letter in made]
        atoms = _linear_order(self.dsl_leaves(x), self.leaves(acted), self.leaves(new), self.atoms)
        label = _box_path(w.param)
        stmt = self.emit("linear", [self.data(x)], atoms, node, axes={"in": acted, "out": new}, params={"weight": w.param},
                         options={"bias": False}, label=label)
        return Seen(out_dims, stmt)

    # -- element-wise ---------------------------------------------------------
    def op_elementwise(self, node, name):
        if name == "gelu" and node.kwargs.get("approximate", self.arg(node, 1, "none")) != "none":
            raise Unsupported("the tanh approximation of GELU (the diagram's gelu is exact)")
        x = self.get(node.args[0])
        return Seen(x.dims, self.emit(ELEMENTWISE[name], [self.data(x)], self.prog.values[x.dsl].atoms, node))

    def op_softmax(self, node, name):
        x = self.get(node.args[0])
        dim = node.args[1] % len(x.dims)
        return Seen(x.dims, self.emit("softmax", [self.data(x)], self.prog.values[x.dsl].atoms, node, axes={"on": [x.dims[dim]]}))

    def op_mul(self, node, name):
        a, b = self.get(node.args[0]), self.get(node.args[1])
        if b.number is not None or a.number is not None:
            x, c = (a, b.number) if b.number is not None else (b, a.number)
            return Seen(x.dims, self.emit("scale", [self.data(x)], self.prog.values[self.data(x)].atoms, node, scale=c))
        self.same_shape(a, b)
        return Seen(a.dims, self.emit("mul", [self.data(a), self.data(b)], self.prog.values[a.dsl].atoms, node))

    def op_div(self, node, name):
        a, b = self.get(node.args[0]), self.get(node.args[1])
        if b.number is None or b.number == 0:
            raise Unsupported("division by a tensor")
        return Seen(a.dims, self.emit("scale", [self.data(a)], self.prog.values[self.data(a)].atoms, node, scale=1 / b.number))

    def op_add(self, node, name):
        a, b = self.get(node.args[0]), self.get(node.args[1])
        if b.param is not None and a.dsl is not None and len(node.args[0].users) == 1:
            stmt = self.producer.get(a.dsl)  # a map's result plus a parameter over its outputs: the map's bias
            out = self.leaves(stmt.axes["out"]) if stmt is not None and stmt.fn == "linear" else None
            if out and not stmt.options.get("bias") and len(b.dims) <= len(a.dims):
                for x, y in zip(reversed(a.dims), reversed(b.dims)):
                    self.atoms.unify(x, y)
                if sorted(self.leaves(b.dims)) == sorted(map(self.atoms.find, out)):
                    stmt.options["bias"] = True
                    stmt.params["bias"] = b.param
                    return a
        if a.number is not None or b.number is not None or node.kwargs.get("alpha", 1) != 1:
            raise Unsupported("adding a constant")
        self.same_shape(a, b)
        return Seen(a.dims, self.emit("add", [self.data(a), self.data(b)], self.prog.values[a.dsl].atoms, node))

    def _reduce(self, node, fn):
        x = self.get(node.args[0])
        dims = self.arg(node, 1)
        keep = bool(self.arg(node, 2, False))
        dims = list(range(len(x.dims))) if dims is None else ([dims] if isinstance(dims, int) else list(dims))
        dims = [d % len(x.dims) for d in dims]
        acted = [x.dims[d] for d in dims]
        atoms = [a for a in self.dsl_leaves(x) if a not in set(map(self.atoms.find, self.leaves(acted)))]
        out = self.emit(fn, [self.data(x)], atoms, node, axes={"on": acted})
        rest = [self.atoms.new(1, "unit") if i in dims else d for i, d in enumerate(x.dims)] if keep else \
            [d for i, d in enumerate(x.dims) if i not in dims]
        return Seen(rest, out)

    def op_mean(self, node, name):
        return self._reduce(node, "mean")

    def op_sum(self, node, name):
        return self._reduce(node, "sum")

    def op_amax(self, node, name):
        return self._reduce(node, "max")

    def op_cat(self, node, name):
        tensors = [self.get(t) for t in node.args[0]]
        dim = self.arg(node, 1, 0) % len(tensors[0].dims)
        if len(tensors) != 2:
            raise Unsupported("concatenating other than two tensors")
        a, b = tensors
        for i, (x, y) in enumerate(zip(a.dims, b.dims)):
            if i != dim:
                self.atoms.unify(x, y)
        joined = self.atoms.new(self.shape(node)[dim], self.atoms.atom(a.dims[dim]).role, width=self.atoms.atom(a.dims[dim]).width)
        atoms = [joined if self.atoms.find(x) in map(self.atoms.find, self.atoms.leaves(a.dims[dim])) else x for x in self.dsl_leaves(a)]
        out = self.emit("concat", [self.data(a), self.data(b)], atoms, node, axes={"on": [a.dims[dim], b.dims[dim]], "to": [joined]})
        return Seen(a.dims[:dim] + [joined] + a.dims[dim + 1:], out)


def _letters(spec: str, ndim: int) -> list[str]:
    """An einsum operand's letters, one per dimension; ``...`` becomes ``.0``, ``.1``, ... counted from the right."""
    if "..." not in spec:
        return list(spec)
    before, after = spec.split("...")
    count = ndim - len(before) - len(after)
    return list(before) + [f".{count - 1 - i}" for i in range(count)] + list(after)


def _linear_order(x_atoms, acted, new, atoms: Atoms) -> list[int]:
    """The atoms of a linear map's result, as the DSL orders them: the new ones where the first acted-on one was."""
    acted = set(map(atoms.find, acted))
    x_atoms = [atoms.find(a) for a in x_atoms]
    first = min(i for i, a in enumerate(x_atoms) if a in acted)
    rest = [a for a in x_atoms if a not in acted]
    before = [a for a in x_atoms[:first] if a not in acted]
    return before + list(new) + rest[len(before):]


def _box_path(param: Param) -> str:
    """A learned box's name from its weight's: ``self_attn.q_proj.weight`` -> ``self_attn.q_proj``, ``in_proj_weight`` -> ``in_proj``."""
    name = param.name + "".join(f".{i}" for i in param.fixed.values())
    if param.fixed:
        name = param.name
    for suffix in (".weight", "_weight", ".bias", "_bias"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    return name + "".join(f".{i}" for i in param.fixed.values())


def _pair(v):
    return tuple(v) if isinstance(v, (list, tuple)) else (v, v)


def _op_name(node) -> str:
    """``aten.cumsum`` for ``aten.cumsum.default``."""
    name = str(node.target)
    return name.rsplit(".", 1)[0] if name.startswith("aten.") and name.count(".") >= 2 else name


def _module(node) -> str:
    stack = node.meta.get("nn_module_stack") or {}
    return list(stack.values())[-1][0] if stack else ""


def _flat(x):
    if isinstance(x, (list, tuple)):
        return [y for v in x for y in _flat(v)]
    return [x] if isinstance(x, torch.fx.Node) else []


def _shapes(node, values) -> str:
    value = values.get(node)
    if isinstance(value, torch.Tensor):
        return "[" + " ".join(map(str, value.shape)) + "]"
    if isinstance(value, (list, tuple)):
        return ", ".join("[" + " ".join(map(str, v.shape)) + "]" for v in value if isinstance(v, torch.Tensor))
    return ""


def _input_roles(value, dtype) -> list[str]:
    """Default roles of an input's dimensions: ids are positions; the last real dimension is depth,
    the ones before it positions; an image [batch, channels, rows, cols]."""
    n = value.dim()
    if dtype == "int":
        return (["batch"] if n > 1 else []) + ["seq"] * (n - (1 if n > 1 else 0))
    if n == 4:
        return ["batch", "channels", "rows", "cols"]
    if n == 3:
        return ["batch", "seq", "hidden"]
    if n == 2:
        return ["seq", "hidden"]
    return ["hidden"] * n
