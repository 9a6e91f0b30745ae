"""Blocks of popular transformers models, each as its model runs it, at tiny random sizes: what a user
hands to `ncd import` first. tests/test_import.py imports each and checks the diagram against it;
docs/import.md lists them, and the blocks that do not import yet, with why."""
import torch
from torch import nn
import transformers as hf

SEQ = 5


class _Layer(nn.Module):
    """A layer called with its hidden states (and, where its model has one, the rotary table and positions); its first result."""

    def __init__(self, layer, rotary=None, *args):
        super().__init__()
        self.layer, self.rotary, self.args = layer, rotary, args

    def forward(self, x):
        if self.rotary is None:
            out = self.layer(x, *self.args)
        else:
            positions = torch.arange(x.shape[1]).unsqueeze(0)
            out = self.layer(x, attention_mask=None, position_embeddings=self.rotary(x, positions), position_ids=positions)
        return out[0] if isinstance(out, tuple) else out


def _decoder(family: str, config, hidden: int):
    """``family``'s decoder layer (``mistral`` -> ``modeling_mistral.MistralDecoderLayer``) with its rotary table."""
    import importlib

    module = importlib.import_module(f"transformers.models.{family}.modeling_{family}")
    prefix = next(name[: -len("DecoderLayer")] for name in dir(module) if name.endswith("DecoderLayer"))
    layer = getattr(module, f"{prefix}DecoderLayer")(config, 0)
    return _Layer(layer, getattr(module, f"{prefix}RotaryEmbedding")(config)).eval(), (torch.randn(1, SEQ, hidden),)


def _small(cls, **more):
    return cls(hidden_size=32, intermediate_size=64, num_attention_heads=4, attn_implementation="eager", **more)


def mistral():
    return _decoder("mistral", _small(hf.MistralConfig, num_key_value_heads=2), 32)


def qwen2():
    return _decoder("qwen2", _small(hf.Qwen2Config, num_key_value_heads=2), 32)


def qwen3():
    """Qwen 3: an RMSNorm on each head's queries and keys."""
    return _decoder("qwen3", _small(hf.Qwen3Config, num_key_value_heads=2, head_dim=8), 32)


def olmo():
    """OLMo: LayerNorms without parameters."""
    return _decoder("olmo", _small(hf.OlmoConfig, num_key_value_heads=4), 32)


def olmo2():
    """OLMo 2: norms after attention and MLP, RMSNorms on the projected queries and keys."""
    return _decoder("olmo2", _small(hf.Olmo2Config, num_key_value_heads=2), 32)


class _FalconAlibiLayer(nn.Module):
    """Falcon-RW's decoder layer with ALiBi: its bias added to the scores, then scaled (attention_logits *= inv_norm_factor),
    which the ALiBi recognition did not look through (three opaque boxes); a causal mask of finfo.min above the diagonal."""

    def __init__(self, layer, heads):
        super().__init__()
        self.layer, self.heads = layer, heads

    def forward(self, x):
        from transformers.models.falcon.modeling_falcon import build_alibi_tensor

        n = x.shape[1]
        alibi = build_alibi_tensor(torch.ones(1, n), self.heads, x.dtype)
        mask = torch.full((n, n), torch.finfo(x.dtype).min).triu(1)[None, None]
        return self.layer(x, alibi=alibi, attention_mask=mask)[0]


def falcon_alibi():
    from transformers.models.falcon.modeling_falcon import FalconDecoderLayer

    config = hf.FalconConfig(hidden_size=32, num_attention_heads=4, multi_query=False, parallel_attn=False, new_decoder_architecture=False,
                             alibi=True, bias=True, attn_implementation="eager")
    torch.manual_seed(0)
    return _FalconAlibiLayer(FalconDecoderLayer(config, 0), 4).eval(), (torch.randn(1, SEQ, 32),)


def stablelm():
    """StableLM: a rotary over a quarter of each head."""
    return _decoder("stablelm", _small(hf.StableLmConfig, num_key_value_heads=4, partial_rotary_factor=0.5), 32)


def granite():
    """Granite: scaled residuals and attention."""
    return _decoder("granite", _small(hf.GraniteConfig, num_key_value_heads=4, residual_multiplier=0.5, attention_multiplier=0.1), 32)


def opt():
    from transformers.models.opt.modeling_opt import OPTDecoderLayer

    config = hf.OPTConfig(hidden_size=32, ffn_dim=64, num_attention_heads=4, dropout=0.0, attn_implementation="eager")
    return _Layer(OPTDecoderLayer(config, 0)).eval(), (torch.randn(1, SEQ, 32),)


def bert():
    from transformers.models.bert.modeling_bert import BertLayer

    return _Layer(BertLayer(_small(hf.BertConfig))).eval(), (torch.randn(1, SEQ, 32),)


def roberta():
    from transformers.models.roberta.modeling_roberta import RobertaLayer

    return _Layer(RobertaLayer(_small(hf.RobertaConfig))).eval(), (torch.randn(1, SEQ, 32),)


def whisper_encoder():
    from transformers.models.whisper.modeling_whisper import WhisperEncoderLayer

    config = hf.WhisperConfig(d_model=32, encoder_attention_heads=4, encoder_ffn_dim=64, attn_implementation="eager")
    return _Layer(WhisperEncoderLayer(config), None, None).eval(), (torch.randn(1, SEQ, 32),)


def siglip_vision():
    from transformers.models.siglip.modeling_siglip import SiglipEncoderLayer

    config = hf.SiglipVisionConfig(hidden_size=32, num_attention_heads=4, intermediate_size=64, attn_implementation="eager")
    return _Layer(SiglipEncoderLayer(config), None, None).eval(), (torch.randn(1, SEQ, 32),)


