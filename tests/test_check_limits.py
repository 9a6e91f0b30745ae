"""ncd check within bounds: small sizes by default (the file's check line, or sizes chosen to
fit the diagram), refusing up front what would take too long or too much memory, never
mistaking a reference's sys.exit() for agreement, and saying plainly when torch is missing."""
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from ncd_render.cli import main
from ncd_render.errors import NcdError
from ncd_render.ir import build
from ncd_render.lint import check_line_mistake
from ncd_render.parse import parse, parse_file
from ncd_render.pytorch import check as check_module
from ncd_render.pytorch.check import check_file
from ncd_render.pytorch.compile import compile_diagram
from ncd_render.pytorch.sizes import check_sizes

ROOT = Path(__file__).resolve().parents[1]
GALLERY = ROOT / "gallery"
SMALL = json.loads((ROOT / "tests" / "small_sizes.json").read_text())
PAIRING = "from torch import nn\nfrom ncd_render.pytorch.check import From, Reference\n\n"


def ncd(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_a_billion_repetitions_are_refused_before_any_module_is_built(tmp_path):
    (tmp_path / "deep.ncd").write_text('axis m = 3\ninput X[m]\nrepeat 1000000000 "Layer"\n  X = linear(X: m -> m) as L\nend\noutput X\n')
    (tmp_path / "deep.check.py").write_text(PAIRING + "def reference(sizes):\n    raise AssertionError('never called')\n")
    began = time.perf_counter()
    with pytest.raises(NcdError) as info:
        check_file(tmp_path / "deep.ncd")
    assert time.perf_counter() - began < 5
    assert "repeat 1000000000 runs its boxes 1,000,000,000 times" in info.value.message
    assert "more than the 10,000 that ncd check, ncd compile and compile_diagram build" in info.value.message
    assert (info.value.span.line, info.value.span.column) == (3, 1)
    with pytest.raises(NcdError, match="1,000,000,000 box runs"):
        compile_diagram(build(parse_file(tmp_path / "deep.ncd")))
    # ncd compile wrote a module whose __init__ built a billion blocks, and never returned; it refuses it, writing nothing
    result = ncd("compile", tmp_path / "deep.ncd", "-o", tmp_path / "deep.py")
    assert result.exit_code == 2 and "1,000,000,000 box runs" in result.output and not (tmp_path / "deep.py").exists()


def test_mixtral_at_its_declared_sizes_is_refused_at_once_with_the_estimate():
    began = time.perf_counter()
    result = ncd("check", GALLERY / "mixtral.ncd", "--declared-sizes")
    assert time.perf_counter() - began < 20
    assert result.exit_code == 2
    assert "would take about 97.4 TFLOP and 169 GB, more memory than ncd check allows" in result.output
    assert "hint: check at smaller sizes: drop --declared-sizes, or give smaller ones with --sizes" in result.output


def test_a_check_too_big_at_the_sizes_given_names_only_the_options_given():
    """Refused at --sizes given by hand, ncd check told a new user to 'drop --declared-sizes', a flag they had not given."""
    result = ncd("check", GALLERY / "mixtral.ncd", "--sizes", "y=4096,m=4096,f=14336")
    assert result.exit_code == 2 and "more memory than ncd check allows" in result.output
    assert "hint: check at smaller sizes: give smaller ones with --sizes AXIS=N" in result.output
    assert "--declared-sizes" not in result.output


@pytest.mark.parametrize("name", ["mixtral", "vit"])
def test_by_default_a_check_runs_at_the_files_check_line(name):
    result = ncd("check", GALLERY / f"{name}.ncd")
    assert result.exit_code == 0, result.output
    line = parse_file(GALLERY / f"{name}.ncd").check_sizes
    assert dict(line.sizes) == SMALL[name]  # the tests' small sizes are the files' own
    assert f"these are the sizes of the file's check line (line {line.span.line}); --declared-sizes checks" in result.output


@pytest.mark.parametrize("name", sorted(SMALL))
def test_without_a_check_line_a_check_runs_at_small_sizes_that_fit_the_diagram(tmp_path, name):
    text = "".join(line for line in (GALLERY / f"{name}.ncd").read_text().splitlines(True) if not line.startswith("check "))
    (tmp_path / f"{name}.ncd").write_text(text)
    shutil.copy(GALLERY / f"{name}.check.py", tmp_path)
    began = time.perf_counter()
    report = check_file(tmp_path / f"{name}.ncd")
    assert report.passed, str(report)
    assert time.perf_counter() - began < 30
    assert report.origin.startswith(("small sizes chosen by ncd check", "the declared sizes, small enough"))
    declared = build(parse(text)).axes
    assert all(n <= declared[a].size for a, n in report.sizes.items())


def test_declared_sizes_on_request(tmp_path):
    report = check_file(GALLERY / "mha.ncd", batch=1, dtypes=("float32",), declared=True)
    assert report.passed and report.sizes["m"] == 512 and report.origin == "the declared sizes"


def test_a_long_check_says_what_it_is_doing(monkeypatch):
    monkeypatch.setattr(check_module, "LONG_FLOPS", 0)
    heard = []
    check_file(GALLERY / "sdpa.ncd", progress=heard.append)
    assert heard[0].startswith("checking at these sizes takes about") and "built the diagram" in heard[1]
    assert [h.split(" (")[0] for h in heard[2:]] == ["ran both in float64", "ran both in float32"]


@pytest.mark.parametrize("where", ["factory", "forward", "module"])
def test_a_reference_that_calls_sys_exit_is_an_error_not_agreement(tmp_path, where):
    shutil.copy(GALLERY / "sdpa.ncd", tmp_path)
    body = {"factory": "import sys\n\ndef reference(sizes):\n    sys.exit(0)\n",
            "forward": "import sys\n\ndef reference(sizes):\n    return Reference(lambda Q, K, V: sys.exit(0))\n",
            "module": "import sys\nsys.exit(0)\n"}[where]
    (tmp_path / "sdpa.check.py").write_text(PAIRING + body)
    result = ncd("check", tmp_path / "sdpa.ncd")
    assert result.exit_code == 2, result.output
    assert "called sys.exit(0) instead of returning, so nothing was compared" in result.output
    assert "agrees" not in result.output


@pytest.mark.parametrize("where", ["factory", "forward", "module"])
def test_a_reference_that_calls_os_exit_is_an_error_not_agreement(tmp_path, where):
    """os._exit(0) ends the process at once, with no exception to catch: ncd check ended with status 0, as if the
    diagram agreed. (In a process of its own: unguarded, it would end the test run.)"""
    shutil.copy(GALLERY / "sdpa.ncd", tmp_path)
    body = {"factory": "import os\n\ndef reference(sizes):\n    os._exit(0)\n",
            "forward": "import os\n\ndef reference(sizes):\n    return Reference(lambda Q, K, V: os._exit(0))\n",
            "module": "import os\nos._exit(0)\n"}[where]
    (tmp_path / "sdpa.check.py").write_text(PAIRING + body)
    run = subprocess.run([sys.executable, "-m", "ncd_render", "check", str(tmp_path / "sdpa.ncd")],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 2, run.stdout + run.stderr
    assert "called os._exit(0) instead of returning, so nothing was compared" in run.stderr


def test_a_reference_computing_in_float32_gets_a_hint(tmp_path):
    shutil.copy(GALLERY / "sdpa.ncd", tmp_path)
    (tmp_path / "sdpa.check.py").write_text(
        PAIRING + "import torch\n\ndef reference(sizes):\n"
        "    def forward(Q, K, V):\n"
        "        O = torch.nn.functional.scaled_dot_product_attention(Q.float(), K.float(), V.float())\n"
        "        return O.to(Q.dtype)\n"
        "    return Reference(forward, name='sdpa in float32')\n")
    report = check_file(tmp_path / "sdpa.ncd")
    assert not report.passed
    text = str(report)
    assert "hint: float32 agrees, and a float64 error of" in text
    assert "does sdpa in float32 compute in float32 whatever it is given? If so, return Reference(..., dtypes=(\"float32\",))" in text


@pytest.mark.parametrize("form, noted", [("gelu(X) with approximate=tanh", True), ("gelu(X)", False)])
def test_a_float32_only_pass_far_above_rounding_gets_a_note(tmp_path, form, noted):
    """A GELU's tanh form on a residual branch, against the exact one, checked in float32 alone (as a transformers
    reference is): it agreed by 1.3e-5 of a 1e-4 tolerance with no word; the right form agrees by about 1e-7."""
    (tmp_path / "g.ncd").write_text(f"axis y = 6\naxis m = 8\ninput X[y m]\nH = {form}\nH = H * 0.2\nY = X + H\noutput Y\n")
    (tmp_path / "g.check.py").write_text(
        PAIRING + "import torch\n\ndef reference(sizes):\n"
        "    return Reference(lambda X: X + 0.2 * torch.nn.functional.gelu(X), name='exact GELU', dtypes=('float32',))\n")
    report = check_file(tmp_path / "g.ncd")
    assert report.passed
    assert ("note: checked in float32 alone, Y agrees by" in str(report)) == noted, str(report)


@pytest.mark.parametrize("returned, noted", [("Y", True), ("{'H': torch.relu(X), 'Y': Y}", False)])
def test_a_failure_at_an_output_with_nothing_else_compared_says_the_mistake_may_be_earlier(tmp_path, returned, noted):
    """An imported diagram's pairing exposes its outputs only: its check failed at the last statement, caret and all,
    where the mistake was earlier, and a user took the caret's word."""
    (tmp_path / "o.ncd").write_text("axis y = 3\naxis m = 4\ninput X[y m]\nH = relu(X)\nY = H * 2\noutput Y\n")
    (tmp_path / "o.check.py").write_text(
        PAIRING + "import torch\n\ndef reference(sizes):\n    def forward(X):\n        Y = torch.relu(X) * 3\n"
        f"        return {returned}\n    return Reference(forward, name='three times')\n")
    report = check_file(tmp_path / "o.ncd")
    assert not report.passed and report.first_failure().wire == "Y"
    assert ("note: only outputs were compared, so the mistake may be in any statement before this one" in str(report)) == noted


def test_a_reference_in_float64_throughout_gets_no_float32_hint(tmp_path):
    """The diagram's own small mistake (a missing epsilon, 5e-7 relative) failing float64 alone was blamed on the
    reference computing in float32, and following the hint would have passed a wrong diagram."""
    (tmp_path / "n.ncd").write_text("axis y = 4\naxis m = 6\ninput X[y m]\nS = square(X)\nM = mean(S: m)\n"
                                    "R = rsqrt(M)\nY = X * R\noutput Y\n")
    (tmp_path / "n.check.py").write_text(
        PAIRING + "import torch\n\ndef reference(sizes):\n"
        "    return Reference(lambda X: X * torch.rsqrt(X.square().mean(-1, keepdim=True) + 1e-6), name='norm with eps')\n")
    report = check_file(tmp_path / "n.ncd")
    assert not report.passed and [c.passed for c in report.comparisons] == [False, True]  # float64 fails, float32 agrees
    assert "float32's rounding" not in str(report)


def test_without_torch_check_says_how_to_install_it():
    code = ("import sys; sys.modules['torch'] = None; sys.modules['einops'] = None\n"
            "from ncd_render.cli import main; main()")
    result = subprocess.run([sys.executable, "-c", code, "check", str(GALLERY / "mha.ncd")], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 2
    assert result.stderr.startswith("error: ncd check runs diagrams with PyTorch, which is not installed here")
    assert 'pip install "ncd-render[torch]"' in result.stderr


def test_the_tests_small_sizes_are_the_gallery_files_check_lines():
    assert {name: dict(parse_file(GALLERY / f"{name}.ncd").check_sizes.sizes) for name in SMALL} == SMALL


@pytest.mark.parametrize("line, message", [
    ("check k=3", "the check line sets axis 'k' to 3, but it is derived from others: at the line's other sizes it is 2"),
    ("check m=6, k=2", "the check line sets axis 'k' to 2, but it is derived from others: at the line's other sizes it is 3"),
    ("check z=2", "the check line sets unknown axis 'z'"),
    ("check m=2, m=4", "the check line gives axis 'm' twice"),
    ("check m=" + "9" * 150, "an axis size of 9999999999999... (150 digits) is too large"),  # longer is refused earlier, as a 200-character name
])
def test_a_bad_check_line_is_an_error_at_the_line(tmp_path, line, message):
    (tmp_path / "c.ncd").write_text(f"axis m = 4\naxis k = m / 2\ninput X[m]\noutput X\n{line}\n")
    (tmp_path / "c.check.py").write_text(PAIRING + "def reference(sizes):\n    raise AssertionError('never called')\n")
    with pytest.raises(NcdError) as info:
        check_file(tmp_path / "c.ncd")
    assert message in info.value.message and info.value.span.line == 5


@pytest.mark.parametrize("line", ["check m=6, k=3", "check k=2"])
def test_a_check_line_may_give_a_derived_axis_the_size_it_follows(tmp_path, line):
    """f = 4 * m with f=16 beside m=4 says the same thing twice: ncd check refused it (validate only warned)."""
    (tmp_path / "c.ncd").write_text(f"axis m = 4\naxis k = m / 2\ninput X[m]\noutput X\n{line}\n")
    program = parse_file(tmp_path / "c.ncd")
    assert check_line_mistake(program) is None
    assert check_sizes(program)[0] == ({"m": 6} if "m=6" in line else {})  # (the derived one follows; it is not set)


@pytest.mark.parametrize("sizes", [None, {"y": 2}])
def test_a_check_at_sizes_too_small_for_the_diagram_says_it_builds_as_declared(tmp_path, sizes):
    """A reflect pad of 2 needs 3 positions: at the check line's (or --sizes') y=2 it cannot be, at the declared 8 it is."""
    check_line = "check y=2\n" if sizes is None else ""
    (tmp_path / "p.ncd").write_text("axis y = 8 width\naxis t = y + 4 width\naxis m = 4\ninput X[y m]\n"
                                    f"Z = pad(X: y -> t) with before=2, after=2, mode=reflect\noutput Z\n{check_line}")
    (tmp_path / "p.check.py").write_text(PAIRING + "def reference(sizes):\n    raise AssertionError('never called')\n")
    with pytest.raises(NcdError) as info:
        check_file(tmp_path / "p.ncd", sizes=sizes)
    assert info.value.span.line == 5 and "takes at most 1 position of y=2" in info.value.message
    assert info.value.hint.startswith("pad less, or with zeros; ncd check builds it at y=2 from the check line (line 7), and"
                                      if sizes is None else "pad less, or with zeros; ncd check builds it at y=2 from --sizes, and")
    larger = re.search(r", and at y=(\d+) it builds: check it at larger ones$", info.value.hint)
    assert larger and int(larger.group(1)) >= 3, info.value.hint  # (a reflect pad of 2 needs 3 positions)
    assert build(parse_file(tmp_path / "p.ncd"), sizes={"y": int(larger.group(1))})


@pytest.mark.parametrize("sizes, said, hint", [
    ("m=13", "m / h = 13 / 3 is not a whole number", "make m a multiple of h (3): 12 or 15; ncd check builds it at "),
    ("h=5", "m / h = 12 / 5 is not a whole number", "make m a multiple of h (5): 10 or 15; ncd check builds it at "),
    ("k=3", "cannot set the size of axis 'k': it is derived (m / h)", "--sizes sets the axes it is computed from instead: m, h")])
def test_sizes_that_break_a_relation_between_axes_are_not_told_to_grow(sizes, said, hint):
    """--sizes m=13 on mha.ncd (k = m / h, h=3 from its check line), or --sizes k=3 (a derived axis), was told 'it builds
    at its declared sizes: check it at larger ones': no larger size makes 13 divide by 3, nor lets a derived axis be
    set. The hint says what would: a multiple, or the axes it is computed from."""
    result = ncd("check", GALLERY / "mha.ncd", "--sizes", sizes)
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert f"error: {said}\n" in result.output and f"\nhint: {hint}" in result.output, result.output
    assert "larger" not in result.output
    h = sizes.removeprefix("h=") if sizes.startswith("h=") else "3"  # (the check line's)
    for m in (re.findall(r"(\d+) or (\d+);", result.output) or [()])[0]:  # the multiples offered do check
        assert ncd("check", GALLERY / "mha.ncd", "--sizes", f"m={m},h={h}").exit_code == 0


def test_a_diagram_that_does_not_build_as_declared_gets_the_error_alone(tmp_path):
    (tmp_path / "p.ncd").write_text("axis y = 2 width\naxis t = y + 4 width\naxis m = 4\ninput X[y m]\n"
                                    "Z = pad(X: y -> t) with before=2, after=2, mode=reflect\noutput Z\ncheck y=2\n")
    (tmp_path / "p.check.py").write_text(PAIRING + "def reference(sizes):\n    raise AssertionError('never called')\n")
    with pytest.raises(NcdError) as info:
        check_file(tmp_path / "p.ncd")
    assert info.value.hint == "pad less, or with zeros"


def test_a_keyword_used_as_a_tensor_name_gets_a_hint():
    with pytest.raises(NcdError) as info:
        parse("axis m = 4\ninput X[m]\ncheck = relu(X)\noutput check\n")
    assert info.value.hint == "'check' starts a statement of its own; give the tensor another name"


def test_a_check_line_belongs_at_the_top_level():
    with pytest.raises(NcdError, match="'check' statements belong at the top level"):
        build(parse('axis m = 4\ninput X[m]\nsection "s"\n  check m=2\nend\noutput X\n'))


def test_a_convolution_s_padding_counts_in_the_memory_a_check_needs():
    """unfold(X: h -> y i) with padding=134217728 on a 2 x 2 input pads it to 268 M rows before taking one block a
    stride: the estimate counted the input and the output only, and the check took 8.7 GB (and at padding 2^30, 64 GB,
    'a bug of ncd-render's'); a tester's. The padded buffer counts now: it is refused before anything is built."""
    from ncd_render.pytorch.budget import MAX_BYTES, estimate

    text = ("axis h = 2 width\naxis y = 3 width\naxis i = 1\naxis c = 2\ninput X[h c]\n"
            "B = unfold(X: h -> y i) with padding=134217728, stride=134217728\noutput B\n")
    assert estimate(build(parse(text, "pad.ncd")), batch=2).bytes > MAX_BYTES
    unpadded = text.replace("padding=134217728, stride=134217728", "stride=1").replace("axis y = 3", "axis y = 2")
    assert estimate(build(parse(unpadded, "pad.ncd")), batch=2).bytes < 10_000


def test_sizes_given_by_hand_are_named_as_such_and_an_unknown_one_is_refused():
    """--sizes q=3 (no axis q) was refused with 'ncd check builds it at q=3 from --sizes, and it builds at its declared
    sizes: check it at larger ones'; every axis given by --sizes was reported as 'the declared sizes'."""
    result = ncd("check", GALLERY / "mlp.ncd", "--sizes", "q=3")
    assert result.exit_code == 2 and "--sizes sets unknown axis 'q'" in result.output and "larger ones" not in result.output
    result = ncd("check", GALLERY / "mlp.ncd", "--sizes", "r=2,c=2,m=7,o=3")
    assert result.exit_code == 0 and "these are the sizes --sizes gives" in result.output, result.output
    result = ncd("check", GALLERY / "mlp.ncd", "--sizes", "m=7")
    assert result.exit_code == 0 and "m as --sizes gives it" in result.output


def test_validate_warns_of_a_check_line_ncd_check_would_refuse(tmp_path):
    """'check y=3, q=4' passed validate, render and cost; only ncd check said that there is no axis q."""
    (tmp_path / "c.ncd").write_text("axis y = 8 width\naxis m = 4\ninput X[y m]\noutput X\ncheck y=3, q=4\n")
    result = ncd("validate", tmp_path / "c.ncd")
    assert result.exit_code == 0 and "c.ncd:5:1: warning: the check line sets unknown axis 'q'" in result.output


@pytest.mark.parametrize("form, told", [("gelu(X) with approximate=tanh", "look for a small mistake first"),
                                        ("gelu(X)", None)])
def test_a_float64_failure_far_above_rounding_is_not_blamed_on_float32(tmp_path, form, told):
    """A T5 layer drawn with a GELU's exact form, against a reference with its tanh one that computes in float32:
    float64 failed by about 1e-5, and the hint asked whether the reference computes in float32, to check in float32
    alone, where the mistake would have passed. An error that far above float32's rounding is now said to look like
    a small mistake first; the right form passes."""
    (tmp_path / "g.ncd").write_text(f"axis y = 6\naxis m = 8\ninput X[y m]\nH = {form}\nH = H * 0.2\nY = X + H\noutput Y\n")
    (tmp_path / "g.check.py").write_text(
        PAIRING + "import torch\n\ndef reference(sizes):\n"
        "    def forward(X):\n"
        "        return (X.float() + 0.2 * torch.nn.functional.gelu(X.float())).to(X.dtype)\n"
        "    return Reference(forward, name='exact GELU in float32')\n")
    report = check_file(tmp_path / "g.ncd")
    text = str(report)
    if told is None:
        assert "float32's rounding (about 1e-6)" not in text and "look for a small mistake" not in text, text
    else:
        assert not report.passed and told in text and "dtypes=(" not in text, text
