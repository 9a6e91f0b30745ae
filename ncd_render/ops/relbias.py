"""``B = relbias(: b -> y x h) with distance=128, bidirectional``: T5's relative position bias, a
learned table ``weight[b, h]`` read at each (query y, key x) by the bucket of the key's offset
x - y: offsets under half the buckets (a quarter, split by sign, when ``bidirectional``) each a
bucket of their own, longer ones sharing buckets that grow logarithmically up to ``distance``,
and later keys none of their own unless ``bidirectional`` (an encoder's). No input feeds it: drawn
as a bold learned box its wires leave, added to the scores by the sum after it (``S + B``).
A gather, one table entry per output element, not the whole table."""
from __future__ import annotations

from types import MappingProxyType

from ..errors import NcdError
from ..options import FLAG, Kind
from .registry import ATOM, OpKind, register
from .work import Array, Work

DISTANCE = 128  # T5's relative_attention_max_distance


def build(b, call, options, scope, label):
    spec = call.spec
    if call.args or spec is None or spec.outputs is None or len(spec.inputs) != 1 or len(spec.outputs) != 1:
        raise NcdError("relbias takes no tensor, and its buckets to the query, key and head axes: relbias(: b -> y x h)",
                       spec.span if spec else call.span)
    buckets = b.shape(spec.inputs[0], scope, "the buckets of relbias")
    axes = b.shape(spec.outputs[0], scope, "the output of relbias")
    if len(buckets) != 1 or len(axes) != 3 or buckets[0] in axes:
        raise NcdError("relbias needs one bucket axis, then the query, key and head axes: relbias(: b -> y x h)", spec.span)
    distance, bidirectional = int(options.get("distance", DISTANCE)), bool(options.get("bidirectional"))
    size = b.axes[buckets[0]].size
    if size is not None and size < (4 if bidirectional else 2):
        raise NcdError(f"relbias needs at least {4 if bidirectional else 2} buckets, but '{buckets[0]}' has {size}", spec.span)
    out = b.new_value("", axes, "real", call.span)
    name = label or "E"
    b.add_op(kind="relbias", inputs=(), outputs=(out,), label=name, learned=True,
             params=MappingProxyType({"buckets": buckets[0], "axes": axes, "distance": distance, "bidirectional": bidirectional,
                                      "name": b.param_name(label or "relbias", scope)}),
             section=scope.section, span=call.span)
    return [out]


def idle_distance(diagram, op) -> str | None:
    """Relative positions' buckets where no position is far enough for the ``distance`` to place it: each of the
    nearest positions has a bucket of its own (half the buckets, each way where bidirectional), only the farther
    ones are spread over the rest up to the distance (T5's scheme, as :func:`relative_buckets` computes it).

    >>> from ncd_render.api import load_text
    >>> text = "axis b = 7\\naxis y = {}\\naxis x = y\\naxis h = 2\\nB = relbias(: b -> y x h) with distance=16, bidirectional\\noutput B\\n"
    >>> d = load_text(text.format(2)).diagram
    >>> idle_distance(d, d.ops[0])
    'its distance=16 places only positions more than 1 apart, and here none is more than 1'
    >>> d = load_text(text.format(3)).diagram
    >>> idle_distance(d, d.ops[0]) is None
    True
    """
    p = op.params
    queries, keys, buckets = (diagram.axes[a].size for a in (*p["axes"][:2], p["buckets"]))
    exact = buckets // (4 if p["bidirectional"] else 2)
    if None in (queries, keys) or max(queries, keys) - 1 > exact:
        return None
    return (f"its distance={p['distance']} places only positions more than {exact} apart, "
            f"and here none is more than {max(queries, keys) - 1}")


def _weight(op) -> tuple:
    return op.params["buckets"], op.params["axes"][2]


def run(op, box, xs, rt):
    (axes,) = rt.patterns.values(op, "outputs")
    p = op.params
    queries, keys, buckets = rt.patterns.shape((*p["axes"][:2], p["buckets"]))
    ids = rt.functional.relative_buckets(queries, keys, buckets, p["distance"], p["bidirectional"], box.weight.device)
    return rt.einops.rearrange(box.weight[ids], f"y x h -> {_layout(op, axes)}")


def _layout(op, axes) -> str:
    """The value's layout in the letters the table is read in (``y x h``)."""
    letters = dict(zip(op.params["axes"], "yxh"))
    return " ".join(letters[a] for a in axes)


def source(op, w, target):
    p = op.params
    w.helpers.add("relative_buckets")
    weight = f"{w.owner}.{op.name}.weight"
    sizes = map(str, w.p.shape((*p["axes"][:2], p["buckets"])))
    ids = w.call("relative_buckets", [*sizes, str(p["distance"]), str(p["bidirectional"]), f"{weight}.device"], {})
    (axes,) = w.p.values(op, "outputs")
    layout = _layout(op, axes)
    read = f"{weight}[{ids}]"
    text = read if layout == "y x h" else f'rearrange({read}, "y x h -> {layout}")'
    return [], text, ATOM, f"buckets of {p['axes'][1]} - {p['axes'][0]}"


register(OpKind("relbias", "relbias", build=build,
                options=MappingProxyType({"distance": Kind("whole", 1, 1 << 30, example="128"), "bidirectional": FLAG}),
                glyph="box", hold="none",
                cost=lambda op, c: Work(0, 0, (Array((op.name, "entries"), c.outs[0].axes),), c.outs, {}, 1),
                parameters=lambda op: {"weight": _weight(op)}, initial=lambda op, param: "randn",
                run=run, source=source, idle=idle_distance,
                example="axis b = 8\naxis x = y\ninput S[y x m]\nB = relbias(: b -> y x m) with bidirectional\nY = S + B"))
