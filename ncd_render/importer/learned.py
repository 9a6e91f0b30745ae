"""Learned maps: linear maps, embeddings and norms (convolutions are :mod:`.convolutions`')."""
from __future__ import annotations

import torch

from .seen import Seen, Unsupported, box_path, linear_order, module_path, target_name, through_views

# functions whose every value is at least 0, by their definition
NONNEGATIVE = {"relu", "relu6", "sigmoid", "_softmax", "softmax", "exp", "abs"}


def nonnegative(node) -> bool:
    """Whether every value of the graph's ``node`` is at least 0, as the function that makes it defines
    (through views of it): ReLU, ReLU6 (hardtanh from 0), sigmoid, softmax, exp, abs.

    >>> import torch
    >>> graph = torch.fx.symbolic_trace(lambda x: torch.relu(x).view(-1)).graph
    >>> [nonnegative(n) for n in graph.nodes if n.op != "placeholder"]
    [True, True, False]
    """
    node = through_views(node)
    if node.op not in ("call_function", "call_method"):
        return False
    name = target_name(node)
    if name in ("hardtanh", "clamp", "clamp_min"):  # a lower bound of 0 or more
        low = node.args[1] if len(node.args) > 1 else node.kwargs.get("min_val", node.kwargs.get("min", -1.0))
        return isinstance(low, (int, float)) and low >= 0
    return name in NONNEGATIVE


