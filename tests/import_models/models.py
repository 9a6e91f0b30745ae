"""Modules for tests/test_import.py: each FUNC() returns (module, example_inputs) at tiny sizes,
as a user would hand them to `ncd import FILE.py:FUNC`. transformers blocks come from tiny random
configurations (nothing is downloaded). A batch of one keeps the batch axis out of the diagram."""
import math

import torch
import torch.nn.functional as F
from torch import nn


def multihead_attention():
    return nn.MultiheadAttention(12, 3, batch_first=True), (torch.randn(1, 5, 12), torch.randn(1, 6, 12), torch.randn(1, 6, 12))


def encoder_layer():
    return nn.TransformerEncoderLayer(12, 3, 24, dropout=0.0, batch_first=True), (torch.randn(1, 5, 12),)


def decoder_layer():
    return nn.TransformerDecoderLayer(12, 3, 24, dropout=0.0, batch_first=True), (torch.randn(1, 5, 12), torch.randn(1, 6, 12))


class NeuralNetwork(nn.Module):
    """The PyTorch tutorial's MLP (Build the Neural Network), at 4 x 3 pixels."""

    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(nn.Linear(4 * 3, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 5))

    def forward(self, x):
        return self.linear_relu_stack(self.flatten(x))


def mlp():
    return NeuralNetwork(), (torch.randn(1, 4, 3),)


class BasicBlock(nn.Module):
    """A ResNet basic block in plain torch: conv, batch norm, ReLU, conv, batch norm, residual, ReLU."""

    def __init__(self, c=4):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)

    def forward(self, x):
        return self.relu(x + self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x))))))


def encoder_stack():
    """Three identical layers: one repeat block."""
    layer = nn.TransformerEncoderLayer(12, 3, 24, dropout=0.0, batch_first=True)
    return nn.TransformerEncoder(layer, 3, enable_nested_tensor=False), (torch.randn(1, 5, 12),)


def decoder_stack():
    """Two identical decoder layers: each reads the same memory, the target goes round."""
    layer = nn.TransformerDecoderLayer(12, 3, 24, dropout=0.0, batch_first=True)
    return nn.TransformerDecoder(layer, 2), (torch.randn(1, 4, 12), torch.randn(1, 5, 12))


def mixed_stack():
    """Two layers of the same class that compute differently (ReLU, then GELU): no repeat block."""
    layers = [nn.TransformerEncoderLayer(12, 3, 24, dropout=0.0, batch_first=True, activation=a) for a in ("relu", "gelu")]
    return nn.Sequential(*layers), (torch.randn(1, 5, 12),)


def resnet_block():
    return BasicBlock(), (torch.randn(1, 4, 6, 5),)


from transformers import DeepseekV3Config, GPT2Config, LlamaConfig, MixtralConfig, ViTConfig  # noqa: E402
from transformers.models.deepseek_v3.modeling_deepseek_v3 import DeepseekV3MLP  # noqa: E402
from transformers.models.gpt2.modeling_gpt2 import GPT2Block  # noqa: E402
from transformers.models.llama.modeling_llama import LlamaDecoderLayer, LlamaMLP, LlamaRotaryEmbedding  # noqa: E402
from transformers.models.mixtral.modeling_mixtral import MixtralSparseMoeBlock  # noqa: E402
from transformers.models.vit.modeling_vit import ViTLayer  # noqa: E402


def _llama():
    return LlamaConfig(hidden_size=16, intermediate_size=24, num_attention_heads=4, num_key_value_heads=4, head_dim=4,
                       num_hidden_layers=1, vocab_size=8, attn_implementation="sdpa", max_position_embeddings=16)


def llama_mlp():
    return LlamaMLP(_llama()), (torch.randn(1, 5, 16),)


def deepseek_mlp():
    config = DeepseekV3Config(hidden_size=16, intermediate_size=24, moe_intermediate_size=8, num_hidden_layers=1, vocab_size=8)
    return DeepseekV3MLP(config), (torch.randn(1, 5, 16),)


class LlamaLayerWithRotary(nn.Module):
    """A Llama decoder layer with its rotary table, as LlamaModel runs it."""

    def __init__(self, config):
        super().__init__()
        self.layer = LlamaDecoderLayer(config, 0)
        self.rotary = LlamaRotaryEmbedding(config)

    def forward(self, x):
        positions = torch.arange(x.shape[1]).unsqueeze(0)
        return self.layer(x, position_embeddings=self.rotary(x, positions), position_ids=positions)


def llama_decoder_layer():
    return LlamaLayerWithRotary(_llama()).eval(), (torch.randn(1, 5, 16),)


def llama_gqa_decoder_layer():
    """Grouped-query attention: 4 query heads share 2 key/value heads (sdpa's enable_gqa)."""
    config = _llama()
    config.num_key_value_heads = 2
    return LlamaLayerWithRotary(config).eval(), (torch.randn(1, 5, 16),)


def gpt2():
    config = GPT2Config(n_embd=16, n_head=4, n_layer=1, n_positions=16, vocab_size=8, activation_function="gelu",
                        attn_implementation="sdpa")
    return GPT2Block(config).eval(), (torch.randn(1, 5, 16),)


def vit():
    config = ViTConfig(hidden_size=16, num_attention_heads=4, intermediate_size=24, num_hidden_layers=1, image_size=8,
                       patch_size=4, attn_implementation="sdpa")
    return ViTLayer(config).eval(), (torch.randn(1, 5, 16),)


def mixtral_moe():
    config = MixtralConfig(hidden_size=16, intermediate_size=8, num_local_experts=4, num_experts_per_tok=2,
                           num_hidden_layers=1, vocab_size=8)
    config._experts_implementation = "batched_mm"  # gathers instead of a loop over the experts hit: capturable
    block = MixtralSparseMoeBlock(config).eval()
    for p in block.parameters():  # the block leaves its weights uninitialised (torch.empty)
        nn.init.normal_(p, std=0.2)
    return block, (torch.randn(1, 5, 16),)


def mixtral_moe_uninitialised():
    """Mixtral's block as transformers builds it alone: its experts' weights never initialised, here NaN."""
    block, inputs = mixtral_moe()
    with torch.no_grad():
        block.experts.down_proj.fill_(float("nan"))
    return block, inputs


# Bad inputs for the error tests
def not_a_pair():
    return nn.Linear(3, 4)


def nested_inputs():
    """nn.LSTM's first states as it takes them, a tuple in the inputs: refused with how to pass them instead (it said
    only "must return a non-empty tuple of tensors", which the inputs were, nested)."""
    return nn.LSTM(8, 16), (torch.randn(2, 1, 8), (torch.randn(1, 1, 16), torch.randn(1, 1, 16)))


def fails_to_run():
    return nn.Linear(3, 4), (torch.randn(2, 5),)


def scalar_input():  # a 0-d example: a diagram's input has at least one axis (it wrote "check " with no sizes)
    return nn.Tanh(), (torch.tensor(3.0),)


def ones_input():  # a [1, 1] example: its dims of size 1 are dropped, so it had no axes (it wrote "input X[]")
    return nn.Tanh(), (torch.randn(1, 1),)


def empty_input():  # a dimension of size 0 (it wrote "axis y = 0")
    return nn.Linear(3, 4), (torch.randn(0, 3),)


def complex_input():  # it was declared an integer input
    return nn.Identity(), (torch.randn(2, 3, dtype=torch.complex64),)


def meta_module():  # Tensor.item() cannot be called on meta tensors: a traceback (a tester's)
    return nn.Linear(8, 8).to("meta"), (torch.randn(1, 4, 8, device="meta"),)


def sparse_input():
    return nn.Identity(), (torch.eye(3).to_sparse(),)


