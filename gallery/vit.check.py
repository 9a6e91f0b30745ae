"""gallery/vit.ncd against transformers' ViTForImageClassification (patch embedding,
class token, position embeddings, 12 pre-norm ViT layers, final layer norm, and the
classifier on the class token), from a random configuration: nothing is downloaded.

The class token and the position embeddings are inputs of the diagram (Cls,
Pos) but parameters of ViT: the reference copies each image's Cls and Pos into
ViT's cls_token and position_embeddings and runs the images one at a time.
Images are permuted to ViT's channels-first layout and the patch projection
(a Conv2d, [m, ch, i, j]) rearranged to the diagram's [m, i, j, ch]. ViT's
configuration takes layer_norm_eps=1e-6 from the diagram (transformers'
default is 1e-12; the original implementation uses 1e-6).
"""
import torch
from transformers import ViTConfig
from transformers.models.vit.modeling_vit import ViTForImageClassification

from ncd_render.pytorch.check import From, Reference, recording


def reference(sizes):
    if sizes["r"] != sizes["c"] or sizes["i"] != sizes["j"]:
        raise ValueError("ViTConfig has square images and patches: give r = c and i = j")
    config = ViTConfig(hidden_size=sizes["m"], num_hidden_layers=12, num_attention_heads=sizes["h"], intermediate_size=sizes["f"],
                       hidden_act="gelu", image_size=sizes["r"], patch_size=sizes["i"], num_channels=sizes["ch"],
                       num_labels=sizes["o"], qkv_bias=True, layer_norm_eps=1e-6,
                       attn_implementation="sdpa")  # eager attention takes its softmax in float32
    vit = ViTForImageClassification(config)
    embeddings = vit.vit.embeddings

    def forward(Cls, Img, Pos):  # the diagram's inputs, in the order it declares them
        wires = []
        for image, cls, pos in zip(Img, Cls, Pos):
            embeddings.cls_token.copy_(cls[None])
            embeddings.position_embeddings.copy_(pos[None])
            with recording(E=embeddings.patch_embeddings, X=vit.vit.layernorm) as seen:
                Z = vit(pixel_values=image.permute(2, 0, 1)[None]).logits
            wires.append({"E": seen["E"], "X": seen["X"], "C": seen["X"][:, 0], "Z": Z})
        return {name: torch.cat([w[name] for w in wires]) for name in wires[0]}

    parameters = {"L_E.weight": From("vit.embeddings.patch_embeddings.projection.weight", "m ch i j -> m i j ch"),
                  "L_E.bias": From("vit.embeddings.patch_embeddings.projection.bias"),
                  "N.weight": From("vit.layernorm.weight"), "N.bias": From("vit.layernorm.bias"),
                  "L_H.weight": From("classifier.weight"), "L_H.bias": From("classifier.bias")}
    for i in range(12):
        layer, ours = f"vit.layers.{i}", f"encoder_layer.{i}"
        for box, theirs in [("Attention_L_Q", "attention.q_proj"), ("Attention_L_K", "attention.k_proj"), ("Attention_L_V", "attention.v_proj")]:
            parameters[f"{ours}.{box}.weight"] = From(f"{layer}.{theirs}.weight", "(h k) m -> k h m")
            parameters[f"{ours}.{box}.bias"] = From(f"{layer}.{theirs}.bias", "(h k) -> k h")
        parameters[f"{ours}.Attention_L_O.weight"] = From(f"{layer}.attention.o_proj.weight", "m (h k) -> m k h")
        for box, theirs in [("Attention_L_O", "attention.o_proj"), ("N_1", "layernorm_before"), ("N_2", "layernorm_after"),
                            ("MLP_L_1", "mlp.fc1"), ("MLP_L_2", "mlp.fc2")]:
            parameters[f"{ours}.{box}.bias"] = From(f"{layer}.{theirs}.bias")
            if box != "Attention_L_O":
                parameters[f"{ours}.{box}.weight"] = From(f"{layer}.{theirs}.weight")
    return Reference(forward, vit, parameters, name="transformers ViTForImageClassification")
