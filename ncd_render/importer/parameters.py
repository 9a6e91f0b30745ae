"""How a learned tensor as the module stores it becomes the tensor the diagram draws: its atoms in the
diagram's layout (:func:`target`, docs/pytorch.md) and the einops pattern, index, shift and rows that turn the
stored tensor into it (:func:`stored_as`), written into the pairing file's parameter table."""
from __future__ import annotations

from .graph import Param, Stmt
from .seen import is_map


def target(stmt: Stmt, kind: str, order, atoms, prog) -> list[int]:
    """The atoms of a learned tensor in the diagram's layout (docs/pytorch.md)."""
    leaves = atoms.leaves_of
    if is_map(stmt):
        return leaves(stmt.axes.get("per", [])) + leaves(stmt.axes["out"]) + (leaves(stmt.axes["in"]) if kind == "weight" else [])
    if stmt.fn == "relbias":  # a table of buckets by heads, read at each query and key
        return leaves(stmt.axes["vocab"]) + leaves(stmt.axes["out"][2:])
    if "vocab" in stmt.axes:  # a table: its rows, then what each row holds
        return leaves(stmt.axes["vocab"]) + leaves(stmt.axes["out"])
    if stmt.fn == "batchnorm":
        acted = set(leaves(stmt.axes["on"]))
        return [a for a in order[stmt.args[0]] if a not in acted]
    if stmt.fn == "groupnorm":  # per channel: the first axis it acts on
        return leaves(stmt.axes["on"][:1])
    return leaves(stmt.axes["on"])


def stored_as(param: Param, target: list[int], axis_names, atoms) -> tuple:
    """(parameter, einops pattern or None, index or None, shift, rows) turning the stored tensor into ``target``."""
    groups = [[atoms.find(x) for x in atoms.leaves(d)] for d in param.dims]
    stored = [x for g in groups for x in g]
    # a row picked from a dim of one (a table of one token type, AltCLIP's) is that dim dropped, "()": no index
    fixed = [(atoms.find(a), i) for a, i in param.fixed.items() if atoms.find(a) in stored or atoms.size(a) != 1]
    if not fixed and stored == target and all(len(g) == 1 for g in groups):  # (a dimension of one, "()", must go)
        return (param.name, None, None, param.shift, param.rows)
    on_left, on_right = _occurrences(axis_names, atoms, stored if param.inputs_first else None), _occurrences(axis_names, atoms)
    left = " ".join(_group(g, on_left) for g in groups)
    right = " ".join(on_right(a) for a in [f for f, _ in fixed] + target)
    return (param.name, f"{left} -> {right}", tuple(i for _, i in fixed) or None, param.shift, param.rows)


def _occurrences(axis_names, atoms, inputs_first: list | None = None):
    """A namer for one side of a pattern: an atom's axis name, and ``_in`` after it where it comes again (a map from
    ``(m d)`` to ``(m d)`` stores both; its rows come first on both sides: the check finds it if they do not);
    ``inputs_first``, the stored atoms of a weight that holds its inputs first (a transposed convolution's
    ``[in, out, ...]``): an atom's first occurrence there is the ``_in`` one."""
    seen: dict[int, int] = {}
    times = {a: inputs_first.count(a) for a in inputs_first} if inputs_first is not None else {}

    def named(atom: int) -> str:
        seen[atom] = seen.get(atom, 0) + 1
        name = axis_names.get(atom) or _fixed_name(atom, atoms)
        k = seen[atom] if atom not in times else (times[atom] - seen[atom] + 1 if times[atom] == 2 else seen[atom])
        return name if k == 1 else f"{name}_in" + (str(k) if k > 2 else "")
    return named


def _group(group, named) -> str:
    if not group:
        return "()"
    words = [named(a) for a in group]
    return words[0] if len(words) == 1 else "(" + " ".join(words) + ")"


def _fixed_name(atom: int, atoms) -> str:
    return f"part{atom}"
