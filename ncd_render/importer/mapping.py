"""Map captured aten operations to DSL statements, following dimension provenance.

Views, permutes and copies make no statement: they regroup or reorder the atoms
of a tensor (:mod:`.axes`), so the DSL tensor behind them is unchanged. Every
other operation the DSL has becomes its statement; one it does not have is
reported, never approximated.
"""
from __future__ import annotations

import operator

import torch

from ..errors import NcdError
from .alibi import recognise_alibi
from .axes import Atoms
from .bounds import BoundOps
from .capture import Capture
from .elementwise import ELEMENTWISE, ElementOps
from .experts import recognise_experts
from .graph import Param, Program, Stmt
from .convolutions import ConvolutionOps
from .learned import LearnedOps
from .losses import LossOps
from .masks import recognise_masks
from .moments import MomentOps
from .positions import recognise_positions
from .helpers import recognise_helpers
from .joins import JoinOps
from .hiding import HidingOps, recognise_additive
from .patterns import recognise
from .recomputed import _fed_by_learning, recognise_recomputed
from .shifted import recognise_shifted
from .swish import recognise_swish
from .normalized import recognise_normalized
from .outputaxes import outputs_in_input_axes
from .rmsnorms import recognise_rmsnorms
from .pairwise import DistanceOps, recognise_pairwise
from .filled import recognise_filled
from .relative import recognise_relative
from .pooling import PoolingOps
from .products import ProductOps
from .recurrent import RecurrentOps
from .sequence import SequenceOps
from .transposed import TransposedOps
from .uninitialised import uninitialised_warning
from .seen import (VIEWS, WITH_ITSELF, Seen, Unsupported, box_path, flat, input_roles, module_path, op_name, shapes_text,
                   target_name)
from .shapes import ShapeOps
from .writes import refuse_lost_writes

PERMUTES = {"transpose", "permute", "t", "numpy_T", "swapaxes", "movedim", "moveaxis"}


def build_program(cap: Capture) -> Program:
    """The statements that compute ``cap``'s outputs."""
    return Mapper(cap).run()


