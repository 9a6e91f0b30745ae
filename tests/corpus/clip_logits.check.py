"""clip_logits.ncd against transformers' CLIPModel's head: visual_projection, text_projection,
embeddings divided by their norms, logits_per_text = exp(logit_scale) * T I^T, logits_per_image
its transpose (as CLIPModel.forward computes them), from pooled features."""
import torch
from transformers import CLIPConfig, CLIPModel

from ncd_render.pytorch.check import From, Reference


def reference(sizes):
    v, u, e = sizes["v"], sizes["u"], sizes["e"]
    config = CLIPConfig(text_config={"hidden_size": u, "intermediate_size": 4, "num_hidden_layers": 1,
                                     "num_attention_heads": 1, "vocab_size": 8},
                        vision_config={"hidden_size": v, "intermediate_size": 4, "num_hidden_layers": 1,
                                       "num_attention_heads": 1, "image_size": 4, "patch_size": 2},
                        projection_dim=e)
    model = CLIPModel(config)

    def forward(I, T):
        ie = model.visual_projection(I)
        te = model.text_projection(T)
        ie = ie / ie.norm(p=2, dim=-1, keepdim=True)
        te = te / te.norm(p=2, dim=-1, keepdim=True)
        per_text = torch.matmul(te, ie.transpose(-1, -2)) * model.logit_scale.exp()
        return {"L": per_text.transpose(-1, -2), "Lp": per_text}

    parameters = {"W_i.weight": From("visual_projection.weight"), "W_t.weight": From("text_projection.weight"),
                  "t.weight": From("logit_scale")}
    return Reference(forward, model, parameters, name="transformers CLIPModel head")
