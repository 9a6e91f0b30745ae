"""Modules for tests/test_import.py: each FUNC() returns (module, example_inputs) at tiny sizes,
as a user would hand them to `ncd import FILE.py:FUNC`. transformers blocks come from tiny random
configurations (nothing is downloaded)."""
import torch
from torch import nn
def multihead_attention():
    return nn.MultiheadAttention(12, 3, batch_first=True), (torch.randn(1,5,12), torch.randn(1,6,12), torch.randn(1,6,12))
def encoder_layer():
    return nn.TransformerEncoderLayer(12,3,24,dropout=0.0,batch_first=True), (torch.randn(1,5,12),)
def decoder_layer():
    return nn.TransformerDecoderLayer(12,3,24,dropout=0.0,batch_first=True), (torch.randn(1,5,12),torch.randn(1,6,12))
def mlp():
    class NeuralNetwork(nn.Module):
        def __init__(self):
            super().__init__()
            self.flatten = nn.Flatten()
            self.linear_relu_stack = nn.Sequential(nn.Linear(4*3, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 5))
        def forward(self, x):
            return self.linear_relu_stack(self.flatten(x))
    return NeuralNetwork(), (torch.randn(1, 4, 3),)
def resnet_block():
    class BasicBlock(nn.Module):
        def __init__(s,c=4):
            super().__init__(); s.conv1=nn.Conv2d(c,c,3,padding=1,bias=False); s.bn1=nn.BatchNorm2d(c); s.relu=nn.ReLU(); s.conv2=nn.Conv2d(c,c,3,padding=1,bias=False); s.bn2=nn.BatchNorm2d(c)
        def forward(s,x):
            return s.relu(x+s.bn2(s.conv2(s.relu(s.bn1(s.conv1(x))))))
    return BasicBlock(), (torch.randn(1,4,6,5),)

from transformers import LlamaConfig, GPT2Config, ViTConfig, DeepseekV3Config, MixtralConfig
from transformers.models.llama.modeling_llama import LlamaMLP, LlamaDecoderLayer, LlamaRotaryEmbedding
from transformers.models.gpt2.modeling_gpt2 import GPT2Block
from transformers.models.vit.modeling_vit import ViTLayer
from transformers.models.deepseek_v3.modeling_deepseek_v3 import DeepseekV3MLP
def _llama():
    return LlamaConfig(hidden_size=16, intermediate_size=24, num_attention_heads=4, num_key_value_heads=4, head_dim=4,
                       num_hidden_layers=1, vocab_size=8, attn_implementation="sdpa", max_position_embeddings=16)
def llama_mlp():
    return LlamaMLP(_llama()), (torch.randn(1, 5, 16),)
def deepseek_mlp():
    c = DeepseekV3Config(hidden_size=16, intermediate_size=24, moe_intermediate_size=8, num_hidden_layers=1, vocab_size=8)
    return DeepseekV3MLP(c), (torch.randn(1, 5, 16),)
class LlamaLayerWithRotary(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.layer = LlamaDecoderLayer(config, 0)
        self.rotary = LlamaRotaryEmbedding(config)
    def forward(self, x):
        positions = torch.arange(x.shape[1]).unsqueeze(0)
        return self.layer(x, position_embeddings=self.rotary(x, positions), position_ids=positions)
def llama_layer():
    return LlamaLayerWithRotary(_llama()).eval(), (torch.randn(1, 5, 16),)
def gpt2():
    c = GPT2Config(n_embd=16, n_head=4, n_layer=1, n_positions=16, vocab_size=8, activation_function="gelu", attn_implementation="sdpa")
    return GPT2Block(c).eval(), (torch.randn(1, 5, 16),)
def vit():
    c = ViTConfig(hidden_size=16, num_attention_heads=4, intermediate_size=24, num_hidden_layers=1, image_size=8, patch_size=4, attn_implementation="sdpa")
    return ViTLayer(c).eval(), (torch.randn(1, 5, 16),)


# Bad inputs for the error tests
def not_a_pair():
    return nn.Linear(3, 4)


def fails_to_run():
    return nn.Linear(3, 4), (torch.randn(2, 5),)


def unsupported():
    class Cumulative(nn.Module):
        def forward(self, x):
            return torch.cumsum(x, -1)
    return Cumulative(), (torch.randn(4, 3),)