class Mapper(ShapeOps, LearnedOps, ConvolutionOps, PoolingOps, ProductOps, ElementOps, JoinOps, BoundOps, MomentOps, LossOps, DistanceOps,
             SequenceOps, RecurrentOps, HidingOps, TransposedOps):
    """Follows the captured graph node by node; the operation kinds are its mixins' ``op_*`` methods."""

    def __init__(self, cap: Capture):
        self.cap = cap
        self.atoms = Atoms()
        self.prog = Program(self.atoms)
        self.seen: dict = {}
        self.producer: dict[int, Stmt] = {}
        self.replaced = {**recognise_rmsnorms(cap), **recognise(cap), **recognise_experts(cap), **recognise_helpers(cap), **recognise_recomputed(cap),
                         **recognise_masks(cap), **recognise_positions(cap), **recognise_alibi(cap),
                         **recognise_relative(cap), **recognise_shifted(cap), **recognise_swish(cap),
                         **recognise_filled(cap), **recognise_normalized(cap), **recognise_pairwise(cap), **recognise_additive(cap)}
        self.fed = _fed_by_learning(cap)  # the rest are constants of the code (an arange, a sqrt of the head size)
        self.float32 = False
        self.parts_taken: dict[int, int] = {}  # a map's result -> how many maps of its rows were taken from it (ShapeOps.rows_of_map)
        self.additive: dict = {}  # node -> keep: a boolean mask's additive form, -inf where hidden (where kept: HidingOps)
        self.negated: set = set()  # nodes that hold flags turned the other way round, ~m, read as masks (HidingOps)

    # -- driver ---------------------------------------------------------------
    def run(self) -> Program:
        nodes = list(self.cap.graph.nodes)
        output = next(n for n in nodes if n.op == "output")
        needed = self._needed(output)
        refuse_lost_writes(self.cap.graph, needed, self.replaced)
        unset = uninitialised_warning(self.cap.module)
        self.prog.warnings += [unset] if unset else []  # (first: the opaque boxes below may be what it causes)
        for node in nodes:
            if node.op == "placeholder":
                self._input(node)
            elif node in needed and node.op in ("call_function", "get_attr"):
                try:
                    self._node(node)
                except Unsupported as error:
                    self._opaque_instead(node, str(error))
                except (ArithmeticError, AttributeError, IndexError, KeyError, TypeError, ValueError) as error:
                    # the importer's own failure on a node it has a statement for: drawn as what it is, an opaque box
                    self._opaque_instead(node, f"the importer failed on it ({type(error).__name__}: {error}), a bug to report")
        results = flat(output.args[0])
        for k, arg in enumerate(results):
            seen = self.seen.get(arg)
            if seen is None or seen.dsl is None:
                raise NcdError(f"the module's output {arg} is not computed from its inputs")
            value = self.cap.values.get(arg)
            if not unset and isinstance(value, torch.Tensor) and value.is_floating_point() and bool(value.isnan().any()):
                which = f"output {k + 1}" if len(results) > 1 else "output"
                self.prog.warnings.append(f"the module's {which} holds NaN on the example inputs: weights made with "
                                          "torch.empty and never initialised (transformers' experts, built bare)? "
                                          "The import follows the computation, but ncd check compares finite values only")
            if any(seen.dsl == v for v, _ in self.prog.outputs):  # one value returned twice (s, s.t()): a second, as laid out
                seen = Seen(seen.dims, self.emit("rearrange", [seen.dsl], self.leaves(seen.dims), arg))
            self.prog.outputs.append((seen.dsl, seen.dims))
        outputs_in_input_axes(self.prog)
        self.prog.float32 = self.float32
        return self.prog

    def _opaque_instead(self, node, why: str) -> None:
        self.seen[node] = self._opaque(node)
        self.prog.warnings.append(f"{op_name(node)} {shapes_text(node, self.cap.values)} in "
                                  f"{module_path(node) or 'the top module'} is an opaque box: {why}")

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
        dtype = "real" if value.is_floating_point() else "bool" if value.dtype == torch.bool else "int"
        roles = input_roles(value, dtype)
        if value.dim() == 4 and dtype == "real" and _channels_last(node):  # [batch, rows, cols, channels]: Swin's windows
            roles = ["batch", "rows", "cols", "channels"]
        dims = [self.atoms.new(s, r, width=r in ("seq", "rows", "cols")) for s, r in zip(value.shape, roles)]
        vid = self.prog.value(dims, dtype, hint=node.name)
        self.prog.inputs.append((vid, dims, node.name))
        self.seen[node] = Seen(dims, dsl=vid)

    def _node(self, node) -> None:
        if node in self.replaced:
            self.seen[node] = self.replaced[node].emit(self, node)
            return
        value = self.cap.values.get(node)
        if node not in self.fed and isinstance(value, torch.Tensor) and value.dim() == 0 and value.is_floating_point():
            self.seen[node] = Seen([], number=float(value))  # a number the code computes (DeBERTa's sqrt of its head size)
            return
        if node.op == "get_attr":
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
        name = target_name(node)
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
        data = [self.seen[a] for a in flat(list(node.args) + list(node.kwargs.values()))
                if isinstance(self.seen.get(a), Seen) and self.seen[a].dsl is not None]
        value = self.cap.values.get(node)
        results = value if isinstance(value, (list, tuple)) else [value]
        outs = []
        for i, result in enumerate(results):
            if not isinstance(result, torch.Tensor):
                outs.append(None)
                continue
            shape = tuple(result.shape)
            if not result.numel() and shape:  # an axis of no positions: no diagram has one (HiggsAudio's at a tiny size)
                raise NcdError(f"{op_name(node)} in {module_path(node) or 'the module'} makes a tensor of shape {list(shape)}, "
                               "with no elements, that the diagram would draw: a diagram's axes have at least one",
                               hint="import it at sizes (config, example inputs) where every tensor it makes has elements")
            like = next((d for d in data if tuple(self.atoms.size(x) for x in d.dims) == shape), None)
            dims = list(like.dims) if like is not None else self._opaque_dims(data, shape)
            label = op_name(node) + (f"[{i}]" if isinstance(value, (list, tuple)) else "")
            out = self.emit("opaque", [d.dsl for d in data], self.leaves(dims), node, label=label)
            if result.dtype in (torch.int64, torch.int32, torch.bool):
                self.prog.values[out].dtype = "real"
            outs.append(Seen(dims, out))
        return outs if isinstance(value, (list, tuple)) else outs[0]

    def _opaque_dims(self, data: list[Seen], shape: tuple) -> list[int]:
        """The atoms of an opaque result of another shape than its inputs': new ones, except that a dim of positions
        of its first input stays that dim where the result has one of its size in the same place (Llama 4's rotary
        through complex numbers keeps its positions: were they new, they would meet the queries' positions only later,
        and queries and keys would share one axis)."""
        first = data[0].dims if data else []
        return [first[i] if i < len(first) and self.atoms.atom(first[i]).width and self.atoms.size(first[i]) == n > 1
                else self.atoms.new(n, "" if n > 1 else "unit") for i, n in enumerate(shape)]

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

    def emit(self, fn, args, atoms, node, hint="", module=None, **fields) -> int:
        """A statement ``fn`` of ``args`` making a value over ``atoms``, in the module that ran ``node`` (or ``module``)."""
        out = self.prog.value(atoms, hint=hint)
        stmt = Stmt(fn, out, list(args), module=module_path(node) if module is None else module, **fields)
        self.prog.stmts.append(stmt)
        self.producer[out] = stmt
        return out

    def leaves(self, dims) -> list[int]:
        return [leaf for d in dims for leaf in self.atoms.leaves(d)]

    def dsl_leaves(self, seen: Seen) -> list[int]:
        """The atoms of the diagram's tensor ``seen`` holds, as laid out; a parameter read as data is its box first
        (Swin V2's table of coordinates, a buffer, fed to a map)."""
        return self.leaves(self.prog.values[self.data(seen)].atoms)

    def data(self, seen: Seen) -> int:
        """The DSL value ``seen`` holds; a parameter used as data (ViT's class token, joined to the patches) is
        first a ``learned`` box over its dims, made once (a learned number, CLIP's temperature: over none); a constant
        has no statement."""
        own = [d for d in seen.dims if d not in seen.spread]  # (not the dims it was spread along: the box is copied along them)
        if seen.dsl is None and seen.param is not None and (self.leaves(own) or not self.leaves(seen.dims)):
            seen.dsl = self.emit("learned", [], self.leaves(own), None, module=seen.param.name.rpartition(".")[0],
                                 axes={"on": own}, params={"weight": seen.param}, label=box_path(seen.param))
        if seen.dsl is None:
            raise Unsupported("a constant used as data")
        return seen.dsl

    def broadcast_pair(self, node, a: Seen, b: Seen) -> tuple[Seen, Seen]:
        """Two operands of a sum or product, their dimensions paired from the right as torch broadcasts them:
        (the one that holds every axis, the other), which the diagram's ``+`` and ``*`` broadcast over the axes it lacks.
        Where a dimension of ``b`` holds the positions that ``a``'s holds under a second name (keys beside queries: a bias
        per key, computed from the values, added to the scores, as Doge's), ``b`` takes the second name (a ``rename``);
        two second names of the same positions are one axis (T5's bias, made once, added in every block)."""
        self.data(a), self.data(b)
        ra, rb = list(reversed(a.dims)), list(reversed(b.dims))
        for k, (x, y) in enumerate(zip(ra, rb)):  # an axis against a dim of one, and in the other against one not its size
            for mine, theirs, other, partners in ((x, y, ra, rb), (y, x, rb, ra)):
                if self.atoms.size(mine) == 1 < self.atoms.size(theirs) and any(
                        self.atoms.find(d) == self.atoms.find(theirs) and (j >= len(partners) or self.atoms.size(partners[j]) != self.atoms.size(d))
                        for j, d in enumerate(other)):
                    raise Unsupported(WITH_ITSELF)
        def origin_and_name(x, y) -> bool:  # one leaf the positions, the other a second name for them
            one_each = (self.atoms.atom(x).renamed_from is None) != (self.atoms.atom(y).renamed_from is None)
            leaves = self.atoms.leaves(x) == [self.atoms.find(x)] and self.atoms.leaves(y) == [self.atoms.find(y)]
            return leaves and one_each and self.atoms.related(x, y)
        renamed = {self.atoms.find(y): self.atoms.find(x) for x, y in zip(reversed(a.dims), reversed(b.dims)) if origin_and_name(x, y)}
        # a dim of b holding positions a already has under another of its dims (a graph's degrees, per node, scaling
        # an adjacency's columns as well as its rows): b calls them by a second name, which the column takes
        for k, (x, y) in enumerate(zip(reversed(a.dims), reversed(b.dims))):
            root, others = self.atoms.find(y), {self.atoms.find(d) for j, d in enumerate(reversed(a.dims)) if j != k}
            if self.atoms.size(x) == self.atoms.size(y) > 1 and root not in renamed and root != self.atoms.find(x) and root in others \
                    and self.atoms.leaves(y) == [root]:
                renamed[root] = self.atoms.second_name(root)
                self.atoms.unify(x, renamed[root])
        if renamed:
            b = Seen([renamed.get(self.atoms.find(d), d) for d in b.dims], self._rename(node, b, renamed), b.param, b.number)
        for x, y in zip(reversed(a.dims), reversed(b.dims)):
            if self.atoms.size(x) == self.atoms.size(y) and self.atoms.find(y) not in renamed:
                self.atoms.unify(x, y)
        mine, theirs = (set(map(self.atoms.find, self.dsl_leaves(x))) for x in (a, b))
        if not theirs <= mine:
            if not mine <= theirs:
                raise Unsupported("each operand has an axis the other lacks (an outer sum or product)")
            a, b = b, a
        if len(b.dims) > len(a.dims):  # the result has the other's leading dimensions, all of one
            a = Seen([self.atoms.new(1, "unit") for _ in range(len(b.dims) - len(a.dims))] + a.dims, a.dsl)
        return a, b