class LearnedOps:
    """Methods of the importer's mapper (:class:`.mapping.Mapper`) for learned maps: linear maps, embeddings and norms."""

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
        out_atoms = linear_order(self.dsl_leaves(x), acted, self.atoms.leaves(w_out), self.atoms)
        params = {"weight": w.param}
        if b is not None:
            params["bias"] = b.param
        path = box_path(w.param)
        out = self.emit("linear", [self.data(x)], out_atoms, node, axes={"in": [x.dims[-1]], "out": [w_out]},
                        params=params, options={"bias": b is not None}, label=path)
        return Seen(x.dims[:-1] + [w_out], out)

    def op_embedding(self, node, name):
        return self._embedding(node, self.get(node.args[0]), self.get(node.args[1]))

    def _embedding(self, node, w: Seen, ids: Seen) -> Seen:
        if w.param is None or self.prog.values[self.data(ids)].dtype != "int":
            raise Unsupported("an embedding of something other than integer inputs")
        self.atoms.atom(w.dims[0]).role = "vocab"
        found = self.producer.get(ids.dsl)
        if found is not None and found.fn in ("argmax", "argmin") and self.atoms.size(found.axes["on"][0]) == self.atoms.size(w.dims[0]):
            self.atoms.unify(found.axes["on"][0], w.dims[0])  # ids of places along an axis look up rows of that axis
        atoms = self.dsl_leaves(ids) + self.atoms.leaves(w.dims[1])
        # a tied table (GPT-2's head is its token embedding, and export may name the weight after the head) is
        # labelled after the module that looks it up
        label = box_path(w.param) if box_path(w.param) == module_path(node) or not module_path(node) else ""
        out = self.emit("embedding", [ids.dsl], atoms, node, axes={"vocab": [w.dims[0]], "out": [w.dims[1]]},
                        params={"weight": w.param}, label=label)
        return Seen(ids.dims + [w.dims[1]], out)

    def op_index_select(self, node, name):
        """``table.index_select(0, ids)``: rows of a sinusoidal table kept in a buffer (M2M100's and NLLB's positions)
        as ``sinusoid(P: m)``, its base and zero row found by recomputing the table; of a learned table, an embedding."""
        table, ids = self.get(node.args[0]), self.get(node.args[2])
        value = self.cap.values.get(node.args[0])
        if self.arg(node, 1) != 0 or table.param is None or not isinstance(value, torch.Tensor) or value.dim() != 2 \
                or self.prog.values[self.data(ids)].dtype != "int":
            raise Unsupported("index_select other than a table's rows at integer ids")
        if node.args[0] in self.fed:  # a learned table
            return self._embedding(node, table, ids)
        options = _sinusoid_options(value)
        if options is None:
            raise Unsupported("rows of a table that is neither learned nor sinusoidal")
        atoms = self.dsl_leaves(ids) + self.atoms.leaves(table.dims[1])
        out = self.emit("sinusoid", [ids.dsl], atoms, node, axes={"on": [table.dims[1]]}, options=options)
        return Seen(ids.dims + [table.dims[1]], out)

    def op_index(self, node, name):
        """``weight[ids]``: a table's rows picked by integer inputs, an embedding (as ``ncd compile`` writes one); or
        ``x[..., [i, i + 1, ...]]``, a run of one dim taken by a list of indices (Falcon-7B's ``fused_qkv[..., [-2], :]``)."""
        table, indices = self.get(node.args[0]), node.args[1]
        dim = len(indices) - 1
        source = self.rows_source(table, dim) if indices and indices[-1] is not None and all(i is None for i in indices[:-1]) else None
        if source is not None and indices[-1].op != "placeholder":  # a run of positions the module's code names
            at, size = self.cap.values.get(indices[-1]), self.atoms.size(table.dims[dim])
            taken = [int(i) % size for i in at.flatten()] if isinstance(at, torch.Tensor) and at.dim() == 1 and len(at) else []
            if taken and taken == list(range(taken[0], taken[0] + len(taken))):
                return self.rows_of_map(node, source, table, dim, taken[0], taken[-1] + 1)
        if table.param is None or len(table.dims) != 2 or len(indices) != 1 or indices[0] is None:
            raise Unsupported("indexing by a tensor, other than a table's rows by integer inputs")
        return self._embedding(node, table, self.get(indices[0]))

    def op_layer_norm(self, node, name):
        x = self.get(node.args[0])
        count = len(node.args[1])
        w, b = (self.get(a) if a is not None else None for a in (self.arg(node, 2), self.arg(node, 3)))
        eps = float(self.arg(node, 4, 1e-5))
        if w is None and b is not None:
            raise Unsupported("a layer norm with a bias but no weight")
        for p in (w, b):
            for d, e in zip(p.dims if p is not None else (), x.dims[-count:]):
                self.atoms.unify(d, e)
        if w is not None and b is None:  # nn.LayerNorm(bias=False): ModernBERT's, MPT's
            return self._norm(node, "layernorm", x, x.dims[-count:], {"weight": w.param}, eps, weight=True)
        params = {"weight": w.param, "bias": b.param} if w is not None else {}
        return self._norm(node, "layernorm", x, x.dims[-count:], params, eps)

    def op_rms_norm(self, node, name):
        """``F.rms_norm(x, shape, weight, eps)`` (as ``ncd compile`` writes an ``rmsnorm`` box)."""
        x = self.get(node.args[0])
        count = len(node.args[1])
        w = self.arg(node, 2, node.kwargs.get("weight"))
        eps = self.arg(node, 3, node.kwargs.get("eps"))
        if eps is None:
            raise Unsupported("an RMS norm with torch's default eps (the dtype's), which the diagram does not write")
        params = {}
        if w is not None:
            w = self.get(w)
            if w.param is None:
                raise Unsupported("an RMS norm with a computed weight")
            for d, e in zip(w.dims, x.dims[-count:]):
                self.atoms.unify(d, e)
            params = {"weight": w.param}
        return self._norm(node, "rmsnorm", x, x.dims[-count:], params, float(eps))

    def op_group_norm(self, node, name):
        """``F.group_norm(x, groups, weight, bias, eps)``: x [batch, channels, ...], each group of channels
        normalised over its channels and the dims after them; the weight and bias are per channel."""
        x = self.get(node.args[0])
        return self._per_channel(node, x, self.arg(node, 2), self.arg(node, 3), float(self.arg(node, 4, 1e-5)), int(self.arg(node, 1)))

    def op_instance_norm(self, node, name):
        """``F.instance_norm`` with the input's statistics (nn.InstanceNorm without running ones): a group
        norm with a group per channel."""
        if not self.arg(node, 5, True):
            raise Unsupported("instance norm with running statistics")
        x = self.get(node.args[0])
        return self._per_channel(node, x, self.arg(node, 1), self.arg(node, 2), float(self.arg(node, 7, 1e-5)), self.atoms.size(x.dims[1]))

    def _per_channel(self, node, x: Seen, weight, bias, eps: float, groups: int) -> Seen:
        """``groupnorm(X: c ...) with groups=G`` over x's channels (dim 1) and the dims after them, the weight and bias per channel."""
        w, b = (self.get(a) if a is not None else None for a in (weight, bias))
        if (w is None) != (b is None) or (w is not None and (w.param is None or b.param is None)):
            raise Unsupported("a group or instance norm with a weight but no bias (or the other way round), or computed ones")
        if len(x.dims) < 2:
            raise Unsupported("a group or instance norm of a tensor without channels")
        params = {}
        if w is not None:
            for p in (w, b):
                self.atoms.unify(p.dims[0], x.dims[1])
            params = {"weight": w.param, "bias": b.param}
        return self._norm(node, "groupnorm", x, x.dims[1:], params, eps, groups=groups)

    def _norm(self, node, fn, x: Seen, dims, params, eps, **more) -> Seen:
        alone = more.pop("weight", False)  # a weight and no bias: the flag beside affine's place, before eps
        options = {"affine": "weight" in params and not alone, **({"weight": True} if alone else {}), "eps": eps, **more}
        label = box_path(next(iter(params.values()))) if params else ""
        out = self.emit(fn, [self.data(x)], self.dsl_leaves(x), node, axes={"on": list(dims)}, params=params,
                        options=options, label=label)
        return Seen(x.dims, out)

    def op_batch_norm(self, node, name):
        x, w, b = (self.get(a) if a is not None else None for a in node.args[:3])
        if not bool(self.arg(node, 5, False)):  # eval mode: by the running statistics
            return self._running_batch_norm(node, x, w, b, *(self.get(a) for a in node.args[3:5]), float(self.arg(node, 7, 1e-5)))
        return self._batch_norm(node, x, w, b, float(self.arg(node, 7, 1e-5)))

    def _running_batch_norm(self, node, x, w, b, mean, var, eps):
        """nn.BatchNorm in eval mode: ``batchnorm(H: h w) with affine, running``, normalised by its stored statistics."""
        if mean is None or var is None or mean.param is None or var.param is None:
            raise Unsupported("batch norm in eval mode without stored statistics")
        params = {"weight": w.param, "bias": b.param} if w is not None and b is not None else {}
        for stat in (w, b, mean, var):
            if stat is not None:
                self.atoms.unify(stat.dims[0], x.dims[1])
        dims = [d for i, d in enumerate(x.dims) if i != 1]
        if not self.leaves(dims):
            raise Unsupported("batch norm in eval mode of channels alone (the language's batchnorm names the axes it normalises over)")
        self.atoms.atom(x.dims[0]).role = self.atoms.atom(x.dims[0]).role or "batch"
        return self._norm(node, "batchnorm", x, dims, {**params, "running_mean": mean.param, "running_var": var.param}, eps, running=True)

    def op_native_batch_norm_legit_functional(self, node, name):
        x, w, b = (self.get(a) if a is not None else None for a in node.args[:3])
        if not bool(self.arg(node, 5, False)):
            raise Unsupported("batch norm with running statistics")
        return [self._batch_norm(node, x, w, b, float(self.arg(node, 7, 1e-5)))]

    def _batch_norm(self, node, x, w, b, eps):
        if w is None or b is None:
            raise Unsupported("batch norm without affine weights")
        channels = [1] if w.dims else []  # (a single weight and bias: no channels, every dim normalised)
        for i in channels:
            self.atoms.unify(w.dims[0], x.dims[i])
            self.atoms.unify(b.dims[0], x.dims[i])
        self.atoms.atom(x.dims[0]).role = self.atoms.atom(x.dims[0]).role or "batch"
        self.prog.batchnorm = True
        return self._norm(node, "batchnorm", x, [d for i, d in enumerate(x.dims) if i not in channels], {"weight": w.param, "bias": b.param}, eps)


def _sinusoid_options(table) -> dict | None:
    """``sinusoid``'s options (its base, the position whose row is zero) for which its table is ``table``, else None."""
    from ..pytorch.functional import sinusoid

    zero = torch.nonzero(table.abs().sum(-1) == 0).flatten()
    padding = int(zero[0]) if len(zero) else None
    if not torch.allclose(sinusoid(torch.arange(table.shape[0]), table.shape[1], 10000.0, padding, torch.float64), table.double(), atol=1e-5):
        return None
    return {"base": 10000.0, **({"padding": padding} if padding is not None else {})}
