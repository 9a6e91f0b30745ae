"""palm_parallel_block.ncd against a hand-written PaLM/GPT-J parallel block in torch (SDPA, rotate-half RoPE)."""
import torch
from torch import nn
from torch.nn import functional as F
from ncd_render.pytorch.check import From, Reference


def rope(t, base=10000.0):  # t [b, y, ..., k]; y at dim 1
    y, k = t.shape[1], t.shape[-1]
    inv = base ** (-torch.arange(0, k, 2, dtype=t.dtype) / k)
    ang = torch.arange(y, dtype=t.dtype)[:, None] * inv[None]
    ang = torch.cat([ang, ang], -1)
    shape = [1, y] + [1] * (t.dim() - 3) + [k]
    cos, sin = ang.cos().view(shape), ang.sin().view(shape)
    t1, t2 = t[..., : k // 2], t[..., k // 2:]
    return t * cos + torch.cat([-t2, t1], -1) * sin


def reference(sizes):
    m, h, k, f = sizes["m"], sizes["h"], sizes["k"], sizes["f"]
    mods = nn.ModuleDict({"ln": nn.LayerNorm(m, bias=False), "q": nn.Linear(m, h * k, bias=False),
                          "kv": nn.Linear(m, 2 * k, bias=False), "o": nn.Linear(h * k, m, bias=False),
                          "gate": nn.Linear(m, f, bias=False), "up": nn.Linear(m, f, bias=False),
                          "down": nn.Linear(f, m, bias=False)})

    def forward(X):
        b, y, _ = X.shape
        n = mods["ln"](X)
        q = rope(mods["q"](n).view(b, y, h, k)).transpose(1, 2)          # b h y k
        kk, v = mods["kv"](n).split(k, -1)
        kk = rope(kk).unsqueeze(1)                                        # b 1 y k
        v = v.unsqueeze(1)
        o = F.scaled_dot_product_attention(q, kk.expand(b, h, y, k), v.expand(b, h, y, k), is_causal=True)
        a = mods["o"](o.transpose(1, 2).reshape(b, y, h * k))
        mlp = mods["down"](F.silu(mods["gate"](n)) * mods["up"](n))
        return X + a + mlp

    parameters = {"LN.weight": From("ln.weight"),
                  "W_Q.weight": From("q.weight", "(h k) m -> k h m"),
                  "W_K.weight": From("kv.weight", part=(0, 2)),
                  "W_V.weight": From("kv.weight", part=(1, 2)),
                  "W_O.weight": From("o.weight", "m (h k) -> m k h"),
                  "W_G.weight": From("gate.weight"), "W_U.weight": From("up.weight"),
                  "W_D.weight": From("down.weight")}
    return Reference(forward, mods, parameters, name="hand-written PaLM parallel block")