CHANNELS_FIRST = {"convolution", "conv2d", "_conv_forward", "conv_transpose2d", "conv_transpose1d", "batch_norm", "_native_batch_norm_legit_no_training",
                  "_native_batch_norm_legit", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "group_norm", "instance_norm",
                  "upsample_nearest2d", "upsample_bilinear2d", "pixel_shuffle"}  # they read [batch, channels, rows, cols]
PASSING = VIEWS | {"roll", "add", "sub", "mul", "div", "dropout", "relu", "gelu", "silu", "to", "_to_copy", "pad",
                   "constant_pad_nd"}  # what an image goes through keeping its layout, on the way to what tells it


def _channels_last(node, depth: int = 6) -> bool:
    """Whether a 4-D input is an image with its channels last, [batch, rows, cols, channels] (Swin's windows, ConvNeXt's
    blocks inside): the first operation that tells, on the way through views and element-wise ones, acts on its last dim
    (a map, a layer norm) or moves it to the front (``permute(0, 3, 1, 2)``); one that reads channels first (a
    convolution, a batch norm, pooling) says it is not."""
    seen, frontier = {node}, [node]
    for _ in range(depth):
        later = []
        for n in frontier:
            for user in n.users:
                if user in seen:
                    continue
                seen.add(user)
                name = target_name(user) if user.op in ("call_function", "call_method") else ""
                if name in CHANNELS_FIRST:
                    return False
                if name in ("linear", "layer_norm", "native_layer_norm") and user.args[0] is n:
                    return True
                if name == "permute" and [d % 4 for d in user.args[1]] == [0, 3, 1, 2]:
                    return True
                if name in PASSING:
                    later.append(user)
        frontier = later
    return False
