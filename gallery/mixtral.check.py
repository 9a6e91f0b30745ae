"""gallery/mixtral.ncd against transformers' Mixtral decoder layer (MixtralModel with
one layer, given the embeddings), from a random configuration: nothing is downloaded.

The model makes the rotary embeddings (rotate-half pairs, as the diagram's
rope) and the causal mask itself. Its query heads are numbered kv head by kv
head, (n g), so W_Q's rows split as (n g k); its experts pack the gate and up
projections into one gate_up_proj [e, 2f, m], whose first half is W_1 (the
gate, through SiLU) and second half W_3. The router gives the chosen experts
and their weights; scattered into a [y, e] tensor they are the diagram's G.
RMSNorm and the router compute in float32 whatever they are given, so the
check runs in float32 only.
"""
import einops
import torch
from transformers import MixtralConfig
from transformers.models.mixtral.modeling_mixtral import MixtralModel

from ncd_render.pytorch.check import From, Reference, recording


def reference(sizes):
    n, g, k, m, e, f = (sizes[a] for a in "ngkmef")
    config = MixtralConfig(hidden_size=m, intermediate_size=f, num_attention_heads=n * g, num_key_value_heads=n, head_dim=k,
                           num_local_experts=e, num_experts_per_tok=2, num_hidden_layers=1, vocab_size=2, rms_norm_eps=1e-5,
                           rope_parameters={"rope_type": "default", "rope_theta": 1e6}, sliding_window=None,
                           max_position_embeddings=sizes["y"], attn_implementation="eager",
                           bos_token_id=None, eos_token_id=None, pad_token_id=None)
    config._experts_implementation = "eager"  # the grouped kernel takes no float64
    model = MixtralModel(config)
    layer = model.layers[0]

    def forward(X):
        with recording(N=layer.post_attention_layernorm, A=layer.self_attn, G=layer.mlp.gate, M=layer.mlp, X=layer) as seen:
            out = model(inputs_embeds=X, output_attentions=True)
        _, weights, chosen = seen["G"]
        G = torch.zeros(*X.shape[:-1], e, dtype=X.dtype).view(-1, e).scatter(-1, chosen, weights.to(X.dtype))
        return {"P": einops.rearrange(out.attentions[0], "b (n g) y x -> b y x g n", n=n), "A": seen["A"][0],
                "N": seen["N"], "G": G.view(*X.shape[:-1], e), "M": seen["M"], "X": seen["X"]}

    attention = "layers.0.self_attn"
    experts = "layers.0.mlp.experts"
    parameters = {
        "N_1.weight": From("layers.0.input_layernorm.weight"), "N_2.weight": From("layers.0.post_attention_layernorm.weight"),
        "W_Q.weight": From(f"{attention}.q_proj.weight", "(n g k) m -> k g n m"),
        "W_K.weight": From(f"{attention}.k_proj.weight", "(n k) m -> k n m"),
        "W_V.weight": From(f"{attention}.v_proj.weight", "(n k) m -> k n m"),
        "W_O.weight": From(f"{attention}.o_proj.weight", "m (n g k) -> m k g n"),
        "W_g.weight": From("layers.0.mlp.gate.weight"),
        "W_1.weight": From(f"{experts}.gate_up_proj", index=(slice(None), slice(0, f))),
        "W_3.weight": From(f"{experts}.gate_up_proj", index=(slice(None), slice(f, None))),
        "W_2.weight": From(f"{experts}.down_proj"),
    }
    return Reference(forward, model, parameters, name="transformers MixtralDecoderLayer", dtypes=("float32",))
