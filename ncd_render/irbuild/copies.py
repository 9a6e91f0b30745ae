"""Copy/delete normalisation: every value is used exactly once. A value used n times passes
through a ``copy`` op with n outputs; a value nobody uses ends in a ``delete`` op marked
``unused`` (the warnings of :mod:`ncd_render.lint` come from those)."""
from __future__ import annotations

from collections import Counter
from types import MappingProxyType

from ..diagram import Op
from ..records import replaced


class Copies:
    def make_copies_and_deletes(self) -> None:
        """Make fan-out explicit: a value used n times passes through a copy op."""
        uses: dict[int, list[tuple[int, int]]] = {}  # value -> (op index, input position)
        for i, op in enumerate(self.ops):
            for k, v in enumerate(op.inputs):
                uses.setdefault(v, []).append((i, k))
        out_uses = Counter(self.outputs)
        new_ops: list[tuple[Op, tuple[int, ...]]] = []
        rewire: dict[tuple[int, int], int] = {}  # (op index, input position) -> copy value
        copies_before: dict[int, list[Op]] = {}
        deletes_after: dict[int, list[Op]] = {}
        producers = {v: i for i, op in enumerate(self.ops) for v in op.outputs}
        self.outputs = list(self.outputs)
        for vid in sorted(self.values):
            users = uses.get(vid, [])
            n = len(users) + out_uses[vid]
            value = self.values[vid]
            if n == 0 and vid in producers:
                deletes_after.setdefault(producers[vid], []).append(  # "unused": dropped automatically, not by 'delete'
                    Op(-1, "delete", (vid,), (), section=self.ops[producers[vid]].section, span=value.span,
                       params=MappingProxyType({"unused": True})))
            if n <= 1:
                continue
            first = users[0][0] if users else len(self.ops)
            copies = [self.new_value(value.name, value.axes, value.dtype, value.span) for _ in range(n)]
            for user, c in zip(users, copies):
                rewire[user] = c
            if out_uses[vid]:
                self.outputs[self.outputs.index(vid)] = copies[-1]
            sections = [self.ops[u].section for u, _ in users] or [None]
            copies_before.setdefault(first, []).append(
                Op(-1, "copy", (vid,), tuple(copies), broadcast=value.axes, section=_common_section(self, sections), span=value.span))
        rewired = {i for i, _ in rewire}
        for i, op in enumerate(self.ops + [None]):  # (op, its inputs): each op is copied once, renumbered and rewired
            if i in copies_before:
                new_ops.extend((c, c.inputs) for c in copies_before[i])
            if op is None:
                break
            new_ops.append((op, tuple(rewire.get((i, k), v) for k, v in enumerate(op.inputs)) if i in rewired else op.inputs))
            if i in deletes_after:
                new_ops.extend((d, d.inputs) for d in deletes_after[i])
        self.ops = [replaced(op, id=i, inputs=inputs) for i, (op, inputs) in enumerate(new_ops)]
        self.ops.append(Op(len(self.ops), "output", tuple(self.outputs), ()))



def _common_section(builder, sections: list[int | None]) -> int | None:
    def path(s):
        p = []
        while s is not None:
            p.append(s)
            s = builder.sections[s].parent
        return p[::-1]

    paths = [path(s) for s in sections]
    common = None
    for level in zip(*paths):
        if len(set(level)) != 1:
            break
        common = level[0]
    return common
