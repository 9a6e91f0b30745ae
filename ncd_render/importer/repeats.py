"""Identical repeated submodules (``layers.0``, ``layers.1``, ... of one class) as one ``repeat N`` block.

A run of sections folds when every repetition computes the same statements (same
operation, options, parameter and module paths below the repetition's own path),
reads what the one before made exactly where the first reads the block's input
(the value that goes round), and nothing after the block reads any repetition's
values but the last's value that goes round. Folding makes the repetitions' axes
one set of axes (``f`` for every layer's feed-forward depth, not ``f``, ``o``, ``e``).

A repetition may be several consecutive layers (up to :data:`MOST_PERIOD`): models that
alternate kinds of layer, gpt-oss's and Gemma 2's sliding-window and global attention, Gemma 3's
five local layers and a global one, repeat a pattern of layers. From each layer on, the fold that
covers the most layers wins (the fewest layers a repetition among equals), and the layers
after it fold again on their own: DeepSeek-V3's three dense layers, then its mixtures.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .graph import Program

MOST_PERIOD = 8  # layers in one repetition: Gemma 3 repeats five local (sliding window) layers and a global one


@dataclass
class Fold:
    """A repeat block: the statement indices of each repetition, the module path the
    repetitions sit under (``layers``), and what goes round: the value the first
    repetition reads from before the block -> the index, within a repetition, of the
    statement whose value the next one reads instead."""

    parent: str
    reps: list[list[int]]
    carried: dict[int, int] = field(default_factory=dict)
    layers: list[str] = field(default_factory=list)  # the sections of the first repetition's layers, in order
    span: str = ""  # which layers, where the parent's layers fold into more than one block ("2-3")

    @property
    def title(self) -> str:
        return (self.parent or "layers").replace("_", " ") + (f" {self.span}" if self.span else "")

    def relative(self, path: str, section: str) -> str:
        """``path`` below its layer's, ``section``; in a repetition of several layers, after the first
        layer its place in the repetition first (``1.input_layernorm``), as the layers apart are labelled."""
        place = self.layers.index(section) if section in self.layers else 0
        return f"{place}.{relative(path, section)}" if place else relative(path, section)


def find_folds(prog: Program, sections: list[str], classes: dict[str, str]) -> list[Fold]:
    """The repeat blocks among the statements' sections, their atoms made one (see the module docstring)."""
    runs, i = [], 0
    while i < len(sections):
        j = i
        while j < len(sections) and sections[j] == sections[i]:
            j += 1
        runs.append((sections[i], list(range(i, j))))
        i = j
    folds, i = [], 0
    while i < len(runs):
        best, covered = None, 0
        for period in range(1, MOST_PERIOD + 1):
            found = _longest_fold(prog, sections, runs, i, period, classes)
            if found is not None and len(found[0].reps) * period > covered:
                best, covered = found, len(found[0].reps) * period
        if best is None:
            i += 1
            continue
        fold, pairs = best
        unify(prog, pairs)
        first = repetition(runs[i][0])[1]
        fold.span = f"{first}-{first + covered - 1}"
        folds.append(fold)
        i += covered
    parents = [fold.parent for fold in folds]
    for fold in folds:
        fold.span = fold.span if parents.count(fold.parent) > 1 else ""
    return folds


