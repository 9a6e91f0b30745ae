"""gallery/deepseek_v3.ncd against transformers' DeepSeek-V3 decoder layer (DeepseekV3Model
with one mixture-of-experts layer, given the embeddings), from a random configuration:
nothing is downloaded.

The configuration takes the diagram's routing: n_group=8, topk_group=4, 8 experts
per token, norm_topk_prob, routed_scaling_factor=2.5, one shared expert, and
interleaved rotary pairs (rope_interleave, DeepSeek's layout). Packed projections
are split: q_b_proj's rows run over (h, c + r), kv_b_proj's over (h, c + d),
kv_a_proj_with_mqa's over (l + r), gate_up_proj's over (gate f, up f). The
routing bias e_score_correction_bias is a buffer, set here to small random
values. RMSNorm and the router compute in float32 whatever they are given, so
the check runs in float32 only. The published model's YaRN rope scaling (a
long-context extension) is left out of both.
"""
import torch
from transformers import DeepseekV3Config
from transformers.models.deepseek_v3.modeling_deepseek_v3 import DeepseekV3Model

from ncd_render.pytorch.check import From, Reference, recording


def reference(sizes):
    h, c, r, d, l, e, f = (sizes[a] for a in "hcrdlef")
    if sizes["s"] != f:
        raise ValueError("DeepseekV3Config has shared experts as wide as the routed ones: give s = f")
    config = DeepseekV3Config(hidden_size=sizes["m"], q_lora_rank=sizes["q"], kv_lora_rank=l, qk_nope_head_dim=c,
                              qk_rope_head_dim=r, v_head_dim=d, num_attention_heads=h, num_key_value_heads=h,
                              n_routed_experts=e, moe_intermediate_size=f, n_shared_experts=1, num_experts_per_tok=8,
                              n_group=8, topk_group=4, norm_topk_prob=True, routed_scaling_factor=2.5,
                              first_k_dense_replace=0, num_hidden_layers=1, rms_norm_eps=1e-6, rope_interleave=True,
                              attention_bias=False, vocab_size=2, max_position_embeddings=sizes["y"],
                              bos_token_id=None, eos_token_id=None, pad_token_id=None, attn_implementation="eager")
    config._experts_implementation = "eager"  # the grouped kernel takes no float64
    model = DeepseekV3Model(config)
    layer = model.layers[0]
    with torch.no_grad():
        layer.mlp.gate.e_score_correction_bias.uniform_(-0.1, 0.1)

    def forward(X):
        with recording(N=layer.post_attention_layernorm, A=layer.self_attn, G=layer.mlp.gate, M=layer.mlp, X=layer) as seen:
            out = model(inputs_embeds=X, output_attentions=True)
        _, weights, chosen = seen["G"]
        G = torch.zeros(chosen.shape[0], e, dtype=X.dtype).scatter(-1, chosen, weights.to(X.dtype))
        return {"P": out.attentions[0].permute(0, 2, 3, 1), "A": seen["A"][0], "N": seen["N"],
                "G": G.view(*X.shape[:-1], e), "M": seen["M"], "X": seen["X"]}

    attention, moe = "layers.0.self_attn", "layers.0.mlp"
    parameters = {
        "N_1.weight": From("layers.0.input_layernorm.weight"), "N_2.weight": From("layers.0.post_attention_layernorm.weight"),
        "W_DQ.weight": From(f"{attention}.q_a_proj.weight"), "N_Q.weight": From(f"{attention}.q_a_layernorm.weight"),
        "W_UQ.weight": From(f"{attention}.q_b_proj.weight", "(h a) q -> a h q", index=slice(0, c)),
        "W_QR.weight": From(f"{attention}.q_b_proj.weight", "(h a) q -> a h q", index=slice(c, None)),
        "W_DKV.weight": From(f"{attention}.kv_a_proj_with_mqa.weight", index=slice(0, l)),
        "W_KR.weight": From(f"{attention}.kv_a_proj_with_mqa.weight", index=slice(l, None)),
        "N_KV.weight": From(f"{attention}.kv_a_layernorm.weight"),
        "W_UK.weight": From(f"{attention}.kv_b_proj.weight", "(h cd) l -> cd h l", index=slice(0, c)),
        "W_UV.weight": From(f"{attention}.kv_b_proj.weight", "(h cd) l -> cd h l", index=slice(c, None)),
        "W_O.weight": From(f"{attention}.o_proj.weight", "m (h d) -> m d h"),
        "W_g.weight": From(f"{moe}.gate.weight"), "bias_e.bias": From(f"{moe}.gate.e_score_correction_bias"),
        "W_1.weight": From(f"{moe}.experts.gate_up_proj", index=(slice(None), slice(0, f))),
        "W_3.weight": From(f"{moe}.experts.gate_up_proj", index=(slice(None), slice(f, None))),
        "W_2.weight": From(f"{moe}.experts.down_proj"),
        "S_1.weight": From(f"{moe}.shared_experts.gate_proj.weight"), "S_3.weight": From(f"{moe}.shared_experts.up_proj.weight"),
        "S_2.weight": From(f"{moe}.shared_experts.down_proj.weight"),
    }
    return Reference(forward, model, parameters, name="transformers DeepseekV3DecoderLayer", dtypes=("float32",))
