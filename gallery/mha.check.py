"""gallery/mha.ncd against torch.nn.MultiheadAttention (batch first, with biases).

MultiheadAttention packs the query, key and value projections into one
``in_proj_weight [3 m, m]`` whose rows run over (q/k/v, head, head depth), so
each of L_Q, L_K, L_V is one third of it with the rows split into (h k). Asked
for per-head attention weights, it also gives the diagram's wire P.
"""
from torch import nn

from ncd_render.pytorch.check import From, Reference


def reference(sizes):
    mha = nn.MultiheadAttention(sizes["m"], sizes["h"], bias=True, batch_first=True)

    def forward(Xq, Xkv):
        Y, P = mha(Xq, Xkv, Xkv, need_weights=True, average_attn_weights=False)
        return {"P": P.permute(0, 2, 3, 1), "Y": Y}  # P: [batch h y x] -> [batch y x h]

    parameters = {"L_O.weight": From("out_proj.weight", "m (h k) -> m k h"), "L_O.bias": From("out_proj.bias")}
    for i, box in enumerate(["L_Q", "L_K", "L_V"]):
        parameters[f"{box}.weight"] = From("in_proj_weight", "(h k) m -> k h m", part=(i, 3))
        parameters[f"{box}.bias"] = From("in_proj_bias", "(h k) -> k h", part=(i, 3))
    return Reference(forward, mha, parameters, name="torch.nn.MultiheadAttention")
