"""GELU, exact (``gelu(X)``) or in GPT-2's tanh form (``gelu(X) with approximate=tanh``,
Hugging Face's "gelu_new" / "gelu_pytorch_tanh"): ``torch.nn.GELU(approximate=...)``.
Both count 8 FLOPs per element (cube, 2 multiply-adds, tanh, add, 2 multiplies)."""
from __future__ import annotations

from ..options import Kind
from .elementwise import elementwise
from .registry import register


def _source(op, x: str) -> str:
    tanh = op.params["approximate"] == "tanh"
    return f"nn.functional.gelu({x}" + (", approximate='tanh')" if tanh else ")")


register(elementwise(
    "gelu", "GELU", 8,
    lambda op, x, rt: rt.nn.functional.gelu(x, approximate=op.params["approximate"]), _source,
    options={"approximate": Kind("choice", choices=("none", "tanh"), example="tanh")},
    params=lambda o: {"approximate": o.get("approximate", "none")},
    example="input X[y m]\nY = gelu(X) with approximate=tanh",
    special=2,  # tanh (the tanh form), or erf's exp: two special-function results
    framework_kernel=lambda op: "gelu-tanh" if op.params["approximate"] == "tanh" else "gelu",
))