def _longest_fold(prog: Program, sections, runs, i: int, period: int, classes) -> tuple[Fold, list] | None:
    """The fold of the most repetitions of ``period`` layers each from run ``i`` on (consecutive layers,
    each of the class of its place in the first repetition), with the atoms it pairs; None if none folds."""
    parent, first = repetition(runs[i][0])
    if first is None:
        return None
    layers = 0
    while i + layers < len(runs) and runs[i + layers][0] == f"{parent + '.' if parent else ''}{first + layers}" \
            and classes.get(runs[i + layers][0]) == classes.get(runs[i + layers % period][0]):
        layers += 1
    reps = [[s for run in runs[i + r * period:i + (r + 1) * period] for s in run[1]] for r in range(layers // period)]
    alike = 1  # the repetitions that compute as the first does: the most that may fold
    while alike < len(reps) and len(reps[alike]) == len(reps[0]) and all(
            signature(prog, a, sections[a]) == signature(prog, b, sections[b]) for a, b in zip(reps[0], reps[alike])):
        alike += 1
    for n in range(alike, max(1, alike - 2), -1):  # what the block's last values are read by may hold one or two back
        found = _fold(prog, parent, reps[:n], list(dict.fromkeys(sections[s] for s in reps[0])))
        if found is not None:
            return found
    return None


def relative(path: str, section: str) -> str:
    """A module path below a repetition's own: ``layers.1.linear1`` in ``layers.1`` is ``linear1``."""
    return "" if path == section else path[len(section) + 1:] if path.startswith(section + ".") else path


def repetition(section: str):
    match = re.fullmatch(r"(?:(.*)\.)?(\d+)", section)
    return (match.group(1) or "", int(match.group(2))) if match else ("", None)


def signature(prog: Program, index: int, section: str) -> tuple:
    stmt = prog.stmts[index]
    params = tuple(sorted((kind, relative(p.name, section), tuple(sorted(p.fixed.values()))) for kind, p in stmt.params.items()))
    return (stmt.fn, repr(sorted(stmt.options.items())), stmt.scale, params, len(stmt.args),
            relative(stmt.label or stmt.module, section), tuple(sorted(stmt.axes)))


def _fold(prog: Program, parent: str, reps: list[list[int]], layers: list[str]) -> tuple[Fold, list] | None:
    """``reps`` (each computing as the first) as one block, and the atoms it pairs; None when what goes round or
    what is read after the block does not allow it."""
    first = reps[0]
    made = [{prog.stmts[s].out: n for n, s in enumerate(rep)} for rep in reps]
    carried: dict[int, int] = {}
    shared = set()
    for r, rep in enumerate(reps[1:], 1):
        for s0, s in zip(first, rep):
            for a0, a in zip(prog.stmts[s0].args, prog.stmts[s].args):
                if a0 in made[0]:
                    if made[r].get(a) != made[0][a0]:
                        return None
                elif a == a0:
                    shared.add(a0)
                elif made[r - 1].get(a) is not None and carried.setdefault(a0, made[r - 1][a]) == made[r - 1][a]:
                    continue
                else:
                    return None
    if not carried or shared & set(carried):
        return None
    pairs = _reads_only_what_goes_round(prog, reps, carried) and paired_atoms(prog, reps)
    return (Fold(parent, reps, carried, layers), pairs) if pairs else None


def _reads_only_what_goes_round(prog: Program, reps, carried) -> bool:
    """After the block only the last repetition's values that go round are read; the values that go
    into the block are read by the first repetition only, before the statement that replaces them."""
    inside = {prog.stmts[s].out for rep in reps for s in rep}
    last = {prog.stmts[reps[-1][c]].out for c in carried.values()}
    after = [a for stmt in prog.stmts[reps[-1][-1] + 1:] for a in stmt.args] + [v for v, _ in prog.outputs]
    if any(a in inside and a not in last for a in after):
        return False
    for a0, c in carried.items():
        readers = [n for n, stmt in enumerate(prog.stmts) if a0 in stmt.args]
        if a0 in after or any(n not in reps[0] or reps[0].index(n) > c for n in readers):
            return False
    return True


def paired_atoms(prog: Program, reps, bound: dict | None = None) -> list[dict] | None:
    """Each later repetition's atoms paired with the first's, leaf by leaf; None if they do not pair one to one.
    ``bound``: a later repetition's atoms that a call binds to the first's (a block's parameters'), which pair with
    those alone and may differ in size; they are not among the pairs."""
    atoms, pairs, bound = prog.atoms, [], bound or {}
    formal = set(bound.values())

    def groups(stmt):
        return [prog.values[stmt.out].atoms] + [stmt.axes[k] for k in sorted(stmt.axes)]

    first = {x for s in reps[0] for g in groups(prog.stmts[s]) for x in atoms.leaves_of(g)}
    for rep in reps[1:]:
        pairs.append({})
        for s0, s in zip(reps[0], rep):
            for g0, g in zip(groups(prog.stmts[s0]), groups(prog.stmts[s])):
                left, right = atoms.leaves_of(g0), atoms.leaves_of(g)
                if len(left) != len(right):
                    return None
                for x0, x in zip(left, right):
                    if x in bound or x0 in formal:
                        if bound.get(x) != x0:
                            return None
                    elif atoms.size(x0) != atoms.size(x) or pairs[-1].setdefault(x, x0) != x0 or (x != x0 and x in first):
                        return None
        if len(set(pairs[-1].values())) != len(pairs[-1]):
            return None
    return pairs


def unify(prog: Program, pairs: list[dict]) -> None:
    """Make every repetition's atoms the first's (:func:`paired_atoms`)."""
    for rep_pairs in pairs:
        for x, x0 in rep_pairs.items():
            prog.atoms.unify(x0, x)
