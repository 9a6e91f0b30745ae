"""The submodules of a repeated layer as components: a model's attention and feed-forward, each
written once as a ``block`` (named after its class) and called from the ``repeat``, so that a page
draws the layer with one box for each, and each one's definition beside it, as the paper draws a
transformer.

A component is a run of at least :data:`SMALLEST` statements of the first repetition that one
submodule with submodules of its own ran (``model.layers.0.self_attn``), nothing else between them,
which reads at most :data:`MOST_INPUTS` values made before it and makes one value that is read after
it (it may be the value that goes round). Each is its own block, so that its learned boxes' names are
the block's prefix and their labels (``LlamaAttention_L_q_proj``), unless it is the twin of an earlier
one (:func:`find_twins`): then it calls that one's block, and its boxes are that call's
(``Gemma3Attention_L_q_proj_2``). Layers that fold into no repeat, in a list of several (a model whose
layers differ), have components too; a layer left over after a fold, only where they are twins.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .graph import Program
from .naming import Names
from .repeats import Fold, paired_atoms, repetition, signature, unify

SMALLEST = 3  # statements: fewer are no clearer as a box of their own
MOST_INPUTS = 3


@dataclass
class Component:
    """A block to write: its name, the statements it holds (indices, in order), the values it reads
    from before it (its parameters, in the order first read) and the one it returns; ``twin``: an
    earlier component of its repetition that computes as it does, whose block it calls."""

    name: str
    stmts: list[int]
    inputs: list[int]
    output: int
    twin: "Component | None" = None
    binding: dict = field(default_factory=dict)  # its parameters' atoms -> its twin's, where a call binds one to another

    @property
    def prefix(self) -> str:
        """What the language puts before the names of the block's learned boxes (``irbuild`` ``param_name``)."""
        return "".join(c if c.isalnum() else "_" for c in self.name) + "_"


def candidate_runs(prog: Program, folds: list[Fold], sections: list[str], composite) -> list[tuple[list[int], bool]]:
    """Each run of statements that one composite child of its layer ran (an attention, a feed-forward), in the
    folds' first repetitions, then outside the folds; with whether it may be a component of its own (in a fold, or
    in a layer apart, :func:`_layers_apart`) rather than only a twin's call."""
    folded = {s for fold in folds for rep in fold.reps for s in rep}
    apart = _layers_apart(sections, folded)
    rest = [s for s in range(len(prog.stmts)) if s not in folded]
    inside = [([fold.reps[0][i] for i in run], True) for fold in folds for run in _runs(prog, fold.reps[0], sections, composite)]
    return inside + [(stmts, sections[stmts[0]] in apart) for stmts in ([rest[i] for i in run] for run in _runs(prog, rest, sections, composite))]


def find_components(prog: Program, runs: list[tuple[list[int], bool]], sections: list[str], classes: dict[str, str],
                    uses: dict[int, int], taken: set[str], twins: dict[int, int]) -> dict[int, Component]:
    """The components among ``runs`` (:func:`candidate_runs`), by the index of their first statement: those that may
    be, and the twins (:func:`find_twins`) of those; ``uses``: each value's last reader, ``taken``: names the blocks
    may not have (axes, tensors)."""
    names, found = Names(set(taken)), {}
    for stmts, own in runs:
        inputs, after = _ends(prog, stmts, uses)
        earlier, binding = twins.get(stmts[0], (-1, {}))
        twin = found.get(earlier)
        if (own or twin is not None) and len(stmts) >= SMALLEST and len(after) == 1 and 1 <= len(inputs) <= MOST_INPUTS:
            found[stmts[0]] = Component("", stmts, inputs, after[0], twin, binding if twin is not None else {})
    for component in sorted(found.values(), key=lambda c: c.twin is not None):  # twins named last: rarely written
        path = _child(prog.stmts[component.stmts[0]].module, sections[component.stmts[0]])
        component.name = names.take(_identifier(classes.get(path, path.rpartition(".")[2])))
    return found


def find_twins(prog: Program, runs: list[tuple[list[int], bool]], sections: list[str], classes: dict[str, str],
               uses: dict[int, int]) -> dict[int, tuple[int, dict]]:
    """The ``runs`` (:func:`candidate_runs`) that compute as an earlier run of the same class does, reading and making
    values in the same places, their atoms made the earlier run's (before the axes are named): the first statement
    of each -> (the first of the run it is a twin of, the binding of its parameters' atoms to that run's where they
    differ in size, which a call binds: T5's decoder feed-forward over 4 positions calls its encoder's, over 5). Gemma
    3's five local layers' attention is one block, called five times, each with its own weights; a layer left over
    after the folds (Gemma 3's last) calls it too."""
    twins: dict[int, tuple[int, dict]] = {}
    originals = []
    for run, own in runs:
        if not _twin(prog, sections, classes, uses, originals, run, twins) and own:
            originals.append(run)
    return twins


