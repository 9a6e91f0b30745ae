"""Gallery diagrams as `ncd compile` writes them, for the round trip in tests/test_import.py:
each FUNC() returns the compiled module of one gallery diagram, at its check sizes, and
example inputs with a batch of one."""
from pathlib import Path

import torch

from ncd_render.ir import build
from ncd_render.pytorch.codegen import generate
from ncd_render.pytorch.sizes import check_sizes
from ncd_render.sources import program_from_file

GALLERY = Path(__file__).resolve().parents[2] / "gallery"


def compiled(name: str):
    program = program_from_file(GALLERY / f"{name}.ncd")
    sizes, _ = check_sizes(program, None, False)
    diagram = build(program, sizes=sizes)
    namespace = {}
    exec(compile(generate(diagram, "Compiled"), f"<ncd compile {name}>", "exec"), namespace)
    inputs = tuple(torch.randint(2, (1, *diagram.shape(v))) if diagram.values[v].dtype == "int" else torch.randn(1, *diagram.shape(v))
                   for v in diagram.inputs)
    return namespace["Compiled"]().eval(), inputs


def mha():
    return compiled("mha")


def mlp():
    return compiled("mlp")


def sdpa():
    return compiled("sdpa")


def attention_scores():
    return compiled("attention_scores")
