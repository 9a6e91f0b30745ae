"""Ops along the query/key or position/depth axes that keep the shape: ``mask(S: y x) with causal``
(one select per element; the pattern is computed, not read (``mask(S, M)`` reads it: :mod:`.hidden`); ``window=4096``: a sliding window, the
query and the keys at most 4095 before it), ``rope(Q: y k) with base=10000,
interleaved`` (rotary embedding: x·cos + rotate(x)·sin, 3 FLOPs per element; ``reversed``: turned the other way, as
NanoChat's; ``rotary=16``: only the
depth's first 16 elements turn, the rest pass, as GPT-NeoX's and StableLM's; ``scaling=llama3, factor=8,
low=1, high=4, context=8192``: its frequencies stretched for a longer context, as Llama 3.1's, or
``scaling=linear, factor=2``, ``scaling=yarn, factor=4, context=32768``) and ``alibi(S: y x h)``
(ALiBi: a slope per head times how far back each key is, added to the scores; 2 FLOPs per element) and
``positions(T: y) with padding=1`` (each id's position, counted from padding + 1 over the ids that are not
the padding id, which keeps it: RoBERTa's position ids; integer ids in, integer positions out)."""
from __future__ import annotations

from types import MappingProxyType

from ..errors import NcdError
from ..options import FLAG, KINDS, Kind
from . import hidden
from .along import acted_axes
from .registry import ATOM, OpKind, register
from .work import WHOLE, Array, Work


WINDOW = Kind("whole", 1, 1 << 30, example="4096")  # a sliding window: how many keys, the query's own among them
ROTARY = Kind("whole", 2, 1 << 30, example="16")  # rope: how many of the depth's first elements turn (the rest pass)
# rope's frequencies stretched for a longer context (transformers' rope_type): what each scaling needs, and its kinds
SCALINGS = {"linear": ("factor",), "llama3": ("factor", "low", "high", "context"), "yarn": ("factor", "context")}
OPTIONAL = {"yarn": ("unrounded",)}  # what a scaling may also take
SCALING = MappingProxyType({
    "scaling": Kind("choice", choices=tuple(SCALINGS), example="llama3"),
    "factor": Kind("real", 1, 1e6, example="8"),
    "low": Kind("real", 0, 1e6, open_low=True, example="1"),  # llama3: wavelengths over context / low are divided by factor
    "high": Kind("real", 0, 1e6, open_low=True, example="4"),  # llama3: those under context / high are kept
    "context": Kind("whole", 1, 1 << 40, example="8192"),  # the context the model was first trained for
    "unrounded": KINDS["interleaved"],  # yarn: the ramp's ends as computed, not rounded out to whole pairs (gpt-oss's)
})


def build_mask(b, call, options, scope, label):
    if len(call.args) >= 2:  # by a boolean tensor: mask(S, M)
        return hidden.build(b, call, options, scope, label)
    if call.spec is None or call.spec.outputs is not None or len(call.spec.inputs) != 1:
        b.one_arg(call, scope)  # (an unknown tensor first)
        raise NcdError("mask needs the query and key axes and 'with causal', or a boolean tensor of the flags that hide", call.span,
                       f"mask({call.args[0].name}: y x) with causal, or mask({call.args[0].name}, M) with M an input declared bool"
                       if call.args else "mask(S: y x) with causal, or mask(S, M)")
    vid, acted, broadcast, out = acted_axes(b, call, scope)
    if "keep" in options:
        raise NcdError("keep belongs to a mask by a boolean tensor: mask(S, M) with keep hides S where M is false", call.span,
                       "a causal mask computes what it hides: mask(S: y x) with causal")
    if len(acted) != 2 or not options.get("causal"):
        raise NcdError("mask needs the query and key axes and 'with causal'", call.span, "for example mask(S: y x) with causal")
    window = {"window": int(options["window"])} if "window" in options else {}  # keys at most window - 1 before the query
    b.add_op(kind="mask", inputs=(vid,), outputs=(out,), acts=(acted,), broadcast=broadcast, label=label or (f"window {window['window']}" if window else "mask"),
             params=MappingProxyType({"axes": acted, **window}), section=scope.section, span=call.span)
    return [out]


