"""Rewrites of an imported program before it is written: a scale folded into the einsum it feeds, as one
writes it, and a statement shared by several layers made once, before them, so that the layers fold into one
repeat. Each changes ``prog`` in place."""
from __future__ import annotations

from .graph import Program
from .seen import at_cup, is_contraction


def hoist_shared(prog: Program) -> None:
    """A statement that reads nothing and is read in several layers (T5's relative position bias, made in its first
    block, added in every block's scores) is made before the first of them, by the module that holds them all, so
    that the layers compute the same statements and fold into one repeat."""
    for stmt in [s for s in prog.stmts if not s.args]:  # (its readers looked for only for these few: no pass per statement)
        layers = {_layer(s.module) for s in prog.stmts if stmt.out in s.args}
        if len(layers) < 2 or None in layers:
            continue
        parts = [p.split(".") for p in layers]
        common = next((n for n in range(min(map(len, parts))) if len({tuple(p[:n + 1]) for p in parts}) > 1), 0)
        first = min(i for i, s in enumerate(prog.stmts) if _layer(s.module) in layers)
        prog.stmts.remove(stmt)
        stmt.module = ".".join(parts[0][:max(common - 1, 0)])  # above the list of layers
        prog.stmts.insert(first, stmt)


def _layer(module: str) -> str | None:
    """The item of a list of layers that ran a statement (``m.encoder.block.1``), or None."""
    parts = module.split(".")
    return next((".".join(parts[:n + 1]) for n, p in enumerate(parts) if p.isdigit()), None)


def fold_scales(prog: Program) -> None:
    """``S = Q * c`` read only by an einsum becomes that einsum's scale, ``einsum(...) * c``, as one writes it."""
    readers = {}
    for stmt in prog.stmts:
        for a in stmt.args:
            readers.setdefault(a, []).append(stmt)
    outputs = {v for v, _ in prog.outputs}
    folded = set()
    for stmt in prog.stmts:
        if not at_cup(stmt) or stmt.out in outputs:
            continue
        reader = readers.get(stmt.out, [None])[0] if len(readers.get(stmt.out, [])) == 1 else None
        if is_contraction(reader) and reader.args.count(stmt.out) == 1:
            reader.args = [stmt.args[0] if a == stmt.out else a for a in reader.args]
            reader.scale = (reader.scale if reader.scale is not None else 1.0) * stmt.scale
            folded.add(id(stmt))
        producer = next((p for p in prog.stmts if p.out == stmt.args[0]), None)
        if id(stmt) not in folded and is_contraction(producer) and len(readers.get(producer.out, [])) == 1 \
                and producer.out not in outputs:
            producer.scale = (producer.scale if producer.scale is not None else 1.0) * stmt.scale
            for reader in readers.get(stmt.out, []):  # the einsum's result is the scaled one
                reader.args = [producer.out if a == stmt.out else a for a in reader.args]
            folded.add(id(stmt))
    prog.stmts = [s for s in prog.stmts if id(s) not in folded]
