"""multihead_attention.ncd against MultiheadAttention, written by ncd import.

Each batch element of ncd check's inputs is laid out as the module's example input
(one element at a time); the module's outputs are laid out as the diagram's. Every learned box of the
diagram reads the module parameter it was imported from.
"""
import einops
import torch
from torch.utils import _pytree as pytree

from ncd_render.importer.pairing import load_module, training_flags
from ncd_render.pytorch.check import From, Reference

SIZES = {'y': 5, 'm': 12, 'x': 6, 'h': 3, 'k': 4}
INPUTS = ['batch y m -> batch () y m', 'batch x m -> batch () x m', 'batch x m -> batch () x m']     # diagram layout -> module layout, per input
OUTPUTS = [('Y1', 'batch () y m -> batch y m'), ('Y2', 'batch () y x -> batch y x')]   # module layout -> diagram layout, by diagram name
MERGE_BATCH = False
PARAMETERS = {
    'L_in_proj_0.weight': ('in_proj_weight', '(part15 h k) m -> part15 h k m', (0,), 0.0, None),
    'L_in_proj_0.bias': ('in_proj_bias', '(part17 h k) -> part17 h k', (0,), 0.0, None),
    'L_in_proj_1.weight': ('in_proj_weight', '(part15 h k) m -> part15 h k m', (1,), 0.0, None),
    'L_in_proj_1.bias': ('in_proj_bias', '(part17 h k) -> part17 h k', (1,), 0.0, None),
    'L_in_proj_2.weight': ('in_proj_weight', '(part15 h k) m -> part15 h k m', (2,), 0.0, None),
    'L_in_proj_2.bias': ('in_proj_bias', '(part17 h k) -> part17 h k', (2,), 0.0, None),
    'L_out_proj.weight': ('out_proj.weight', 'm (h k) -> m h k', None, 0.0, None),
    'L_out_proj.bias': ('out_proj.bias', None, None, 0.0, None),
}


def reference(sizes):
    wrong = {a: n for a, n in sizes.items() if SIZES.get(a, n) != n}
    if wrong:
        raise ValueError(f"the module was imported at {SIZES}; it cannot run at {wrong}")
    module = load_module('../../tests/import_models/models.py:multihead_attention', __file__, [])
    flags = training_flags(module)

    def forward(*xs):
        for sub, training in flags:
            sub.train(training)
        args = [einops.rearrange(x, p, **_sizes(p)) for x, p in zip(xs, INPUTS)]
        if MERGE_BATCH:
            out = module(*(a.flatten(0, 1) for a in args))
            flat = [o.unflatten(0, (len(xs[0]), -1)) for o in pytree.tree_leaves(out)]
        else:
            runs = [pytree.tree_leaves(module(*(a[i] for a in args))) for i in range(len(xs[0]))]
            flat = [torch.stack(list(outs)) for outs in zip(*runs)]
        return {name: einops.rearrange(o, p, **_sizes(p)) for (name, p), o in zip(OUTPUTS, flat)}

    return Reference(forward, module, {k: From(p, pattern, index=index, shift=shift, rows=rows) for k, (p, pattern, index, shift, rows) in PARAMETERS.items()},
                     name='MultiheadAttention', dtypes=('float64', 'float32'))


def _sizes(pattern):
    left = pattern.split("->")[0]
    return {a: n for a, n in SIZES.items() if f"({a} " in left or f" {a})" in left or f" {a} " in left}