def idle_window(diagram, op) -> str | None:
    """A causal mask's window where it hides nothing more than the mask does: the keys are no more than it.

    >>> from ncd_render.api import load_text
    >>> text = "axis y = {}\\naxis x = y\\ninput S[y x]\\nY = mask(S: y x) with causal, window=3\\noutput Y\\n"
    >>> d = load_text(text.format(3)).diagram
    >>> idle_window(d, d.ops[1])
    'its window=3 is as long as the keys (x = 3): it hides no key the causal mask does not'
    >>> d = load_text(text.format(4)).diagram
    >>> idle_window(d, d.ops[1]) is None
    True
    """
    window, keys = op.params.get("window"), op.params["axes"][1]
    size = diagram.axes[keys].size
    if window is None or size is None or size > window:
        return None
    return f"its window={window} is as long as the keys ({keys} = {size}): it hides no key the causal mask does not"


def build_rope(b, call, options, scope, label):
    vid, acted, broadcast, out = acted_axes(b, call, scope)
    if len(acted) != 2:
        raise NcdError("rope needs the position axis and the depth axis it rotates in pairs", call.span, "for example rope(Q: y k)")
    depth = b.axes[acted[1]].size
    turned = int(options["rotary"]) if "rotary" in options else depth  # GPT-NeoX's and StableLM's: the first part of a head
    if depth is not None and depth % 2 and "rotary" not in options:
        raise NcdError(f"rope rotates pairs, but axis '{acted[1]}' has odd size {depth}", call.spec.span)
    if turned is not None and (turned % 2 or depth is not None and turned > depth):
        raise NcdError(f"rope with rotary={turned} turns the first {turned} elements of axis '{acted[1]}' in pairs: an even "
                       f"number, at most its size {depth}", call.span, f"for example rope(Q: y {acted[1]}) with rotary=2")
    params = {"axes": acted, "base": float(options.get("base", 10000.0)),
              "interleaved": bool(options.get("interleaved")),  # pairs (2i, 2i+1), not (i, i + d/2)
              **({"rotary": turned} if "rotary" in options else {}), **_scaling(call, options),
              **({"reversed": True} if options.get("reversed") else {})}  # turned the other way (NanoChat's)
    # the first elements that turn, as a slice (RoPE:4), the scaling of its frequencies (RoPE llama3), and −θ turned back
    notes = [f":{turned}"] if "rotary" in options else []
    notes += [params["scaling"]] if "scaling" in params else []
    notes += ["−θ"] if params.get("reversed") else []
    shown = f"RoPE_{{{', '.join(notes)}}}" if notes else "RoPE"
    b.add_op(kind="rope", inputs=(vid,), outputs=(out,), acts=(acted,), broadcast=broadcast, label=label or shown,
             params=MappingProxyType(params), section=scope.section, span=call.span)
    return [out]


def _scaling(call, options) -> dict:
    """rope's ``scaling`` and the options it needs (:data:`SCALINGS`), checked: each needs all of its own and
    takes no other."""
    scaling = options.get("scaling")
    given = [name for name in SCALING if name != "scaling" and name in options]
    if scaling is None:
        if given:
            named = given[0] + ("" if SCALING[given[0]].kind == "flag" else "=")
            raise NcdError(f"rope's {named} belongs to a scaling of its frequencies", call.span,
                           f"add scaling=linear (or llama3, yarn): rope(...) with scaling=linear, {named}...")
        return {}
    needed = SCALINGS[scaling]
    missing = [n for n in needed if n not in options]
    extra = [n for n in given if n not in needed + OPTIONAL.get(scaling, ())]
    if missing or extra:
        raise NcdError(f"rope with scaling={scaling} takes " + ", ".join(f"{n}=" for n in needed)
                       + "".join(f" (and may take {n})" for n in OPTIONAL.get(scaling, ()))
                       + (f"; {', '.join(missing)} missing" if missing else "") + (f"; {', '.join(extra)} not taken" if extra else ""),
                       call.span, "for example rope(Q: y k) with scaling=" + scaling + ", "
                       + ", ".join(f"{n}={SCALING[n].example}" for n in needed))
    if scaling == "llama3" and options["high"] <= options["low"]:
        raise NcdError(f"rope with scaling=llama3 keeps wavelengths under context / high and divides those over context / low: "
                       f"high={options['high']:g} must be more than low={options['low']:g}", call.span, "for example low=1, high=4")
    return {"scaling": scaling, **{n: options[n] for n in needed + OPTIONAL.get(scaling, ()) if n in options}}


