"""Axis names for an imported program: every atom its tensors use, named by role
(:mod:`.naming`), in order of first use; a product's contracted axes are head depths.
"""
from __future__ import annotations

from ..errors import NcdError, did_you_mean
from .graph import Program
from .naming import Names
from .seen import is_contraction


def axis_names(prog: Program, renames: dict[str, str]) -> dict[int, str]:
    """Every atom the diagram's tensors use, named by role, in order of first use."""
    atoms = prog.atoms
    seen = []
    used = [v for v, _, _ in prog.inputs] + [s.out for s in prog.stmts]
    for value in (prog.values[v] for v in used):
        for a in value.atoms:
            for leaf in atoms.leaves(a):
                root = atoms.find(leaf)
                if root not in seen:
                    seen.append(root)
    for stmt in prog.stmts:
        for group in stmt.axes.values():
            for a in group:
                for leaf in atoms.leaves(a):
                    if atoms.find(leaf) not in seen:
                        seen.append(atoms.find(leaf))
    roles = _einsum_roles(prog)
    names = Names()
    out, kinds = {}, {}  # (each axis's default name -> its role)
    for root in seen:
        raw = atoms.atoms[root].role in ("", "out", "group")
        kind = roles[root] if raw and root in roles else role(root, atoms)
        default = names.pick(kind)
        kinds[default] = kind
        out[root] = renames.get(default) or renames.get(kind) or default
    _refuse_unknown(renames, kinds)
    if len(set(out.values())) != len(out):
        raise NcdError("--axes gives two axes the same name", hint="names now: " + ", ".join(out.values()))
    return out


def _refuse_unknown(renames: dict[str, str], kinds: dict[str, str]) -> None:
    """An error for a name ``--axes`` renames that is neither an axis's default name nor its role (``kinds``: each
    default name's role): renaming nothing silently, the diagram came out as if the option were not given."""
    known = set(kinds) | set(kinds.values())
    for name in renames:
        if name not in known:
            listed = ", ".join(f"{default} ({kind})" for default, kind in kinds.items())
            close = did_you_mean(name, known)
            raise NcdError(f"--axes renames '{name}', which is neither an axis of the diagram nor the role of one",
                           hint=(f"{close} " if close else "") + f"its axes, each with its role: {listed}")


def declared_order(axis_names, atoms) -> list[int]:
    """The axes in the order they are named, a second name (``axis x = t``) moved to just after the axis it names
    where it came first (an input's keys met by the keys of an attention inside the module)."""
    later: dict[int, list[int]] = {}
    for a in axis_names:
        base = atoms.atom(a).renamed_from
        base = atoms.find(base) if base is not None else None
        if base in axis_names and list(axis_names).index(base) > list(axis_names).index(a):
            later.setdefault(base, []).append(a)
    moved = {a for names in later.values() for a in names}
    order = []
    for a in axis_names:
        if a not in moved:
            order.append(a)
            order.extend(later.get(a, []))
    return order


def _einsum_roles(prog: Program) -> dict[int, str]:
    """Axes a product contracts are head depths, the ones it keeps from both operands heads."""
    atoms, roles = prog.atoms, {}
    for stmt in prog.stmts:
        if is_contraction(stmt) and len(stmt.args) == 2:  # (a bilinear form's three operands name no heads)
            a, b, out = (set(atoms.leaves_of(prog.values[v].atoms)) for v in (*stmt.args, stmt.out))
            for root in (a & b) - out:
                roles.setdefault(root, "head_dim")
            for root in a & b & out:
                roles.setdefault(root, "heads")
    for stmt in prog.stmts:  # then the query heads that share a key head (grouped-query attention)
        if is_contraction(stmt) and len(stmt.args) == 2:  # (a bilinear form's three operands name no heads)
            a, b, out = (set(atoms.leaves_of(prog.values[v].atoms)) for v in (*stmt.args, stmt.out))
            for root in (a - b) & out:
                if any(atoms.find(p) == root for x in atoms.atoms if x.parts and len(x.parts) > 1 for p in x.parts):
                    roles.setdefault(root, "groups")
    return roles


def role(root: int, atoms) -> str:
    atom = atoms.atoms[root]
    if atom.role in ("", "out", "group"):
        parent = next((i for i, x in enumerate(atoms.atoms) if x.parts and root in [atoms.find(p) for p in x.parts]), None)
        parts = [atoms.find(p) for p in atoms.atoms[parent].parts] if parent is not None else []
        parts = [p for p in parts if atoms.atoms[p].role != "pieces"]  # (a chunk's halves are no heads of a depth)
        if len(parts) > 1:
            return "heads" if parts.index(root) < len(parts) - 1 else "head_dim"
        return "out"
    return atom.role
