"""The submodules of a repeated layer as components: a model's attention and feed-forward, each
written once as a ``block`` (named after its class) and called from the ``repeat``, so that a page
draws the layer with one box for each, and each one's definition beside it, as the paper draws a
transformer.

A component is a run of at least :data:`SMALLEST` statements of the first repetition that one
submodule with submodules of its own ran (``model.layers.0.self_attn``), nothing else between them,
which reads at most :data:`MOST_INPUTS` values made before it and makes one value that is read after
it (it may be the value that goes round). Each is its own block, called once, so that its learned boxes'
names are the block's prefix and their labels (``LlamaAttention_L_q_proj``).
"""
from __future__ import annotations

from dataclasses import dataclass

from .graph import Program
from .naming import Names
from .repeats import Fold

SMALLEST = 3  # statements: fewer are no clearer as a box of their own
MOST_INPUTS = 3


@dataclass
class Component:
    """A block to write: its name, the statements it holds (indices, in order), the values it reads
    from before it (its parameters, in the order first read) and the one it returns."""

    name: str
    stmts: list[int]
    inputs: list[int]
    output: int

    @property
    def prefix(self) -> str:
        """What the language puts before the names of the block's learned boxes (``irbuild`` ``param_name``)."""
        return "".join(c if c.isalnum() else "_" for c in self.name) + "_"


def find_components(prog: Program, folds: list[Fold], sections: list[str], composite, classes: dict[str, str],
                    uses: dict[int, int], taken: set[str]) -> dict[int, Component]:
    """The components of the folds' first repetitions, by the index of their first statement; ``uses``: each
    value's last reader, ``taken``: names the blocks may not have (axes, tensors)."""
    names, found = Names(set(taken)), {}
    outputs = {v for v, _ in prog.outputs}
    for fold in folds:
        first = fold.reps[0]
        for run in _runs(prog, first, sections, composite):
            stmts = [first[i] for i in run]
            made = {prog.stmts[s].out for s in stmts}
            inputs = list(dict.fromkeys(a for s in stmts for a in prog.stmts[s].args if a not in made))
            after = [v for v in made if uses.get(v, -1) > stmts[-1] or v in outputs]
            if len(stmts) < SMALLEST or len(after) != 1 or not 1 <= len(inputs) <= MOST_INPUTS:
                continue
            path = _child(prog.stmts[stmts[0]].module, sections[stmts[0]])
            name = names.take(_identifier(classes.get(path, path.rpartition(".")[2])))
            found[stmts[0]] = Component(name, stmts, inputs, after[0])
    return found


def _runs(prog: Program, first: list[int], sections: list[str], composite) -> list[list[int]]:
    """Positions in ``first`` of the runs of consecutive statements that one composite child of their layer
    (their section) ran."""
    runs: list[tuple[str, list[int]]] = []
    for i, s in enumerate(first):
        child = _child(prog.stmts[s].module, sections[s])
        if child not in composite:
            continue
        if runs and runs[-1][0] == child and runs[-1][1][-1] == i - 1:
            runs[-1][1].append(i)
        else:
            runs.append((child, [i]))
    return [run for _, run in runs]


def _child(module: str, layer: str) -> str:
    """The child of ``layer`` that ran a statement of module path ``module`` (``layer.0.self_attn`` for
    ``layer.0.self_attn.q_proj``), or "" when ``layer`` ran it itself."""
    if not module.startswith(layer + "."):
        return ""
    rest = module[len(layer) + 1:].split(".")
    return f"{layer}.{rest[0]}" + (f".{rest[1]}" if len(rest) > 1 and rest[1].isdigit() else "")  # (an item of a list: T5's layer.0)


def _identifier(name: str) -> str:
    word = "".join(c if c.isalnum() else "_" for c in name).strip("_") or "Block"
    return word if word[0].isalpha() else "Block" + word
