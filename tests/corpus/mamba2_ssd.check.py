"""mamba2_ssd.ncd against Mamba-2's selective scan run step by step (the recurrence, not the
quadratic form): h_t = exp(dt_t A) h_{t-1} + dt_t x_t B_t^T, y_t = h_t C_t + D x_t, then
y * silu(z), RMSNorm over the inner dimension, out-projection. Written in torch by hand."""
import torch
from torch import nn
from torch.nn import functional as F
from ncd_render.pytorch.check import From, Reference


def reference(sizes):
    m, h, p, n = sizes["m"], sizes["h"], sizes["p"], sizes["n"]
    mods = nn.ModuleDict({"in_proj": nn.Linear(m, 2 * h * p + 2 * n + h, bias=False),
                          "out_proj": nn.Linear(h * p, m, bias=False)})
    mods.dt_bias = nn.Parameter(torch.randn(h))
    mods.A = nn.Parameter(-torch.rand(h))
    mods.D = nn.Parameter(torch.randn(h))
    mods.norm_w = nn.Parameter(torch.randn(h * p))
    sizes_split = [h * p, h * p, n, n, h]

    def forward(X):
        b, y, _ = X.shape
        z, x, B, C, dt = mods["in_proj"](X).split(sizes_split, -1)
        x = F.silu(x).view(b, y, h, p)
        dt = F.softplus(dt + mods.dt_bias)                     # b y h
        state = X.new_zeros(b, h, p, n)
        ys = []
        for t in range(y):
            dA = torch.exp(dt[:, t] * mods.A)                  # b h
            state = state * dA[..., None, None] + (dt[:, t, :, None] * x[:, t])[..., None] * B[:, t, None, None, :]
            ys.append(torch.einsum("bhpn,bn->bhp", state, C[:, t]) + mods.D[:, None] * x[:, t])
        yy = torch.stack(ys, 1).reshape(b, y, h * p)
        yy = yy * F.silu(z)
        yy = yy * torch.rsqrt(yy.pow(2).mean(-1, keepdim=True) + 1e-5) * mods.norm_w
        return mods["out_proj"](yy)

    hp = h * p
    parameters = {"W_z.weight": From("in_proj.weight", "(h p) m -> p h m", index=None, rows=(0, hp)),
                  "W_x.weight": From("in_proj.weight", "(h p) m -> p h m", rows=(hp, 2 * hp)),
                  "W_B.weight": From("in_proj.weight", rows=(2 * hp, 2 * hp + n)),
                  "W_C.weight": From("in_proj.weight", rows=(2 * hp + n, 2 * hp + 2 * n)),
                  "W_dt.weight": From("in_proj.weight", rows=(2 * hp + 2 * n, 2 * hp + 2 * n + h)),
                  "W_dt.bias": From("dt_bias"),
                  "A.weight": From("A"), "D.weight": From("D"),
                  "N.weight": From("norm_w", "(h p) -> p h"),
                  "W_out.weight": From("out_proj.weight", "m (h p) -> m p h")}
    return Reference(forward, mods, parameters, name="Mamba-2 recurrence, step by step, in torch")
