"""tests/corpus/dit_block.ncd against DiT's block written in torch.nn as DiT's models.py writes it (Peebles &
Xie, 2023): ``modulate(x, shift, scale) = x * (1 + scale.unsqueeze(1)) + shift.unsqueeze(1)``, the six
modulation vectors one map's chunks, timm's attention with one qkv map, and its MLP with tanh GELU."""
import torch
from torch import nn
from torch.nn import functional as F

from ncd_render.pytorch.check import From, Reference


def reference(sizes):
    m, h, k, f = sizes["m"], sizes["h"], sizes["k"], sizes["f"]
    block = nn.ModuleDict({"ada": nn.Linear(m, 6 * m), "qkv": nn.Linear(m, 3 * m), "proj": nn.Linear(m, m),
                           "fc1": nn.Linear(m, f), "fc2": nn.Linear(f, m)})

    def modulate(x, shift, scale):
        return x * (1 + scale.unsqueeze(1)) + shift.unsqueeze(1)

    def attention(x):  # timm's Attention: (B, N, 3, heads, depth)
        b, n, _ = x.shape
        q, key, v = block["qkv"](x).reshape(b, n, 3, h, k).permute(2, 0, 3, 1, 4)
        p = torch.softmax(q @ key.transpose(-2, -1) * k ** -0.5, dim=-1)
        return block["proj"]((p @ v).transpose(1, 2).reshape(b, n, m))

    def forward(X, C):  # X [batch y m], C [batch m]: one condition per image
        shift_msa, scale_msa, gate_msa, shift_mlp, scale_mlp, gate_mlp = block["ada"](F.silu(C)).chunk(6, dim=1)
        X = X + gate_msa.unsqueeze(1) * attention(modulate(F.layer_norm(X, (m,), eps=1e-6), shift_msa, scale_msa))
        mlp = block["fc2"](F.gelu(block["fc1"](modulate(F.layer_norm(X, (m,), eps=1e-6), shift_mlp, scale_mlp)), approximate="tanh"))
        return X + gate_mlp.unsqueeze(1) * mlp

    parameters = {"W_ada.weight": "ada.weight", "W_ada.bias": "ada.bias",
                  "W_O.weight": From("proj.weight", "m (h k) -> m k h"), "W_O.bias": "proj.bias",
                  "W_1.weight": "fc1.weight", "W_1.bias": "fc1.bias", "W_2.weight": "fc2.weight", "W_2.bias": "fc2.bias"}
    for i, name in enumerate("QKV"):
        parameters[f"W_{name}.weight"] = From("qkv.weight", "(h k) m -> k h m", part=(i, 3))
        parameters[f"W_{name}.bias"] = From("qkv.bias", "(h k) -> k h", part=(i, 3))
    return Reference(forward, block, parameters, name="DiT's block in torch.nn")