class _EmptyPart(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("picked", torch.zeros(0, dtype=torch.long))

    def forward(self, x):
        return x + x[self.picked].sum(0)


def empty_part():  # rows picked by an index of none: a tensor of no elements on the way (it wrote "axis u = 0")
    return _EmptyPart(), (torch.randn(5, 3),)


class _Constant(nn.Module):
    def forward(self, x):
        return 3


def no_tensor_out():  # it wrote "output " with no name
    return _Constant(), (torch.randn(2, 3),)


def unsupported():
    class Cumulative(nn.Module):
        def __init__(self):
            super().__init__()
            self.proj = nn.Linear(3, 3)

        def forward(self, x):
            return torch.relu(torch.cumprod(self.proj(x), -1))
    return Cumulative(), (torch.randn(4, 3),)


def gpt2_gelu_new():
    """GPT2Block as transformers builds it by default: its GELU is the tanh form written out (gelu_new)."""
    config = GPT2Config(n_embd=16, n_head=4, n_layer=1, n_positions=16, vocab_size=8, attn_implementation="sdpa")
    return GPT2Block(config).eval(), (torch.randn(1, 5, 16),)


def tanh_gelu_mlp():
    """An MLP with torch's own tanh GELU (transformers' gelu_pytorch_tanh)."""
    return nn.Sequential(nn.Linear(16, 24), nn.GELU(approximate="tanh"), nn.Linear(24, 16)), (torch.randn(1, 5, 16),)


class _GroupedAndPooled(nn.Module):
    """A depthwise 3x3 convolution with two outputs per channel, a grouped one (ResNeXt's), then max and average pooling."""

    def __init__(self):
        super().__init__()
        self.depthwise = nn.Conv2d(4, 8, 3, padding=1, groups=4)
        self.grouped = nn.Conv2d(8, 12, 3, groups=4)
        self.max_pool = nn.MaxPool2d(2)
        self.avg_pool = nn.AvgPool2d(2, stride=1, padding=1)

    def forward(self, x):
        return self.avg_pool(self.max_pool(torch.relu(self.grouped(self.depthwise(x)))))


def grouped_and_pooled():
    return _GroupedAndPooled(), (torch.randn(1, 4, 8, 10),)


class _GroupedThenJoined(nn.Module):
    """A concatenation whose first operand is flattened and transposed to the second's layout (BEiT's relative position
    table, joined to its rows for the class token), then read by a product that writes every operand's layout."""

    def forward(self, x, z, w):
        joined = torch.cat([x.flatten(1).T, z], 0)  # x [o g k] -> [(g k) o], then z [d o] below it
        return torch.einsum("eo,o->e", joined, w)


def grouped_then_joined():
    return _GroupedThenJoined(), (torch.randn(3, 2, 4), torch.randn(5, 3), torch.randn(3))


class _PatchesOfAConvolution(nn.Module):
    """MobileViT's unfolding: a convolution's map cut into 2x2 patches (a view splits its rows and columns), each pixel's
    channels mixed, the patches folded back and convolved again (a ★ of rows and columns that a view split)."""

    def __init__(self):
        super().__init__()
        self.conv, self.mix, self.conv2 = nn.Conv2d(3, 4, 3, padding=1), nn.Linear(4, 4), nn.Conv2d(4, 4, 3, padding=1)

    def forward(self, x):
        patches = self.conv(x).reshape(1, 4, 4, 2, 4, 2).permute(0, 2, 4, 3, 5, 1)  # [1, 4, 4, 2, 2, c]
        back = self.mix(patches).permute(0, 5, 1, 3, 2, 4).reshape(1, 4, 8, 8)
        return self.conv2(back)


def patches_of_a_convolution():
    return _PatchesOfAConvolution().eval(), (torch.randn(1, 3, 8, 8),)


class _FactorisedConvolution(nn.Module):
    """Inception-v3's factorised 7x7 branch (torchvision's InceptionC): a 1x7 convolution padded (0, 3), then a 7x1 one
    padded (3, 0), each keeping the image's size."""

    def __init__(self):
        super().__init__()
        self.row, self.column = nn.Conv2d(3, 4, (1, 7), padding=(0, 3)), nn.Conv2d(4, 4, (7, 1), padding=(3, 0))

    def forward(self, x):
        return self.column(torch.relu(self.row(x)))


def factorised_convolution():
    return _FactorisedConvolution().eval(), (torch.randn(1, 3, 9, 8),)


class _TextLineFeatures(nn.Module):
    """CRNN's later feature maps (crnn.pytorch): a 3x3 convolution, ReLU, a max pooling by (2, 1) padded (0, 1) that
    keeps the columns; then settings per direction elsewhere: a (3, 1) convolution strided (2, 1), padded (1, 0),
    and a transposed (2, 1) one strided (2, 1) (an audio decoder's)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.pool = nn.MaxPool2d((2, 2), (2, 1), (0, 1))
        self.down = nn.Conv2d(4, 5, (3, 1), stride=(2, 1), padding=(1, 0))
        self.up = nn.ConvTranspose2d(5, 2, (2, 1), stride=(2, 1))

    def forward(self, x):
        return self.up(self.down(self.pool(torch.relu(self.conv(x)))))


def text_line_features():
    torch.manual_seed(0)
    return _TextLineFeatures().eval(), (torch.randn(1, 3, 8, 7),)


def uneven_max_pool():
    """Max pooling padded (0, 1) of values that may be negative: torch pads with -inf, the ★ with zeros, so the
    columns' edges are repeated first (it was refused as padded unevenly)."""
    return nn.MaxPool2d((3, 3), 1, (0, 1)), (torch.randn(1, 2, 5, 6),)


class _InceptionStem(nn.Module):
    """GoogLeNet's stem (torchvision's): max pooling 3 x 3 by 2 with ceil_mode, keeping a last window that runs past the
    edge, after a ReLU and, last, of values that may be negative; and one that fits anyway, 3 x 3 by 1."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.pool = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.again = nn.MaxPool2d(3, 1, padding=1, ceil_mode=True)

    def forward(self, x):
        h = self.pool(torch.relu(self.conv(x)))
        return self.pool(self.again(self.conv(x))), h


def inception_stem():
    torch.manual_seed(0)
    return _InceptionStem().eval(), (torch.randn(1, 3, 8, 7),)


class _Resizing(nn.Module):
    """Resizing by a whole factor each way but not the same one: adaptive pooling to a size that divides the map's
    (an 8 x 8 map to 2 x 2, and by max to 4 x 1), adaptive pooling to a multiple of it (VGG's head, 2 x 2 to 4 x 4),
    average pooling by (2, 1), and nearest and bilinear upsampling by (2, 1) and (2, 3)."""

    def __init__(self):
        super().__init__()
        self.tile, self.column = nn.AdaptiveAvgPool2d((2, 2)), nn.AdaptiveMaxPool2d((4, 1))
        self.grow, self.rows = nn.AdaptiveAvgPool2d((4, 4)), nn.AvgPool2d((2, 1))
        self.up, self.smooth = nn.Upsample(scale_factor=(2, 1)), nn.Upsample(scale_factor=(2, 3), mode="bilinear")

    def forward(self, x):
        h = self.tile(x)
        return self.smooth(self.up(self.rows(h))), self.column(x), self.grow(h)


def resizing():
    return _Resizing().eval(), (torch.randn(1, 3, 8, 8),)


class _BasicConv2d(nn.Module):
    """torchvision's GoogLeNet convolution: unbiased, a batch norm, ReLU."""

    def __init__(self, i, o, **settings):
        super().__init__()
        self.conv, self.bn = nn.Conv2d(i, o, bias=False, **settings), nn.BatchNorm2d(o, eps=0.001)

    def forward(self, x):
        return torch.relu(self.bn(self.conv(x)))


class _InceptionBlock(nn.Module):
    """GoogLeNet's Inception block (torchvision's): four branches, a 1x1, a 1x1 then 3x3 twice, and a 3x3 max pooling
    with ceil_mode then a 1x1, joined by one torch.cat."""

    def __init__(self, c=8):
        super().__init__()
        self.branch1 = _BasicConv2d(c, 4, kernel_size=1)
        self.branch2 = nn.Sequential(_BasicConv2d(c, 3, kernel_size=1), _BasicConv2d(3, 4, kernel_size=3, padding=1))
        self.branch3 = nn.Sequential(_BasicConv2d(c, 2, kernel_size=1), _BasicConv2d(2, 3, kernel_size=3, padding=1))
        self.branch4 = nn.Sequential(nn.MaxPool2d(3, 1, padding=1, ceil_mode=True), _BasicConv2d(c, 3, kernel_size=1))

    def forward(self, x):
        return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


def inception_block():
    torch.manual_seed(0)
    block = _InceptionBlock().eval()
    for norm in (m for m in block.modules() if isinstance(m, nn.BatchNorm2d)):
        norm.running_mean.normal_()
        norm.running_var.uniform_(0.5, 1.5)
    return block, (torch.randn(1, 8, 6, 6),)


class _AverageDown(nn.Module):
    """ResNet-D's shortcut (timm's avg_down): nn.AvgPool2d(2, 2, ceil_mode=True, count_include_pad=False) of an even
    map, where neither setting changes a window, then a 1x1 convolution."""

    def __init__(self):
        super().__init__()
        self.pool, self.conv = nn.AvgPool2d(2, 2, ceil_mode=True, count_include_pad=False), nn.Conv2d(3, 4, 1, bias=False)

    def forward(self, x):
        return self.conv(self.pool(x))


def average_down():
    return _AverageDown().eval(), (torch.randn(1, 3, 6, 4),)


class _SoftmaxOfOne(nn.Module):
    """Attention over one patch (MobileViT's on a small image): a softmax over a dim of one."""

    def forward(self, x):
        return torch.softmax(x.unsqueeze(-1) * 2.0, dim=-1).squeeze(-1) + x


def softmax_of_one():
    return _SoftmaxOfOne(), (torch.randn(3, 4),)


class _OneBlockBesidePooled(nn.Module):
    """A one-block convolution's result (its row and column of one are axes) joined to a global pool's (whose are not)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, stride=2)

    def forward(self, x):
        return torch.cat([self.conv(x), nn.functional.adaptive_avg_pool2d(x, 1)], dim=1)


def one_block_beside_pooled():
    return _OneBlockBesidePooled().eval(), (torch.randn(1, 4, 3, 3),)


class _TwoTokens(nn.Module):
    """DeiT's embeddings: a class token and a distillation token joined to the patches, three tensors in one cat."""

    def __init__(self):
        super().__init__()
        self.cls_token, self.distillation_token = nn.Parameter(torch.randn(1, 1, 8)), nn.Parameter(torch.randn(1, 1, 8))

    def forward(self, x):
        return torch.cat([self.cls_token, self.distillation_token, x], dim=1)


def two_tokens():
    return _TwoTokens(), (torch.randn(1, 4, 8),)


class _TokenPerFrame(nn.Module):
    """TimeSformer's spatial attention step: the class token copied to every frame (``repeat``), joined to that frame's
    patches, mixed, then averaged back over the frames; the patches laid out [batch, 1 + frames * patches, d]."""

    def __init__(self, frames=2):
        super().__init__()
        self.frames, self.mix = frames, nn.Linear(8, 8)

    def forward(self, x):
        b, length, d = x.shape
        t = self.frames
        n = (length - 1) // t
        token = x[:, 0, :].unsqueeze(1).repeat(1, t, 1).reshape(b * t, d).unsqueeze(1)
        patches = x[:, 1:, :].reshape(b, n, t, d).permute(0, 2, 1, 3).reshape(b * t, n, d)
        h = self.mix(torch.cat((token, patches), 1))
        token = h[:, 0, :].reshape(b, t, d).mean(1, True)
        patches = h[:, 1:, :].reshape(b, t, n, d).permute(0, 2, 1, 3).reshape(b, n * t, d)
        return torch.cat((token, patches), 1)


def token_per_frame():
    return _TokenPerFrame().eval(), (torch.randn(1, 9, 8),)


class _RepeatedToken(nn.Module):
    """A token given frames by ``repeat`` along its dims of one and joined to each frame's patches by torch.cat."""

    def __init__(self):
        super().__init__()
        self.mix = nn.Linear(8, 8)

    def forward(self, token, patches):  # [1, d], [1, frames, n, d]
        return self.mix(torch.cat((token[:, None, None].repeat(1, patches.shape[1], 1, 1), patches), 2))


def repeated_token():
    return _RepeatedToken().eval(), (torch.randn(1, 8), torch.randn(1, 2, 4, 8))


class _GroupedQueryByRepeatInterleave(nn.Module):
    """Grouped-query attention with each key and value head copied per query head of its group by
    ``repeat_interleave`` along the heads (the spelling lucidrains' and many hand-written models use), then einsum."""

    def __init__(self, dim=16, heads=4, kv_heads=2):
        super().__init__()
        self.heads, self.kv_heads, self.depth = heads, kv_heads, dim // heads
        self.to_q = nn.Linear(dim, dim, bias=False)
        self.to_kv = nn.Linear(dim, 2 * kv_heads * self.depth, bias=False)
        self.to_out = nn.Linear(dim, dim, bias=False)

    def forward(self, x):
        b, n, _ = x.shape
        q = self.to_q(x).view(b, n, self.heads, self.depth).transpose(1, 2)
        k, v = self.to_kv(x).view(b, n, 2, self.kv_heads, self.depth).permute(2, 0, 3, 1, 4)
        k, v = (t.repeat_interleave(self.heads // self.kv_heads, dim=1) for t in (k, v))
        attn = torch.einsum("bhid,bhjd->bhij", q, k).mul(self.depth ** -0.5).softmax(-1)
        return self.to_out(torch.einsum("bhij,bhjd->bhid", attn, v).transpose(1, 2).reshape(b, n, -1))


def gqa_repeat_interleave():
    return _GroupedQueryByRepeatInterleave().eval(), (torch.randn(1, 5, 16),)


class _GatedShortConv(nn.Module):
    """Hyena's and Mamba's gate: one projection chunked in two halves, a causal depthwise convolution of one, a sigmoid
    of the other; no attention, though its packed projection is called in_proj as nn.MultiheadAttention's is."""

    def __init__(self, dim=8, k=3):
        super().__init__()
        self.in_proj = nn.Linear(dim, 2 * dim)
        self.conv = nn.Conv1d(dim, dim, k, groups=dim, padding=k - 1)
        self.out_proj = nn.Linear(dim, dim)

    def forward(self, x):
        u, g = self.in_proj(x).chunk(2, dim=-1)
        u = self.conv(u.transpose(1, 2))[..., :x.shape[1]].transpose(1, 2)
        return self.out_proj(u * torch.sigmoid(g))


def gated_short_conv():
    return _GatedShortConv().eval(), (torch.randn(1, 6, 8),)


class _LatentsReadTwice(nn.Module):
    """Perceiver's latents: one learned tensor, normed as the queries of an attention over the input, then added back
    to what the attention gives (a residual)."""

    def __init__(self, dim=8, latents=3):
        super().__init__()
        self.latents = nn.Parameter(torch.randn(latents, dim))
        self.norm = nn.LayerNorm(dim)

    def forward(self, x):
        lat = self.latents.unsqueeze(0).expand(x.shape[0], -1, -1)
        return lat + torch.softmax(self.norm(lat) @ x.transpose(1, 2), dim=-1) @ x


def latents_read_twice():
    return _LatentsReadTwice().eval(), (torch.randn(1, 5, 8),)


def convnextv2_layer():
    """ConvNeXt V2's layer: its global response norm takes the 2-norm of each channel over the image."""
    from transformers import ConvNextV2Config
    from transformers.models.convnextv2.modeling_convnextv2 import ConvNextV2Layer

    layer = ConvNextV2Layer(ConvNextV2Config(), dim=8)
    for name, p in layer.named_parameters():
        if "grn" in name:
            nn.init.normal_(p, std=0.5)  # (zeros at first: the norm would add nothing)
    return layer.eval(), (torch.randn(1, 8, 6, 6),)


class _VectorNorms(nn.Module):
    """Vector norms of orders 1, 2 and infinity."""

    def forward(self, x):
        return x.norm(p=1, dim=1), x.norm(dim=-1), torch.linalg.vector_norm(x, ord=float("inf"), dim=-1)


def vector_norms():
    return _VectorNorms().eval(), (torch.randn(1, 5, 8),)


class _PooledToken(nn.Module):
    """The patches' mean, kept as a dim of one, joined before them as a token."""

    def __init__(self):
        super().__init__()
        self.mix = nn.Linear(8, 8)

    def forward(self, x):
        return self.mix(torch.cat((x.mean(1, keepdim=True), x), 1))


def pooled_token():
    return _PooledToken().eval(), (torch.randn(1, 4, 8),)


class _TiledAndSummed(nn.Module):
    """``repeat`` tiling a dim of more than one (no statement), and a sum over a dim a token was only copied along."""

    def forward(self, x):
        return x.repeat(1, 2), x.unsqueeze(1).repeat(1, 3, 1).sum(1)


def tiled_and_summed():
    return _TiledAndSummed().eval(), (torch.randn(3, 4),)


class _MappedTable(nn.Module):
    """Swin V2's continuous position bias: a buffer of coordinates (no input feeds it) through a small MLP, added."""

    def __init__(self):
        super().__init__()
        self.register_buffer("coords", torch.randn(3, 2), persistent=False)
        self.continuous_position_bias_mlp = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 4, bias=False))

    def forward(self, x):
        return x + self.continuous_position_bias_mlp(self.coords)


def mapped_table():
    return _MappedTable().eval(), (torch.randn(3, 4),)


class _SquaredReluMLP(nn.Module):
    """Primer's squared ReLU between two maps (Persimmon's and Nemotron's MLPs): relu, then torch.square; and ** 2."""

    def __init__(self):
        super().__init__()
        self.up, self.down = nn.Linear(8, 16), nn.Linear(16, 8)

    def forward(self, x):
        return self.down(torch.square(torch.relu(self.up(x)))) + x ** 2


def squared_relu_mlp():
    return _SquaredReluMLP(), (torch.randn(1, 5, 8),)


class _NamedProducts(nn.Module):
    """Products and quotients by aten's other names: torch.multiply (ConvBERT's), torch.divide, torch.true_divide."""

    def __init__(self):
        super().__init__()
        self.gate = nn.Linear(8, 8)

    def forward(self, x):
        return torch.true_divide(torch.divide(torch.multiply(x, torch.sigmoid(self.gate(x))), 2.0), 4.0)


def named_products():
    return _NamedProducts(), (torch.randn(1, 5, 8),)


class _PickThenSplit(nn.Module):
    """One position picked (x[:, 4]), then the positions split in (3, 2) by a later view (CANINE's last chunk of its
    local attention): the pick is an index of the positions as one axis, grouped for it."""

    def forward(self, x):
        first = x[:, 4]
        return first.unsqueeze(1) + x.view(1, 3, 2, 8).sum(2)


def pick_then_split():
    return _PickThenSplit(), (torch.randn(1, 6, 8),)


class _SplitAfterAttention(nn.Module):
    """Self-attention over 16 positions that a later view splits in (4, 4) (Swin's windows, split again by its patch
    merging): the keys' second name for the positions splits as they do."""

    def __init__(self):
        super().__init__()
        self.q, self.k = nn.Linear(8, 8), nn.Linear(8, 8)

    def forward(self, x):
        s = self.q(x) @ self.k(x).transpose(-1, -2)
        return (s.softmax(-1) @ x).view(4, 4, 8).sum(1)


def split_after_attention():
    torch.manual_seed(0)
    return _SplitAfterAttention(), (torch.randn(16, 8),)


class _OneTokenType(nn.Module):
    """Token embeddings plus a table of one token type, read at ids from a buffer of zeros (BERT's form, with
    AltCLIP's ``type_vocab_size=1``): that row, a bias, from a stored table of one row."""

    def __init__(self):
        super().__init__()
        self.words, self.types = nn.Embedding(11, 8), nn.Embedding(1, 8)
        self.register_buffer("type_ids", torch.zeros(1, 16, dtype=torch.long))

    def forward(self, ids):
        return self.words(ids) + self.types(self.type_ids[:, :ids.shape[1]])


def one_token_type():
    torch.manual_seed(0)
    return _OneTokenType(), (torch.randint(0, 11, (1, 5)),)


class _KeyBias(nn.Module):
    """Self-attention with a bias per key, computed from the positions the keys come from and added to every query's
    scores (Doge's dynamic mask, without its causal part): the bias takes the keys' second name."""

    def __init__(self):
        super().__init__()
        self.q, self.k, self.g = nn.Linear(8, 8), nn.Linear(8, 8), nn.Linear(8, 1)

    def forward(self, x):
        s = self.q(x) @ self.k(x).transpose(-1, -2) + self.g(x).squeeze(-1)[None, :]
        return s.softmax(-1) @ x


def key_bias():
    torch.manual_seed(0)
    return _KeyBias(), (torch.randn(6, 8),)


class _Float32Scores(nn.Module):
    """Scores of queries and keys cast to float32 by name (GPT-Neo's ``query.to(torch.float32)``): on float32 inputs the
    casts do nothing, but they round what a float64 check gives, so the module is checked in float32."""

    def __init__(self):
        super().__init__()
        self.q, self.k = nn.Linear(8, 8), nn.Linear(8, 8)

    def forward(self, x):
        s = self.q(x).to(torch.float32) @ self.k(x).to(torch.float32).transpose(-1, -2)
        return s.softmax(-1) @ x


def float32_scores():
    torch.manual_seed(0)
    return _Float32Scores(), (torch.randn(6, 8),)


class _ViewAs(nn.Module):
    """A softmax over groups of a map's outputs, viewed back with ``view_as`` (Beam's): a view, no box."""

    def __init__(self):
        super().__init__()
        self.map = nn.Linear(8, 8)

    def forward(self, x):
        return self.map(x).view(x.shape[0], 2, 4).softmax(-1).view_as(x) + x


def view_as():
    torch.manual_seed(0)
    return _ViewAs(), (torch.randn(5, 8),)


class _SumOfOne(nn.Module):
    """A sum over a dim of one (HunYuan's mix of its one expert): the values as they are, no box."""

    def __init__(self):
        super().__init__()
        self.map = nn.Linear(8, 8)

    def forward(self, x):
        return self.map(x).unsqueeze(1).sum(1).relu()


def sum_of_one():
    torch.manual_seed(0)
    return _SumOfOne(), (torch.randn(5, 8),)


class _Sinks(nn.Module):
    """Attention with a learned sink per head joined to each query's scores, the softmax taken over both, the sink's
    column sliced off again before the values (gpt-oss's): the slice is a run of the joined axis, and the values it
    meets take the keys' second name (the queries and keys shared one axis, a diagram that did not build)."""

    def __init__(self):
        super().__init__()
        self.q, self.k = nn.Linear(8, 8), nn.Linear(8, 8)
        self.sinks = nn.Parameter(torch.randn(1))

    def forward(self, x):
        s = self.q(x) @ self.k(x).transpose(-1, -2)
        p = torch.cat([s, self.sinks.expand(s.shape[0], 1)], dim=-1).softmax(-1)
        return p[..., :-1] @ x + x


def sinks():
    torch.manual_seed(0)
    return _Sinks(), (torch.randn(6, 8),)


class _PushedDown(nn.Module):
    """Causal attention masked by arithmetic (OpenAI GPT's): the scores times a lower-triangular buffer of ones, plus
    -1e4 where it is zero, ``w * b + -1e4 * (1 - b)``."""

    def __init__(self):
        super().__init__()
        self.q, self.k = nn.Linear(8, 8), nn.Linear(8, 8)
        self.register_buffer("bias", torch.ones(16, 16).tril().view(1, 16, 16))

    def forward(self, x):
        w = self.q(x) @ self.k(x).transpose(-1, -2)
        b = self.bias[:, :w.shape[-2], :w.shape[-1]]
        return (w * b + -1e4 * (1 - b)).softmax(-1) @ x


def pushed_down():
    torch.manual_seed(0)
    return _PushedDown(), (torch.randn(1, 6, 8),)


class _DataDependent(nn.Module):
    """Keeps as many columns as are positive: a shape that depends on the values, which neither torch.export nor
    torch.fx can capture (export prints the graph it traced so far when it gives up)."""

    def __init__(self):
        super().__init__()
        self.map = nn.Linear(4, 4)

    def forward(self, x):
        h = self.map(x)
        n = int((h > 0).sum())
        return h[:, :n] if n > 1 else h


def data_dependent():
    torch.manual_seed(0)
    return _DataDependent(), (torch.randn(1, 4),)


class _PatchMerging(nn.Module):
    """Swin's patch merging: every other row and column, four ways (x[:, 0::2, 0::2], ...), joined along the channels
    and mapped: space to depth."""

    def __init__(self):
        super().__init__()
        self.reduction = nn.Linear(16, 8, bias=False)

    def forward(self, x):
        parts = [x[:, i::2, j::2, :] for j in (0, 1) for i in (0, 1)]
        return self.reduction(torch.cat(parts, -1))


def patch_merging():
    return _PatchMerging(), (torch.randn(1, 4, 6, 4),)


class _BiasedAttention(nn.Module):
    """Attention given a mask of numbers, added to the scaled scores (Swin's and BEiT's relative position bias)."""

    def forward(self, q, k, v, bias):
        return nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=bias)


class _PaddedAttention(nn.Module):
    """Attention given a mask of booleans made from an input (padding): no statement says which keys it hides."""

    def forward(self, q, k, v, lengths):
        seen = torch.arange(k.shape[-2]) < lengths[:, None]
        return nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=seen[:, None, None, :])


