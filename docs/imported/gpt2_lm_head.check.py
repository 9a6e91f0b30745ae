"""gpt2_lm_head.ncd against _Logits, written by ncd import.

Each batch element of ncd check's inputs is laid out as the module's example input
(one element at a time); the module's outputs are laid out as the diagram's. Every learned box of the
diagram reads the module parameter it was imported from.
"""
import einops
import torch
from torch.utils import _pytree as pytree

from ncd_render.importer.pairing import load_module, training_flags
from ncd_render.pytorch.check import From, Reference

SIZES = {'y': 5, 'f': 16, 'h': 4, 'k': 4, 'x': 5, 'o': 64, 'v': 11}
INPUTS = ['batch y -> batch () y']     # diagram layout -> module layout, per input
OUTPUTS = [('Y', 'batch () y v -> batch y v')]   # module layout -> diagram layout, by diagram name
MERGE_BATCH = False
PARAMETERS = {
    'E_wte.weight': ('model.lm_head.weight', None, None, 0.0, None),
    'E_wpe.weight': ('model.transformer.wpe.weight', None, None, 0.0, 5),
    'N_ln_f.weight': ('model.transformer.ln_f.weight', None, None, 0.0, None),
    'N_ln_f.bias': ('model.transformer.ln_f.bias', None, None, 0.0, None),
    'L_lm_head.weight': ('model.lm_head.weight', None, None, 0.0, None),
    'model_transformer_h.0.N_ln_1.weight': ('model.transformer.h.0.ln_1.weight', None, None, 0.0, None),
    'model_transformer_h.1.N_ln_1.weight': ('model.transformer.h.1.ln_1.weight', None, None, 0.0, None),
    'model_transformer_h.0.N_ln_1.bias': ('model.transformer.h.0.ln_1.bias', None, None, 0.0, None),
    'model_transformer_h.1.N_ln_1.bias': ('model.transformer.h.1.ln_1.bias', None, None, 0.0, None),
    'model_transformer_h.0.GPT2Attention_L_c_attn_0.weight': ('model.transformer.h.0.attn.c_attn.weight', 'f (part41 h k) -> part41 h k f', (0,), 0.0, None),
    'model_transformer_h.1.GPT2Attention_L_c_attn_0.weight': ('model.transformer.h.1.attn.c_attn.weight', 'f (part58 h k) -> part58 h k f', (0,), 0.0, None),
    'model_transformer_h.0.GPT2Attention_L_c_attn_0.bias': ('model.transformer.h.0.attn.c_attn.bias', '(part41 h k) -> part41 h k', (0,), 0.0, None),
    'model_transformer_h.1.GPT2Attention_L_c_attn_0.bias': ('model.transformer.h.1.attn.c_attn.bias', '(part58 h k) -> part58 h k', (0,), 0.0, None),
    'model_transformer_h.0.GPT2Attention_L_c_attn_1.weight': ('model.transformer.h.0.attn.c_attn.weight', 'f (part41 h k) -> part41 h k f', (1,), 0.0, None),
    'model_transformer_h.1.GPT2Attention_L_c_attn_1.weight': ('model.transformer.h.1.attn.c_attn.weight', 'f (part58 h k) -> part58 h k f', (1,), 0.0, None),
    'model_transformer_h.0.GPT2Attention_L_c_attn_1.bias': ('model.transformer.h.0.attn.c_attn.bias', '(part41 h k) -> part41 h k', (1,), 0.0, None),
    'model_transformer_h.1.GPT2Attention_L_c_attn_1.bias': ('model.transformer.h.1.attn.c_attn.bias', '(part58 h k) -> part58 h k', (1,), 0.0, None),
    'model_transformer_h.0.GPT2Attention_L_c_attn_2.weight': ('model.transformer.h.0.attn.c_attn.weight', 'f (part41 h k) -> part41 h k f', (2,), 0.0, None),
    'model_transformer_h.1.GPT2Attention_L_c_attn_2.weight': ('model.transformer.h.1.attn.c_attn.weight', 'f (part58 h k) -> part58 h k f', (2,), 0.0, None),
    'model_transformer_h.0.GPT2Attention_L_c_attn_2.bias': ('model.transformer.h.0.attn.c_attn.bias', '(part41 h k) -> part41 h k', (2,), 0.0, None),
    'model_transformer_h.1.GPT2Attention_L_c_attn_2.bias': ('model.transformer.h.1.attn.c_attn.bias', '(part58 h k) -> part58 h k', (2,), 0.0, None),
    'model_transformer_h.0.GPT2Attention_L_c_proj.weight': ('model.transformer.h.0.attn.c_proj.weight', '(h k) f -> f h k', None, 0.0, None),
    'model_transformer_h.1.GPT2Attention_L_c_proj.weight': ('model.transformer.h.1.attn.c_proj.weight', '(h k) f -> f h k', None, 0.0, None),
    'model_transformer_h.0.GPT2Attention_L_c_proj.bias': ('model.transformer.h.0.attn.c_proj.bias', None, None, 0.0, None),
    'model_transformer_h.1.GPT2Attention_L_c_proj.bias': ('model.transformer.h.1.attn.c_proj.bias', None, None, 0.0, None),
    'model_transformer_h.0.N_ln_2.weight': ('model.transformer.h.0.ln_2.weight', None, None, 0.0, None),
    'model_transformer_h.1.N_ln_2.weight': ('model.transformer.h.1.ln_2.weight', None, None, 0.0, None),
    'model_transformer_h.0.N_ln_2.bias': ('model.transformer.h.0.ln_2.bias', None, None, 0.0, None),
    'model_transformer_h.1.N_ln_2.bias': ('model.transformer.h.1.ln_2.bias', None, None, 0.0, None),
    'model_transformer_h.0.GPT2MLP_L_c_fc.weight': ('model.transformer.h.0.mlp.c_fc.weight', 'f o -> o f', None, 0.0, None),
    'model_transformer_h.1.GPT2MLP_L_c_fc.weight': ('model.transformer.h.1.mlp.c_fc.weight', 'f o -> o f', None, 0.0, None),
    'model_transformer_h.0.GPT2MLP_L_c_fc.bias': ('model.transformer.h.0.mlp.c_fc.bias', None, None, 0.0, None),
    'model_transformer_h.1.GPT2MLP_L_c_fc.bias': ('model.transformer.h.1.mlp.c_fc.bias', None, None, 0.0, None),
    'model_transformer_h.0.GPT2MLP_L_c_proj.weight': ('model.transformer.h.0.mlp.c_proj.weight', 'o f -> f o', None, 0.0, None),
    'model_transformer_h.1.GPT2MLP_L_c_proj.weight': ('model.transformer.h.1.mlp.c_proj.weight', 'o f -> f o', None, 0.0, None),
    'model_transformer_h.0.GPT2MLP_L_c_proj.bias': ('model.transformer.h.0.mlp.c_proj.bias', None, None, 0.0, None),
    'model_transformer_h.1.GPT2MLP_L_c_proj.bias': ('model.transformer.h.1.mlp.c_proj.bias', None, None, 0.0, None),
}


def reference(sizes):
    wrong = {a: n for a, n in sizes.items() if SIZES.get(a, n) != n}
    if wrong:
        raise ValueError(f"the module was imported at {SIZES}; it cannot run at {wrong}")
    module = load_module('../../tests/import_models/survey.py:gpt2_lm_head', __file__)
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
                     name='_Logits', dtypes=('float64', 'float32'))


def _sizes(pattern):
    left = pattern.split("->")[0]
    return {a: n for a, n in SIZES.items() if f"({a} " in left or f" {a})" in left or f" {a} " in left}