def dinov2():
    """DINOv2: layer scale after attention and MLP."""
    from transformers.models.dinov2.modeling_dinov2 import Dinov2Layer

    config = hf.Dinov2Config(hidden_size=32, num_attention_heads=4, mlp_ratio=2, layerscale_value=0.5, attn_implementation="eager")
    return _Layer(Dinov2Layer(config)).eval(), (torch.randn(1, SEQ, 32),)


def wav2vec2_feature_layer():
    """wav2vec 2.0's first feature layer: a strided 1-D convolution over the waveform, GroupNorm, GELU."""
    from transformers.models.wav2vec2.modeling_wav2vec2 import Wav2Vec2GroupNormConvLayer

    config = hf.Wav2Vec2Config(conv_dim=(8, 8), conv_kernel=(5, 3), conv_stride=(2, 2), conv_bias=False)
    return Wav2Vec2GroupNormConvLayer(config, 0).eval(), (torch.randn(1, 1, 40),)


def _t5_self_attention(decoder: bool):
    from transformers.models.t5.modeling_t5 import T5LayerSelfAttention

    # few buckets, so that some of the 5 positions' offsets share logarithmic ones, which the maximum distance sets
    config = hf.T5Config(d_model=16, d_kv=4, num_heads=4, dropout_rate=0.0, is_decoder=decoder, relative_attention_max_distance=64,
                         relative_attention_num_buckets=4 if decoder else 8, attn_implementation="eager")
    return _Layer(T5LayerSelfAttention(config, has_relative_attention_bias=True)).eval(), (torch.randn(1, SEQ, 16),)


def t5_self_attention():
    """T5's encoder self-attention: its relative position bias, both ways (a learned table read by buckets)."""
    return _t5_self_attention(False)


def t5_decoder_self_attention():
    """T5's decoder self-attention: its relative position bias looks back only."""
    return _t5_self_attention(True)


def qwen2_moe_block():
    """Qwen 2's mixture of experts: routed experts (their stacked weights, gathered as batched_mm does) plus a
    shared expert scaled by a sigmoid gate per token."""
    from transformers.models.qwen2_moe.modeling_qwen2_moe import Qwen2MoeSparseMoeBlock

    config = hf.Qwen2MoeConfig(hidden_size=16, moe_intermediate_size=8, shared_expert_intermediate_size=16, num_experts=4,
                               num_experts_per_tok=2)
    config._experts_implementation = "batched_mm"  # gathers instead of a loop over the experts hit: capturable
    block = Qwen2MoeSparseMoeBlock(config).eval()
    for p in block.parameters():  # the experts' weights start uninitialised (torch.empty)
        nn.init.normal_(p, std=0.2)
    return block, (torch.randn(1, SEQ, 16),)


BLOCKS = ["mistral", "qwen2", "qwen3", "olmo", "olmo2", "stablelm", "granite", "opt", "bert", "roberta", "whisper_encoder",
          "siglip_vision", "dinov2", "wav2vec2_feature_layer", "t5_self_attention", "t5_decoder_self_attention", "qwen2_moe_block",
          "falcon_alibi"]


