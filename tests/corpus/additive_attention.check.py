"""tests/corpus/additive_attention.ncd against Bahdanau attention as PyTorch's seq2seq tutorial writes it
(``BahdanauAttention``: Wa, Ua and Va, each an nn.Linear with its bias), for a batch of queries at once."""
import torch
from torch import nn

from ncd_render.pytorch.check import From, Reference


def reference(sizes):
    m, a = sizes["m"], sizes["a"]
    maps = nn.ModuleDict({"Wa": nn.Linear(m, a), "Ua": nn.Linear(m, a), "Va": nn.Linear(a, 1)})

    def forward(Q, K):  # Q [batch y m], K [batch x m]
        scores = maps["Va"](torch.tanh(maps["Wa"](Q).unsqueeze(2) + maps["Ua"](K).unsqueeze(1))).squeeze(-1)  # [batch y x]
        weights = torch.softmax(scores, dim=-1)
        return {"C": torch.bmm(weights, K), "P": weights}

    parameters = {"W_a.weight": "Wa.weight", "W_a.bias": "Wa.bias", "U_a.weight": "Ua.weight", "U_a.bias": "Ua.bias",
                  "V_a.weight": From("Va.weight", "() a -> a"), "V_a.bias": From("Va.bias", "() -> ")}
    return Reference(forward, maps, parameters, name="Bahdanau attention in torch.nn")
