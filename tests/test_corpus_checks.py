"""The corpus diagrams that use gelu's tanh form, layer scale, broadcasting products and group norm, checked
by ncd check against torch.nn / transformers (the pairings beside them), and the same pairings
catching a diagram that gets the kind wrong."""
import shutil
from pathlib import Path

import pytest

from ncd_render.pytorch.check import check_file

CORPUS = Path(__file__).resolve().parent / "corpus"


@pytest.mark.parametrize("name", ["gpt2_mlp", "convnext_block", "squeeze_excitation", "diffusion_resblock", "vae_reparameterisation",
                                  "linear_attention", "glu", "gru_cell", "dit_block", "additive_attention", "cbam", "vector_quantiser",
                                  "key_padding_attention", "clip_logits", "conformer_conv", "film_block", "gqa_mistral",
                                  "lstm_cell", "mobilenet_v2_block", "palm_parallel_block", "gat_layer", "alibi_attention",
                                  "mamba2_ssd", "factorised_convolution", "crnn_pooling", "swin_block"])
def test_the_diagram_agrees_with_its_reference(name):
    report = check_file(CORPUS / f"{name}.ncd")
    assert report.passed, str(report)


GAMMA = "H = layerscale(H: c) with init=1e-6 as \\gamma\n"


@pytest.mark.parametrize("name, right, wrong, wire", [
    ("gpt2_mlp", "gelu(H) with approximate=tanh", "gelu(H)", "F"),  # exact GELU is not GPT-2's
    ("convnext_block", GAMMA + "X = X + H", "X = X + H", "X"),  # gamma before the LayerNorm (below)
    ("squeeze_excitation", "  S = sigmoid(S)\n", "", "Y"),  # the gate without its sigmoid
    ("diffusion_resblock", "groups=32 as GN_2", "groups=1 as GN_2", "X"),  # one group: a norm over every channel
    ("vae_reparameterisation", "S = Lv * 0.5", "S = Lv * 1.0", "Z"),  # the standard deviation is exp(logvar / 2)
    ("linear_attention", "R = O / D", "R = O * D", "Y"),  # normalised by multiplying: a quotient is not a product
    ("glu", "A, B = split(", "B, A = split(", "G"),  # the first half gated by the second, not the other way round
    ("gru_cell", "D = H - N", "D = N - H", "Hn"),  # the update gate moves the candidate toward the old state, not away
    ("dit_block", "Ca = Ca + 1", "Ca = 1 - Ca", "X"),  # modulate scales by 1 + scale
    ("additive_attention", "E = tanh(E)", "E = sigmoid(E)", "P"),  # Bahdanau's scores squash the outer sum with tanh
    ("cbam", "concat(Mc, Ac: ", "concat(Ac, Mc: ", "C"),  # the channels' maximum is the first map the convolution reads
    ("vector_quantiser", "argmin(D: e)", "argmax(D: e)", "I"),  # the farthest code, not the nearest
    ("key_padding_attention", "S = mask(S, Pad)\n", "delete Pad\n", "P"),  # the padded keys weighed as the rest
    ("clip_logits", "Lt = exp(Lt)\n", "", "L"),  # the temperature is learned as a logarithm
    ("conformer_conv", "A, B = split(", "B, A = split(", "G"),  # GLU gates the first half by the second
    ("film_block", "H = H * Gm\n  H = H + Bt", "H = H * Bt\n  H = H + Gm", "Y"),  # gamma scales, beta shifts
    ("gqa_mistral", "K = rope(K: x k) with base=1000000\n", "", "P"),  # keys without their positions
    ("lstm_cell", "Fc = F * C", "Fc = I * C", "Cn"),  # the forget gate, not the input gate, keeps the old cell
    ("mobilenet_v2_block", '  H = relu6(H)\nend\nsection "Linear', 'end\nsection "Linear', "X"),  # the depthwise ReLU6 left out
    ("palm_parallel_block", "  K = rope(K: x k)\n", "", "X"),  # keys without their positions
    ("gat_layer", "slope=0.2", "slope=0.02", "P"),  # GAT's LeakyReLU slope is 0.2
    ("alibi_attention", "  S = alibi(S: y x h)\n", "", "P"),  # the scores without their distance penalty
    ("mamba2_ssd", "  D = mask(D: y x) with causal\n", "", "O"),  # a future step's input leaks into the past
    ("factorised_convolution", "unfold(X: h w -> h w a b)", "unfold(X: h w -> h w b a)", "Y"),  # 7 x 1 first: rows mixed first
    ("crnn_pooling", "Y = max(P: p q)", "Y = mean(P: p q)", "Y"),  # CRNN takes each window's largest, not its mean
    ("swin_block", "G = rename(Z: t -> (i j))\n  R = rearrange(G: a b (i j) m", "G = rename(Z: t -> (j i))\n  R = rearrange(G: a b (j i) m",
     "X"),  # each window put back transposed, its rows as columns
])
def test_a_wrong_diagram_is_caught(tmp_path, name, right, wrong, wire):
    text = (CORPUS / f"{name}.ncd").read_text()
    assert right in text
    text = text.replace(right, wrong)
    if name == "convnext_block":
        text = text.replace("H = layernorm", GAMMA + "H = layernorm")
    (tmp_path / f"{name}.ncd").write_text(text)
    shutil.copy(CORPUS / f"{name}.check.py", tmp_path)
    report = check_file(tmp_path / f"{name}.ncd")
    assert not report.passed and report.first_failure().wire == wire