def _layers_apart(sections: list[str], folded: set[int]) -> set[str]:
    """The sections of layers that no fold holds, in a list of two layers or more (a model's layers that differ:
    the tiny DeepSeek-V3's dense layer and its layer of experts): their submodules are components too."""
    lists: dict[str, set[str]] = {}
    for section in set(sections):
        parent, n = repetition(section)
        if n is not None:
            lists.setdefault(parent, set()).add(section)
    held = {sections[s] for s in folded}
    return {section for layers in lists.values() if len(layers) > 1 for section in layers if section not in held}


def _twin(prog: Program, sections, classes, uses, originals: list[list[int]], run: list[int], twins: dict) -> bool:
    """Whether ``run`` computes as one of ``originals``; if so, its atoms are made that one's (but for its parameters'
    atoms that a call binds, :func:`_bound_pairs`) and it is noted in ``twins``."""
    for earlier in originals:
        if _alike(prog, sections, classes, uses, earlier, run):
            pairs = paired_atoms(prog, [earlier, run])
            binding = {}
            if not pairs:
                pairs, binding = _bound_pairs(prog, earlier, run, uses) or ([], {})
            if pairs:
                unify(prog, pairs)
                twins[run[0]] = (earlier[0], binding)
                return True
    return False


def _bound_pairs(prog: Program, earlier: list[int], run: list[int], uses: dict[int, int]) -> tuple[list[dict], dict] | None:
    """``run``'s atoms paired with ``earlier``'s (:func:`.repeats.paired_atoms`) but for its parameters' atoms, which
    may differ in size (a call binds them): ([the pairs], {its parameter's atom: earlier's, where they differ}); None
    when they do not pair one to one."""
    binding: dict[int, int] = {}
    for a0, a in zip(_ends(prog, earlier, uses)[0], _ends(prog, run, uses)[0]):
        left, right = prog.atoms.leaves_of(prog.values[a0].atoms), prog.atoms.leaves_of(prog.values[a].atoms)
        if len(left) != len(right) or any(binding.setdefault(x, x0) != x0 for x0, x in zip(left, right)):
            return None
    pairs = len(set(binding.values())) == len(binding) and paired_atoms(prog, [earlier, run], binding)
    return (pairs, {x: x0 for x, x0 in binding.items() if x != x0}) if pairs else None


def _ends(prog: Program, stmts: list[int], uses: dict[int, int]) -> tuple[list[int], list[int]]:
    """The values ``stmts`` read from before them (in the order first read), and those of theirs read after them."""
    made = {prog.stmts[s].out for s in stmts}
    outputs = {v for v, _ in prog.outputs}
    inputs = list(dict.fromkeys(a for s in stmts for a in prog.stmts[s].args if a not in made))
    return inputs, [prog.stmts[s].out for s in stmts if uses.get(prog.stmts[s].out, -1) > stmts[-1] or prog.stmts[s].out in outputs]


def _alike(prog: Program, sections, classes, uses, a: list[int], b: list[int]) -> bool:
    """Whether runs ``a`` and ``b`` are one class's, compute the same statements (paths below their own module), and
    read and make values in the same places."""
    path_a, path_b = (_child(prog.stmts[r[0]].module, sections[r[0]]) for r in (a, b))
    if len(a) != len(b) or classes.get(path_a) is None or classes.get(path_a) != classes.get(path_b):
        return False
    if any(signature(prog, x, path_a) != signature(prog, y, path_b) for x, y in zip(a, b)):
        return False
    (ins_a, after_a), (ins_b, after_b) = _ends(prog, a, uses), _ends(prog, b, uses)
    place_a = {prog.stmts[s].out: ("made", n) for n, s in enumerate(a)} | {v: ("in", n) for n, v in enumerate(ins_a)}
    place_b = {prog.stmts[s].out: ("made", n) for n, s in enumerate(b)} | {v: ("in", n) for n, v in enumerate(ins_b)}
    return len(ins_a) == len(ins_b) and [place_a[v] for v in after_a] == [place_b[v] for v in after_b] and all(
        [place_a[v] for v in prog.stmts[x].args] == [place_b[v] for v in prog.stmts[y].args] for x, y in zip(a, b))


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