def padded_attention():
    return _PaddedAttention(), (torch.randn(1, 2, 5, 4), torch.randn(1, 2, 6, 4), torch.randn(1, 2, 6, 4), torch.tensor([4]))


def biased_attention():
    return _BiasedAttention(), (torch.randn(1, 2, 5, 4), torch.randn(1, 2, 6, 4), torch.randn(1, 2, 6, 4), torch.randn(2, 5, 6))


class _HalvesRotary(nn.Module):
    """DeepSeek-V3's rotary as transformers 5.23 writes it: each pair (2i, 2i + 1) turned, the results laid out as
    halves (the pairs' first elements, then their second ones), the tables made from an ``inv_freq`` buffer."""

    def __init__(self, depth=4, base=10000.0):
        super().__init__()
        self.register_buffer("inv_freq", 1.0 / base ** (torch.arange(0, depth, 2).float() / depth), persistent=False)
        self.proj = nn.Linear(8, 2 * depth)

    def forward(self, x):
        q = self.proj(x).view(1, 5, 2, 4).transpose(1, 2)
        freqs = torch.arange(5).float()[:, None] * self.inv_freq[None, :]
        emb = torch.cat((freqs, freqs), -1)
        cos, sin = emb.cos()[None, None, :, :2], emb.sin()[None, None, :, :2]
        x1, x2 = q[..., 0::2], q[..., 1::2]
        return torch.cat((x1 * cos - x2 * sin, x2 * cos + x1 * sin), -1)


