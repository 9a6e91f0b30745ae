"""gqa_mistral.ncd against transformers' MistralAttention (one layer, eager), from a random
configuration. Query heads are numbered kv head by kv head, (n g)."""
import einops
import torch
from transformers import MistralConfig
from transformers.models.mistral.modeling_mistral import MistralAttention, MistralRotaryEmbedding

from ncd_render.pytorch.check import From, Reference


def reference(sizes):
    n, g, k, m, y = (sizes[a] for a in "ngkmy")
    config = MistralConfig(hidden_size=m, num_attention_heads=n * g, num_key_value_heads=n, head_dim=k,
                           num_hidden_layers=1, vocab_size=2, sliding_window=4096,
                           rope_parameters={"rope_type": "default", "rope_theta": 1e6},
                           max_position_embeddings=y, attn_implementation="eager")
    attn = MistralAttention(config, layer_idx=0)
    rotary = MistralRotaryEmbedding(config)

    def forward(X):
        shape = X.shape
        x = X.reshape(-1, y, m)
        pos = torch.arange(y).unsqueeze(0)
        cos, sin = rotary(x, pos)
        i = torch.arange(y)
        allowed = (i[None, :] <= i[:, None]) & (i[:, None] - i[None, :] < 4096)
        mask = torch.zeros(y, y, dtype=x.dtype).masked_fill(~allowed, float("-inf"))[None, None]
        out, w = attn(x, (cos.to(x.dtype), sin.to(x.dtype)), mask)
        return {"P": einops.rearrange(w, "b (n g) y x -> b y x g n", n=n).reshape(*shape[:-2], y, y, g, n),
                "Y": out.reshape(shape)}

    parameters = {
        "W_Q.weight": From("q_proj.weight", "(n g k) m -> k g n m"),
        "W_K.weight": From("k_proj.weight", "(n k) m -> k n m"),
        "W_V.weight": From("v_proj.weight", "(n k) m -> k n m"),
        "W_O.weight": From("o_proj.weight", "m (n g k) -> m k g n"),
    }
    return Reference(forward, attn, parameters, name="transformers MistralAttention", dtypes=("float32",))
