"""Gallery and corpus diagrams as `ncd compile` writes them, for the round trip in tests/test_import.py:
each FUNC() returns the compiled module of one diagram, at its check sizes, and example inputs with a
batch of one, made as ``ncd check`` makes them (ids below the vocabulary, masks that hide no whole row)."""
from pathlib import Path

import torch

from ncd_render.ir import build
from ncd_render.pytorch.codegen import generate
from ncd_render.pytorch.inputs import random_inputs, vocabularies
from ncd_render.pytorch.patterns import Patterns
from ncd_render.pytorch.sizes import check_sizes
from ncd_render.sources import program_from_file

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = (ROOT / "gallery", ROOT / "tests" / "corpus")


def source(name: str) -> Path | None:
    """The gallery's or the corpus's file of that name."""
    return next((folder / f"{name}.ncd" for folder in FOLDERS if (folder / f"{name}.ncd").exists()), None)


def compiled(name: str):
    program = program_from_file(source(name))
    sizes, _ = check_sizes(program, None, False)
    diagram = build(program, sizes=sizes)
    namespace = {}
    exec(compile(generate(diagram, "Compiled"), f"<ncd compile {name}>", "exec"), namespace)
    made = random_inputs(diagram, vocabularies(diagram, Patterns(diagram)), 1, torch.Generator().manual_seed(0))
    inputs = tuple(x.float() if x.is_floating_point() else x for x in made)
    return namespace["Compiled"]().eval(), inputs


def mha():
    return compiled("mha")


def mlp():
    return compiled("mlp")


def sdpa():
    return compiled("sdpa")


def attention_scores():
    return compiled("attention_scores")


def __getattr__(name: str):
    """Every other gallery or corpus diagram by its name (``roundtrip.py:resnet``), for trying the round trip on it."""
    if source(name) is not None:
        return lambda: compiled(name)
    raise AttributeError(name)
