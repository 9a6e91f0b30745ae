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


@pytest.mark.parametrize("size, padding", [(16, 1), (7, None), (8, 0)])
def test_sinusoid_is_fairseq_s_table(size, padding):
    """``sinusoid`` against transformers' own M2M100 table (get_embedding: tensor2tensor's, sines then cosines, an odd
    size padded with a zero column, the padding row zero), at every position of a table of 40."""
    import torch
    from transformers.models.m2m_100.modeling_m2m_100 import M2M100SinusoidalPositionalEmbedding

    from ncd_render.pytorch.functional import sinusoid

    expected = M2M100SinusoidalPositionalEmbedding.get_embedding(40, size, padding)
    got = sinusoid(torch.arange(40), size, 10000.0, padding, torch.float64)
    assert torch.allclose(got.float(), expected, atol=1e-5), (got.float() - expected).abs().max()


def test_a_reversed_rope_turns_as_nanochat_s():
    """``rope ... with reversed`` against NanoChat's own rotary (its rotate_half gives cat(x2, -x1): each pair turned
    back), and unlike the usual one."""
    import torch
    from transformers.models.nanochat.modeling_nanochat import NanoChatRotaryEmbedding, apply_rotary_pos_emb

    from ncd_render.pytorch.functional import rotary

    config = transformers.NanoChatConfig(hidden_size=32, num_attention_heads=2, rope_theta=500.0)
    torch.manual_seed(0)
    x = torch.randn(1, 2, 12, 16)
    cos, sin = NanoChatRotaryEmbedding(config)(x, torch.arange(12)[None])
    expected, _ = apply_rotary_pos_emb(x, x, cos, sin)
    assert torch.allclose(rotary(x.double(), 2, 3, 500.0, reversed=True).float(), expected, atol=2e-5)
    assert not torch.allclose(rotary(x.double(), 2, 3, 500.0).float(), expected, atol=1e-2)


@pytest.mark.parametrize("scaling, ours", [
    (None, {}),
    ({"rope_type": "linear", "factor": 2.0}, {"scaling": "linear", "factor": 2.0}),
    ({"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 64},
     {"scaling": "llama3", "factor": 8.0, "low": 1.0, "high": 4.0, "context": 64}),
    ({"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 16}, {"scaling": "yarn", "factor": 4.0, "context": 16}),
    ({"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 16, "truncate": False},  # gpt-oss's
     {"scaling": "yarn", "factor": 4.0, "context": 16, "unrounded": True}),
])
def test_rope_scalings_turn_as_transformers_turns_them(scaling, ours):
    """``rope ... with scaling=...`` against transformers' own rotary (LlamaRotaryEmbedding, whose frequencies come from its
    ROPE_INIT_FUNCTIONS, and apply_rotary_pos_emb) at 40 positions, head depth 16, base 500: every band of llama3's is
    met (wavelengths from 6 to 1,500 against a first context of 64)."""
    import torch
    from transformers.models.llama.modeling_llama import LlamaRotaryEmbedding, apply_rotary_pos_emb

    from ncd_render.pytorch.functional import rotary

    config = transformers.LlamaConfig(hidden_size=32, num_attention_heads=2, max_position_embeddings=128, rope_theta=500.0,
                                      rope_scaling=scaling)
    torch.manual_seed(0)
    x = torch.randn(1, 2, 40, 16)
    cos, sin = LlamaRotaryEmbedding(config)(x, torch.arange(40)[None])
    expected, _ = apply_rotary_pos_emb(x, x, cos, sin)
    plain = rotary(x.double(), 2, 3, 500.0)
    got = rotary(x.double(), 2, 3, 500.0, **ours)
    assert torch.allclose(got.float(), expected, atol=2e-5), (got.float() - expected).abs().max()
    assert scaling is None or not torch.allclose(plain.float(), expected, atol=1e-2)  # the scaling matters here
    if ours.get("unrounded"):  # and so does leaving the ramp's ends as computed
        rounded = rotary(x.double(), 2, 3, 500.0, **{**ours, "unrounded": False})
        assert not torch.allclose(rounded.float(), expected, atol=1e-2)