def halves_rotary():
    return _HalvesRotary(), (torch.randn(1, 5, 8),)


def one_block_convolution():
    """A strided 3x3 convolution of a 3x3 image, one block: its result has a row and a column of one (MobileNetV2's last
    layers on a small image), then batch norm over them."""
    return nn.Sequential(nn.Conv2d(3, 4, 3, stride=2), nn.BatchNorm2d(4)).eval(), (torch.randn(1, 3, 3, 3),)


class _JoinedThenSplit(nn.Module):
    """A concatenation whose joined dim a later view splits in two (DeepSeek-V3's rotary angles, cat((f, f)), viewed as pairs)."""

    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(6, 4)

    def forward(self, x):
        h = self.proj(x)
        return torch.cat([h, torch.tanh(h)], dim=-1).view(x.shape[0], 2, 4).amax(1)


def joined_then_split():
    return _JoinedThenSplit().eval(), (torch.randn(5, 6),)


def resnet_stem():
    """ResNet's stem: a 7x7 convolution, batch norm and ReLU, then max pooling with padding (3, stride 2, padding 1)."""
    stem = nn.Sequential(nn.Conv2d(3, 8, 7, stride=2, padding=3, bias=False), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(3, 2, 1))
    return stem.eval(), (torch.randn(1, 3, 16, 16),)


def padded_max_pool():
    """Max pooling with padding straight after a convolution, whose values may be negative."""
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.MaxPool2d(3, 2, 1)).eval(), (torch.randn(1, 3, 9, 9),)


class _DiffusionResBlock(nn.Module):
    """A diffusion UNet's residual block (diffusers' ResnetBlock2D without its time embedding): GroupNorm, SiLU, conv, twice."""

    def __init__(self, c=8):
        super().__init__()
        self.norm1, self.conv1 = nn.GroupNorm(4, c), nn.Conv2d(c, c, 3, padding=1)
        self.norm2, self.conv2 = nn.GroupNorm(4, c, affine=False), nn.Conv2d(c, c, 3, padding=1)

    def forward(self, x):
        h = self.conv1(nn.functional.silu(self.norm1(x)))
        return x + self.conv2(nn.functional.silu(self.norm2(h)))


def diffusion_resblock():
    return _DiffusionResBlock(), (torch.randn(2, 8, 5, 6),)


class _Bottleneck(nn.Module):
    """A ResNet bottleneck: 1x1 down, strided 3x3, 1x1 up, and a strided 1x1 projection shortcut."""

    def __init__(self, c=4, mid=2, out=8):
        super().__init__()
        self.reduce = nn.Conv2d(c, mid, 1, bias=False)
        self.conv = nn.Conv2d(mid, mid, 3, stride=2, padding=1, bias=False)
        self.expand = nn.Conv2d(mid, out, 1)
        self.shortcut = nn.Conv2d(c, out, 1, stride=2, bias=False)

    def forward(self, x):
        h = self.expand(torch.relu(self.conv(torch.relu(self.reduce(x)))))
        return torch.relu(h + self.shortcut(x))


def bottleneck():
    return _Bottleneck(), (torch.randn(2, 4, 6, 6),)


class _Activations(nn.Module):
    """Instance norm (a GAN's), then the element-wise functions of MobileNetV3, YOLOv4, Mamba and GANs, then a convolution."""

    def __init__(self, c=4):
        super().__init__()
        self.norm, self.conv = nn.InstanceNorm2d(c, affine=True), nn.Conv2d(c, c, 3, padding=1)

    def forward(self, x):
        h = nn.functional.leaky_relu(self.norm(x), 0.2)
        return self.conv(nn.functional.mish(nn.functional.softplus(nn.functional.hardswish(h))))


def activations():
    return _Activations(), (torch.randn(2, 4, 5, 6),)


class _UpBlock(nn.Module):
    """A UNet decoder step: nearest upsampling by 2 (nn.Upsample), a 3x3 convolution, SiLU."""

    def __init__(self, c=4):
        super().__init__()
        self.up, self.conv = nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(c, c, 3, padding=1)

    def forward(self, x):
        return nn.functional.silu(self.conv(self.up(x)))


def up_block():
    return _UpBlock(), (torch.randn(2, 4, 3, 5),)


class _ResBlock(nn.Module):
    """diffusers' ResnetBlock2D without its time embedding; a 1x1 convolution on the skip where the channels change."""

    def __init__(self, cin, cout, groups=2):
        super().__init__()
        self.norm1, self.conv1 = nn.GroupNorm(groups, cin), nn.Conv2d(cin, cout, 3, padding=1)
        self.norm2, self.conv2 = nn.GroupNorm(groups, cout), nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x):
        h = self.conv2(nn.functional.silu(self.norm2(self.conv1(nn.functional.silu(self.norm1(x))))))
        return self.skip(x) + h


class _TinyUNet(nn.Module):
    """Down by a strided convolution, a residual block, up by nearest upsampling, the skip concatenated, a residual block."""

    def __init__(self, c=4):
        super().__init__()
        self.inp, self.down = nn.Conv2d(3, c, 3, padding=1), nn.Conv2d(c, 2 * c, 3, stride=2, padding=1)
        self.mid, self.up = _ResBlock(2 * c, 2 * c), nn.Upsample(scale_factor=2, mode="nearest")
        self.dec, self.out = _ResBlock(3 * c, c), nn.Conv2d(c, 3, 1)

    def forward(self, x):
        s = self.inp(x)
        h = torch.cat([self.up(self.mid(self.down(s))), s], dim=1)
        return self.out(self.dec(h))


def tiny_unet():
    return _TinyUNet(), (torch.randn(1, 3, 8, 8),)


def convnext_layer():
    """transformers' ConvNextLayer: a depthwise 7x7 convolution (one kernel a channel), LayerNorm, MLP, layer scale."""
    from transformers import ConvNextConfig
    from transformers.models.convnext.modeling_convnext import ConvNextLayer

    return ConvNextLayer(ConvNextConfig(hidden_sizes=[8], depths=[1], num_stages=1), dim=8).eval(), (torch.randn(1, 8, 7, 7),)


def mobilenet_block():
    """MobileNetV2's depthwise-separable pair: a 3x3 depthwise convolution, ReLU6, a 1x1 convolution."""
    return nn.Sequential(nn.Conv2d(4, 4, 3, padding=1, groups=4), nn.ReLU6(), nn.Conv2d(4, 8, 1)), (torch.randn(1, 4, 6, 6),)


def conv1d_sequence():
    """1-D convolutions along a sequence [batch, channels, positions]: a plain one, then a dilated depthwise one (Mamba's)."""
    return nn.Sequential(nn.Conv1d(4, 8, 3, padding=1), nn.ReLU(), nn.Conv1d(8, 8, 3, padding=2, dilation=2, groups=8)), \
        (torch.randn(1, 4, 10),)


def classifier_head():
    """A classifier's head: global average pooling (nn.AdaptiveAvgPool2d(1)), flattened, a linear map."""
    return nn.Sequential(nn.Conv2d(4, 8, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 3)), (torch.randn(1, 4, 6, 6),)


