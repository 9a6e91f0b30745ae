"""Names for the diagram's axes (by role, e.g. ``y`` for positions, ``m`` for model depth)
and tensors, and labels for learned boxes after their module's path.

>>> Names().pick("seq"), Names().pick("hidden")
('y', 'm')
"""
from __future__ import annotations

import re
import unicodedata

from ..limits import MAX_NAME

# Role -> the letters a hand-written diagram would use for it, in order of preference.
LETTERS = {
    "batch": "b", "seq": "yxtsuw", "hidden": "mdn", "heads": "hng", "groups": "gr", "head_dim": "kdv", "ffn": "fge", "experts": "e", "channels": "cde",
    "rows": "hr", "cols": "wc", "kernel": "ijpq", "vocab": "v", "buckets": "bqr", "out": "fogedpq", "": "abpqz", "unit": "u", "group": "g",
    "pieces": "hng",  # which of a chunk's pieces (named where an index picks one), as the heads a split's first part was
}

class Names:
    """Hands out unused names."""

    def __init__(self, reserved=()):
        self.taken = set(reserved)

    def pick(self, role: str) -> str:
        for letter in LETTERS.get(role, LETTERS[""]):
            if letter not in self.taken:
                self.taken.add(letter)
                return letter
        base, n = LETTERS.get(role, "a")[0], 2
        while f"{base}{n}" in self.taken:
            n += 1
        self.taken.add(f"{base}{n}")
        return f"{base}{n}"

    def take(self, name: str) -> str:
        base, n = name, 2
        while name in self.taken:
            name = f"{base}{n}"
            n += 1
        self.taken.add(name)
        return name


def parse_renames(text: str | None) -> dict[str, str]:
    """``hidden=m,seq=y`` as a dict; a key is a role word or a default axis name."""
    from ..errors import NcdError

    out = {}
    for item in filter(None, (text or "").split(",")):
        key, eq, value = (s.strip() for s in item.partition("="))
        if not eq or not key or not re.fullmatch(r"[A-Za-z_]\w*", value):
            raise NcdError(f"--axes: '{item}' is not NAME=NEW", hint="for example --axes hidden=m,seq=y")
        if len(value) > MAX_NAME:  # (the diagram written would not read back)
            raise NcdError(f"--axes: the name for '{key}' is {len(value)} characters long; the limit is {MAX_NAME}")
        if value.startswith("_") or value.endswith("_"):  # (the pairing's einops patterns name axes as the diagram does)
            raise NcdError(f"--axes: '{value}' starts or ends with _, which einops does not take as an axis name",
                           hint=f"for example --axes {key}={value.strip('_') or 'm'}")
        out[key] = value
    return out


def label(letter: str, path: str, taken: set[str], peers=()) -> str:
    """A learned box's label from its module path: ``L_{q\\_proj}``-like, unique. ``peers``: the paths of
    the other boxes labelled beside it with this letter; its subscript is the parts of its path that tell
    it apart from theirs (:func:`_told_apart`), so boxes that share a name are all named as far back as
    tells them apart, not the first by its last part alone and the rest further back.

    >>> label("L", "self_attn.q_proj", set())
    'L_{q_proj}'
    >>> label("E", "E", set()), label("L", "L_Q", set()), label("L", "W_dt", set())  # already labels, as ncd compile names boxes
    ('E', 'L_Q', 'W_{dt}')
    >>> label("L", "cell.W_{hz}", set()), label("L", "cell.W_{hz}", {"W_hz"})  # as the importer names a GRU cell's maps
    ('W_{hz}', 'W_{hz.2}')
    >>> label("\\\\gamma", "block.gamma", set()), label("\\\\gamma", "block.gamma", {"gamma"})  # its symbol's own name: γ, not γ_gamma
    ('\\\\gamma', '\\\\gamma_{gamma}')
    >>> paths = ["branch1.conv", "branch2.0.conv", "branch2.1.conv", "branch3.0.conv", "branch3.1.conv"]
    >>> [label("L", p, set(), paths)[3:-1] for p in paths]  # not conv, 0.conv, 1.conv, branch3.0.conv, branch3.1.conv
    ['branch1.conv', 'branch2.0.conv', 'branch2.1.conv', 'branch3.0.conv', 'branch3.1.conv']
    """
    path = ".".join(_readable(p) for p in path.split("."))
    parts = [p for p in path.split(".") if p] or ["0"]
    if letter.startswith("\\") and parts[-1] == letter[1:] and _param(letter) not in taken:
        taken.add(_param(letter))
        return letter
    if re.fullmatch(r"[A-Z][A-Za-z]?(_[A-Za-z0-9]{1,6})?|[A-Za-z][A-Za-z]?_\{[A-Za-z0-9]{1,6}\}", parts[-1]) and _param(parts[-1]) not in taken:
        taken.add(_param(parts[-1]))  # already a label (L_Q, as ncd compile names its maps): keep it, a subscript of
        head, _, sub = parts[-1].partition("_")  # several characters braced as the language sets it (W_dt: W_{dt})
        return f"{head}_{{{sub}}}" if len(sub) > 1 and not sub.startswith("{") else parts[-1]
    braced = re.fullmatch(r"([A-Za-z][A-Za-z]?)_\{([A-Za-z0-9]{1,6})\}", parts[-1])
    if braced:  # a braced label taken (a cell called again): numbered inside its braces, W_{ir.2}
        n = 2
        while _param(f"{braced.group(1)}_{{{braced.group(2)}.{n}}}") in taken:
            n += 1
        taken.add(_param(f"{braced.group(1)}_{{{braced.group(2)}.{n}}}"))
        return f"{braced.group(1)}_{{{braced.group(2)}.{n}}}"
    told_apart = _told_apart(parts, peers)
    for candidate in [_subscripted(letter, told_apart)] + [_subscripted(letter, ".".join(parts[-n:])) for n in
                                                           range(2 if len(parts) > 1 and parts[-1].isdigit() else 1, len(parts) + 1)]:
        if _param(candidate) not in taken:
            taken.add(_param(candidate))
            return candidate
    n = 2
    while _param(_subscripted(letter, f"{path}.{n}")) in taken:
        n += 1
    taken.add(_param(_subscripted(letter, f"{path}.{n}")))
    return _subscripted(letter, f"{path}.{n}")


