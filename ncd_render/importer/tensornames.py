"""Names of an imported diagram's tensors: a letter for what made each (``H`` a map's, ``P`` a softmax's), and Q, K, V
and O for attention's projections and output."""
from __future__ import annotations

import re

from .. import ops
from .graph import Program, Stmt
from .seen import is_contraction, is_map

TENSOR_LETTER = {"linear": "H", "einsum": "S", "softmax": "P", "layernorm": "N", "rmsnorm": "N", "batchnorm": "N",
                 "add": "X", "sub": "X", "mul": "H", "div": "H", "scale": "S", "mask": "S", "rename": "K", "unfold": "B", "fold": "U", "index": "C",
                 "concat": "C", "embedding": "E", "relbias": "E", "mean": "R", "sum": "R", "max": "R", "min": "R", "dropout": "H", "opaque": "H",
                 "argmax": "I", "argmin": "I", "pad": "H", "cumsum": "H", "flip": "H", "roll": "H"}

# words of an input's argument name with an underscore (which would print its end as a subscript), and the names a
# hand-written diagram gives such inputs (docs/dsl.md's mask M; the corpus's Ids and Enc, bert_embedding.ncd's and
# cross_attention.ncd's), in order of preference; any other is X
INPUT_WORDS = (("mask", "M"), ("input_ids", "Ids"), ("position_ids", "Pos"), ("token_type_ids", "Seg"), ("encoder", "Enc"))
STATES = {"hx": "H"}  # nn.GRUCell's and nn.RNNCell's state, as forward() names it (Hx read as the renamed H)
# packed projections, by words of their names, and the letters of their parts in order (lucidrains' to_kv: keys, values)
PACKED = [(("in_proj", "qkv", "c_attn", "query_key_value"), "QKV"), (("to_kv",), "KV")]


def tensor_hint(stmt: Stmt, prog: Program, stream: frozenset[int]) -> str:
    """The letter a statement's tensor is named by: Q, K and V for attention's projections, O for attention's output;
    X for a sum, unless the diagram's ``stream`` (:func:`stream_of` the input named X) does not hold it, where X would
    read as that input changed (a GAT's scores, ``El + Er``, are no new X)."""
    if is_map(stmt):
        last = (stmt.label or stmt.module).rsplit(".", 1)[-1].lower()
        for key, letter in (("q", "Q"), ("k", "K"), ("v", "V"), ("query", "Q"), ("key", "K"), ("value", "V")):
            if last in (key, f"{key}_proj", f"{key}proj", f"w{key}", f"{key}_lin", f"to_{key}"):
                return letter
        packed = next((letters for words, letters in PACKED if any(word in stmt.label for word in words)), "")
        weight = stmt.params["weight"]
        if packed and _parts(stmt, prog) == len(packed) and (len(weight.fixed) == 1 or weight.rows is not None):
            return packed[int(stmt.label[-1])]  # (Mamba's in_proj chunked in a gate's two halves: no queries and keys)
    if is_contraction(stmt):  # attention weights times values: the output
        return "O" if any(ops.get(s.fn).glyph == "softmax" and stmt.args and s.out == stmt.args[0] for s in prog.stmts) else "S"
    if stmt.fn in ("add", "sub") and stream and stmt.out not in stream:
        return "H"
    return TENSOR_LETTER.get(stmt.fn, "H")


def stream_of(prog: Program, start: list[int]) -> frozenset[int]:
    """The values of the residual stream that starts at the inputs ``start``: those, a sum or difference with one of
    them, and one of them normalised (a norm as the op registry draws one) or dropped out (a post-norm layer's stream
    goes on through its norm)."""
    stream = set(start)
    for stmt in prog.stmts:
        if (stmt.fn in ("add", "sub", "dropout") or ops.get(stmt.fn).glyph == "norm") and stream.intersection(stmt.args):
            stream.add(stmt.out)
    return frozenset(stream)


def _parts(stmt: Stmt, prog: Program) -> int:
    """How many parts of one packed projection there are, ``stmt`` one of them (labelled ``in_proj.0``, ``in_proj.1``,
    ...); 0 where its label numbers no part."""
    base, _, part = stmt.label.rpartition(".")
    if not part.isdigit():
        return 0
    return len({s.label for s in prog.stmts if s.label.rpartition(".")[0] == base and s.label.rpartition(".")[2].isdigit()})


def input_name(arg: str) -> str:
    """An input's name from its argument's, as a hand-written diagram names it: the data (``x``, ``input_1``,
    ``hidden_states``) X, a mask M, token ids Ids, an encoder's output Enc, a short name capitalised, other names as
    they are (a name with an underscore would print its end as a subscript); a recurrent cell's state H.

    >>> [input_name(a) for a in ("x", "input_1", "hidden_states", "attention_mask", "input_ids", "encoder_hidden_states")]
    ['X', 'X', 'X', 'M', 'Ids', 'Enc']
    >>> [input_name(a) for a in ("q", "target", "mask", "hx")]
    ['Q', 'target', 'mask', 'H']
    """
    name = re.sub(r"\W", "_", arg) or "X"
    if name in STATES:
        return STATES[name]
    if "_" in name:
        return next((short for word, short in INPUT_WORDS if word in name.lower()), "X")
    if re.fullmatch(r"input|x|args?|arg\d*", name):
        return "X"
    return name[0].upper() + name[1:] if len(name) <= 2 else name
