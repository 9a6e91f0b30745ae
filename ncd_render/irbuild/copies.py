"""Copy/delete normalisation: every value is used exactly once. A value used n times passes
through a ``copy`` op with n outputs; a value nobody uses ends in a ``delete`` op marked
``unused`` (the warnings of :mod:`ncd_render.lint` come from those)."""
from __future__ import annotations

from collections import Counter
from itertools import chain
from types import MappingProxyType

from ..diagram import Op
from ..errors import NcdError
from ..limits import MAX_READS
from .names import Draft


class Copies:
    def make_copies_and_deletes(self) -> None:
        """Make fan-out explicit: a value read n > 1 times (an output counts as a reading) passes through a
        copy op with n outputs, one for each reading; a value nobody reads ends in a delete op; then number
        the ops. Most values are read once: the readings are counted in one go, and only the ops reading a
        shared value (or making an unread one) are looked at again."""
        ops = self.ops
        reads = Counter(chain.from_iterable([op.inputs for op in ops]))
        reads.update(self.outputs)
        deletes_after = self.delete_ops(reads)  # before the copies add values nobody reads yet
        rewire, copies_before = self.copy_ops(reads)
        # each op made once, numbered and rewired, with the copies before it and the deletes after it
        rewired = {i for i, _ in rewire}
        special = rewired | copies_before.keys() | deletes_after.keys()
        numbered: list[Op] = []
        for i, draft in enumerate(ops):
            if i not in special:  # most ops
                numbered.append(draft.op(len(numbered)))
                continue
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

    def copy_ops(self, reads: Counter) -> tuple[dict[tuple[int, int], int], dict[int, list[Draft]]]:
        """The copy each reading of a value read more than once takes instead ((op index, input position) ->
        copy), and the copy ops (op index -> the copies made just before it, by value)."""
        ops, values = self.ops, self.values
        rewire: dict[tuple[int, int], int] = {}
        copies_before: dict[int, list[Draft]] = {}
        shared = sorted(v for v, n in reads.items() if n > 1)
        if not shared:
            return rewire, copies_before
        readings: dict[int, list[tuple[int, int]]] = {v: [] for v in shared}  # value -> (op index, input position)
        for i, op in enumerate(ops):
            if not readings.keys().isdisjoint(op.inputs):
                for k, v in enumerate(op.inputs):
                    if v in readings:
                        readings[v].append((i, k))
        for vid in shared:
            value, readers = values[vid], readings[vid]
            if reads[vid] > MAX_READS:
                raise NcdError(f"{value.name or 'this tensor'} is read by {reads[vid]:,} statements; the limit is {MAX_READS:,}",
                               ops[readers[MAX_READS][0]].span, "see docs/limits.md")
            copies = [self.new_value(value.name, value.axes, value.dtype, value.span) for _ in range(reads[vid])]
            for reader, c in zip(readers, copies):
                rewire[reader] = c
            if len(copies) > len(readers):  # an output too: it takes the last copy
                self.outputs[self.outputs.index(vid)] = copies[-1]
            # an output is read at the top level: a copy of X that a section's norm reads and the figure gives out is
            # not the section's (its panel took in the stream X passing by the norm)
            section = _common_section(self, [ops[i].section for i, _ in readers] + [None] * (len(copies) > len(readers)))
            copies_before.setdefault(readers[0][0] if readers else len(ops), []).append(
                Draft("copy", (vid,), tuple(copies), (), value.axes, None, False, MappingProxyType({}), section, value.span))
        return rewire, copies_before

    def delete_ops(self, reads: Counter) -> dict[int, list[Draft]]:
        """The delete ops of the values that ops make and nobody reads (op index -> the deletes just after it)."""
        deletes_after: dict[int, list[Draft]] = {}
        if len(reads) == len(self.values):  # every value is read
            return deletes_after
        unread = self.values.keys() - reads.keys()
        producers = {v: i for i, op in enumerate(self.ops) for v in op.outputs if v in unread}
        for vid in sorted(producers):  # "unused": dropped automatically, not by 'delete'
            i = producers[vid]
            deletes_after.setdefault(i, []).append(Draft("delete", (vid,), (), (), (), None, False, MappingProxyType({"unused": True}),
                                                         self.ops[i].section, self.values[vid].span))
        return deletes_after


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