def build_alibi(b, call, options, scope, label):
    vid, acted, broadcast, out = acted_axes(b, call, scope, "the query, key and head axes")
    if len(acted) != 3:
        raise NcdError("alibi needs the query, key and head axes", call.spec.span if call.spec else call.span,
                       "for example alibi(S: y x h)")
    b.add_op(kind="alibi", inputs=(vid,), outputs=(out,), acts=(acted,), broadcast=broadcast, label=label or "ALiBi",
             params=MappingProxyType({"axes": acted}), section=scope.section, span=call.span)
    return [out]


def build_positions(b, call, options, scope, label):
    vid, acted, broadcast, out = acted_axes(b, call, scope, "the axis it counts positions along", dtype="int")
    if b.values[vid].dtype != "int" or len(acted) != 1:
        raise NcdError("positions counts along one axis of integer ids", call.spec.span if call.spec else call.span,
                       f"for example positions({call.args[0].name}: y) with padding=1, of ids declared 'int'")
    b.add_op(kind="positions", inputs=(vid,), outputs=(out,), acts=(acted,), broadcast=broadcast, label=label or "pos",
             params=MappingProxyType({"axes": acted, "padding": int(options.get("padding", 0))}), section=scope.section, span=call.span)
    return [out]


def build_sinusoid(b, call, options, scope, label):
    vid = b.one_arg(call, scope)
    if b.values[vid].dtype != "int":
        raise NcdError(f"sinusoid reads the rows of integer positions, but {call.args[0].name} is real", call.args[0].span,
                       "give it positions declared 'int', or made by positions(...)")
    if call.spec is None or call.spec.outputs is not None or len(call.spec.inputs) != 1:
        raise NcdError("sinusoid needs the axis its rows lie along", call.spec.span if call.spec else call.span,
                       f"for example sinusoid({call.args[0].name}: m)")
    new = b.shape(call.spec.inputs[0], scope, "the rows of sinusoid")
    if len(new) != 1:
        raise NcdError("sinusoid's rows lie along one axis", call.spec.span, f"for example sinusoid({call.args[0].name}: m)")
    b.fresh(new, call.spec.inputs[0], vid, (), call)
    axes = b.values[vid].axes
    out = b.new_value("", axes + new, "real", call.span)
    params = {"out_axes": new, "base": float(options.get("base", 10000.0)),  # (the axis that starts at the box)
              **({"padding": int(options["padding"])} if "padding" in options else {})}
    b.add_op(kind="sinusoid", inputs=(vid,), outputs=(out,), acts=((),), broadcast=axes, label=label or "PE_{sin}",
             params=MappingProxyType(params), section=scope.section, span=call.span)
    return [out]


def run_sinusoid(op, box, xs, rt):
    p = op.params
    return rt.functional.sinusoid(xs[0], rt.patterns.size(p["out_axes"][0]), p["base"], p.get("padding"), rt.real)


def source_sinusoid(op, w, target):
    p = op.params
    w.helpers.add("sinusoid")
    dtype = "dtype=next((p.dtype for p in self.parameters()), None)"  # the module's, as a model's buffer follows it
    call = w.call("sinusoid", [w.arg(op.inputs[0]), str(w.p.size(p["out_axes"][0])), dtype],
                  {"base": p["base"], "padding": p.get("padding")}, {"base": 10000.0, "padding": None})
    return [], call, ATOM, f"sines and cosines of the positions along {p['out_axes'][0]}"


def run_positions(op, box, xs, rt):
    (axes,) = rt.patterns.values(op)
    return rt.functional.positions(xs[0], *rt.patterns.dims(axes, op.params["axes"]), op.params["padding"])


def source_positions(op, w, target):
    w.helpers.add("positions")
    padding = op.params["padding"]
    return [], w.call("positions", [w.arg(op.inputs[0]), *map(str, w.dims_of(op, op.params["axes"])), str(padding)], {}), ATOM, \
        f"positions along {op.params['axes'][0]} from {padding + 1}, skipping id {padding}"


def run_alibi(op, box, xs, rt):
    (axes,) = rt.patterns.values(op)
    return rt.functional.alibi(xs[0], *rt.patterns.dims(axes, op.params["axes"]))


def source_alibi(op, w, target):
    w.helpers.add("alibi")
    query, key, head = op.params["axes"]
    return [], w.call("alibi", [w.arg(op.inputs[0]), *map(str, w.dims_of(op, op.params["axes"]))], {}), ATOM, \
        f"a slope per {head} times {key} - {query}"


