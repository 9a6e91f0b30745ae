"""An output laid out as an input but for one axis that a map made the input's size (an attention's or a feed-forward's
last projection back to the model's width, with no residual sum to say so) holds the input's axis there: one axis, named
as the input's (``linear(O: h k -> m)``, not ``-> f``), as a residual sum would have made it."""
from __future__ import annotations

from .graph import Program

WIDTHS = ("hidden", "channels")  # the roles of an input's axis of features (:func:`.seen.input_roles`)


def outputs_in_input_axes(prog: Program) -> None:
    """Make each such output axis the input's (see the module docstring); one input only, where several could be."""
    atoms = prog.atoms
    inputs = [atoms.leaves_of(dims) for _, dims, _ in prog.inputs]
    for _, dims in prog.outputs:
        made = atoms.leaves_of(dims)
        pairs = set()
        for given in inputs:
            differ = [(a, b) for a, b in zip(given, made) if a != b] if len(given) == len(made) else []
            if len(differ) == 1 and _same_width(prog, *differ[0]):
                pairs.add(differ[0])
        if len(pairs) == 1:
            atoms.unify(*pairs.pop())


def _same_width(prog: Program, given: int, made: int) -> bool:
    """Whether ``made``, an axis of an output, may be the input's axis of features ``given``: of its size, made by the
    module (no role of an input's), never beside it in one tensor."""
    atoms = prog.atoms
    if atoms.size(given) != atoms.size(made) or atoms.atom(given).role not in WIDTHS or atoms.atom(made).role not in ("", "out") \
            or atoms.atom(made).width:
        return False
    return not any({given, made} <= set(atoms.leaves_of(value.atoms)) for value in prog.values)
