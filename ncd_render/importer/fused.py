"""Rearrangements written back to back, written as one.

The writer spells each statement on its own, so a tensor a view splits after one statement
and the next statement wants grouped again comes out as two rearrangements, each drawn as a
bar of wires crossing: DeepSeek's rotary part is split off its head's axis as ``(h2 v)``, split
into ``h2 v``, grouped back into ``(h2 v)`` for the rotary and split again, then laid out as
``(v h2)`` for the concatenation. :func:`fuse_rearranges` reads the written lines and folds each
rearrangement whose result only the next rearrangement reads into that one (one bar instead of
two), and drops a pair that undoes itself, reading the first one's input where the second's result
was read. Lines of sections, repeats and components are left where they are: nothing is folded
across them, nor a name a repeat's body reads before it is made (the value the next repetition reads).

>>> fuse_rearranges(["C = rearrange(H: y (h v) -> y h v)", "G = rearrange(C: y h v -> y (v h))", "output G"])
['G = rearrange(H: y (h v) -> y (v h))', 'output G']
>>> fuse_rearranges(["C = rearrange(H: y (h v) -> y h v)", "G = rearrange(C: y h v -> y (h v))", "P = rope(G: y (h v))",
...                  "output P"])
['P = rope(H: y (h v))', 'output P']
"""
from __future__ import annotations

import re

_REARRANGE = re.compile(r"^(\s*)(\w+) = rearrange\((\w+): ([^()>]*(?:\([^()]*\)[^()>]*)*) -> (.*)\)$")
_ASSIGNED = re.compile(r"^\s*(\w+(?:\s*,\s*\w+)*)\s*=(?!=)")
_WORD = re.compile(r"[A-Za-z_]\w*")
_OPENS = ("section ", "repeat ", "block ")
_BARRIERS = _OPENS + ("end", "return ")


def fuse_rearranges(lines: list[str]) -> list[str]:
    """``lines`` of .ncd text with each rearrangement that only feeds the next folded into it (see the module)."""
    lines = list(lines)
    k = 0
    while k < len(lines):
        if not _fold(lines, k):
            k += 1
    return lines


def _fold(lines: list[str], i: int) -> bool:
    """Fold the rearrangement on line ``i`` into the one that reads it, in place; whether it did."""
    first = _REARRANGE.match(lines[i])
    if first is None:
        return False
    _, made, source, before, middle = first.groups()
    j = _next_mention(lines, i, made)
    second = _REARRANGE.match(lines[j]) if j is not None else None
    if second is None or second.group(3) != made or _axes(second.group(4)) != _axes(middle):
        return False
    result, after = second.group(2), second.group(5)
    if (result != made and _read_later(lines, j, made)) or _carried(lines, i, made) or _assigned_between(lines, i, j, source):
        return False
    if _axes(after) != _axes(before):
        lines[j] = f"{second.group(1)}{result} = rearrange({source}: {before} -> {after})"
        del lines[i]
        return True
    end = _reassigned(lines, j, result)  # the pair undoes itself: its result's readers read its input
    later = lines[j + 1:end]
    if _carried(lines, j, result) or _assigned_between(lines, j, end, source) or \
            any(line.strip().startswith("repeat ") for line in later) or \
            any(line.startswith("output ") and result in _reads(line) for line in later):  # the name an output has
        return False
    for k in range(j + 1, end):
        lines[k] = _renamed_reads(lines[k], result, source)
    del lines[j], lines[i]
    return True


def _axes(text: str) -> list[str]:
    return re.findall(r"\(|\)|\w+", text)


def _targets(line: str) -> list[str]:
    found = _ASSIGNED.match(line)
    return [t.strip() for t in found.group(1).split(",")] if found else []


def _reads(line: str) -> set[str]:
    found = _ASSIGNED.match(line)
    return set(_WORD.findall(line[found.end():] if found else line))


def _is_barrier(line: str) -> bool:
    return line.strip().startswith(_BARRIERS)


def _next_mention(lines: list[str], i: int, name: str) -> int | None:
    """The next line after ``i`` that reads or makes ``name``, or None when a barrier or the end comes first."""
    for k in range(i + 1, len(lines)):
        if _is_barrier(lines[k]):
            return None
        if name in _reads(lines[k]) or name in _targets(lines[k]):
            return k
    return None


def _reassigned(lines: list[str], j: int, name: str) -> int:
    """The line after ``j`` where ``name`` is made again (its readers in between read line ``j``'s), or the end."""
    for k in range(j + 1, len(lines)):
        if name in _targets(lines[k]):
            return k + 1 if name in _reads(lines[k]) else k
    return len(lines)


def _read_later(lines: list[str], j: int, name: str) -> bool:
    end = _reassigned(lines, j, name)
    return any(name in _reads(lines[k]) for k in range(j + 1, min(end, len(lines))))


def _assigned_between(lines: list[str], i: int, j: int, name: str) -> bool:
    return any(name in _targets(lines[k]) for k in range(i + 1, min(j, len(lines))))


def _carried(lines: list[str], i: int, name: str) -> bool:
    """Whether a repeat around line ``i`` mentions ``name`` before it: a value its next repetition may read."""
    depth = 0
    for k in range(i - 1, -1, -1):
        text = lines[k].strip()
        if text == "end":
            depth += 1
        elif text.startswith(_OPENS):
            if depth == 0:
                return text.startswith("repeat ") and any(
                    name in _reads(line) or name in _targets(line) for line in lines[k + 1:i])
            depth -= 1
    return False


def _renamed_reads(line: str, old: str, new: str) -> str:
    found = _ASSIGNED.match(line)
    at = found.end() if found else 0
    return line[:at] + re.sub(rf"\b{re.escape(old)}\b", new, line[at:])
