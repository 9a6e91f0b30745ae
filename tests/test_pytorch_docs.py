"""docs/pytorch.md's table of learned boxes against the code: every op kind that declares parameters has a row,
and each row names the parameters, and the box's name without ``as``, that ``ncd compile`` writes. (The table
left out layerscale, bias, learned, prelu and relbias: a user had to run ``ncd compile`` to learn that
``bias(...) as u`` is ``u.weight``.) Torch is not needed: the compiled source is read, not run."""
import re
from pathlib import Path

from ncd_render import ops
from ncd_render.ir import build
from ncd_render.ops.registry import no_parameters
from ncd_render.parse import parse
from ncd_render.pytorch.codegen import generate

DOC = Path(__file__).resolve().parents[1] / "docs" / "pytorch.md"
PREAMBLE = "axis y = 3\naxis m = 4\naxis k = 2\naxis v = 5\naxis e = 2\naxis u = 1\naxis b = 6\naxis x = 3\naxis h = 2\n"

# Each row of the table (by its first cell) as a statement that makes such a box, with every option that adds a
# parameter, and the boxes without ``as``
ROWS = {
    "`linear(X: in axes -> out axes)`": "input X[y m]\nY = linear(X: m -> k) with bias",
    "`linear(...) with per=e`": "input X[y m]\nY = linear(X: m -> k) with bias, per=e",
    "`layernorm(X: axes) with affine`": "input X[y m]\nY = layernorm(X: m) with affine",
    "`layernorm(X: axes) with weight`": "input X[y m]\nY = layernorm(X: m) with weight",
    "`rmsnorm(X: axes) with affine`": "input X[y m]\nY = rmsnorm(X: m) with affine",
    "`batchnorm(X: axes) with affine`": "input X[y m]\nY = batchnorm(X: m) with affine",
    "`batchnorm(X: axes) with running`": "input X[y m]\nY = batchnorm(X: m) with affine, running",
    "`groupnorm(X: c axes) with affine`": "input X[y k m]\nY = groupnorm(X: k m) with affine",
    "`embedding(T: v -> out axes)`": "input T[y] int\nY = embedding(T: v -> m)",
    "`topk(G: e) with select_bias`": "input X[y m]\nY = topk(X: m) with k=2, select_bias",
    "`bias(X: axes)`": "input X[y m]\nY = bias(X: y m)",
    "`layerscale(X: axes)`, `layerscale(X)`": "input X[y m]\nY = layerscale(X: m)",
    "`prelu(X: axes)`, `prelu(X)`": "input X[y m]\nY = prelu(X: m)",
    "`learned(: axes)`": "Y = learned(: u m)",
    "`relbias(: b -> y x h)`": "Y = relbias(: b -> y x h)",
}


def table() -> dict[str, tuple[str, str]]:
    """The learned boxes' table: first cell -> (the name without ``as``, the parameters cell)."""
    text = DOC.read_text()
    start = text.index("| box | without `as` | parameters |")
    rows = {}
    for line in text[start:].splitlines()[2:]:
        if not line.strip().startswith("|"):
            break
        box, name, params = (cell.strip() for cell in line.strip().strip("|").split(" | "))
        rows[box] = (name.strip("`"), params)
    return rows


def compiled_parameters(program: str) -> dict[str, set[str]]:
    """Box name -> the names of its parameters, as ``ncd compile`` writes them."""
    source = generate(build(parse(PREAMBLE + program + "\noutput Y\n", "row.ncd")))
    found = re.findall(r"self\.(\w+) = nn\.ParameterDict\(\{\n((?:\s+\"\w+\": .*\n)+)", source)
    return {box: set(re.findall(r"\"(\w+)\":", body)) for box, body in found}


def test_every_kind_with_parameters_has_a_row():
    learned = sorted(key for key, kind in ops.kinds().items() if kind.parameters is not no_parameters)
    documented = {call for box in table() for call in re.findall(r"`(\w+)\(", box)}
    assert [key for key in learned if key not in documented] == []


def test_each_row_names_what_ncd_compile_writes():
    rows = table()
    assert set(rows) == set(ROWS), "give each new row of the table a statement in ROWS"
    for box, (name, cell) in rows.items():
        named = set(re.findall(r"`(\w+)`", cell))  # an option is written with its `with`: `with bias`
        assert compiled_parameters(ROWS[box]) == {name: named}, box


def test_a_box_of_one_number_has_a_weight_of_no_dims():
    """The table's `layerscale(X)` and `prelu(X)`: one learned number, a weight shaped []."""
    for fn, init in (("layerscale", "1.0"), ("prelu", "0.25")):
        source = generate(build(parse(PREAMBLE + f"input X[y m]\nY = {fn}(X) as u\noutput Y\n", "one.ncd")))
        assert f'"weight": nn.Parameter(torch.full((), {init})),' in source