class _CBAM(nn.Module):
    """CBAM (Woo et al., 2018) as its reference code writes it: a shared MLP over the pixels' mean and maximum, each pooled
    by a window the size of the map, then the channels' maximum and mean, each kept with a dim of one, joined and
    convolved."""

    def __init__(self, c=16, r=4):
        super().__init__()
        self.mlp = nn.Sequential(nn.Flatten(), nn.Linear(c, c // r), nn.ReLU(), nn.Linear(c // r, c))
        self.conv, self.bn = nn.Conv2d(2, 1, 7, padding=3, bias=False), nn.BatchNorm2d(1)

    def forward(self, x):
        pooled = [self.mlp(pool(x, x.shape[2:])) for pool in (nn.functional.avg_pool2d, nn.functional.max_pool2d)]
        x = x * torch.sigmoid(pooled[0] + pooled[1])[:, :, None, None]
        maps = torch.cat([x.max(1, keepdim=True)[0], x.mean(1, keepdim=True)], 1)
        return x * torch.sigmoid(self.bn(self.conv(maps)))


def cbam():
    torch.manual_seed(0)
    return _CBAM().eval(), (torch.randn(1, 16, 6, 5),)


class _StackedPools(nn.Module):
    """Three poolings of each token's features stacked along a new last dim (torch.stack), then mixed by a map over it."""

    def __init__(self):
        super().__init__()
        self.mix = nn.Linear(3, 4)

    def forward(self, x):
        return self.mix(torch.stack([x.amax(-1), x.mean(-1), x.sum(-1)], -1))


def stacked_pools():
    return _StackedPools(), (torch.randn(1, 5, 6),)


def gru_cell():
    """nn.GRUCell: one aten.gru_cell (it was an opaque box), its three maps of each side rows of one weight."""
    torch.manual_seed(0)
    return nn.GRUCell(8, 16), (torch.randn(1, 8), torch.randn(1, 16))


class _Tagger(nn.Module):
    """A GRU cell without biases inside a module, a batch of two, its new state read by a classifier."""

    def __init__(self):
        super().__init__()
        self.cell, self.out = nn.GRUCell(8, 16, bias=False), nn.Linear(16, 4)

    def forward(self, x, h):
        return self.out(self.cell(x, h))


def gru_tagger():
    torch.manual_seed(0)
    return _Tagger(), (torch.randn(2, 8), torch.randn(2, 16))


class _Unrolled(nn.Module):
    """One GRU cell called at each of three time steps: its maps drawn once a step, the later ones' labels numbered."""

    def __init__(self):
        super().__init__()
        self.cell, self.head = nn.GRUCell(8, 16), nn.Linear(16, 3)

    def forward(self, xs, h):
        for t in range(xs.shape[1]):
            h = self.cell(xs[:, t], h)
        return self.head(h)


def gru_unrolled():
    torch.manual_seed(0)
    return _Unrolled(), (torch.randn(1, 3, 8), torch.randn(1, 16))


class _Recurrent(nn.Module):
    """nn.GRU or nn.LSTM over a sequence (one aten.gru / aten.lstm, opaque before, and its zeros as first state)."""

    def __init__(self, kind, **options):
        super().__init__()
        self.rnn = getattr(nn, kind)(8, 16, **options)

    def forward(self, x, *state):
        return self.rnn(x, *(((state[0], state[1]) if len(state) == 2 else state[0],) if state else ()))[0]


def gru_layer():
    """nn.GRU, batch first, its first state zeros: three steps unrolled, the states stacked into the output."""
    torch.manual_seed(0)
    return _Recurrent("GRU", batch_first=True), (torch.randn(1, 3, 8),)


def lstm_layers():
    """Two layers of nn.LSTM, sequence first, without biases, their first states given."""
    torch.manual_seed(0)
    return _Recurrent("LSTM", num_layers=2, bias=False), (torch.randn(3, 1, 8), torch.randn(2, 1, 16), torch.randn(2, 1, 16))


def bidirectional_gru():
    torch.manual_seed(0)
    return _Recurrent("GRU", bidirectional=True), (torch.randn(3, 1, 8),)


class _LSTMStep(nn.Module):
    """nn.LSTMCell, its state given as two tensors: one aten.lstm_cell making the new state and cell."""

    def __init__(self):
        super().__init__()
        self.cell = nn.LSTMCell(8, 16)

    def forward(self, x, h, c):
        return self.cell(x, (h, c))


def lstm_cell():
    torch.manual_seed(0)
    return _LSTMStep(), (torch.randn(1, 8), torch.randn(1, 16), torch.randn(1, 16))


class _CosineLogits(nn.Module):
    """CLIP's logits: images and texts projected, each divided by its L2 norm (F.normalize; x / x.norm(...)), compared,
    scaled by a temperature. The norms were opaque boxes (linalg_vector_norm, clamp_min)."""

    def __init__(self):
        super().__init__()
        self.image, self.text = nn.Linear(12, 8, bias=False), nn.Linear(10, 8, bias=False)

    def forward(self, images, texts):
        a = nn.functional.normalize(self.image(images), dim=-1)
        b = self.text(texts)
        b = b / b.norm(dim=-1, keepdim=True)
        return 14.3 * a @ b.t()


def cosine_logits():
    torch.manual_seed(0)
    return _CosineLogits(), (torch.randn(4, 12), torch.randn(5, 10))


class _SubPixel(nn.Module):
    """Sub-pixel upsampling (ESPCN): a convolution to c r^2 channels, F.pixel_shuffle (an opaque box before), a convolution."""

    def __init__(self):
        super().__init__()
        self.conv, self.out = nn.Conv2d(4, 12, 3, padding=1), nn.Conv2d(3, 3, 3, padding=1)

    def forward(self, x):
        return self.out(nn.functional.pixel_shuffle(self.conv(x), 2))


def sub_pixel():
    torch.manual_seed(0)
    return _SubPixel(), (torch.randn(1, 4, 5, 6),)


class _GraphAttention(nn.Module):
    """A graph attention layer's last step (Velickovic et al.): the heads' outputs through an ELU (opaque before)."""

    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(8, 8)

    def forward(self, x):
        return nn.functional.elu(self.proj(x))


def elu_layer():
    return _GraphAttention(), (torch.randn(1, 5, 8),)


class _Pooled1d(nn.Module):
    """A 1-D convolution's ReLU max-pooled by twos, then averaged over the whole sequence (F.max_pool1d, F.avg_pool1d:
    opaque boxes before)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(4, 6, 3, padding=1)

    def forward(self, x):
        h = nn.functional.max_pool1d(torch.relu(self.conv(x)), 2)
        return nn.functional.avg_pool1d(h, h.shape[-1])


def pooled_1d():
    torch.manual_seed(0)
    return _Pooled1d(), (torch.randn(1, 4, 8),)


def log_probabilities():
    """A classifier's log-probabilities, F.log_softmax of its logits (an opaque box before): softmax, then log."""
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(8, 5), nn.LogSoftmax(-1)), (torch.randn(1, 3, 8),)


class _Cosine(nn.Module):
    """F.cosine_similarity of two sequences' features, position by position (an opaque box before)."""

    def forward(self, a, b):
        return nn.functional.cosine_similarity(a, b, dim=-1)


def cosine_similarity():
    torch.manual_seed(0)
    return _Cosine(), (torch.randn(1, 4, 8), torch.randn(1, 4, 8))


class _StackedExperts(nn.Module):
    """A mixture of experts as simple code writes one: every expert's output stacked (torch.stack, an opaque box before),
    weighted by the gate's softmax and summed over the experts."""

    def __init__(self, e=3):
        super().__init__()
        self.gate = nn.Linear(8, e)
        self.experts = nn.ModuleList(nn.Sequential(nn.Linear(8, 16), nn.GELU(), nn.Linear(16, 8)) for _ in range(e))

    def forward(self, x):
        g = torch.softmax(self.gate(x), -1)
        return (torch.stack([expert(x) for expert in self.experts], dim=-1) * g.unsqueeze(-2)).sum(-1)


def stacked_experts():
    torch.manual_seed(0)
    return _StackedExperts(), (torch.randn(1, 5, 8),)


class _BilinearHead(nn.Module):
    """A segmentation head: a 1x1 convolution to the classes, then F.interpolate bilinear by 2 (an opaque box before);
    ``corners``: with align_corners=True, as many DeepLab ports do (an opaque box until later)."""

    def __init__(self, corners: bool = False):
        super().__init__()
        self.classes, self.corners = nn.Conv2d(4, 3, 1), corners

    def forward(self, x):
        return nn.functional.interpolate(self.classes(x), scale_factor=2, mode="bilinear", align_corners=self.corners)


def bilinear_head():
    torch.manual_seed(0)
    return _BilinearHead(), (torch.randn(1, 4, 3, 5),)


def corners_head():
    torch.manual_seed(0)
    return _BilinearHead(corners=True), (torch.randn(1, 4, 3, 5),)


class _ChannelScale(nn.Module):
    """A learned scale per channel, stored [c, 1, 1] for a [batch, c, h, w] image (CaiT's layer scale, channels first)."""

    def __init__(self):
        super().__init__()
        self.conv, self.gamma = nn.Conv2d(4, 4, 1), nn.Parameter(torch.rand(4, 1, 1))

    def forward(self, x):
        return self.gamma * self.conv(x)


def channel_scale():
    return _ChannelScale(), (torch.randn(1, 4, 5, 5),)


class _TokenGate(nn.Module):
    """A gate per channel from the mean over positions (squeeze-and-excitation over a sequence), then each
    token's mean added back over its channels: two broadcasts, a product and a sum."""

    def __init__(self):
        super().__init__()
        self.value, self.gate = nn.Linear(8, 8), nn.Linear(8, 8)

    def forward(self, x):
        h = self.value(x) * torch.sigmoid(self.gate(x.mean(dim=1))).unsqueeze(1)
        return h + h.mean(dim=-1, keepdim=True)


def token_gate():
    return _TokenGate().eval(), (torch.randn(2, 5, 8),)


class _OuterBias(nn.Module):
    """Scores plus a bias made as an outer product of a slope per head and the key positions, through
    ``baddbmm`` (BLOOM's ALiBi, its slopes and positions here inputs)."""

    def __init__(self):
        super().__init__()
        self.qk = nn.Linear(8, 16)

    def forward(self, x, slopes, positions):  # x [y m], slopes [h], positions [x]
        q, k = self.qk(x).reshape(5, 2, 2, 4).permute(2, 1, 0, 3)  # [2, h, y, k] each
        bias = (slopes[:, None] * positions[None, :]).reshape(2, 1, 5)
        return torch.baddbmm(bias, q, k.transpose(1, 2), alpha=0.5).softmax(-1)


def outer_bias():
    return _OuterBias().eval(), (torch.randn(5, 8), torch.rand(2), torch.arange(5.0))


class _AlibiScores(nn.Module):
    """Attention scores of three heads plus ALiBi's bias written out as the paper has it, slope times (key - query),
    the slopes those of BLOOM's rule for three heads (2^-4, 2^-8, then 2^-2): no softmax after, so unshifted."""

    def __init__(self, shifted=False):
        super().__init__()
        self.q, self.k = nn.Linear(8, 12), nn.Linear(8, 12)
        self.shifted = shifted

    def forward(self, x):  # [y, m]
        q, k = (f(x).reshape(5, 3, 4).transpose(0, 1) for f in (self.q, self.k))  # [h, y, k]
        slopes = torch.tensor([2.0 ** -4, 2.0 ** -8, 2.0 ** -2])
        distance = torch.arange(5.0) - (0 if self.shifted else torch.arange(5.0)[:, None])
        return q @ k.transpose(1, 2) + slopes[:, None, None] * distance


def alibi_scores():
    return _AlibiScores().eval(), (torch.randn(5, 8),)


def alibi_shifted_scores():
    """BLOOM's form (slope times the key's position), with no softmax after to forgive the shift: not ALiBi's box."""
    return _AlibiScores(shifted=True).eval(), (torch.randn(5, 8),)


class _LatentAndRotary(nn.Module):
    """DeepSeek-V3's kv_a_proj_with_mqa in outline: one projection split into pieces of unequal sizes, a latent of 6 and
    a rotary part of 2, each used on its own."""

    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(8, 8)

    def forward(self, x):  # [y, m]
        latent, rotary = self.proj(x).split([6, 2], dim=-1)
        return torch.relu(latent).sum(-1) + torch.tanh(rotary).sum(-1)


def latent_and_rotary():
    return _LatentAndRotary().eval(), (torch.randn(5, 8),)


class _JoinedGroups(nn.Module):
    """GPT-J's partial rotary in outline: the first half of each head's depth regrouped in pairs and back, then joined to
    the second half: a concatenation along a dim made of several axes."""

    def __init__(self):
        super().__init__()
        self.q, self.k = nn.Linear(8, 16), nn.Linear(8, 16)

    def forward(self, x):  # [y, m]
        def joined(t):  # [y, h, d]
            first, second = t[..., :4], t[..., 4:]
            return torch.cat([torch.relu(first.reshape(5, 2, 2, 2)).flatten(-2), second], dim=-1)
        q, k = (joined(f(x).view(5, 2, 8)) for f in (self.q, self.k))
        return torch.einsum("yhd,xhd->hyx", q, k)


def joined_groups():
    return _JoinedGroups().eval(), (torch.randn(5, 8),)


def swin_layer():
    """transformers' SwinLayer, windows of 2 x 2 on a 4 x 6 image, not shifted: attention within each window, whose
    queries and keys are the same rows and columns of positions."""
    from transformers import SwinConfig
    from transformers.models.swin.modeling_swin import SwinLayer

    config = SwinConfig(embed_dim=24, num_heads=[3], depths=[1], window_size=2, attn_implementation="eager")
    return _FirstOutput(SwinLayer(config, dim=24, input_resolution=(4, 6), num_heads=3, shift_size=0), (4, 6)).eval(), \
        (torch.randn(1, 24, 24),)


class _NoGradGate(nn.Module):
    """A gate computed under ``torch.no_grad()`` inside forward, as transformers computes its rotary tables."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(8, 8)

    @torch.no_grad()
    def _gate(self, x):
        return torch.sigmoid(x.mean(-1, keepdim=True))

    def forward(self, x):
        return self.lin(x) * self._gate(x)


def no_grad_gate():
    return _NoGradGate().eval(), (torch.randn(5, 8),)


def t5_feed_forward():
    """transformers' T5LayerFF: its T5LayerNorm is an RMSNorm by what it computes (no mean taken away), not by its name."""
    from transformers import T5Config
    from transformers.models.t5.modeling_t5 import T5LayerFF

    return T5LayerFF(T5Config(d_model=16, d_ff=32, dropout_rate=0.0)).eval(), (torch.randn(1, 5, 16),)


class _FirstOutput(nn.Module):
    """A transformers layer called with its hidden states (and ``args``, else no mask); its first result."""

    def __init__(self, layer, *args):
        super().__init__()
        self.layer, self.args = layer, args or (None,)

    def forward(self, x):
        out = self.layer(x, *self.args)
        return out[0] if isinstance(out, tuple) else out


def clip_encoder_layer():
    """transformers' CLIPEncoderLayer, eager attention: its softmax runs in float32 whatever it is given."""
    from transformers import CLIPVisionConfig
    from transformers.models.clip.modeling_clip import CLIPEncoderLayer

    config = CLIPVisionConfig(hidden_size=16, num_attention_heads=4, intermediate_size=32, attn_implementation="eager")
    return _FirstOutput(CLIPEncoderLayer(config)).eval(), (torch.randn(1, 5, 16),)


class _LayerWithRotary(nn.Module):
    """A transformers decoder layer with its model's rotary table, as the model runs it; its first result."""

    def __init__(self, layer, rotary):
        super().__init__()
        self.layer, self.rotary = layer, rotary

    def forward(self, x):
        positions = torch.arange(x.shape[1]).unsqueeze(0)
        out = self.layer(x, attention_mask=None, position_embeddings=self.rotary(x, positions), position_ids=positions)
        return out[0] if isinstance(out, tuple) else out


def phi3_decoder_layer():
    """Phi-3: q, k and v sliced out of one packed projection, a rotary over the whole head (an empty rest
    passed on), a packed gate/up projection."""
    from transformers import Phi3Config
    from transformers.models.phi3.modeling_phi3 import Phi3DecoderLayer, Phi3RotaryEmbedding

    config = Phi3Config(hidden_size=16, intermediate_size=32, num_attention_heads=4, num_key_value_heads=4, pad_token_id=0,
                        attn_implementation="eager")
    return _LayerWithRotary(Phi3DecoderLayer(config, 0), Phi3RotaryEmbedding(config)).eval(), (torch.randn(1, 5, 16),)


def phi3_gqa_decoder_layer():
    """Phi-3-medium's form: fewer key and value heads than query heads, so the packed q, k and v are slices of unequal
    sizes (16, 8, 8 rows here)."""
    from transformers import Phi3Config
    from transformers.models.phi3.modeling_phi3 import Phi3DecoderLayer, Phi3RotaryEmbedding

    config = Phi3Config(hidden_size=16, intermediate_size=32, num_attention_heads=4, num_key_value_heads=2, pad_token_id=0,
                        attn_implementation="eager")
    return _LayerWithRotary(Phi3DecoderLayer(config, 0), Phi3RotaryEmbedding(config)).eval(), (torch.randn(1, 5, 16),)


def gemma2_decoder_layer():
    """Gemma 2: RMSNorms that scale by 1 + weight, norms after attention and MLP too, soft-capped scores."""
    from transformers import Gemma2Config
    from transformers.models.gemma2.modeling_gemma2 import Gemma2DecoderLayer, Gemma2RotaryEmbedding

    config = Gemma2Config(hidden_size=16, intermediate_size=32, num_attention_heads=4, num_key_value_heads=2, head_dim=4,
                          attn_implementation="eager")
    layer = Gemma2DecoderLayer(config, 0)
    for name, p in layer.named_parameters():  # a trained model's norms are not the identity they start as
        if "norm" in name:
            nn.init.normal_(p, std=0.5)
    return _LayerWithRotary(layer, Gemma2RotaryEmbedding(config)).eval(), (torch.randn(1, 5, 16),)


def neox_decoder_layer():
    """GPT-NeoX (Pythia): q, k, v packed per head, a rotary over the first half of each head, parallel residuals."""
    from transformers import GPTNeoXConfig
    from transformers.models.gpt_neox.modeling_gpt_neox import GPTNeoXLayer, GPTNeoXRotaryEmbedding

    config = GPTNeoXConfig(hidden_size=32, intermediate_size=64, num_attention_heads=4, rotary_pct=0.5, attn_implementation="eager")
    return _LayerWithRotary(GPTNeoXLayer(config, 0), GPTNeoXRotaryEmbedding(config)).eval(), (torch.randn(1, 5, 32),)


def resnet_block_eval():
    """The ResNet block in eval mode, as a trained model is imported: its batch norms by their running statistics
    (set away from their initial 0 and 1, as training leaves them)."""
    block = BasicBlock()
    generator = torch.Generator().manual_seed(0)
    for bn in (block.bn1, block.bn2):
        bn.running_mean.copy_(torch.rand(bn.num_features, generator=generator) * 2 - 1)
        bn.running_var.copy_(torch.rand(bn.num_features, generator=generator) + 0.5)
    return block.eval(), (torch.randn(1, 4, 6, 5),)


class _LinearAttention(nn.Module):
    """Linear attention: softplus features, the keys' products with the values summed first, each query's
    reading divided by its score against the keys' sum (a tensor divided by a tensor, broadcast)."""

    def __init__(self, m=16, h=2, k=4):
        super().__init__()
        self.h, self.k = h, k
        self.q, self.key, self.v = (nn.Linear(m, h * k, bias=False) for _ in range(3))
        self.o = nn.Linear(h * k, m, bias=False)

    def forward(self, x):
        b, y, _ = x.shape
        q = nn.functional.softplus(self.q(x)).view(b, y, self.h, self.k)
        k = nn.functional.softplus(self.key(x)).view(b, y, self.h, self.k)
        v = self.v(x).view(b, y, self.h, self.k)
        s = torch.einsum("bxhk,bxhv->bhkv", k, v)
        num = torch.einsum("byhk,bhkv->byhv", q, s)
        den = torch.einsum("byhk,bhk->byh", q, k.sum(1))
        return self.o((num / den.unsqueeze(-1)).reshape(b, y, self.h * self.k))


def linear_attention():
    return _LinearAttention().eval(), (torch.randn(2, 5, 16),)


class _GLUBlock(nn.Module):
    """A linear map of twice the width, then nn.GLU: its first half times the sigmoid of its second."""

    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(8, 12)
        self.glu = nn.GLU()

    def forward(self, x):
        return self.glu(self.proj(x))


def glu_block():
    return _GLUBlock().eval(), (torch.randn(2, 3, 8),)


class _Centred(nn.Module):
    """Each row less its mean, then a map: a tensor minus a tensor broadcast over the axis it lacks."""

    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(6, 4)

    def forward(self, x):
        return self.proj(x - x.mean(-1, keepdim=True))


def centred():
    return _Centred().eval(), (torch.randn(2, 3, 6),)


class _Modulated(nn.Module):
    """DiT's adaptive layer norm, gated: x (1 + scale) + shift from a condition, and a highway's mix by a gate,
    g h + (1 - g) x; numbers added to and taken from tensors."""

    def __init__(self):
        super().__init__()
        self.norm = nn.LayerNorm(8, elementwise_affine=False)
        self.ada = nn.Linear(6, 16)
        self.gate = nn.Linear(6, 8)

    def forward(self, x, c):
        shift, scale = self.ada(c).chunk(2, dim=-1)
        h = self.norm(x) * (1 + scale.unsqueeze(1)) + shift.unsqueeze(1)
        g = torch.sigmoid(self.gate(c) - 0.5).unsqueeze(1)
        return g * h + (1 - g) * x


def modulated():
    return _Modulated().eval(), (torch.randn(2, 3, 8), torch.randn(2, 6))


class _Additive(nn.Module):
    """Bahdanau's attention as PyTorch's seq2seq tutorial writes it: each query's map added to each key's, by
    broadcasting both ways, then tanh and a map to one score."""

    def __init__(self):
        super().__init__()
        self.Wa, self.Ua, self.Va = nn.Linear(8, 6), nn.Linear(8, 6), nn.Linear(6, 1)

    def forward(self, q, k):
        scores = self.Va(torch.tanh(self.Wa(q).unsqueeze(2) + self.Ua(k).unsqueeze(1))).squeeze(-1)
        return torch.bmm(torch.softmax(scores, dim=-1), k)


def additive():
    return _Additive().eval(), (torch.randn(2, 3, 8), torch.randn(2, 5, 8))


class _InlineRMSNorm(nn.Module):
    """An RMSNorm written out at the top level, not as a module the recogniser reads (its rsqrt was an opaque box)."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(8, 6)

    def forward(self, x):
        return self.lin(x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6))


def inline_rms_norm():
    torch.manual_seed(0)
    return _InlineRMSNorm(), (torch.randn(1, 5, 8),)


class _ScaleNorm(nn.Module):
    """An RMSNorm by another name, written as a division by the root (the hand-written spelling ``x / norm * g``)."""

    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.g = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x / x.pow(2).mean(-1, keepdim=True).add(self.eps).sqrt() * self.g


class _WrittenRMSNorms(nn.Module):
    """RMSNorms written out, not named so: Llama's spelling inline with a learned scale, and a division by the root."""

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(8) * 0.3 + 1)
        self.norm = _ScaleNorm(6)
        self.lin = nn.Linear(8, 6)

    def forward(self, x):
        h = self.lin(x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5) * self.weight)
        return self.norm(h)


