"""tests/corpus/linear_attention.ncd against linear attention written in torch.nn (Katharopoulos et
al., 2020, with softplus features): the keys' outer products with the values summed over positions,
each query reading them, divided by its product with the keys' sum."""
import torch
from torch import nn
from torch.nn import functional as F

from ncd_render.pytorch.check import From, Reference


def reference(sizes):
    m, h, k, v = sizes["m"], sizes["h"], sizes["k"], sizes["v"]
    maps = nn.ModuleDict({"q": nn.Linear(m, h * k, bias=False), "k": nn.Linear(m, h * k, bias=False),
                          "v": nn.Linear(m, h * v, bias=False), "o": nn.Linear(h * v, m, bias=False)})

    def forward(X):  # X [batch y m]
        b, y, _ = X.shape
        q = F.softplus(maps["q"](X)).view(b, y, h, k)
        key = F.softplus(maps["k"](X)).view(b, y, h, k)
        val = maps["v"](X).view(b, y, h, v)
        s = torch.einsum("bxhk,bxhv->bhkv", key, val)
        z = key.sum(1)
        out = torch.einsum("byhk,bhkv->byhv", q, s) / torch.einsum("byhk,bhk->byh", q, z).unsqueeze(-1)
        return maps["o"](out.reshape(b, y, h * v))

    parameters = {"W_Q.weight": From("q.weight", "(h k) m -> k h m"), "W_K.weight": From("k.weight", "(h k) m -> k h m"),
                  "W_V.weight": From("v.weight", "(h v) m -> v h m"), "W_O.weight": From("o.weight", "m (h v) -> m v h")}
    return Reference(forward, maps, parameters, name="linear attention in torch.nn")
