"""Copy/delete normalisation: every value is used exactly once. A value used n times passes
through a ``copy`` op with n outputs; a value nobody uses ends in a ``delete`` op marked
``unused`` (the warnings of :mod:`ncd_render.lint` come from those)."""
from __future__ import annotations

from collections import Counter
from types import MappingProxyType

from ..diagram import Op
from .names import Draft


class Copies:
    def make_copies_and_deletes(self) -> None:
        """Make fan-out explicit: a value used n times passes through a copy op; then number the ops."""
        ops = self.ops
        uses: dict[int, list[tuple[int, int]]] = {}  # value -> (op index, input position)
        producers: dict[int, int] = {}
        for i, op in enumerate(ops):
            for k, v in enumerate(op.inputs):
                if v in uses:
                    uses[v].append((i, k))
                else:
                    uses[v] = [(i, k)]
            for v in op.outputs:
                producers[v] = i
        out_uses = Counter(self.outputs)
        rewire: dict[tuple[int, int], int] = {}  # (op index, input position) -> copy value
        copies_before: dict[int, list[Draft]] = {}
        deletes_after: dict[int, list[Draft]] = {}
        self.outputs = list(self.outputs)
        for vid in sorted(self.values):
            users = uses.get(vid, ())
            n = len(users) + out_uses.get(vid, 0)
            if n == 1:  # most values
                continue
            value = self.values[vid]
            if n == 0:
                if vid in producers:  # "unused": dropped automatically, not by 'delete'
                    deletes_after.setdefault(producers[vid], []).append(
                        Draft("delete", (vid,), (), (), (), None, False, MappingProxyType({"unused": True}), ops[producers[vid]].section,
                              value.span))
                continue
            first = users[0][0] if users else len(ops)
            copies = [self.new_value(value.name, value.axes, value.dtype, value.span) for _ in range(n)]
            for user, c in zip(users, copies):
                rewire[user] = c
            if out_uses[vid]:
                self.outputs[self.outputs.index(vid)] = copies[-1]
            sections = [ops[u].section for u, _ in users] or [None]
            copies_before.setdefault(first, []).append(
                Draft("copy", (vid,), tuple(copies), (), value.axes, None, False, MappingProxyType({}), _common_section(self, sections),
                      value.span))
        # each op made once, numbered and rewired, with the copies before it and the deletes after it
        rewired = {i for i, _ in rewire}
        numbered: list[Op] = []
        for i, draft in enumerate(ops):
            for c in copies_before.get(i, ()):
                numbered.append(c.op(len(numbered)))
            inputs = tuple([rewire.get((i, k), v) for k, v in enumerate(draft.inputs)]) if i in rewired else None
            numbered.append(draft.op(len(numbered), inputs))
            for d in deletes_after.get(i, ()):
                numbered.append(d.op(len(numbered)))
        for c in copies_before.get(len(ops), ()):  # copies of values only output
            numbered.append(c.op(len(numbered)))
        numbered.append(Op(len(numbered), "output", tuple(self.outputs), ()))
        self.ops = numbered


def _common_section(builder, sections: list[int | None]) -> int | None:
    """The innermost section holding all of ``sections`` (None: the top level)."""
    if len(set(sections)) == 1:  # most copies: every user in one section
        return sections[0]

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
