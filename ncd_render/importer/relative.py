"""T5's relative position bias: a learned table read (an embedding, or ``table[ids]`` as ``ncd compile`` writes it) by
bucket ids that no input feeds (T5's
``compute_bias``: aranges, their differences, logarithmic buckets), recognised by the ids' recorded
value, T5's buckets both ways (an encoder's) or looking back only (a decoder's), at the maximum distance
its module keeps (``relative_attention_max_distance``, else T5's 128). The lookup becomes one
``relbias(: b -> y x h)`` box; the sum that adds it to the scores is the language's own. What computed
the ids is not imported.
"""
from __future__ import annotations

import torch

from ..ops.relbias import DISTANCE
from ..pytorch.functional import relative_buckets
from .capture import Capture
from .patterns import Replacement, _is, _path, _submodule
from .recomputed import _fed
from .seen import Seen, box_path, module_path


def recognise_relative(cap: Capture) -> dict:
    """The lookups to import as one ``relbias`` box each."""
    inputs, found = _fed(cap, by=("placeholder",)), {}
    for node in cap.graph.nodes:
        if _is(node, "index") and len(node.args) == 2 and len(node.args[1]) == 1:  # table[ids], as ncd compile reads it
            weight, ids = node.args[0], node.args[1][0]
        elif _is(node, "embedding") and len(node.args) >= 2:
            weight, ids = node.args[:2]
        else:
            continue
        if not all(isinstance(a, torch.fx.Node) for a in (weight, ids)):
            continue
        table, value = cap.values.get(weight), cap.values.get(ids)
        if weight.op != "get_attr" or ids in inputs or not isinstance(value, torch.Tensor) or value.dim() != 2 \
                or value.is_floating_point() or min(value.shape) < 2 or len(value.unique()) < 2:
            continue  # (a row of ids alike is one row of a table: :mod:`.positions`)
        distance = _distance(cap, node)
        for bidirectional in (True, False):
            if table.shape[0] >= (4 if bidirectional else 2) and \
                    torch.equal(value.cpu(), relative_buckets(*value.shape, table.shape[0], distance, bidirectional)):
                found[node] = Replacement([weight], _emit(tuple(value.shape), distance, bidirectional))
                break
    return found


def _distance(cap: Capture, node) -> int:
    """The maximum distance of the module that owns the table (T5Attention's), else T5's."""
    path = _path(module_path(node))
    owner = _submodule(cap.original, path.rpartition(".")[0]) if "." in path else cap.original
    distance = getattr(owner, "relative_attention_max_distance", None)
    return distance if isinstance(distance, int) and distance > 0 else DISTANCE


def _emit(shape: tuple, distance: int, bidirectional: bool):
    def emit(mapper, node) -> Seen:
        w = mapper.get(node.args[0])
        queries, keys = (mapper.atoms.new(n, "seq", width=True) for n in shape)
        mapper.atoms.atom(w.dims[0]).role = "buckets"
        out = mapper.emit("relbias", [], [queries, keys] + mapper.atoms.leaves(w.dims[1]), node,
                          axes={"vocab": [w.dims[0]], "out": [queries, keys, w.dims[1]]}, params={"weight": w.param},
                          options={"distance": distance, "bidirectional": bidirectional}, label=box_path(w.param))
        return Seen([queries, keys, w.dims[1]], out)
    return emit