def written_rms_norms():
    torch.manual_seed(0)
    model = _WrittenRMSNorms()
    nn.init.normal_(model.norm.g, 1.0, 0.3)
    return model.eval(), (torch.randn(1, 5, 8),)


class _Squash(nn.Module):
    """A capsule network's squash (Sabour et al., 2017): |s|² / (1 + |s|²) · s / |s| (its sqrt was an opaque box)."""

    def forward(self, s):
        n2 = (s ** 2).sum(-1, keepdim=True)
        return n2 / (1 + n2) * s / torch.sqrt(n2 + 1e-8)


def squash():
    torch.manual_seed(0)
    return _Squash(), (torch.randn(1, 5, 8),)


class _Fourier(nn.Module):
    """Fourier features (Tancik et al., 2020): sin and cos of a projection, joined (both were opaque boxes)."""

    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(3, 16, bias=False)

    def forward(self, x):
        p = 2 * math.pi * self.proj(x)
        return torch.cat([torch.sin(p), torch.cos(p)], -1)


def fourier_features():
    torch.manual_seed(0)
    return _Fourier(), (torch.randn(1, 5, 3),)


class _Signs(nn.Module):
    """F.logsigmoid, F.softsign (abs, + 1, divide), abs and a power of one half: each an opaque box before."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(8, 8)

    def forward(self, x):
        h = self.lin(x)
        return F.logsigmoid(h) + F.softsign(h) + (h.abs() + 1) ** 0.5


def signs():
    torch.manual_seed(0)
    return _Signs(), (torch.randn(1, 5, 8),)


class _Chamfer(nn.Module):
    """A Chamfer distance between two point sets: every pair's offset, ``a[:, :, None] - b[:, None]`` (an opaque box
    before: each operand has an axis the other lacks), squared and summed, the nearest of each set (``min``, opaque
    too) averaged."""

    def forward(self, a, b):
        d = ((a[:, :, None] - b[:, None]) ** 2).sum(-1)
        return d.min(-1).values.mean(-1) + d.min(-2).values.mean(-1)


def chamfer():
    torch.manual_seed(0)
    return _Chamfer(), (torch.randn(1, 5, 3), torch.randn(1, 6, 3))


class _PReLUNet(nn.Module):
    """nn.PReLU with a slope a channel after a convolution, and with one slope after a map (both opaque boxes before);
    slopes set away from torch's 0.25, so that a slope taken from the wrong place shows."""

    def __init__(self):
        super().__init__()
        self.conv, self.act = nn.Conv2d(3, 4, 3, padding=1), nn.PReLU(4)
        self.lin, self.act2 = nn.Linear(4, 5), nn.PReLU()
        with torch.no_grad():
            self.act.weight.copy_(torch.tensor([0.1, 0.5, 0.9, -0.3]))
            self.act2.weight.fill_(0.05)

    def forward(self, x):
        return self.act2(self.lin(self.act(self.conv(x)).mean((-2, -1))))


def prelu_net():
    torch.manual_seed(0)
    return _PReLUNet(), (torch.randn(1, 3, 6, 6),)


class _LayerNormWrittenOut(nn.Module):
    """A LayerNorm as tutorials write it, ``(x - mean) / sqrt(var + eps) * g + b`` with ``x.var(unbiased=False)`` (an
    opaque box before), and a style statistic's variances over two dims and deviations with Bessel's correction."""

    def __init__(self):
        super().__init__()
        self.g, self.b = nn.Parameter(torch.rand(8)), nn.Parameter(torch.rand(8))
        self.lin = nn.Linear(8, 4)

    def forward(self, x):
        m, v = x.mean(-1, keepdim=True), x.var(-1, keepdim=True, unbiased=False)
        h = self.lin((x - m) / torch.sqrt(v + 1e-5) * self.g + self.b)
        return h.var(dim=(-2, -1)) + h.std(-1).sum(-1)


