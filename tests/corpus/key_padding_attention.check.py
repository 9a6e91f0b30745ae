"""tests/corpus/key_padding_attention.ncd against torch.nn.MultiheadAttention (batch first, no biases) given
``key_padding_mask``: keys where it is true take no part. Its per-head weights give the wire P; its packed
``in_proj_weight [3 m, m]`` is one third for each of W_Q, W_K, W_V, the rows split into (h k)."""
from torch import nn

from ncd_render.pytorch.check import From, Reference


def reference(sizes):
    mha = nn.MultiheadAttention(sizes["m"], sizes["h"], bias=False, batch_first=True)

    def forward(Xq, Xkv, Pad):
        Y, P = mha(Xq, Xkv, Xkv, key_padding_mask=Pad, need_weights=True, average_attn_weights=False)
        return {"P": P.permute(0, 2, 3, 1), "Y": Y}  # P: [batch h y x] -> [batch y x h]

    parameters = {"W_O.weight": From("out_proj.weight", "m (h k) -> m k h")}
    for i, box in enumerate(["W_Q", "W_K", "W_V"]):
        parameters[f"{box}.weight"] = From("in_proj_weight", "(h k) m -> k h m", part=(i, 3))
    return Reference(forward, mha, parameters, name="torch.nn.MultiheadAttention")
