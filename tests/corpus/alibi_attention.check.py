"""alibi_attention.ncd against causal attention with BLOOM's ALiBi slopes (transformers'
build_alibi_tensor rule) written in torch, via scaled_dot_product_attention's float mask."""
import math
import torch
from torch import nn
from ncd_render.pytorch.check import From, Reference


def bloom_slopes(n):
    p = 2 ** math.floor(math.log2(n))
    base = 2 ** (-(2 ** -(math.log2(p) - 3)))
    slopes = [base ** i for i in range(1, p + 1)]
    if p != n:
        extra = 2 ** (-(2 ** -(math.log2(2 * p) - 3)))
        slopes += [extra ** i for i in range(1, 1 + 2 * min(p, n - p), 2)]
    return torch.tensor(slopes, dtype=torch.float64)


def reference(sizes):
    m, h, k = sizes["m"], sizes["h"], sizes["k"]
    mods = nn.ModuleDict({n: nn.Linear(m, h * k) for n in "qkv"})
    mods["o"] = nn.Linear(h * k, m)

    def forward(X):
        b, y, _ = X.shape
        q, kk, v = (mods[n](X).view(b, y, h, k).transpose(1, 2) for n in "qkv")
        pos = torch.arange(y)
        dist = (pos[None, :] - pos[:, None]).to(X.dtype)                  # x - y
        bias = bloom_slopes(h).to(X.dtype)[:, None, None] * dist            # h y x
        bias = bias.masked_fill(pos[None, :] > pos[:, None], float("-inf"))
        s = q @ kk.transpose(-1, -2) / math.sqrt(k) + bias
        p = s.softmax(-1)
        o = (p @ v).transpose(1, 2).reshape(b, y, h * k)
        return {"Y": mods["o"](o), "P": p.permute(0, 2, 3, 1)}

    parameters = {}
    for n, lab in zip("qkv", "QKV"):
        parameters[f"W_{lab}.weight"] = From(f"{n}.weight", "(h k) m -> k h m")
        parameters[f"W_{lab}.bias"] = From(f"{n}.bias", "(h k) -> k h")
    parameters["W_O.weight"] = From("o.weight", "m (h k) -> m k h")
    parameters["W_O.bias"] = From("o.bias")
    return Reference(forward, mods, parameters, name="ALiBi attention (BLOOM slopes) in torch")
