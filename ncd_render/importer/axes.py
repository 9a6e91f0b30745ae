"""Dimension provenance: which tensor dimensions are the same axis.

Every dimension of every captured tensor is an *atom*. A view that merges
dimensions makes a composite atom; a view that splits one splits its atom (for
every tensor that has it, earlier ones too); a matmul or an addition unifies
the dimensions it pairs. What is left at the end are the diagram's axes.

>>> atoms = Atoms()
>>> m = atoms.new(12, "hidden")
>>> h, k = atoms.split(m, [3, 4])
>>> [atoms.size(a) for a in atoms.leaves(m)]
[3, 4]
>>> q = atoms.new(12, "hidden")
>>> atoms.unify(q, m)
>>> atoms.leaves(q) == atoms.leaves(m)
True
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import NcdError


@dataclass
class Atom:
    size: int
    role: str
    parent: int | None = None          # union-find
    parts: list[int] | None = None     # a split (or merged) atom: its factors, outermost first
    width: bool = False                # counts items (positions, pixels): a width axis
    renamed_from: int | None = None    # a second name for the same positions (keys beside queries)
    wire: bool = False                 # of size 1, yet an axis: what a concatenation joins (a class token's one position)


@dataclass
class Atoms:
    """Atoms, their splits and their unions."""

    atoms: list[Atom] = field(default_factory=list)
    seconds: list[int] = field(default_factory=list)  # the atoms made by :meth:`second_name`

    def new(self, size: int, role: str = "", width: bool = False, parts: list[int] | None = None) -> int:
        self.atoms.append(Atom(int(size), role, parts=parts, width=width))
        return len(self.atoms) - 1

    def find(self, a: int) -> int:
        while self.atoms[a].parent is not None:
            a = self.atoms[a].parent
        return a

    def size(self, a: int) -> int:
        return self.atoms[self.find(a)].size

    def atom(self, a: int) -> Atom:
        return self.atoms[self.find(a)]

    def leaves(self, a: int) -> list[int]:
        """The undivided atoms ``a`` is made of, outermost first; size-1 atoms are dropped."""
        root = self.find(a)
        parts = self.atoms[root].parts
        if parts is None:
            return [] if self.atoms[root].size == 1 and not self.atoms[root].wire else [root]
        return [leaf for p in parts for leaf in self.leaves(p)]

    def leaves_of(self, group) -> list[int]:
        """The undivided atoms of each atom of ``group`` in turn, each as it stands now (the root of its union)."""
        return [self.find(x) for a in group for x in self.leaves(a)]

    def merge(self, dims: list[int]) -> int:
        """One atom for several dimensions flattened together."""
        leaves = [leaf for d in dims for leaf in self.leaves(d)]
        if len(leaves) == 1:
            return leaves[0]
        size = 1
        for leaf in leaves:
            size *= self.size(leaf)
        return self.new(size, "group", parts=leaves)

    def split(self, a: int, sizes: list[int]) -> list[int]:
        """Split atom ``a`` into factors of these sizes (outermost first); returns the factor atoms.
        Its second names (:meth:`second_name`), and the atom it is a second name of, split alike,
        each part a second name of the part in its place, so that a rename stays one axis to one.

        >>> atoms = Atoms()
        >>> rows = atoms.new(4, "seq"); keys = atoms.second_name(rows)
        >>> h, w = atoms.split(rows, [2, 2])
        >>> [atoms.related(x, y) for x, y in zip(atoms.leaves(rows), atoms.leaves(keys))]
        [True, True]
        """
        root = self.find(a)
        atom = self.atoms[root]
        if atom.parts is not None:
            return self.reshape([root], sizes)
        parts = [self.new(s, atom.role, atom.width) for s in sizes]
        atom.parts = parts
        for second in self.seconds:
            origin, name = self.find(self.atoms[second].renamed_from), self.find(second)
            if origin == root and self.atoms[name].parts is None:
                for part, theirs in zip(parts, self.split(name, sizes)):
                    self.atoms[theirs].renamed_from = part
            elif name == root and self.atoms[origin].parts is None:
                for part, theirs in zip(parts, self.split(origin, sizes)):
                    self.atoms[part].renamed_from = theirs
        return parts

    def second_name(self, a: int) -> int:
        """A new atom for the positions of atom ``a`` called by another name (keys beside queries)."""
        root = self.find(a)
        new = self.new(self.atoms[root].size, "seq", width=self.atoms[root].width)
        self.atoms[new].renamed_from = root
        self.seconds.append(new)
        return new

    def reshape(self, dims: list[int], sizes: list[int]) -> list[int]:
        """The atoms of a view of tensor dimensions ``dims`` as ``sizes``, splitting atoms where a new boundary falls inside one."""
        queue = [leaf for d in dims for leaf in self.leaves(d)]
        out = []
        for size in sizes:
            if size == 1:  # a part of one where it stands (8 split as (8, 1), viewed as [8, 1]), else a new unit
                out.append(queue.pop(0) if queue and self.size(queue[0]) == 1 else self.new(1, "unit"))
                continue
            taken, product = [], 1
            while product < size:
                if not queue or size % product:  # (5 then 6 as 6 then 5: no whole split of the next leaf makes 6)
                    raise _mismatch(dims, sizes, self)
                leaf = queue.pop(0)
                need = size // product
                if self.size(leaf) > need:
                    if self.size(leaf) % need:
                        raise _mismatch(dims, sizes, self)
                    first, rest = self.split(leaf, [need, self.size(leaf) // need])
                    queue.insert(0, rest)
                    leaf = first
                taken.append(leaf)
                product *= self.size(leaf)
            if product != size:
                raise _mismatch(dims, sizes, self)
            out.append(taken[0] if len(taken) == 1 else self.new(size, "group", parts=taken))
        if queue:
            raise _mismatch(dims, sizes, self)
        return out

    def unify(self, a: int, b: int) -> None:
        """Make ``a`` and ``b`` one axis: their leaves pair up by size, the coarser side split to match the finer.

        >>> atoms = Atoms()
        >>> h, n, g = atoms.new(4), atoms.new(2), atoms.new(2)
        >>> atoms.unify(h, atoms.merge([n, g]))
        >>> atoms.leaves(h) == [atoms.find(n), atoms.find(g)]
        True
        """
        if self.size(a) != self.size(b):
            raise NcdError(f"cannot pair a dimension of size {self.size(a)} with one of size {self.size(b)}")
        left, right = self.leaves(a), self.leaves(b)
        while left and right:
            x, y = self.find(left.pop(0)), self.find(right.pop(0))
            sx, sy = self.size(x), self.size(y)
            if sx != sy:
                (big, small), queue = ((x, y), left) if sx > sy else ((y, x), right)
                if self.size(big) % self.size(small):
                    raise NcdError(f"cannot pair dimensions of sizes {sx} and {sy}: neither divides the other")
                first, rest = self.split(big, [self.size(small), self.size(big) // self.size(small)])
                queue.insert(0, rest)
                x, y = self.find(first), self.find(small)
            if x != y:
                keep, drop = (x, y) if _rank(self.atoms[x]) >= _rank(self.atoms[y]) else (y, x)
                self.atoms[keep].width |= self.atoms[drop].width
                self.atoms[drop].parent = keep

    def related(self, a: int, b: int) -> bool:
        """Whether ``b`` is a second name for ``a``'s positions, or the other way round. A second name unified with
        the positions it names (DeBERTa-v2's relative attention adds scores over [y y]) names itself: no loop.

        >>> atoms = Atoms()
        >>> y = atoms.new(5, "seq"); x = atoms.second_name(y); z = atoms.new(5, "seq")
        >>> atoms.related(y, x), atoms.related(y, z)
        (True, False)
        >>> atoms.unify(x, y); atoms.related(x, z)  # (it looped for ever)
        False
        """
        def origin(x):
            x, seen = self.find(x), set()
            while self.atoms[x].renamed_from is not None and x not in seen:  # (a name unified with its origin: a loop)
                seen.add(x)
                x = self.find(self.atoms[x].renamed_from)
            return x
        return self.find(a) != self.find(b) and origin(a) == origin(b)

    def second_names(self, a: int, b: int) -> dict[int, int]:
        """For each leaf of ``b`` that is a second name (:meth:`related`) for the leaf of ``a`` in its place, that
        leaf's root to ``a``'s (Swin's windows: rows and columns, both renamed); empty unless every other pair is
        one axis."""
        pairs = list(zip(self.leaves(a), self.leaves(b)))
        if len(pairs) != len(self.leaves(b)) or len(pairs) != len(self.leaves(a)):
            return {}
        renamed = {self.find(y): self.find(x) for x, y in pairs if self.related(x, y)}
        same = all(self.find(x) == self.find(y) for x, y in pairs if self.find(y) not in renamed)
        return renamed if renamed and same else {}


def _rank(atom: Atom) -> int:
    """Which of two unified atoms gives the axis its role: inputs' roles beat made-up ones."""
    return {"group": 0, "unit": 0, "": 1, "out": 2}.get(atom.role, 3)


def _mismatch(dims, sizes, atoms) -> NcdError:
    """The error of a view across dims' boundaries; a dim already split shows its parts (``[4·2]``: 8 as 4 then 2)."""
    got = ", ".join("·".join(str(atoms.size(x)) for x in atoms.leaves(d)) or "1" for d in dims)
    return NcdError(f"cannot follow a view of dimensions [{got}] as {list(sizes)}: its dimensions do not split evenly")
