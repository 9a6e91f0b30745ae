"""tests/corpus/gpt2_mlp.ncd against transformers' GPT2MLP (activation "gelu_new", the tanh
form of GELU) behind an nn.LayerNorm, from a tiny random GPT2Config. GPT-2's Conv1D keeps its
weight as [in, out], the transpose of the diagram's [out, in]."""
from torch import nn
from transformers import GPT2Config
from transformers.models.gpt2.modeling_gpt2 import GPT2MLP

from ncd_render.pytorch.check import From, Reference, recording


def reference(sizes):
    m, f = sizes["m"], sizes["f"]
    config = GPT2Config(n_embd=m, n_inner=f, activation_function="gelu_new", resid_pdrop=0.0)
    block = nn.ModuleDict({"ln_2": nn.LayerNorm(m, eps=1e-5), "mlp": GPT2MLP(f, config)}).eval()

    def forward(X):
        with recording(N=block["ln_2"], F=block["mlp"]) as seen:
            Y = X + block["mlp"](block["ln_2"](X))
        return {"N": seen["N"], "F": seen["F"], "X": Y}

    parameters = {"LN_2.weight": From("ln_2.weight"), "LN_2.bias": From("ln_2.bias"),
                  "L_fc.weight": From("mlp.c_fc.weight", "m f -> f m"), "L_fc.bias": From("mlp.c_fc.bias"),
                  "L_proj.weight": From("mlp.c_proj.weight", "f m -> m f"), "L_proj.bias": From("mlp.c_proj.bias")}
    return Reference(forward, block, parameters, name="transformers GPT2MLP (gelu_new)")