class _Logits(nn.Module):
    """A whole causal language model called on token ids alone, as generation's first step runs it (no cache): its logits."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, ids):
        return self.model(input_ids=ids, use_cache=False).logits


def llama_causal_lm(attention: str = "eager"):
    """A whole LlamaForCausalLM, two layers: embeddings, the layers (their causal mask built from positions by
    transformers' create_causal_mask), the final norm and the head."""
    config = hf.LlamaConfig(hidden_size=16, intermediate_size=32, num_attention_heads=4, num_key_value_heads=2, num_hidden_layers=2,
                            vocab_size=11, attn_implementation=attention)
    return _Logits(hf.LlamaForCausalLM(config)).eval(), (torch.randint(0, 11, (1, SEQ)),)


def llama_causal_lm_sdpa():
    """The same with SDPA attention: the mask goes into scaled_dot_product_attention as a tensor."""
    return llama_causal_lm("sdpa")


def gpt2_lm_head():
    """A whole GPT2LMHeadModel, two layers: learned positions added to the token embeddings (the position table's
    first rows), the layers, the final norm, and a head that is the token embedding (tied)."""
    config = hf.GPT2Config(n_embd=16, n_head=4, n_layer=2, n_positions=16, vocab_size=11, attn_implementation="eager")
    return _Logits(hf.GPT2LMHeadModel(config)).eval(), (torch.randint(0, 11, (1, SEQ)),)


class _Hidden(nn.Module):
    """A whole encoder called on token ids alone: its last hidden states."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, ids):
        return self.model(input_ids=ids).last_hidden_state


def bert_model():
    """A whole BertModel, two layers: token-type and position ids from its buffers (all 0, and 0..n-1), no padding."""
    config = hf.BertConfig(hidden_size=16, num_attention_heads=4, intermediate_size=32, num_hidden_layers=2, vocab_size=11,
                           attn_implementation="eager")
    return _Hidden(hf.BertModel(config, add_pooling_layer=False)).eval(), (torch.randint(0, 11, (1, SEQ)),)


def roberta_model():
    """A whole RobertaModel as transformers runs it by default (SDPA): its positions counted over the ids that are not
    padding (id 1 here, which the example holds, so that the positions after it move up one); its token types a buffer
    of zeros gathered at them."""
    config = hf.RobertaConfig(hidden_size=16, num_attention_heads=4, intermediate_size=32, num_hidden_layers=2, vocab_size=11,
                              max_position_embeddings=12, pad_token_id=1)
    return _Hidden(hf.RobertaModel(config, add_pooling_layer=False)).eval(), (torch.tensor([[0, 5, 1, 7, 2]]),)


def distilbert_model():
    config = hf.DistilBertConfig(dim=16, n_heads=4, hidden_dim=32, n_layers=2, vocab_size=11, attn_implementation="eager")
    return _Hidden(hf.DistilBertModel(config)).eval(), (torch.randint(0, 11, (1, SEQ)),)


def t5_encoder_model():
    """A whole T5EncoderModel (the text encoder of Imagen, SD3, Flux), two blocks: the first computes the relative
    position bias, both blocks add it."""
    config = hf.T5Config(vocab_size=11, d_model=16, d_kv=4, d_ff=32, num_heads=4, num_layers=2, dropout_rate=0.0,
                         attn_implementation="eager")
    return _Hidden(hf.T5EncoderModel(config)).eval(), (torch.randint(0, 11, (1, SEQ)),)


class _Seq2Seq(nn.Module):
    """An encoder-decoder called on its source (ids, or a speech model's ``input_features``) and target ids, without a
    cache: its logits."""

    def __init__(self, model, source: str = "input_ids"):
        super().__init__()
        self.model, self.source = model, source

    def forward(self, source, target):
        return self.model(**{self.source: source}, decoder_input_ids=target, use_cache=False).logits


def t5_seq2seq():
    """A whole T5ForConditionalGeneration: an encoder and a decoder of two blocks each, the decoder's self-attention
    biased looking back only, its cross-attention reading the encoder's output."""
    config = hf.T5Config(vocab_size=11, d_model=16, d_kv=4, d_ff=32, num_heads=4, num_layers=2, num_decoder_layers=2, dropout_rate=0.0,
                         decoder_start_token_id=0, pad_token_id=0, attn_implementation="eager")
    return _Seq2Seq(hf.T5ForConditionalGeneration(config)).eval(), (torch.randint(0, 11, (1, SEQ)), torch.randint(0, 11, (1, SEQ - 1)))


def bart_seq2seq():
    """A whole BartForConditionalGeneration: learned positions from row 2, one attention class for the encoder's,
    the decoder's and the cross-attention, a bias added to the logits (its final_logits_bias buffer, [1, v])."""
    config = hf.BartConfig(vocab_size=11, d_model=16, encoder_layers=2, decoder_layers=2, encoder_attention_heads=4, decoder_attention_heads=4,
                           encoder_ffn_dim=32, decoder_ffn_dim=32, max_position_embeddings=16, dropout=0.0, attention_dropout=0.0,
                           activation_dropout=0.0, pad_token_id=1, bos_token_id=0, eos_token_id=2, decoder_start_token_id=2,
                           forced_eos_token_id=2, attn_implementation="eager")
    return _Seq2Seq(hf.BartForConditionalGeneration(config)).eval(), (torch.randint(3, 11, (1, SEQ)), torch.randint(3, 11, (1, SEQ - 1)))


def m2m100_seq2seq():
    """A whole M2M100ForConditionalGeneration (NLLB's architecture): positions counted over the ids that are not padding,
    their rows read from a sinusoidal table kept in a buffer (fairseq's, a zero row at the padding id)."""
    config = hf.M2M100Config(vocab_size=11, d_model=16, encoder_layers=1, decoder_layers=1, encoder_attention_heads=4,
                             decoder_attention_heads=4, encoder_ffn_dim=32, decoder_ffn_dim=32, max_position_embeddings=16,
                             dropout=0.0, attention_dropout=0.0, activation_dropout=0.0, pad_token_id=1, bos_token_id=0,
                             eos_token_id=2, decoder_start_token_id=2, attn_implementation="eager")
    return _Seq2Seq(hf.M2M100ForConditionalGeneration(config)).eval(), (torch.randint(3, 11, (1, SEQ)), torch.randint(3, 11, (1, SEQ - 1)))


def whisper_seq2seq():
    """A whole WhisperForConditionalGeneration: two 1-D convolutions (the second strided) and a position table
    added over the frames, then the encoder; the decoder's positions read from its table by ``table[ids]``."""
    config = hf.WhisperConfig(vocab_size=11, num_mel_bins=8, d_model=16, encoder_layers=2, decoder_layers=2, encoder_attention_heads=4,
                              decoder_attention_heads=4, encoder_ffn_dim=32, decoder_ffn_dim=32, max_source_positions=6,
                              max_target_positions=8, pad_token_id=0, bos_token_id=0, eos_token_id=0, decoder_start_token_id=0,
                              attn_implementation="eager")
    return _Seq2Seq(hf.WhisperForConditionalGeneration(config), "input_features").eval(), (torch.randn(1, 8, 12), torch.randint(0, 11, (1, SEQ - 1)))


def modernbert_model():
    """A whole ModernBertModel: LayerNorms with a weight and no bias, a gated MLP, global attention in every layer."""
    config = hf.ModernBertConfig(vocab_size=11, hidden_size=16, intermediate_size=32, num_hidden_layers=2, num_attention_heads=4,
                                 max_position_embeddings=8, global_attn_every_n_layers=1, pad_token_id=0, bos_token_id=0,
                                 eos_token_id=0, cls_token_id=0, sep_token_id=0, attn_implementation="eager")
    return _Hidden(hf.ModernBertModel(config)).eval(), (torch.randint(1, 11, (1, SEQ)),)


def vit_model():
    """A whole ViTModel: its class token is a learned tensor joined to the patches."""
    config = hf.ViTConfig(hidden_size=16, num_attention_heads=4, intermediate_size=32, num_hidden_layers=2, image_size=8, patch_size=4,
                          num_channels=3, attn_implementation="eager")
    model = hf.ViTModel(config, add_pooling_layer=False).eval()
    return _Pixels(model), (torch.randn(1, 3, 8, 8),)


def resnet_model():
    """A whole ResNetModel (ResNet-50's bottleneck layers, two stages): its stem max-pools a ReLU's output with padding."""
    config = hf.ResNetConfig(num_channels=3, embedding_size=8, hidden_sizes=[16, 32], depths=[1, 1], layer_type="bottleneck")
    return _Pixels(hf.ResNetModel(config).eval(), "pooler_output"), (torch.randn(1, 3, 16, 16),)


def dinov2_model():
    """A whole Dinov2Model as transformers runs it by default (SDPA): given no attention mask, it builds one from positions
    alone that hides nothing, and hands it to every attention."""
    config = hf.Dinov2Config(hidden_size=16, intermediate_size=32, num_hidden_layers=2, num_attention_heads=4, image_size=8, patch_size=4)
    return _Pixels(hf.Dinov2Model(config).eval()), (torch.randn(1, 3, 8, 8),)


def esm_model():
    """A whole EsmModel (ESM-2, a protein language model): rotary positions, its GELU written out with erf, SDPA with a mask
    that hides nothing."""
    config = hf.EsmConfig(vocab_size=11, hidden_size=16, intermediate_size=32, num_hidden_layers=2, num_attention_heads=4,
                          max_position_embeddings=12, pad_token_id=1, mask_token_id=2, position_embedding_type="rotary")
    return _Hidden(hf.EsmModel(config, add_pooling_layer=False).eval()), (torch.randint(2, 11, (1, SEQ)),)


def deberta_v2_model():
    """A whole DebertaV2Model as configured by default (no relative attention): its embeddings multiplied by a mask of
    ones, its scores filled where the mask of ones, turned to flags, hides none; its keys divided by a square root the
    code computes."""
    config = hf.DebertaV2Config(vocab_size=11, hidden_size=16, num_attention_heads=4, intermediate_size=32, num_hidden_layers=2,
                                max_position_embeddings=12)
    return _Hidden(hf.DebertaV2Model(config).eval()), (torch.randint(0, 11, (1, SEQ)),)


def deberta_model():
    """A whole DebertaModel (v1): its LayerNorms written out (mean, variance, sqrt, weight and bias), its packed q/k/v
    projection, its relative attention (none, by default) added as the number 0."""
    config = hf.DebertaConfig(vocab_size=11, hidden_size=16, num_attention_heads=4, intermediate_size=32, num_hidden_layers=2,
                              max_position_embeddings=16)
    return _Hidden(hf.DebertaModel(config).eval()), (torch.randint(0, 11, (1, SEQ)),)


def megatron_bert_model():
    """A whole MegatronBertModel: its position embeddings added in place (``embeddings += ...``, ``aten.add_`` in the
    exported graph), its token types zeros the code makes."""
    config = hf.MegatronBertConfig(vocab_size=11, hidden_size=16, num_attention_heads=4, intermediate_size=32, num_hidden_layers=2,
                                   max_position_embeddings=16, attn_implementation="eager")
    return _Hidden(hf.MegatronBertModel(config, add_pooling_layer=False).eval()), (torch.randint(0, 11, (1, SEQ)),)


def deit_model():
    """A whole DeiTModel: a class token and a distillation token joined to the patches, one cat of three."""
    config = hf.DeiTConfig(hidden_size=16, intermediate_size=32, num_hidden_layers=2, num_attention_heads=4, image_size=8, patch_size=4,
                           attn_implementation="eager")
    return _Pixels(hf.DeiTModel(config, add_pooling_layer=False).eval()), (torch.randn(1, 3, 8, 8),)


def segformer_model():
    """A whole SegformerModel (MiT encoder, two stages): attention over pixels, its keys and values reduced by a strided ★ in
    the first stage; overlapping patch embeddings; a depthwise 3x3 convolution in each MLP."""
    config = hf.SegformerConfig(num_channels=3, num_encoder_blocks=2, depths=[1, 1], sr_ratios=[2, 1], hidden_sizes=[8, 16],
                                patch_sizes=[7, 3], strides=[4, 2], num_attention_heads=[1, 2], mlp_ratios=[2, 2])
    return _Pixels(hf.SegformerModel(config).eval()), (torch.randn(1, 3, 32, 32),)


def swin_model():
    """A whole SwinModel, two stages: attention within windows of 4 x 4 patches (the keys a second name for each window's
    rows and columns), its patch merging splitting those rows and columns again; the shifted windows' roll and mask, and
    the relative position table, stay opaque."""
    config = hf.SwinConfig(image_size=32, patch_size=4, embed_dim=16, depths=[2, 2], num_heads=[2, 4], window_size=4,
                           attn_implementation="eager")
    return _Pixels(hf.SwinModel(config, add_pooling_layer=False).eval()), (torch.randn(1, 3, 32, 32),)


class _Pixels(nn.Module):
    """A whole vision model called on pixels alone: its ``output`` (the last hidden states, or the pooled ones)."""

    def __init__(self, model, output: str = "last_hidden_state"):
        super().__init__()
        self.model, self.output = model, output

    def forward(self, pixels):
        return getattr(self.model(pixel_values=pixels), self.output)


def gemma_causal_lm():
    """A whole GemmaForCausalLM: its embedding scaled by a buffer, sqrt of the depth (a constant, not learned)."""
    config = hf.GemmaConfig(hidden_size=16, intermediate_size=32, num_attention_heads=4, num_key_value_heads=2, head_dim=4,
                            num_hidden_layers=2, vocab_size=11, attn_implementation="eager")
    return _Logits(hf.GemmaForCausalLM(config)).eval(), (torch.randint(0, 11, (1, SEQ)),)


def opt_causal_lm():
    """A whole OPTForCausalLM: its learned positions start at row 2 of the table (positions counted from the
    attention mask, then offset)."""
    config = hf.OPTConfig(hidden_size=16, ffn_dim=32, num_attention_heads=4, num_hidden_layers=2, vocab_size=11, word_embed_proj_dim=16,
                          dropout=0.0, pad_token_id=1, attn_implementation="eager")
    return _Logits(hf.OPTForCausalLM(config)).eval(), (torch.randint(0, 11, (1, SEQ)),)


def _causal_lm(family: str, layers: int = 2, **sizes):
    """``family``'s whole causal language model (``Mistral`` -> MistralForCausalLM), two layers (or ``layers``), tiny (its
    text configuration where the family has one beside a multimodal one: Gemma 3's)."""
    configuration = getattr(hf, f"{family}TextConfig", None) or getattr(hf, f"{family}Config")
    config = configuration(num_hidden_layers=layers, vocab_size=11, attn_implementation="eager", **sizes)
    return _Logits(getattr(hf, f"{family}ForCausalLM")(config)).eval(), (torch.randint(0, 11, (1, SEQ)),)


# rotaries whose frequencies are stretched for a longer context (transformers' rope_type), at sizes where the stretch moves
# the example's five positions well past the check's tolerance: a short first context and a small base
SCALED_ROPE = {
    "llama3": ("Llama", {"rope_type": "llama3", "factor": 4.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                         "original_max_position_embeddings": 8}),  # Llama 3.1's form
    "yarn": ("Qwen2", {"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 8}),  # Qwen 2.5's long context
    "linear": ("Llama", {"rope_type": "linear", "factor": 2.0}),
}


def scaled_rope_causal_lm(kind: str):
    family, scaling = SCALED_ROPE[kind]
    return _causal_lm(family, hidden_size=32, intermediate_size=64, num_attention_heads=4, num_key_value_heads=2,
                      max_position_embeddings=32, rope_theta=100.0, rope_scaling=scaling)


def llama3_rope_causal_lm():
    return scaled_rope_causal_lm("llama3")


def yarn_rope_causal_lm():
    return scaled_rope_causal_lm("yarn")


def linear_rope_causal_lm():
    return scaled_rope_causal_lm("linear")


class GptOssRotary(nn.Module):
    """gpt-oss's rotary on queries [batch, heads, positions, depth]: its own module (tables of half the depth, cos and sin
    scaled by yarn's attention factor) and ``_apply_rotary_emb`` (chunk into halves, turn, cat); yarn with its ramp's ends
    unrounded (``truncate: False``), at a first context (64) where rounding them out would move the middle pairs."""

    def __init__(self):
        super().__init__()
        from transformers.models.gpt_oss import modeling_gpt_oss as oss

        config = hf.GptOssConfig(hidden_size=16, num_attention_heads=2, head_dim=8, max_position_embeddings=256,
                                 rope_parameters={"rope_type": "yarn", "factor": 4.0, "beta_fast": 32.0, "beta_slow": 1.0,
                                                  "truncate": False, "original_max_position_embeddings": 64, "rope_theta": 100.0})
        self.rotary, self.apply = oss.GptOssRotaryEmbedding(config), oss.apply_rotary_pos_emb

    def forward(self, q):
        cos, sin = self.rotary(q, torch.arange(q.shape[2])[None])
        return self.apply(q, q, cos, sin)[0]


def gpt_oss_rotary():
    return GptOssRotary().eval(), (torch.randn(1, 2, SEQ, 8),)


class GptOssAttention(nn.Module):
    """gpt-oss's attention (transformers' own GptOssAttention, eager): grouped queries, biases, its rotary, and a learned
    sink per head joined to each row of scores, the scores less their row's maximum, softmax, the sink sliced off."""

    def __init__(self):
        super().__init__()
        from transformers.models.gpt_oss import modeling_gpt_oss as oss

        config = hf.GptOssConfig(hidden_size=16, num_hidden_layers=1, num_attention_heads=4, num_key_value_heads=2, head_dim=4,
                                 max_position_embeddings=256, layer_types=["full_attention"])
        config._attn_implementation = "eager"
        self.rotary, self.attention = oss.GptOssRotaryEmbedding(config), oss.GptOssAttention(config, layer_idx=0)
        nn.init.normal_(self.attention.sinks, std=2.0)  # (made empty: its model initialises it)

    def forward(self, x):
        cos, sin = self.rotary(x, torch.arange(x.shape[1])[None])
        return self.attention(x, (cos, sin), None)[0]


def gpt_oss_attention():
    return GptOssAttention().eval(), (torch.randn(1, SEQ, 16),)


class ShiftedSoftmax(nn.Module):
    def forward(self, s):
        return torch.softmax(s - s.max(dim=-1, keepdim=True).values, dim=-1)


def shifted_softmax():
    return ShiftedSoftmax().eval(), (torch.randn(1, 4, 5, 6),)


class LessANumber(nn.Module):
    def forward(self, s):
        return torch.softmax(s - 1.0, dim=-1)


def softmax_less_a_number():
    return LessANumber().eval(), (torch.randn(1, 4, 5, 6),)


class GptOssExperts(nn.Module):
    """gpt-oss's mixture of experts (transformers' GptOssMLP, run batched): a router with a bias, the softmax of its top
    k logits, experts stored transposed with biases, their gate and up rows interleaved, clamped, x sigmoid(1.702 x)."""

    def __init__(self):
        super().__init__()
        from transformers.models.gpt_oss import modeling_gpt_oss as oss

        # its limit (7) lowered to where the clamps bite at ncd check's weights (within ±1 / sqrt(fan in))
        config = hf.GptOssConfig(hidden_size=16, num_hidden_layers=1, intermediate_size=8, num_local_experts=4,
                                 num_experts_per_tok=2, layer_types=["full_attention"], experts_implementation="batched_mm",
                                 swiglu_limit=0.25)
        self.mlp = oss.GptOssMLP(config)
        for p in self.mlp.parameters():  # (made empty: its model initialises them)
            nn.init.normal_(p, std=0.5)

    def forward(self, x):
        return self.mlp(x)[0]


def gpt_oss_experts():
    return GptOssExperts().eval(), (torch.randn(1, SEQ, 16),)


class _GatedByItself(nn.Module):
    """A map, an activation, a map: the activation ``act`` given as a function."""

    def __init__(self, act):
        super().__init__()
        self.up, self.act, self.down = nn.Linear(16, 32), act, nn.Linear(32, 16)

    def forward(self, x):
        return self.down(self.act(self.up(x)))


def quick_gelu():
    """transformers' QuickGELUActivation (CLIP's "quick_gelu"): ``x * torch.sigmoid(1.702 * x)`` between two maps."""
    from transformers.activations import QuickGELUActivation

    return _GatedByItself(QuickGELUActivation()).eval(), (torch.randn(1, SEQ, 16),)


def swish_written_out():
    """SiLU written out as ``x * torch.sigmoid(x)`` between two maps."""
    return _GatedByItself(lambda x: x * torch.sigmoid(x)).eval(), (torch.randn(1, SEQ, 16),)


def gemma3_two_rotaries_causal_lm():
    """Gemma 3's two rotaries: a plain one in its local (sliding window) layers, one of another base stretched linearly in
    its global layers (a buffer of frequencies and parameters per kind of layer)."""
    return _causal_lm("Gemma3", hidden_size=16, intermediate_size=32, num_attention_heads=4, num_key_value_heads=2, head_dim=8,
                      layer_types=["sliding_attention", "full_attention"], sliding_window=3,
                      rope_parameters={"sliding_attention": {"rope_type": "default", "rope_theta": 100.0},
                                       "full_attention": {"rope_type": "linear", "factor": 4.0, "rope_theta": 1000.0}})


def gemma3_pattern_causal_lm():
    """Gemma 3's pattern of layers, smaller: two local (sliding window) layers and a global one, twice, then a local one
    (Gemma 3 repeats five local layers and a global one): every layer was written out, none folded."""
    local, full = "sliding_attention", "full_attention"
    return _causal_lm("Gemma3", layers=7, hidden_size=16, intermediate_size=32, num_attention_heads=4, num_key_value_heads=2,
                      head_dim=8, layer_types=[local, local, full] * 2 + [local], sliding_window=3,
                      rope_parameters={local: {"rope_type": "default", "rope_theta": 100.0},
                                       full: {"rope_type": "linear", "factor": 4.0, "rope_theta": 1000.0}})


def deepseek_v2_dense_then_experts_causal_lm():
    """DeepSeek-V2 with two dense layers, then two of experts (DeepSeek-V3 has three, then 58): no layer folded, since
    all four did not compute alike."""
    return _causal_lm("DeepseekV2", layers=4, hidden_size=32, intermediate_size=64, moe_intermediate_size=16, num_attention_heads=4,
                      num_key_value_heads=4, n_routed_experts=8, num_experts_per_tok=2, first_k_dense_replace=2, n_shared_experts=1,
                      q_lora_rank=16, kv_lora_rank=16, qk_rope_head_dim=4, qk_nope_head_dim=4, v_head_dim=4)


def minimax_m2_causal_lm():
    """MiniMax-M2's mixture: experts scored by a sigmoid, the top k chosen by the scores plus a bias that only chooses
    (``e_score_correction_bias``, a buffer of zeros as built: set here, another in each layer, so that it changes which
    experts are chosen)."""
    model, inputs = _causal_lm("MiniMaxM2", hidden_size=16, intermediate_size=32, num_attention_heads=4, num_key_value_heads=2,
                               head_dim=4, num_local_experts=4, num_experts_per_tok=2)
    with torch.no_grad():
        for layer, bias in zip(model.model.model.layers, ([0.3, -0.2, 0.1, -0.4], [-0.4, 0.1, -0.2, 0.3])):
            layer.mlp.e_score_correction_bias.copy_(torch.tensor(bias))
    return model, inputs


def deepseek_v3_causal_lm():
    """DeepSeek-V3: latent attention (each head's queries and keys split in an own part and a rotary part of another size,
    its keys made empty and filled, the rotary part shared by every head), a dense first layer, then experts scored by a sigmoid, chosen in groups (the best of 2 groups of 4) by
    the scores plus the router's ``e_score_correction_bias`` (zeros as built: set here), normalised and scaled by 2.5."""
    model, inputs = _causal_lm("DeepseekV3", hidden_size=32, intermediate_size=64, moe_intermediate_size=16, num_attention_heads=4,
                               num_key_value_heads=4, n_routed_experts=8, num_experts_per_tok=2, n_group=2, topk_group=1,
                               first_k_dense_replace=1, n_shared_experts=1, q_lora_rank=16, kv_lora_rank=16, qk_rope_head_dim=4,
                               qk_nope_head_dim=8, v_head_dim=6, routed_scaling_factor=2.5)  # (each head's parts of unequal sizes)
    with torch.no_grad():
        model.model.model.layers[1].mlp.gate.e_score_correction_bias.copy_(torch.tensor([0.3, -0.2, 0.1, -0.4, -0.1, 0.2, 0.4, -0.3]))
    return model, inputs


def deepseek_v2_causal_lm():
    """DeepSeek-V2: latent attention whose rotary turns each pair of the queries and keys as complex numbers,
    ``view_as_real(view_as_complex(x) * freqs_cis)``, a dense first layer, then a softmax-routed mixture."""
    return _causal_lm("DeepseekV2", hidden_size=32, intermediate_size=64, moe_intermediate_size=16, num_attention_heads=4,
                      num_key_value_heads=4, n_routed_experts=8, num_experts_per_tok=2, first_k_dense_replace=1, n_shared_experts=1,
                      q_lora_rank=16, kv_lora_rank=16, qk_rope_head_dim=4, qk_nope_head_dim=4, v_head_dim=4)


def gpt_neox_one_pair_causal_lm():
    """GPT-NeoX turning a quarter of each head of 8: one pair, whose one frequency is 1 whatever the base (it was an opaque
    arange, cos, sin and slices: the base is read off the frequencies, and one frequency gives none)."""
    return _causal_lm("GPTNeoX", **{**WHOLE["GPTNeoX"], "rotary_pct": 0.25})


def falcon_mha_causal_lm():
    """A whole FalconForCausalLM with a key and value head per query head, biases: its fused query_key_value is viewed as
    [heads, 3, head depth], q, k and v picked from the middle."""
    return _causal_lm("Falcon", **{**WHOLE["Falcon"], "multi_query": False, "bias": True})


def mpt_causal_lm():
    """A whole MptForCausalLM: ALiBi sliced from a table for its longest sequence, a boolean causal mask applied by
    masked_fill, LayerNorms with a weight and no bias, the scores cast to float32 for their softmax."""
    config = hf.MptConfig(d_model=16, n_heads=4, n_layers=2, vocab_size=11, expansion_ratio=2, max_seq_len=16)
    return _Logits(hf.MptForCausalLM(config)).eval(), (torch.randint(0, 11, (1, SEQ)),)


def gpt_neo_causal_lm():
    """A whole GPTNeoForCausalLM, a global then a local layer (a window of 3): each keeps its scores where a boolean
    buffer says, by torch.where, before the model's own causal mask is added."""
    config = hf.GPTNeoConfig(vocab_size=11, hidden_size=16, num_layers=2, num_heads=4, attention_types=[[["global", "local"], 1]],
                             window_size=3, max_position_embeddings=8, bos_token_id=0, eos_token_id=0)
    return _Logits(hf.GPTNeoForCausalLM(config)).eval(), (torch.randint(0, 11, (1, SEQ)),)


def mistral_v01_causal_lm():
    """Mistral 7B v0.1's attention: a sliding window of 4096 positions (its config's default)."""
    return _causal_lm("Mistral", hidden_size=16, intermediate_size=32, num_attention_heads=4, num_key_value_heads=2)


WHOLE = {  # the whole models tried beside Llama, GPT-2, Gemma and OPT, each with its own sizes
    "Mistral": dict(hidden_size=16, intermediate_size=32, num_attention_heads=4, num_key_value_heads=2, sliding_window=None),  # v0.2's
    "Qwen2": dict(hidden_size=16, intermediate_size=32, num_attention_heads=4, num_key_value_heads=2),
    "Gemma2": dict(hidden_size=16, intermediate_size=32, num_attention_heads=4, num_key_value_heads=2, head_dim=4),
    "GPTNeoX": dict(hidden_size=32, intermediate_size=64, num_attention_heads=4, rotary_pct=0.5),
    "Mixtral": dict(hidden_size=16, intermediate_size=32, num_attention_heads=4, num_key_value_heads=2, num_local_experts=4,
                    num_experts_per_tok=2),
    # gpt-oss: yarn (unrounded), sinks, and experts routed by their top logits, clamped (run by transformers' grouped_mm, a
    # whole model's default); its sliding layers' window (128) is no mask at 5 positions, so both layers are full
    "GptOss": dict(hidden_size=16, intermediate_size=16, num_attention_heads=4, num_key_value_heads=2, head_dim=4, num_local_experts=4,
                   num_experts_per_tok=2, layer_types=["full_attention"] * 2),
    # NanoChat: RMSNorms with no weight (one module called before the layers and after them), its rotary turned back
    "NanoChat": dict(hidden_size=16, intermediate_size=32, num_attention_heads=4, num_key_value_heads=2),
    "Bloom": dict(hidden_size=24, num_attention_heads=6),  # ALiBi, six heads: slopes of 4, then every other one of 8
    # rotary on the first half of each head, interleaved pairs, the sines read from a float32 buffer
    "GPTJ": dict(hidden_size=32, num_attention_heads=4, rotary_dim=4, bos_token_id=0, eos_token_id=0),
    # local attention: a sliding window of 3 keys, shorter than the example's 5 positions
    "Gemma3": dict(hidden_size=16, intermediate_size=32, num_attention_heads=4, num_key_value_heads=2, head_dim=4, sliding_window=3),
    "Phi": dict(hidden_size=32, intermediate_size=64, num_attention_heads=4),  # a rotary over half of each head, a parallel MLP
    # routed experts and a shared one in every layer, gathered (batched_mm) rather than looped over: capturable
    # Falcon-7B's: FalconLinear is x @ W.T (no F.linear), its fused query_key_value viewed as [heads + 2, head depth], the
    # queries its first heads, the one key head and the one value head the last two (multi-query attention)
    "Falcon": dict(hidden_size=32, num_attention_heads=4, multi_query=True, new_decoder_architecture=False, parallel_attn=True,
                   bias=False, alibi=False, bos_token_id=0, eos_token_id=0),
    # StarCoder's and SantaCoder's: one key and value head, c_attn's output split into the queries and a key-value pair of
    # unequal sizes (32, 8, 8 rows here)
    "GPTBigCode": dict(n_embd=32, n_head=4, multi_query=True, bos_token_id=0, eos_token_id=0),
    # Phi-3-medium's form: fewer key and value heads, so qkv_proj is sliced 16 : 8 : 8
    "Phi3": dict(hidden_size=32, intermediate_size=64, num_attention_heads=4, num_key_value_heads=2, pad_token_id=0),
    # Command-R's: a LayerNorm with no bias written out (x - mean), a rotary over interleaved pairs, attention and MLP in parallel
    "Cohere": dict(hidden_size=32, intermediate_size=64, num_attention_heads=4, num_key_value_heads=2),
    # tried by hand once, kept here so that they stay importable: Qwen 3 (norms on each head's queries and keys), its
    # mixture of experts (gathered, batched_mm), Starcoder 2 (LayerNorms and biases, a plain GELU MLP)
    "Qwen3": dict(hidden_size=32, intermediate_size=64, num_attention_heads=4, num_key_value_heads=2, head_dim=8),
    "Qwen3Moe": dict(hidden_size=32, intermediate_size=64, moe_intermediate_size=16, num_attention_heads=4, num_key_value_heads=2,
                     num_experts=4, num_experts_per_tok=2, head_dim=8, experts_implementation="batched_mm"),
    "Starcoder2": dict(hidden_size=32, intermediate_size=64, num_attention_heads=4, num_key_value_heads=2, sliding_window=None),
    # a rotary over the first quarter of each head (16: 4 turn, 12 pass), StableLM's default; GPT-NeoX's (Pythia's) is the same
    "StableLm": dict(hidden_size=64, intermediate_size=64, num_attention_heads=4, num_key_value_heads=2),
    # Persimmon's: a LayerNorm on each head's queries and keys, a rotary over half of each head, a squared ReLU
    "Persimmon": dict(hidden_size=32, intermediate_size=64, num_attention_heads=4),
    # ERNIE 4.5's: a rotary over interleaved pairs, turned in float32 (q.float() * cos + rotate_half(q).float() * sin)
    "Ernie4_5": dict(hidden_size=32, intermediate_size=64, num_attention_heads=4, num_key_value_heads=2, head_dim=8),
    # Nemotron's: a LayerNorm of 1 + weight (LayerNorm1P, paired with its shift), a rotary over half of each head, squared ReLU
    "Nemotron": dict(hidden_size=32, intermediate_size=64, num_attention_heads=4, num_key_value_heads=2, head_dim=8),
    # Granite-MoE's: the router is the block's `router` (not `gate`), the softmax of its top k logits; experts as Mixtral's
    "GraniteMoe": dict(hidden_size=16, intermediate_size=32, num_attention_heads=4, num_key_value_heads=2, num_local_experts=4,
                       num_experts_per_tok=2),
    # Llama 4's: a rotary through complex numbers, norms of each head's queries and keys, and experts whose input (not
    # output) each top logit's sigmoid scales, beside a shared expert
    "Llama4": dict(hidden_size=16, intermediate_size=32, intermediate_size_mlp=32, num_attention_heads=4, num_key_value_heads=2,
                   head_dim=4, num_local_experts=4, num_experts_per_tok=1),
    # ERNIE 4.5's mixture: a softmax of the scores, the top k chosen by them plus a bias its router keeps in `moe_statics`
    # ([1, e], a parameter built as zeros, which ncd check fills), two shared experts; every layer a mixture
    "Ernie4_5_Moe": dict(hidden_size=32, intermediate_size=64, num_attention_heads=4, num_key_value_heads=2, num_experts=4,
                         num_experts_per_tok=2, moe_intermediate_size=16, moe_layer_start_index=0),
    # HunYuan's mixture: its gate holds the map as an nn.Linear, `wg`; the softmax's top k normalised
    "HunYuanMoEV1": dict(hidden_size=32, intermediate_size=64, num_attention_heads=4, num_key_value_heads=2, head_dim=8, num_experts=4,
                         num_local_experts=4, moe_topk=2),
    "Qwen2Moe": dict(hidden_size=16, intermediate_size=32, moe_intermediate_size=8, shared_expert_intermediate_size=16, num_attention_heads=4,
                     num_key_value_heads=2, num_experts=4, num_experts_per_tok=2, experts_implementation="batched_mm"),
}


def __getattr__(name: str):
    """``whole_Mistral`` and the like: the models of WHOLE, for ``ncd import survey.py:whole_Mistral``."""
    if name.startswith("whole_") and name[len("whole_"):] in WHOLE:
        return lambda: _causal_lm(name[len("whole_"):], **WHOLE[name[len("whole_"):]])
    raise AttributeError(name)