def _told_apart(parts: list[str], peers) -> str:
    """The parts of a module path that tell it apart from ``peers`` (the other boxes' paths): its last part
    and, while some peer agrees on every part kept, the last part in which that peer differs; parts left
    out between those kept are an ellipsis. A path that some peer ends with whole is kept whole.

    >>> _told_apart(["branch2", "0", "conv"], ["branch1.conv", "branch2.0.conv", "branch3.0.conv"])
    'branch2.0.conv'
    >>> _told_apart(["attn", "q_proj"], ["attn.q_proj", "attn.k_proj"])
    'q_proj'
    >>> _told_apart("encoder.layers.0.self_attn.q_proj".split("."), ["decoder.layers.0.self_attn.q_proj"])
    'encoder…q_proj'
    """
    others = [o for o in dict.fromkeys(tuple(p for p in ".".join(_readable(q) for q in peer.split(".")).split(".") if p)
                                       for peer in peers) if list(o) != parts]
    kept = {len(parts) - 1, len(parts) - 2} if len(parts) > 1 and parts[-1].isdigit() else {len(parts) - 1}

    def agrees(other) -> bool:
        return all(i - len(parts) >= -len(other) and other[i - len(parts)] == parts[i] for i in kept)

    while (agreeing := next((o for o in others if agrees(o)), None)) is not None:
        differs = [i for i in range(len(parts) - 1, -1, -1)
                   if i not in kept and (i - len(parts) < -len(agreeing) or agreeing[i - len(parts)] != parts[i])]
        if not differs:
            return ".".join(parts)
        kept.add(differs[0])
    shown = sorted(kept)
    return "".join(("" if k == 0 else "." if i == shown[k - 1] + 1 else "…") + parts[i] for k, i in enumerate(shown))


def _subscripted(letter: str, text: str) -> str:
    """``letter`` with ``text`` as its subscript, whole (a drawing shortens a long one, :func:`ncd_render.text.shortened`)
    unless it is longer than a name may be: then cut in its middle, its start and its end kept.

    >>> _subscripted("L", "continuous_position_bias_mlp.2")
    'L_{continuous_position_bias_mlp.2}'
    >>> len(_subscripted("L", "a" * 300 + ".2")), _subscripted("L", "a" * 300 + ".2")[-6:]
    (204, 'aaa.2}')
    """
    if len(text) > MAX_NAME:
        tail = MAX_NAME // 3
        text = text[:MAX_NAME - 1 - tail] + "…" + text[-tail:]
    return f"{letter}_{{{text}}}"


def _readable(part: str) -> str:
    r"""A module's name as a label may hold it: no control characters (the diagram would not read back), no braces
    or backslashes (a label's syntax) but a label's own (``W_{hz}``).

    >>> _readable("lin\x1bear"), _readable("back\\slash"), _readable("a}b"), _readable("W_{hz}")
    ('linear', 'back-slash', 'a-b', 'W_{hz}')
    """
    if re.fullmatch(r"[A-Za-z][A-Za-z]?_\{[A-Za-z0-9]{1,6}\}", part):
        return part
    return "".join("-" if c in "{}\\" else c for c in part if not unicodedata.category(c).startswith("C"))


def param_name(text: str) -> str:
    """The parameter name ncd gives a box labelled ``text`` (ir.param_name, outside components)."""
    return _param(text)


def _param(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text.replace("{", "").replace("}", "")).strip("_") or "box"