def layer_norm_written_out():
    torch.manual_seed(0)
    return _LayerNormWrittenOut(), (torch.randn(1, 3, 5, 8),)


class _Predicted(nn.Module):
    """A classifier's prediction looked up again: ``x.max(-1)``'s values and places (the places had no statement),
    the places as ids into an embedding of the classes, and ``torch.argmin`` of the scores (an opaque box before)."""

    def __init__(self):
        super().__init__()
        self.lin, self.emb, self.low = nn.Linear(4, 3), nn.Embedding(3, 2), nn.Embedding(3, 2)

    def forward(self, x):
        scores = self.lin(x)
        best, place = scores.max(-1)
        return self.emb(place) * best.unsqueeze(-1) + self.low(torch.argmin(scores, dim=-1))


def predicted():
    torch.manual_seed(0)
    return _Predicted(), (torch.randn(1, 5, 4),)


class _VectorQuantizer(nn.Module):
    """The VQ-VAE notebooks' quantiser: squared distances |z|^2 + |c|^2 - 2 z.c (the first sum broadcast both ways,
    [n, 1] + [e], an opaque box before), the nearest code's index (torch.argmin, opaque too) and its row, passed
    straight through."""

    def __init__(self):
        super().__init__()
        self._embedding = nn.Embedding(6, 4)

    def forward(self, z):
        distances = (torch.sum(z ** 2, dim=-1, keepdim=True) + torch.sum(self._embedding.weight ** 2, dim=1)
                     - 2 * torch.matmul(z, self._embedding.weight.t()))
        quantized = self._embedding(torch.argmin(distances, dim=-1))
        return z + (quantized - z).detach()


def vector_quantizer():
    torch.manual_seed(0)
    return _VectorQuantizer(), (torch.randn(1, 5, 4),)


class _Bounded(nn.Module):
    """x.clamp(min, max), clamp_min, clamp_max, F.hardtanh at other bounds than ReLU6's, F.hardsigmoid and F.selu: each
    an opaque box before."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(8, 8)

    def forward(self, x):
        h = self.lin(x)
        return (F.hardsigmoid(h) + F.selu(h) + h.clamp_min(0.1) + h.clamp(-0.5, 0.5) + F.hardtanh(h) + h.clamp(max=0.2)
                + h.clamp_max(0.3))


def bounded():
    torch.manual_seed(0)
    return _Bounded(), (torch.randn(1, 5, 8),)


class _Distances(nn.Module):
    """torch.cdist of two point sets (an opaque box before): every pair's difference, squared, summed, its root."""

    def forward(self, a, b):
        return torch.cdist(a, b).min(-1).values


def distances():
    torch.manual_seed(0)
    return _Distances(), (torch.randn(1, 5, 3), torch.randn(1, 6, 3))


class _Moved(nn.Module):
    """torch.cumsum, torch.flip, torch.roll (one dim; two dims by one shift, Swin's cyclic shift and back) and zero
    padding, F.pad before a convolution with none of its own (a causal one: on the left only): each an opaque box before."""

    def __init__(self):
        super().__init__()
        self.lin, self.conv = nn.Linear(8, 8), nn.Conv1d(8, 4, 3)

    def forward(self, x):
        h = self.lin(x)
        h = torch.cumsum(h, 1) + torch.flip(h, [1]) + torch.roll(h, 2, dims=1)
        return self.conv(F.pad(h.transpose(1, 2), (2, 0))).transpose(1, 2)


def moved():
    torch.manual_seed(0)
    return _Moved(), (torch.randn(1, 5, 8),)


