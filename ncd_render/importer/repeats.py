"""Identical repeated submodules (``layers.0``, ``layers.1``, ... of one class) as one ``repeat N`` block.

A run of sections folds when every repetition computes the same statements (same
operation, options, parameter and module paths below the repetition's own path),
reads what the one before made exactly where the first reads the block's input
(the value that goes round), and nothing after the block reads any repetition's
values but the last's value that goes round. Folding makes the repetitions' axes
one set of axes (``f`` for every layer's feed-forward depth, not ``f``, ``o``, ``e``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .graph import Program


@dataclass
class Fold:
    """A repeat block: the statement indices of each repetition, the module path the
    repetitions sit under (``layers``), and what goes round: the value the first
    repetition reads from before the block -> the index, within a repetition, of the
    statement whose value the next one reads instead."""

    parent: str
    reps: list[list[int]]
    carried: dict[int, int] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return (self.parent or "layers").replace("_", " ")


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
        parent, first = _repetition(runs[i][0])
        group = [runs[i][1]]
        k = i + 1
        while first is not None and k < len(runs) and runs[k][0] == f"{parent + '.' if parent else ''}{first + len(group)}" \
                and classes.get(runs[k][0]) == classes.get(runs[i][0]):
            group.append(runs[k][1])
            k += 1
        fold = _fold(prog, sections, parent, group) if len(group) > 1 else None
        if fold is not None:
            folds.append(fold)
        i = k if fold is not None else i + 1
    return folds


def relative(path: str, section: str) -> str:
    """A module path below a repetition's own: ``layers.1.linear1`` in ``layers.1`` is ``linear1``."""
    return "" if path == section else path[len(section) + 1:] if path.startswith(section + ".") else path


def _repetition(section: str):
    match = re.fullmatch(r"(?:(.*)\.)?(\d+)", section)
    return (match.group(1) or "", int(match.group(2))) if match else ("", None)


def _signature(prog: Program, index: int, section: str) -> tuple:
    stmt = prog.stmts[index]
    params = tuple(sorted((kind, relative(p.name, section), tuple(sorted(p.fixed.values()))) for kind, p in stmt.params.items()))
    return (stmt.fn, repr(sorted(stmt.options.items())), stmt.scale, params, len(stmt.args),
            relative(stmt.label or stmt.module, section), tuple(sorted(stmt.axes)))


def _fold(prog: Program, sections, parent: str, reps: list[list[int]]) -> Fold | None:
    first = reps[0]
    if any(len(rep) != len(first) for rep in reps):
        return None
    if any(_signature(prog, a, sections[a]) != _signature(prog, b, sections[b]) for rep in reps[1:] for a, b in zip(first, rep)):
        return None
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
    if not _reads_only_what_goes_round(prog, reps, carried) or not _unify(prog, reps):
        return None
    return Fold(parent, reps, carried)


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


def _unify(prog: Program, reps) -> bool:
    """Make every repetition's atoms the first's, leaf by leaf; False (nothing changed) if they do not pair one to one."""
    atoms, pairs = prog.atoms, []

    def leaves(group):
        return [atoms.find(x) for d in group for x in atoms.leaves(d)]

    def groups(stmt):
        return [prog.values[stmt.out].atoms] + [stmt.axes[k] for k in sorted(stmt.axes)]

    first = {x for s in reps[0] for g in groups(prog.stmts[s]) for x in leaves(g)}
    for rep in reps[1:]:
        pairs.append({})
        for s0, s in zip(reps[0], rep):
            for g0, g in zip(groups(prog.stmts[s0]), groups(prog.stmts[s])):
                left, right = leaves(g0), leaves(g)
                if len(left) != len(right):
                    return False
                for x0, x in zip(left, right):
                    if atoms.size(x0) != atoms.size(x) or pairs[-1].setdefault(x, x0) != x0 or (x != x0 and x in first):
                        return False
        if len(set(pairs[-1].values())) != len(pairs[-1]):
            return False
    for rep_pairs in pairs:
        for x, x0 in rep_pairs.items():
            atoms.unify(x0, x)
    return True
