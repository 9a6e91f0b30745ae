"""gallery/transformer.ncd against torch.nn.TransformerEncoderLayer x 6 and
nn.TransformerDecoderLayer x 6 (post-norm, ReLU, batch first, dropout 0), with an
nn.Embedding for each of source and target, and a final nn.Linear and softmax.

The sinusoidal positions are inputs of the diagram (Ps, Pt); the same tensors
are added here. The stacks are nn.TransformerEncoder / nn.TransformerDecoder
without a final norm (the paper has none; nn.Transformer adds one). The decoder's
self-attention gets the causal mask nn.Transformer.generate_square_subsequent_mask
makes. Each layer packs its query, key and value projections into one
in_proj_weight, split as in gallery/mha.check.py.
"""
import math

import torch
from torch import nn

from ncd_render.pytorch.check import From, Reference


def reference(sizes):
    v, m, h, f = sizes["v"], sizes["m"], sizes["h"], sizes["f"]
    options = dict(d_model=m, nhead=h, dim_feedforward=f, dropout=0.0, activation="relu", batch_first=True, norm_first=False)
    model = nn.ModuleDict({
        "source": nn.Embedding(v, m), "target": nn.Embedding(v, m),
        "encoder": nn.TransformerEncoder(nn.TransformerEncoderLayer(**options), 6, enable_nested_tensor=False),
        "decoder": nn.TransformerDecoder(nn.TransformerDecoderLayer(**options), 6),
        "out": nn.Linear(m, v),
    })

    def forward(Src, Ps, Tgt, Pt):
        memory = model["encoder"](model["source"](Src) * math.sqrt(m) + Ps)
        mask = nn.Transformer.generate_square_subsequent_mask(Tgt.shape[-1], dtype=Ps.dtype)
        y = model["decoder"](model["target"](Tgt) * math.sqrt(m) + Pt, memory, tgt_mask=mask, tgt_is_causal=True)
        return {"X": memory, "Y": y, "Z": torch.softmax(model["out"](y), dim=-1)}

    parameters = {"E.weight": From("source.weight"), "E_t.weight": From("target.weight"),
                  "L.weight": From("out.weight"), "L.bias": From("out.bias")}
    for i in range(6):
        encoder, decoder = f"encoder.layers.{i}", f"decoder.layers.{i}"
        parameters.update(_attention(f"encoder_layer.{i}.Attention", f"{encoder}.self_attn"))
        parameters.update(_attention(f"decoder_layer.{i}.MaskedAttention", f"{decoder}.self_attn"))
        parameters.update(_attention(f"decoder_layer.{i}.Attention", f"{decoder}.multihead_attn", "_2"))
        norms = [("encoder_layer", encoder, "N_1", "norm1"), ("encoder_layer", encoder, "N_2", "norm2"),
                 ("decoder_layer", decoder, "N_1_2", "norm1"), ("decoder_layer", decoder, "N_2_2", "norm2"),
                 ("decoder_layer", decoder, "N_3", "norm3")]
        feed_forward = [("encoder_layer", encoder, "FeedForward_L_1", "linear1"), ("encoder_layer", encoder, "FeedForward_L_2", "linear2"),
                        ("decoder_layer", decoder, "FeedForward_L_1_2", "linear1"), ("decoder_layer", decoder, "FeedForward_L_2_2", "linear2")]
        for block, layer, box, theirs in norms + feed_forward:
            parameters.update({f"{block}.{i}.{box}.{p}": From(f"{layer}.{theirs}.{p}") for p in ("weight", "bias")})
    return Reference(forward, model, parameters,
                     name="torch.nn.TransformerEncoderLayer x 6 and TransformerDecoderLayer x 6")


def _attention(box: str, theirs: str, suffix: str = "") -> dict:
    """The four maps of one attention block from an nn.MultiheadAttention."""
    parameters = {f"{box}_L_O{suffix}.weight": From(f"{theirs}.out_proj.weight", "m (h k) -> m k h"),
                  f"{box}_L_O{suffix}.bias": From(f"{theirs}.out_proj.bias")}
    for i, name in enumerate(["L_Q", "L_K", "L_V"]):
        parameters[f"{box}_{name}{suffix}.weight"] = From(f"{theirs}.in_proj_weight", "(h k) m -> k h m", part=(i, 3))
        parameters[f"{box}_{name}{suffix}.bias"] = From(f"{theirs}.in_proj_bias", "(h k) -> k h", part=(i, 3))
    return parameters
