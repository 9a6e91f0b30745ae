"""The random inputs ``ncd check`` feeds the diagram and the reference alike: normal reals, integer ids below
the vocabulary of the embeddings that read them, and boolean flags, true a quarter of the time and never at
the first position of their last axis (the other way round for a mask that keeps where true), so that a
padding mask never hides every key of a softmax; and how they reach the reference (:func:`fed`)."""
from __future__ import annotations

import inspect

import torch

from .. import ops
from ..errors import NcdError
from ..ir import Diagram
from .patterns import Patterns


def vocabularies(diagram: Diagram, patterns: Patterns) -> dict[int, int]:
    """How many ids each integer input may take: the size of the vocabulary of the embeddings that read it; an error
    for one no embedding reads (before anything runs)."""
    found = {}
    for vid in diagram.inputs:
        if diagram.values[vid].dtype != "int":
            continue
        reach = _reach(diagram, vid)
        lookups = [(op, ops.of(op).vocabulary) for op in diagram.ops if reach & set(op.inputs)]
        vocab = [patterns.size(rows(op)) for op, rows in lookups if rows is not None]
        if not vocab:
            value = diagram.values[vid]
            raise NcdError(f"ncd check cannot choose ids for the integer input {value.name}: no embedding reads it", value.span,
                           f"an attention mask of 0s and 1s is flags: declare it 'input {value.name}[...] bool' and hide the "
                           f"scores with mask(S, {value.name}) with keep")
        found[vid] = min(vocab)
    return found


def random_inputs(diagram: Diagram, vocabulary: dict[int, int], batch: int, generator: torch.Generator) -> list[torch.Tensor]:
    """One random tensor per input of the diagram, a leading batch dimension of ``batch``, in float64 where real."""
    made = []
    for vid in diagram.inputs:
        shape = (batch, *diagram.shape(vid))
        if vid in vocabulary:
            made.append(torch.randint(vocabulary[vid], shape, generator=generator))
        elif diagram.values[vid].dtype == "bool":
            flags = torch.rand(shape, generator=generator) < 0.25
            flags[..., 0] = False
            made.append(~flags if _keeps(diagram, vid) else flags)
        else:
            made.append(torch.randn(shape, generator=generator, dtype=torch.float64))
    return made


def _reach(diagram: Diagram, vid: int) -> set[int]:
    """``vid`` and the values that hold its values, moved or picked (copies, renames, rearranges, indexing)."""
    reach = {vid}
    for op in diagram.ops:
        if ops.of(op).keeps_ids and reach & set(op.inputs):
            reach |= set(op.outputs)
    return reach


def _keeps(diagram: Diagram, vid: int) -> bool:
    """Whether the boolean input ``vid`` is read by a mask that keeps where true (``mask(S, M) with keep``)."""
    reach = _reach(diagram, vid)
    return any(op.params.get("keep") and op.inputs[1:] and op.inputs[1] in reach for op in diagram.ops)


def without_values(tensor: torch.Tensor) -> str | None:
    """Why ``tensor`` holds no dense values to run a module on or compare (a module or input ``ncd import`` is given,
    an output a reference gives ``ncd check``), as a message says it; None where it holds them.

    >>> without_values(torch.zeros(2)), without_values(torch.zeros(2, device="meta")), without_values(torch.eye(2).to_sparse())
    (None, 'on the meta device, with no values', 'sparse (torch.sparse_coo)')
    """
    if tensor.is_meta:
        return "on the meta device, with no values"
    return None if tensor.layout == torch.strided else f"sparse ({tensor.layout})"


NAMED = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


def fed(forward, diagram: Diagram, inputs: list):
    """``forward`` (a reference's) run on ``inputs``: by name where its parameters are named as the diagram's inputs, in
    whatever order (render's advice to declare the inputs in another order reorders them, and two of one shape
    swapped would only disagree), else in the order the diagram declares them.

    >>> from ncd_render.api import load_text
    >>> d = load_text("axis m = 2\\ninput H[m], C[m]\\nY = H - C\\noutput Y\\n").diagram
    >>> fed(lambda C, H: C, d, ["h", "c"]), fed(lambda a, b: a, d, ["h", "c"])
    ('c', 'h')
    """
    names = [diagram.values[v].name for v in diagram.inputs]
    try:
        taken = [p.name for p in inspect.signature(forward).parameters.values() if p.kind in NAMED]
    except (TypeError, ValueError):  # (a builtin without a signature)
        taken = []
    if sorted(taken) == sorted(names) and taken != names:
        return forward(**dict(zip(names, inputs)))
    return forward(*inputs)