def run_mask(op, box, xs, rt):
    (axes,) = rt.patterns.values(op)
    return rt.functional.causal_mask(xs[0], *rt.patterns.dims(axes, op.params["axes"]), op.params.get("window"))


def source_mask(op, w, target):
    w.helpers.add("causal_mask")
    dims = map(str, w.dims_of(op, op.params["axes"]))
    window = op.params.get("window")
    text = "causal over " + ", ".join(op.params["axes"]) + (f", {window} keys back at most" if window else "")
    return [], w.call("causal_mask", [w.arg(op.inputs[0]), *dims], {"window": window}, {"window": None}), ATOM, text


def cost_rope(op, c) -> Work:  # cos and sin of each position's angles, half the depth each
    position, depth = op.params["axes"]
    return Work(0, 3 * c.n, c.ins + (Array((op.name, "cos_sin"), (position, depth)),), c.outs, {**c.mapped, depth: WHOLE}, 1)


def run_rope(op, box, xs, rt):
    (axes,), p = rt.patterns.values(op), op.params
    return rt.functional.rotary(xs[0], *rt.patterns.dims(axes, p["axes"]), p["base"], p["interleaved"], p.get("rotary"),
                                **{n: p[n] for n in SCALING if n in p}, reversed=p.get("reversed", False))


def source_rope(op, w, target):
    p = op.params
    w.helpers.add("rotary")
    scaling = {n: p.get(n) for n in SCALING}
    call = w.call("rotary", [w.arg(op.inputs[0]), *map(str, w.dims_of(op, p["axes"]))],
                  {"base": p["base"], "interleaved": p["interleaved"], "rotary": p.get("rotary"), **scaling,
                   "reversed": p.get("reversed", False)},
                  {"base": 10000.0, "interleaved": False, "rotary": None, **dict.fromkeys(SCALING), "reversed": False})
    turned = f"the first {p['rotary']} of " if "rotary" in p else ""
    scaled = f", {p['scaling']} scaling" if "scaling" in p else ""
    back = ", turned back" if p.get("reversed") else ""
    return [], call, ATOM, f"positions {p['axes'][0]}, pairs along {turned}{p['axes'][1]}{scaled}{back}"


register(
    OpKind("mask", "mask", build=build_mask, options=MappingProxyType({"causal": KINDS["causal"], "window": WINDOW, "keep": FLAG}),
           glyph="box",
           hold="through", fill="mask",
           cost=lambda op, c: Work(0, c.n, c.ins, c.outs, c.mapped, 1), run=run_mask, source=source_mask,
           causal=lambda op: (*op.params["axes"], op.params.get("window")), clones=True, idle=idle_window,
           example="input S[y n]\nY = mask(S: y n) with causal"),
    OpKind("alibi", "alibi", build=build_alibi, glyph="box", hold="through", fill="mask",
           cost=lambda op, c: Work(0, 2 * c.n, c.ins, c.outs, c.mapped, 1), run=run_alibi, source=source_alibi,
           example="input S[y n m]\nY = alibi(S: y n m)"),
    OpKind("positions", "positions", build=build_positions, options=MappingProxyType({"padding": KINDS["padding"]}), glyph="box",
           hold="through", cost=lambda op, c: Work(0, 2 * c.n, c.ins, c.outs, {**c.mapped, op.params["axes"][0]: WHOLE}, 1),
           run=run_positions, source=source_positions, example="input T[y] int\nP = positions(T: y) with padding=1\nY = embedding(P: q -> m)"),
    OpKind("sinusoid", "sinusoid", build=build_sinusoid,
           options=MappingProxyType({"base": KINDS["base"], "padding": KINDS["padding"]}), glyph="box", hold="lookup",
           cost=lambda op, c: Work(0, 2 * c.n, c.ins, c.outs, c.mapped, 1), run=run_sinusoid, source=source_sinusoid,
           example="input T[y] int\nP = positions(T: y) with padding=1\nY = sinusoid(P: m) with padding=1"),
    OpKind("rope", "rope", build=build_rope,
           options=MappingProxyType({"base": KINDS["base"], "interleaved": KINDS["interleaved"], "rotary": ROTARY, **SCALING,
                                     "reversed": KINDS["interleaved"]}),
           glyph="box", hold="through", cost=cost_rope, run=run_rope, source=source_rope, example="input X[y m]\nY = rope(X: y m)"),
)
