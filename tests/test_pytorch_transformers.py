"""A `transformers` block plugs into ncd check like torch's own modules: a
Llama-style pre-norm SwiGLU feed-forward (RMSNorm, gate and up projections,
SiLU, product, down projection, residual) against LlamaRMSNorm and LlamaMLP."""
import pytest
import transformers

from ncd_render.pytorch.check import check_file

FEED_FORWARD = """title "Pre-norm SwiGLU feed-forward"
axis y = 5 width
axis m = 8
axis f = 12
input X[y m]
N = rmsnorm(X: m) with affine, eps=1e-6 as RMS
G = linear(N: m -> f) as W_gate
G = silu(G)
U = linear(N: m -> f) as W_up
H = einsum(G, U: y f, y f -> y f)
D = linear(H: f -> m) as W_down
Y = X + D
output Y
"""

PAIRING = """
from torch import nn
from transformers import LlamaConfig
from transformers.models.llama.modeling_llama import LlamaMLP, LlamaRMSNorm

from ncd_render.pytorch.check import From, Reference, recording


def reference(sizes):
    config = LlamaConfig(hidden_size=sizes["m"], intermediate_size=sizes["f"], hidden_act="silu",
                         num_attention_heads=1, num_key_value_heads=1, rms_norm_eps=1e-6)
    block = nn.ModuleDict({"norm": LlamaRMSNorm(sizes["m"], eps=1e-6), "mlp": LlamaMLP(config)})

    def forward(X):
        with recording(N=block["norm"], D=block["mlp"]) as seen:
            Y = X + block["mlp"](block["norm"](X))
        return {"N": seen["N"], "D": seen["D"], "Y": Y}

    parameters = {"RMS.weight": From("norm.weight"), "W_gate.weight": From("mlp.gate_proj.weight"),
                  "W_up.weight": From("mlp.up_proj.weight"), "W_down.weight": From("mlp.down_proj.weight")}
    return Reference(forward, block, parameters, name="transformers LlamaRMSNorm + LlamaMLP",
                     dtypes=("float32",))  # LlamaRMSNorm computes in float32 whatever it is given
"""


def test_transformers_is_the_pinned_version():
    assert transformers.__version__ == "5.23.0"


@pytest.fixture
def feed_forward(tmp_path):
    def write(text=FEED_FORWARD):
        (tmp_path / "ffn.ncd").write_text(text)
        (tmp_path / "ffn.check.py").write_text(PAIRING)
        return tmp_path / "ffn.ncd"

    return write


def test_a_swiglu_feed_forward_agrees_with_llama(feed_forward):
    report = check_file(feed_forward())
    assert report.passed, str(report)
    assert [c.wire for c in report.comparisons] == ["N", "D", "Y"]


def test_silu_on_the_wrong_projection_is_found(feed_forward):
    report = check_file(feed_forward(FEED_FORWARD.replace("G = silu(G)\nU = linear(N: m -> f) as W_up",
                                                          "U = linear(N: m -> f) as W_up\nU = silu(U)")))
    assert report.first_failure().wire == "D"
    assert "ffn.ncd:11:5:" in str(report) and "wires made before it that agree: N" in str(report)
