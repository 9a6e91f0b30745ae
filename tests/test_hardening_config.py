"""Theme, layout and hardware-profile files: every value has a type and a finite range.

Wrong types, zero, negative, NaN and inf values are refused with one
paragraph naming the file and the setting, exit status 2, before any work,
and nothing is written (docs/limits.md).
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

import ncd_render
from ncd_render.cost import load_profile
from ncd_render.errors import NcdError

sys.path.insert(0, str(Path(__file__).parent))
from cli_runs import cli, ncd  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MHA = ROOT / "gallery" / "mha.ncd"
PROFILE = ROOT / "ncd_render" / "cost" / "profiles" / "a100-80gb.toml"


def edited(text: str, section: str | None, key: str, value: str) -> str:
    """``text`` (TOML) with ``key`` in ``[section]`` (None: the top) set to the TOML ``value``."""
    start = text.index(f"[{section}]") if section else 0
    end = text.find("\n[", start + 1) if section else text.find("\n[")
    end = len(text) if end < 0 else end
    body = text[start:end]
    at = body.find(f"\n{key} =")
    if at < 0:
        body = body + f"\n{key} = {value}\n" if section else f"{key} = {value}\n" + body
    else:
        line_end = body.find("\n", at + 1)
        body = body[:at + 1] + f"{key} = {value}" + body[line_end if line_end >= 0 else len(body):]
    return text[:start] + body + text[end:]


THEME = {
    "zero font": ("font", "axis_size", "0", "'axis_size' must be a number from 1 to 200, not 0"),
    "negative font": ("font", "box_size", "-9", "'box_size' must be a number from 1 to 200, not -9"),
    "nan font": ("font", "title_size", "nan", "not nan"),
    "inf font": ("font", "name_size", "inf", "not inf"),
    "text font size": ("font", "axis_size", '"9"', "not '9'"),
    "family not text": ("font", "family", "3", "'family' must be text, not 3"),
    "colour name": ("colors", "wire", '"black"', "colour 'wire' is 'black', not #RRGGBB"),
    "short colour": ("colors", "text", '"#fff"', "colour 'text' is '#fff', not #RRGGBB"),
    "colour not text": ("colors", "dot", "1", "colour 'dot' is 1, not #RRGGBB"),
    "no sections": ("colors", "sections", "[]", "'sections' must be a list of 1 to 64 colours"),
    "section not a list": ("colors", "sections", '"#C5BEDF"', "'sections' must be a list of 1 to 64 colours"),
    "opacity too big": ("colors", "section_opacity", "2", "'section_opacity' must be a number from 0 to 1, not 2"),
    "negative stroke": ("strokes", "wire", "-1", "'wire' must be a number from 0 to 100, not -1"),
    "nan stroke": ("strokes", "box", "nan", "'box' must be a number from 0 to 100, not nan"),
    "zero dash": ("strokes", "dash", "[3.0, 0]", "'dash'[1] must be a number from 0.1 to 1000, not 0"),
    # TikZ writes lengths to two places: `on 0bp off 0bp`, a dash pattern of zeros, which PDF forbids (a tester's)
    "dash too fine to print": ("strokes", "dash", "[0.004, 0.004]", "'dash'[0] must be a number from 0.1 to 1000, not 0.004"),
    "dash not a list": ("strokes", "dash", "3", "'dash' must be a list of at most 16 numbers, not 3"),
    "font not a table": (None, "font", "3", "[font] must be a table of settings, not 3"),
}


@pytest.mark.parametrize("case", THEME)
def test_a_bad_theme_value_is_refused_before_any_work(tmp_path, case):
    section, key, value, message = THEME[case]
    text = (ROOT / "themes" / "paper.toml").read_text()
    text = f'name = "bad"\n{key} = {value}\n' if section is None else edited(text, section, key, value)
    (tmp_path / "bad.toml").write_text(text)
    (tmp_path / "fig.svg").write_bytes(b"good")
    with pytest.raises(NcdError) as error:  # from Python
        ncd_render.load(MHA, theme=str(tmp_path / "bad.toml")).scene()
    assert message in str(error.value)
    result = cli("render", tmp_path / "missing.ncd", "-o", tmp_path / "fig.svg", "--theme", tmp_path / "bad.toml")
    assert result.exit_code == 2, result.output  # the theme is read before the (missing) source
    assert f"error: theme '{tmp_path / 'bad.toml'}'" in result.stderr and message in result.stderr, result.stderr
    assert (tmp_path / "fig.svg").read_bytes() == b"good"


LAYOUT = {
    "zero pitch": ("pitch", "0", "'pitch' must be a number greater than 0 and at most 1000, not 0"),
    "negative gap": ("column_gap", "-4", "'column_gap' must be a number from 0 to 1000, not -4"),
    "nan margin": ("margin", "nan", "'margin' must be a number from 0 to 1000, not nan"),
    "inf clearance": ("clearance", "inf", "not inf"),
    "huge spacing": ("tensor_gap", "1e300", "not 1e+300"),
    "an integer past a float": ("pitch", "1" + "0" * 400, "'pitch' must be a number greater than 0 and at most 1000, not 1000"),
    "text spacing": ("label_pad", '"3"', "'label_pad' must be a number from 0 to 1000, not '3'"),
    "zero font scale": ("font_scale", "0", "'font_scale' must be a number from 0.1 to 10, not 0"),
    "width without unit": ("width", "3.25", "cannot read 'width' '3.25': it has no unit"),
    "width in furlongs": ("width", '"3 furlongs"', "unknown unit 'furlongs'"),
    "wrap as text": ("wrap", '"yes"', "'wrap' must be true or false, not 'yes'"),
}


@pytest.mark.parametrize("case", LAYOUT)
def test_a_bad_layout_value_is_refused_before_any_work(tmp_path, case):
    key, value, message = LAYOUT[case]
    (tmp_path / "bad.toml").write_text(edited((ROOT / "layouts" / "paper.toml").read_text(), None, key, value))
    with pytest.raises(NcdError) as error:  # from Python
        ncd_render.load(MHA, layout=str(tmp_path / "bad.toml")).scene()
    assert message in str(error.value)
    result = cli("render", tmp_path / "missing.ncd", "-o", tmp_path / "fig.pdf", "--layout", tmp_path / "bad.toml")
    assert result.exit_code == 2, result.output
    assert f"error: layout '{tmp_path / 'bad.toml'}'" in result.stderr and message in result.stderr, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml"]


PROFILES = {
    "nan bandwidth": (None, "hbm_bandwidth_gbs", "nan", "field 'hbm_bandwidth_gbs' must be a number greater than 0.001 and at most 1e+07, not nan"),
    "inf bandwidth": (None, "hbm_bandwidth_gbs", "inf", "not inf"),
    "overflowing bandwidth": (None, "hbm_bandwidth_gbs", "1e308", "not 1e+308"),
    # positive and finite, but kernel times came out infinite, and the JSON report raised a traceback
    "vanishing bandwidth": (None, "hbm_bandwidth_gbs", "1e-300", "greater than 0.001 and at most 1e+07, not 1e-300"),
    "an integer past a float": (None, "hbm_bandwidth_gbs", "1" + "0" * 400, "at most 1e+07, not 1000"),  # (a traceback)
    "inf launch": (None, "launch_overhead_us", "inf", "field 'launch_overhead_us' must be a number greater than 0"),
    "nan peak": ("peak_tflops", "bf16", "nan", "peak_tflops.bf16 must be a number greater than 1e-06 and at most 1e+07, not nan"),
    "inf peak": ("peak_tflops", "fp16", "inf", "peak_tflops.fp16 must be a number greater than 1e-06 and at most 1e+07, not inf"),
    "zero shared memory": (None, "shared_memory_kib", "0", "field 'shared_memory_kib' must be a number greater than 1 and at most 1.04858e+06, not 0"),
    "fractional shared memory": (None, "shared_memory_kib", "164.5", "field 'shared_memory_kib' must be a whole number, not 164.5"),
    "derate past one": (None, "derate", "1.5", "field 'derate' must be a number greater than 0 and at most 1, not 1.5"),
    "name with a control character": (None, "name", '"A100\\u0007"', "field 'name' holds the control character U+0007"),
}


@pytest.mark.parametrize("case", PROFILES)
def test_a_bad_hardware_profile_value_is_refused(tmp_path, case):
    section, key, value, message = PROFILES[case]
    path = tmp_path / "gpu.toml"
    path.write_text(edited(PROFILE.read_text(), section, key, value))
    with pytest.raises(NcdError, match="^" + str(path).replace(".", r"\.") + ": ") as error:
        load_profile(str(path))
    assert message in str(error.value)
    result = cli("cost", MHA, "--hw", path)
    assert result.exit_code == 2 and result.stdout == "" and message in result.stderr


def test_dev_zero_as_a_settings_file_is_refused_at_once(tmp_path):
    for option in ("--theme", "--layout"):
        result = ncd("render", MHA, "-o", tmp_path / "fig.svg", option, "/dev/zero")
        assert result.returncode == 2 and "/dev/zero' is" not in result.stderr
        assert "/dev/zero: the " in result.stderr and "file is larger than the limit of 1 MiB" in result.stderr
    result = ncd("cost", MHA, "--hw", "/dev/zero")
    assert result.returncode == 2 and "error: /dev/zero: hardware profile is larger than the limit of 1 MiB" in result.stderr


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_the_builtin_settings_pass_their_own_checks():
    for theme in ("paper", "mono", "colorblind", "dark"):
        for layout in ("paper", "column", "page", "slide"):
            assert ncd_render.load(MHA, theme=theme, layout=layout).scene().width > 0