class _Shifted(nn.Module):
    """Swin's cyclic shift of a window grid [b, h, w, c] by one row and column, a map, twice it (with rows 4 long:
    2 was written as the square root of their size), and the shift back. The grid has its channels last (it was
    named as an image's [c h w], the map acting on a width axis)."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(3, 3)

    def forward(self, x):
        return torch.roll(2 * self.lin(torch.roll(x, shifts=(-1, -1), dims=(1, 2))), shifts=(1, 1), dims=(1, 2))


def shifted():
    torch.manual_seed(0)
    return _Shifted(), (torch.randn(1, 4, 4, 3),)


class _Losses(nn.Module):
    """A prediction's squared and absolute error against a target, as training code writes them: F.mse_loss (the
    mean), F.l1_loss (the sum), and a Dropout1d and a softplus of beta 2 on the way (eval: the dropout does nothing).
    Each was an opaque box (mse_loss's two operands also went through a broadcast_tensors, two more)."""

    def __init__(self):
        super().__init__()
        self.lin, self.drop = nn.Linear(6, 4), nn.Dropout1d(0.3)

    def forward(self, x, target):
        h = F.softplus(self.drop(self.lin(x)), beta=2.0)
        return F.mse_loss(h, target), F.l1_loss(h, target, reduction="sum")


def losses():
    torch.manual_seed(0)
    module = _Losses().eval()
    return module, (torch.randn(1, 5, 6), torch.randn(1, 5, 4))


class _Tempered(nn.Module):
    """A map's output times one learned number (a learned temperature, differential attention's lambda): an opaque
    box before, as the language had no learned number."""

    def __init__(self):
        super().__init__()
        self.lin, self.t = nn.Linear(6, 4), nn.Parameter(torch.full((1,), 0.7))

    def forward(self, x):
        return self.lin(x) * self.t


def tempered():
    torch.manual_seed(0)
    return _Tempered(), (torch.randn(1, 5, 6),)


class _Extremes(nn.Module):
    """torch.maximum of two maps' outputs, torch.minimum with a cap per feature broadcast over the positions, and
    torch.maximum with a number held in a tensor: each an opaque box before."""

    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Linear(6, 4), nn.Linear(6, 4)

    def forward(self, x, cap):
        h = torch.maximum(self.a(x), self.b(x))
        return torch.maximum(torch.minimum(h, cap), torch.tensor(-1.5))


def extremes():
    torch.manual_seed(0)
    return _Extremes(), (torch.randn(1, 5, 6), torch.randn(1, 4))


class _GroupedPointwise(nn.Module):
    """A depthwise 1x1 convolution (a scale and shift per channel), then ShuffleNet's grouped 1x1 one and its channel
    shuffle: a grouped 1x1 convolution was ★ with kernel axes of one, then a map per group."""

    def __init__(self):
        super().__init__()
        self.dw, self.g1 = nn.Conv2d(8, 8, 1, groups=8), nn.Conv2d(8, 12, 1, groups=2)

    def forward(self, x):
        h = self.g1(self.dw(x))
        b, c, r, s = h.shape
        return h.view(b, 2, c // 2, r, s).transpose(1, 2).reshape(b, c, r, s)


def grouped_pointwise():
    torch.manual_seed(0)
    return _GroupedPointwise(), (torch.randn(1, 8, 4, 5),)


class _Mirrored(nn.Module):
    """A ResNet generator's reflection padding before its convolution (nn.ReflectionPad2d), a replicate pad along
    the width and a circular pad of the columns: opaque boxes before (padding by zeros alone had a statement)."""

    def __init__(self):
        super().__init__()
        self.pad, self.conv = nn.ReflectionPad2d(1), nn.Conv2d(3, 4, 3)

    def forward(self, x):
        h = self.conv(self.pad(x))
        h = F.pad(h, (2, 0, 0, 0), mode="replicate")
        return F.pad(h.mean(2), (1, 1), mode="circular")


def mirrored():
    torch.manual_seed(0)
    return _Mirrored(), (torch.randn(1, 3, 5, 6),)


class _Bilinear(nn.Module):
    """nn.Bilinear, x1ᵀ W x2 + b: an opaque box before (aten.bilinear)."""

    def __init__(self):
        super().__init__()
        self.form = nn.Bilinear(6, 3, 4)

    def forward(self, x, z):
        return self.form(x, z)


def bilinear():
    torch.manual_seed(0)
    return _Bilinear(), (torch.randn(1, 5, 6), torch.randn(1, 5, 3))


class _ZeroedShift(nn.Module):
    """A token shift as people write it: torch.roll, then the position that wrapped round zeroed in place. The
    import drew the roll alone, the zeroing lost without a word, and the diagram was wrong."""

    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(8, 4)

    def forward(self, x):
        prev = torch.roll(x, shifts=1, dims=1)
        prev[:, 0] = 0
        return self.proj(torch.cat([x, prev], dim=-1))


def zeroed_shift():
    torch.manual_seed(0)
    return _ZeroedShift(), (torch.randn(1, 5, 4),)


class _InPlace(nn.Module):
    """Writes in place whose own results are what is read next: nn.ReLU(inplace=True), a residual added with +=."""

    def __init__(self):
        super().__init__()
        self.lin, self.act = nn.Linear(4, 4), nn.ReLU(inplace=True)

    def forward(self, x):
        h = self.act(self.lin(x))
        h += x
        return h


def in_place():
    torch.manual_seed(0)
    return _InPlace(), (torch.randn(1, 5, 4),)


class _GraphConv(nn.Module):
    """A graph convolution's symmetric normalisation, D^-1/2 A D^-1/2 H W, its degrees (of squared weights, so that
    ncd check's random inputs keep them positive) scaling the adjacency's rows and its columns: the columns' scale
    took the rows' axis, and the import wrote adj[m m], which does not build."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(8, 5, bias=False)

    def forward(self, x, adj):
        d = (adj * adj).sum(-1).add(1).pow(-0.5)
        a = d.unsqueeze(-1) * adj * d.unsqueeze(-2)
        return torch.relu(a @ self.lin(x))


def graph_conv():
    torch.manual_seed(0)
    return _GraphConv(), (torch.randn(1, 6, 8), torch.rand(1, 6, 6))


class _LocalAttention(nn.Module):
    """Stand-alone self-attention (Ramachandran et al. 2019) with F.unfold: each pixel's query attends to the 3 x 3
    keys around it. aten.im2col was an opaque box, twice."""

    def __init__(self):
        super().__init__()
        self.qkv = nn.Conv2d(8, 24, 1, bias=False)

    def forward(self, x):
        b, c, h, w = x.shape
        q, k, v = self.qkv(x).chunk(3, dim=1)
        kk = F.unfold(k, 3, padding=1).view(b, 2, c // 2, 9, h, w)
        vv = F.unfold(v, 3, padding=1).view(b, 2, c // 2, 9, h, w)
        s = (q.view(b, 2, c // 2, 1, h, w) * kk).sum(2, keepdim=True) * (c // 2) ** -0.5
        return (s.softmax(dim=3) * vv).sum(3).reshape(b, c, h, w)


def local_attention():
    torch.manual_seed(0)
    return _LocalAttention(), (torch.randn(1, 8, 5, 6),)


class _MaskedScores(nn.Module):
    """Scores hidden where a boolean key-padding mask is true, by masked_fill (the mask was an opaque box, and its
    batch a second axis of its own)."""

    def __init__(self):
        super().__init__()
        self.q, self.k = nn.Linear(8, 8, bias=False), nn.Linear(8, 8, bias=False)

    def forward(self, x, pad):
        s = self.q(x) @ self.k(x).transpose(1, 2) * 8 ** -0.5
        return s.masked_fill(pad[:, None, :], float("-inf")).softmax(-1) @ x


def masked_scores():
    torch.manual_seed(0)
    pad = torch.zeros(2, 5, dtype=torch.bool)
    pad[0, 3:] = True
    return _MaskedScores(), (torch.randn(2, 5, 8), pad)


class _KeyPaddingMHA(nn.Module):
    """nn.MultiheadAttention's key_padding_mask: torch makes it additive, zeros_like(mask).masked_fill(mask, -inf),
    and hands it to scaled_dot_product_attention (zeros_like was an opaque box)."""

    def __init__(self):
        super().__init__()
        self.mha = nn.MultiheadAttention(8, 2, batch_first=True)

    def forward(self, x, pad):
        return self.mha(x, x, x, key_padding_mask=pad, need_weights=False)[0]


def key_padding_mha():
    torch.manual_seed(0)
    pad = torch.zeros(2, 5, dtype=torch.bool)
    pad[1, 2:] = True
    return _KeyPaddingMHA().eval(), (torch.randn(2, 5, 8), pad)


class _RelativeShift(nn.Module):
    """Transformer-XL's relative shift: scores [queries, keys] viewed as [keys, queries], their first row dropped.
    The view reads across the dims' boundaries; following it looped, splitting a dim of 6 into 1 and 6 forever
    until the machine ran out of memory."""

    def forward(self, x):
        return x.view(x.shape[1], x.shape[0])[1:] * 2


def relative_shift():
    return _RelativeShift(), (torch.randn(5, 6),)


class _BothWays(nn.Module):
    """CLIP's logits returned both ways, (s, s.t()): one value of the graph (a transpose is a view) was written as the
    output twice, 'output Y1, Y1', a diagram that did not build."""

    def forward(self, a, b):
        s = a @ b.t()
        return s, s.t()


def both_ways():
    torch.manual_seed(0)
    return _BothWays(), (torch.randn(3, 8), torch.randn(5, 8))


class _UpConvolutions(nn.Module):
    """Transposed convolutions, a UNet's up step (2 x 2, stride 2, its bias per channel) and a decoder's odd one
    (3 x 3, stride 2, padding 1, output padding 1, no bias), then a 1-D one: each was an opaque box; and a 1 x 3 one."""

    def __init__(self):
        super().__init__()
        self.up = nn.ConvTranspose2d(8, 4, 2, stride=2)
        self.odd = nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1, output_padding=1, bias=False)
        self.line = nn.ConvTranspose1d(3, 2, 4, stride=2, padding=1)
        self.wide = nn.ConvTranspose2d(3, 2, (1, 3), stride=2)  # a kernel not square

    def forward(self, x):
        y = self.odd(self.up(x).relu())
        return self.line(y.flatten(2)), self.wide(y)


def up_convolutions():
    torch.manual_seed(0)
    return _UpConvolutions(), (torch.randn(1, 8, 3, 2),)


class _NeverInitialised(nn.Module):
    """A weight made with torch.empty and left so (transformers' experts, built bare) may hold anything: here infinities,
    so the output is not finite; the import said nothing of it."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.full((4, 4), float("inf")))

    def forward(self, x):
        return x @ self.w, x.relu()


def never_initialised():
    return _NeverInitialised(), (torch.randn(3, 4),)


class _CoordinatePooling(nn.Module):
    """Coordinate attention's pools (Hou et al. 2021): the mean of each row, nn.AdaptiveAvgPool2d((None, 1)), and of each
    column, ((1, None)), each an opaque box ('adaptive pooling to more than one value per channel')."""

    def __init__(self):
        super().__init__()
        self.rows, self.cols = nn.AdaptiveAvgPool2d((None, 1)), nn.AdaptiveMaxPool2d((1, None))

    def forward(self, x):
        return self.rows(x) * self.cols(x)


def coordinate_pooling():
    torch.manual_seed(0)
    return _CoordinatePooling(), (torch.randn(1, 3, 4, 5),)


class _NumberPower(nn.Module):
    """2 ** -arange (ALiBi's slopes written out): the opaque box said 'a power of a tensor other than its square'."""

    def forward(self, x):
        return x * 2 ** -torch.arange(1.0, 5.0)


def number_power():
    return _NumberPower(), (torch.randn(3, 4),)


class _KeptScores(nn.Module):
    """Boolean masks that say which keys take part, torch.where(seen, s, -inf) and scaled_dot_product_attention's
    boolean attn_mask (each was an opaque box, 'a mask of booleans that is neither causal nor open'), and one that
    says which are hidden, torch.where(hidden, -inf, s)."""

    def forward(self, q, k, v, seen, hidden):
        s = (q @ k.transpose(-1, -2)) * 4 ** -0.5
        a = torch.where(seen[:, None, :], s, float("-inf")).softmax(-1) @ v
        b = torch.where(hidden[:, None, :], float("-inf"), s).softmax(-1) @ v
        c = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=seen[:, None, :])
        return a + b + c


def kept_scores():
    torch.manual_seed(0)
    seen = torch.ones(2, 5, dtype=torch.bool)
    seen[1, 3:] = False
    return _KeptScores(), (torch.randn(2, 3, 4), torch.randn(2, 5, 4), torch.randn(2, 5, 4), seen, ~seen)


class _LogitLoss(nn.Module):
    """A detector's classification loss, F.binary_cross_entropy_with_logits (opaque: 'no DSL equivalent'), per element
    and averaged."""

    def forward(self, logits, targets):
        each = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
        return each, F.binary_cross_entropy_with_logits(logits, targets)


def logit_loss():
    torch.manual_seed(0)
    return _LogitLoss(), (torch.randn(4, 3), torch.rand(4, 3))


class _GeneratorConvolutions(nn.Module):
    """A DCGAN generator's first step, a latent of one pixel made 4 x 4 (fold of no width axes: a diagram that did not
    build), a transposed convolution from channels to as many (a residual round it: the pairing read torch's
    [in, out, ...] weight as [out, in, ...], and the check failed a right diagram), and one channel out, with a bias
    (bias over no axis: a diagram that did not build)."""

    def __init__(self):
        super().__init__()
        self.first, self.same = nn.ConvTranspose2d(6, 4, 4, 1, 0), nn.ConvTranspose2d(4, 4, 3, 1, 1)
        self.rgb = nn.ConvTranspose2d(4, 1, 4, 2, 1)

    def forward(self, z):
        h = self.first(z).relu()
        return self.rgb(h + self.same(h)).tanh()


def generator_convolutions():
    torch.manual_seed(0)
    return _GeneratorConvolutions(), (torch.randn(2, 6, 1, 1),)


class _NodePairs(nn.Module):
    """A dense graph attention's scores, a1(h)[y, 1] + a2(h)[1, y]: every pair of nodes. Each operand's one axis is the
    same positions, against the other's dim of one; the import wrote the element-wise sum over [y], a wrong diagram."""

    def __init__(self):
        super().__init__()
        self.w, self.a1, self.a2 = nn.Linear(4, 3, bias=False), nn.Linear(3, 1, bias=False), nn.Linear(3, 1, bias=False)

    def forward(self, x):
        h = self.w(x)
        return self.a1(h) + self.a2(h).transpose(-1, -2)


def node_pairs():
    torch.manual_seed(0)
    return _NodePairs(), (torch.randn(5, 4),)


class _HeadedPairs(nn.Module):
    """Every pair of nodes per head, a1(h)[:, None] + a2(h)[:, :, None], each term from a map of its own: the sum's
    positions are a's and b's, the key's renamed, and the two maps' heads, paired by torch, one axis (the import
    wrote an opaque box, then, its heads apart, a pairing it could not lay out)."""

    def __init__(self):
        super().__init__()
        self.a1, self.a2 = nn.Linear(4, 2), nn.Linear(4, 2)

    def forward(self, x):
        return (self.a1(x)[:, None] + self.a2(x)[:, :, None]).softmax(-2)


def headed_pairs():
    torch.manual_seed(0)
    return _HeadedPairs(), (torch.randn(2, 5, 4),)


class _LearnedTemperature(nn.Module):
    """A map's result times exp of one learned number of shape [1] (CLIP's logit scale): ``learned(:)`` read as data
    (it was an opaque box, 'a constant used as data')."""

    def __init__(self):
        super().__init__()
        self.proj, self.scale = nn.Linear(4, 3), nn.Parameter(torch.tensor([0.5]))

    def forward(self, x):
        return self.proj(x) * self.scale.exp()


def learned_temperature():
    torch.manual_seed(0)
    return _LearnedTemperature(), (torch.randn(5, 4),)


class _NegatedMasks(nn.Module):
    """Flags turned the other way round before they mask, ~seen and seen.logical_not() (opaque: no statement says
    'not'), and nn.MultiheadAttention's key_padding_mask with its weights asked for (the mask added by baddbmm,
    its zeros an opaque box)."""

    def __init__(self):
        super().__init__()
        self.mha = nn.MultiheadAttention(5, 1, batch_first=True)

    def forward(self, s, x, seen):
        a = s.masked_fill(~seen[:, None, :], float("-inf")).softmax(-1)
        b = s.masked_fill(seen.logical_not()[:, None, :], -1e9).softmax(-1)
        return a + b, self.mha(x, x, x, key_padding_mask=~seen)[0]


def negated_masks():
    torch.manual_seed(0)
    seen = torch.ones(2, 5, dtype=torch.bool)
    seen[1, 3:] = False
    return _NegatedMasks().eval(), (torch.randn(2, 4, 5), torch.randn(2, 5, 5), seen)


class _SameAndNegated(nn.Module):
    """EfficientNet's padding='same' (a 3 x 3 and a 1 x 1: 'different settings per direction', opaque), a bilinear
    resize to the size it has (SegFormer's head: 'other than one whole factor', opaque), a negation (Mamba's -exp(A):
    aten.neg, 'no DSL equivalent')."""

    def __init__(self):
        super().__init__()
        self.conv, self.point = nn.Conv2d(3, 4, 3, padding="same"), nn.Conv2d(4, 4, 1, padding="valid")

    def forward(self, x):
        h = self.point(self.conv(x))
        return -F.interpolate(h, size=h.shape[-2:], mode="bilinear", align_corners=False).exp()


def same_and_negated():
    torch.manual_seed(0)
    return _SameAndNegated(), (torch.randn(1, 3, 5, 6),)


class _Add(nn.Module):
    def forward(self, x, y):
        return x + y


def one_tensor_twice():
    """forward(x, y) = x + y, its example one tensor given as both inputs."""
    t = torch.randn(2, 3)
    return _Add(), (t, t)


def _named(name: str, fn):
    return type(name, (nn.Module,), {"forward": lambda self, x: fn(x)})()


def control_name():
    """A module class whose name holds an escape sequence and a right-to-left override."""
    return _named("Evil\x1b[31m\u202e", torch.relu), (torch.randn(2, 3),)


def long_name():
    return _named("E" * 5000, torch.relu), (torch.randn(2, 3),)


def huge_number():
    """1e300 - x: the number was written out in 301 digits."""
    return _named("Huge", lambda x: 1e300 - x), (torch.randn(2, 3),)


class _MaskedPooling(nn.Module):
    """Tokens embedded and pooled by a learned score, softmaxed over the tokens that the attention mask keeps: called
    as transformers' models are, ``(input_ids, attention_mask)`` (inputs imported as X and X2 before)."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(11, 8)
        self.score = nn.Linear(8, 1)

    def forward(self, input_ids, attention_mask):
        h = self.embed(input_ids)
        s = self.score(h).squeeze(-1).masked_fill(~attention_mask, float("-inf"))
        return (torch.softmax(s, -1).unsqueeze(-1) * h).sum(1)


def masked_pooling():
    torch.manual_seed(0)
    return _MaskedPooling(), (torch.randint(0, 11, (2, 5)), torch.tensor([[True] * 5, [True] * 3 + [False] * 2]))
