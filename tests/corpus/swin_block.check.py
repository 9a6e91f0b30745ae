"""tests/corpus/swin_block.ncd against a Swin Transformer block written as the paper's code writes it
(microsoft/Swin-Transformer: window_partition, WindowAttention with one packed qkv map, window_reverse),
without the relative position bias and without the shift."""
from torch import nn
from torch.nn import functional as F

from ncd_render.pytorch.check import From, Reference


def reference(sizes):
    i, j, m, h = sizes["i"], sizes["j"], sizes["m"], sizes["h"]
    k, f = m // h, 4 * m
    block = nn.ModuleDict({"norm1": nn.LayerNorm(m), "qkv": nn.Linear(m, 3 * m), "proj": nn.Linear(m, m),
                           "norm2": nn.LayerNorm(m), "fc1": nn.Linear(m, f), "fc2": nn.Linear(f, m)})

    def window_partition(x):  # [B H W C] -> [B * windows, i * j, C]
        B, H, W, C = x.shape
        return x.view(B, H // i, i, W // j, j, C).permute(0, 1, 3, 2, 4, 5).reshape(-1, i * j, C)

    def window_reverse(w, H, W):  # the inverse
        C = w.shape[-1]
        return w.view(-1, H // i, W // j, i, j, C).permute(0, 1, 3, 2, 4, 5).reshape(-1, H, W, C)

    def forward(X):  # X [batch (a i) (b j) m]
        _, H, W, _ = X.shape
        x = window_partition(block["norm1"](X))
        n = x.shape[0]
        q, key, v = block["qkv"](x).reshape(n, i * j, 3, h, k).permute(2, 0, 3, 1, 4)
        attention = (q * k ** -0.5 @ key.transpose(-2, -1)).softmax(-1)
        out = block["proj"]((attention @ v).transpose(1, 2).reshape(n, i * j, m))
        X = X + window_reverse(out, H, W)
        return X + block["fc2"](F.gelu(block["fc1"](block["norm2"](X))))

    parameters = {"LN_1.weight": From("norm1.weight"), "LN_1.bias": From("norm1.bias"),
                  "LN_2.weight": From("norm2.weight"), "LN_2.bias": From("norm2.bias"),
                  "W_O.weight": From("proj.weight", "m (h k) -> m k h"), "W_O.bias": From("proj.bias"),
                  "L_1.weight": From("fc1.weight"), "L_1.bias": From("fc1.bias"),
                  "L_2.weight": From("fc2.weight"), "L_2.bias": From("fc2.bias")}
    for n, box in enumerate(("W_Q", "W_K", "W_V")):
        parameters[f"{box}.weight"] = From("qkv.weight", "(h k) m -> k h m", part=(n, 3))
        parameters[f"{box}.bias"] = From("qkv.bias", "(h k) -> k h", part=(n, 3))
    return Reference(forward, block, parameters, name="a Swin block as microsoft/Swin-Transformer writes it")
