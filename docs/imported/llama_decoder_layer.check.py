"""llama_decoder_layer.ncd against LlamaLayerWithRotary, written by ncd import.

Each batch element of ncd check's inputs is laid out as the module's example input
(one element at a time); the module's outputs are laid out as the diagram's. Every learned box of the
diagram reads the module parameter it was imported from.
"""
import einops
import torch
from torch.utils import _pytree as pytree

from ncd_render.importer.pairing import load_module, training_flags
from ncd_render.pytorch.check import From, Reference

SIZES = {'y': 5, 'm': 16, 'h': 4, 'k': 4, 'd': 4, 'x': 5, 'f': 24}
INPUTS = ['batch y m -> batch () y m']     # diagram layout -> module layout, per input
OUTPUTS = [('Y', 'batch () y m -> batch y m')]   # module layout -> diagram layout, by diagram name
MERGE_BATCH = False
PARAMETERS = {
    'N_input_layernorm.weight': ('layer.input_layernorm.weight', None, None, 0.0, None),
    'L_q_proj.weight': ('layer.self_attn.q_proj.weight', '(h k) m -> h k m', None, 0.0, None),
    'L_k_proj.weight': ('layer.self_attn.k_proj.weight', '(h k) m -> h k m', None, 0.0, None),
    'L_v_proj.weight': ('layer.self_attn.v_proj.weight', '(h d) m -> h d m', None, 0.0, None),
    'L_o_proj.weight': ('layer.self_attn.o_proj.weight', 'm (h d) -> m h d', None, 0.0, None),
    'N_post_attention_layernorm.weight': ('layer.post_attention_layernorm.weight', None, None, 0.0, None),
    'L_gate_proj.weight': ('layer.mlp.gate_proj.weight', None, None, 0.0, None),
    'L_up_proj.weight': ('layer.mlp.up_proj.weight', None, None, 0.0, None),
    'L_down_proj.weight': ('layer.mlp.down_proj.weight', None, None, 0.0, None),
}


def reference(sizes):
    wrong = {a: n for a, n in sizes.items() if SIZES.get(a, n) != n}
    if wrong:
        raise ValueError(f"the module was imported at {SIZES}; it cannot run at {wrong}")
    module = load_module('../../tests/import_models/models.py:llama_decoder_layer', __file__, [])
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
                     name='LlamaLayerWithRotary', dtypes=('float32',))


def _sizes(pattern):
    left = pattern.split("->")[0]
    return {a: n for a, n in SIZES.items() if f"({a} " in left or f" {a})" in left or f" {a} " in left}
