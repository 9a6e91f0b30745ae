"""Hostile or odd .ncd input: bounded reading, control characters and odd whitespace, huge names.

Every case fails cleanly: one paragraph naming the file (with line, column and
caret where there is a position), exit status 2, no traceback, nothing written,
in bounded time (docs/limits.md).
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import ncd_render
from ncd_render.errors import NcdError, Source
from ncd_render.parse import parse_file
from ncd_render.text import parse_label

sys.path.insert(0, str(Path(__file__).parent))
from cli_runs import cli, ncd, refused as fails_cleanly  # noqa: E402

MAX_FILE_BYTES, MAX_NAME = 1 << 20, 200  # the documented limits (docs/limits.md)
TINY = "axis m = 4\ninput X[m]\nY = relu(X)\noutput Y\n"


@pytest.mark.parametrize("char, name", [("\f", "U+000C (form feed)"), ("\v", "U+000B (vertical tab)"),
                                        ("\x1c", "U+001C"), ("\u2028", "U+2028 (line separator)"),
                                        ("\u00a0", "U+00A0 (no-break space)"), ("\x1b", "U+001B (escape)")])
def test_odd_whitespace_and_control_characters_are_errors_at_their_place(tmp_path, monkeypatch, char, name):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.ncd").write_text(f"axis m = 4\ninput X[m]\n{char}Y = relu(X)\noutput Y\n", encoding="utf-8")
    (tmp_path / "out.svg").write_bytes(b"good")
    result = cli("render", "t.ncd", "-o", "out.svg")
    fails_cleanly(result, "t.ncd:3:1: error: ", name, "    3 | ?Y = relu(X)\n      | ^\n")
    assert char not in result.stderr  # a terminal never receives the character itself
    assert (tmp_path / "out.svg").read_bytes() == b"good"


def test_a_control_character_in_a_title_is_an_error_in_every_format(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.ncd").write_text('title "Attention\x01"\n' + TINY)
    for suffix in ("svg", "pdf", "png", "tikz"):
        result = cli("render", "t.ncd", "-o", f"out.{suffix}")
        fails_cleanly(result, "t.ncd:1:17: error: the control character U+0001")
        assert not (tmp_path / f"out.{suffix}").exists()
    result = cli("latex", "t.ncd", "-o", "out.tikz")
    fails_cleanly(result, "t.ncd:1:17")


def test_a_carriage_return_in_a_title_from_python_is_an_error():
    with pytest.raises(NcdError, match=r"<string>:1:12: the whitespace character U\+000D \(carriage return\)"):
        ncd_render.load_text('title "Evil\r\\input{/etc/passwd}"\n' + TINY)
    assert ncd_render.load_text("title \"Fine\"\r\n" + TINY.replace("\n", "\r\n")).diagram.title == "Fine"


def test_a_lone_carriage_return_in_a_file_is_an_error_not_a_hidden_line(tmp_path, monkeypatch):
    """docs/limits.md promises it: a file read lone carriage returns as new lines, so a statement ran that an editor
    shows inside a comment (`# one comment line\rY = relu(X)`). CRLF files still read as they should."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.ncd").write_bytes(b"axis m = 4\ninput X[m]\n# one comment line\rY = relu(X)\noutput X\n")
    fails_cleanly(cli("validate", "c.ncd"), "c.ncd:3:19: error: the whitespace character U+000D (carriage return)")
    (tmp_path / "d.ncd").write_bytes(TINY.replace("\n", "\r\n").encode())
    assert cli("validate", "d.ncd").returncode == 0


def test_a_seed_beyond_what_torch_takes_is_a_usage_error():
    """--seed 2**64 reached torch.manual_seed: a traceback and exit 1, which ncd check uses for 'disagrees'."""
    result = cli("check", "gallery/mha.ncd", "--seed", str(2 ** 64))
    assert result.returncode == 2 and "invalid value for '--seed'" in result.output


def test_the_caret_line_is_the_line_the_parser_counts(tmp_path):
    # splitlines() also breaks at \x1c, \x85, \u2028: the excerpt must not drift from lark's line numbers
    source = Source("t.ncd", "a\x85b\nsecond\n")
    assert source.line(2) == "second" and source.line(1) == "a\x85b"


@pytest.mark.parametrize("line, under", [("\t\tH = relu(Q)", "Q"), ("H = relu(数据) + Q", "+"), ("H = relu(Ｘ２) + Q", "+")])
def test_the_caret_stands_under_its_place_past_tabs_and_wide_characters(line, under):
    """The caret line was padded with one space per character: past a tab it stood left of its place, and one column
    left for each wide character (a tester's). It keeps the line's tabs now, and two columns for a wide character."""
    import unicodedata

    text = "axis m = 4\ninput X[m], 数据[m], Ｘ２[m]\n" + line + "\noutput H\n"
    with pytest.raises(NcdError) as caught:
        from ncd_render.api import load_text
        load_text(text)
    shown_line, carets = str(caught.value).split("\n")[1:3]
    source, marks = shown_line.split(" | ", 1)[1], carets.split("| ", 1)[1]

    def columns(s):  # as a terminal with 8-column tabs sets them
        at = 0
        for c in s:
            at = (at // 8 + 1) * 8 if c == "\t" else at + (2 if unicodedata.east_asian_width(c) in "WF" else 1)
        return at
    place = source.index(under)
    assert columns(marks[:marks.index("^")]) == columns(source[:place]), (source, marks)


def test_dev_zero_is_refused_at_once(tmp_path):
    result = ncd("render", "/dev/zero", "-o", tmp_path / "z.svg", timeout=20)
    fails_cleanly(result, "error: /dev/zero: the diagram is larger than the limit of 1 MiB")
    assert not (tmp_path / "z.svg").exists()
    fails_cleanly(ncd("latex", "/dev/zero", "-o", tmp_path / "z.pdf", timeout=20), "larger than the limit of 1 MiB")


def test_a_named_pipe_no_program_writes_to_is_read_at_once(tmp_path):
    """A FIFO as the diagram, or as a theme, with no writer: open() waited for a writer for ever."""
    import os

    pipe = tmp_path / "p.ncd"
    os.mkfifo(pipe)
    fails_cleanly(ncd("render", pipe, "-o", tmp_path / "p.svg", timeout=30), "the diagram has no 'output' statement")
    theme = tmp_path / "t.toml"
    os.mkfifo(theme)
    assert not (tmp_path / "p.svg").exists()
    result = ncd("render", Path(ncd_render.__file__).parents[1] / "gallery" / "mlp.ncd", "--theme", theme, "-o", tmp_path / "p.svg", timeout=30)
    assert "Traceback" not in result.stderr  # (read as an empty theme: every setting its default)


def test_a_file_over_the_size_limit_is_refused(tmp_path):
    big = tmp_path / "big.ncd"
    big.write_text(TINY + "#" * MAX_FILE_BYTES + "\n")
    with pytest.raises(NcdError, match="big.ncd: the diagram is larger than the limit of 1 MiB"):
        ncd_render.load(big)
    for command in ("validate", "cost", "compile", "check"):
        fails_cleanly(cli(command, big), f"error: {big}: the diagram is larger than the limit of 1 MiB")


def test_a_megabyte_name_is_refused_before_any_work(tmp_path):
    name = "a" * 1_000_000
    (tmp_path / "t.ncd").write_text(f"axis m = 4\ninput X[m]\n{name} = relu(X)\noutput {name[:5]}\n")
    result = ncd("render", "t.ncd", "-o", "out.svg", cwd=tmp_path, timeout=30)
    fails_cleanly(result, f"t.ncd:3:1: error: this name is 1,000,000 characters long; the limit is {MAX_NAME}")
    assert len(result.stderr) < 1000  # the excerpt shows a window of the line, not all of it
    ok = "b" * MAX_NAME
    assert ncd_render.load_text(f"axis m = 4\ninput {ok}[m]\noutput {ok}\n").diagram.inputs


def test_a_long_string_is_refused_but_not_one_in_a_comment(tmp_path):
    with pytest.raises(NcdError, match="1:7: this quoted string is 5,000 characters long; the limit is 1,000"):
        ncd_render.load_text('title "' + "x" * 5000 + '"\n' + TINY)
    assert ncd_render.load_text('# "' + "y" * 5000 + '" and ' + "z" * 5000 + "\n" + TINY).diagram.outputs


def test_label_parsing_is_linear():
    # was quadratic: a 200,000-character label took 3.5 s, a 1 MB one 8-27 s
    import time

    start = time.perf_counter()
    runs = parse_label("a" * 1_000_000 + "_b")
    assert [len(r.text) for r in runs] == [1_000_000, 1]
    assert time.perf_counter() - start < 3  # linear: about 0.5 s


def test_a_byte_order_mark_and_crlf_lines_are_read_as_text(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.ncd").write_bytes(b"\xef\xbb\xbf" + TINY.replace("\n", "\r\n").encode())
    assert cli("validate", "t.ncd").returncode == 0
    (tmp_path / "u.ncd").write_bytes(TINY.encode() + b"# caf\xe9\n")
    fails_cleanly(cli("validate", "u.ncd"), "u.ncd:5:6: error: cannot read the diagram: byte 0xe9 is not UTF-8\n"
                  "    5 | # caf\ufffd\n      |      ^\nhint: save the file as UTF-8")


def test_a_file_that_is_not_utf8_is_refused_at_its_line_and_column_in_the_projects_words(tmp_path, monkeypatch):
    """A Latin-1 diagram's error gave a line but no column or caret; a binary theme or layout file gave Python's
    "'utf-8' codec can't decode byte 0x9d in position 2"."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.ncd").write_bytes(b'title "R\xe9seau"\n' + TINY.encode())
    fails_cleanly(cli("validate", "t.ncd"), "t.ncd:1:9: error: cannot read the diagram: byte 0xe9 is not UTF-8\n"
                  '    1 | title "R\ufffdseau"\n      |         ^\n')
    with pytest.raises(NcdError, match="t.ncd:1:9: cannot read the diagram: byte 0xe9 is not UTF-8"):
        parse_file("t.ncd")  # (it gave Python's wording too)
    (tmp_path / "t.ncd").write_text(TINY)
    (tmp_path / "bin.toml").write_bytes(b"\xc3\x92\x9d\xce\x00\x01\x02\x03rest")
    for option, what in (("--theme", "theme file"), ("--layout", "layout file")):
        result = cli("render", "t.ncd", "-o", "t.svg", option, "bin.toml")
        fails_cleanly(result, f"bin.toml:1:2: error: cannot read the {what}: byte 0x9d is not UTF-8\n", "      |  ^\n",
                      "hint: it holds binary data, not text")
        assert "codec" not in result.stderr and not (tmp_path / "t.svg").exists()
    fails_cleanly(cli("cost", "t.ncd", "--hw", "bin.toml"), "bin.toml:1:2: error: cannot read the hardware profile: byte 0x9d")


@pytest.mark.parametrize("text, message, where", [
    ("axis m = 4\ninput X[m]\nY = " + " + ".join(["X"] * 3000) + "\noutput Y\n", "this statement takes 3,000 tensors; the limit is 256", ":3:5"),
    ("axis m = 4\ninput X[m]\n" + "".join(f"H{k} = relu(X)\n" for k in range(1100)) + "output H0\n",
     "X is read by 1,100 statements; the limit is 1,024", ":1027:"),
])
def test_a_statement_of_thousands_of_terms_or_a_tensor_read_thousands_of_times_is_refused(tmp_path, text, message, where):
    """A tester's one-statement sum of 3,000 terms laid out in 68 s (8,000: still running at 15 minutes, 2.3 GB);
    4,000 readers of one tensor in 111 s. Each is refused before any layout, at its statement."""
    (tmp_path / "big.ncd").write_text(text)
    result = ncd("validate", tmp_path / "big.ncd", timeout=60)
    fails_cleanly(result, message, where)


def reversals(axes: int, times: int) -> str:
    """A tensor of ``axes`` axes, its axes reversed ``times`` times: each reversal crosses every pair of its wires."""
    names = [f"a{k}" for k in range(axes)]
    order = [" ".join(names), " ".join(reversed(names))]
    return ("".join(f"axis {a} = 2\n" for a in names) + f"input X0[{order[0]}]\n"
            + "".join(f"X{k + 1} = rearrange(X{k}: {order[k % 2]} -> {order[1 - k % 2]})\n" for k in range(times)) + f"output X{times}\n")


def test_a_tensor_of_thousands_of_axes_is_refused_where_it_is_declared(tmp_path):
    """A tester's 2,000 axes, reversed in one statement: `validate` passed it, and drawing it took 33 s, 4.9 GB and wrote a
    650 MB SVG (every wire crossing every other). A tensor has at most 64 axes."""
    (tmp_path / "wide.ncd").write_text(reversals(2000, 1))
    fails_cleanly(ncd("validate", tmp_path / "wide.ncd", timeout=60), "X0 has 2,000 axes; the limit is 64", ":2001:7")


def test_a_figure_that_must_cross_wires_too_often_is_refused_before_its_layout(tmp_path):
    """Twelve reversals of 64 axes demand 24,192 crossings: any drawing of them is a braid no reader follows, and its
    curves cost time and memory, so drawing is refused at the statement that demands the most; nine (18,144) draw."""
    (tmp_path / "braid.ncd").write_text(reversals(64, 12))
    out = tmp_path / "braid.svg"
    fails_cleanly(ncd("render", tmp_path / "braid.ncd", "-o", out, timeout=60),
                  "drawn, the diagram would cross wires at least 24,192 times, more than 20,000; this statement alone crosses 2,016", ":66:6")
    assert not out.exists()
    sections = "".join(f'section "s{k}"\n  {line}\nend\n' if line.startswith("X") else line + "\n"
                       for k, line in enumerate(reversals(64, 12).splitlines()))  # a page part each, each under the limit
    (tmp_path / "parts.ncd").write_text(sections)
    fails_cleanly(ncd("render", tmp_path / "parts.ncd", "-o", out, "--layout", "page", timeout=60), "at least 24,192 times")
    assert ncd("validate", tmp_path / "braid.ncd").returncode == 0  # (building and costing it draw nothing)
    (tmp_path / "nine.ncd").write_text(reversals(64, 9))
    assert ncd("render", tmp_path / "nine.ncd", "-o", out, timeout=120).returncode == 0


def test_a_box_limit_and_a_check_line_of_zero_name_their_file(tmp_path):
    """Two errors that named no file: the box limit of a diagram without component calls, and a check line setting
    a size of 0 (its error named no file or line; its hint spoke of 'line 5')."""
    (tmp_path / "boxes.ncd").write_text("axis m = 2\ninput X0[m]\n" + "".join(f"X{k + 1} = relu(X{k})\n" for k in range(20_001))
                                        + "output X20001\n")
    fails_cleanly(cli("validate", tmp_path / "boxes.ncd"), "boxes.ncd: the diagram has 20,00")
    (tmp_path / "zero.ncd").write_text(TINY + "check m=0\n")
    (tmp_path / "zero.check.py").write_text("import torch\nfrom ncd_render.pytorch.check import Reference\n\n"
                                            "def reference(sizes):\n    return Reference(lambda X: torch.relu(X), torch.nn.Module(), {})\n")
    fails_cleanly(cli("check", tmp_path / "zero.ncd"), "zero.ncd:5:1: error: the check line sets axis 'm' to 0")


def test_ctrl_c_exits_130_not_1(tmp_path):
    """Interrupted, a command printed click's 'Aborted!' and exited 1, which ncd check uses for 'the diagram disagrees'.
    It exits 130, as a shell reports SIGINT, with one line."""
    import signal
    import time

    (tmp_path / "long.ncd").write_text("axis m = 2\ninput X0[m]\n" + "".join(f"X{k + 1} = relu(X{k})\n" for k in range(19_000))
                                       + "output X19000\n")
    child = subprocess.Popen([sys.executable, "-m", "ncd_render", "render", str(tmp_path / "long.ncd"), "-o", str(tmp_path / "f.svg"),
                              "--layout", "page"],
                             stderr=subprocess.PIPE, text=True,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # (a shell's background job ignores it)
    time.sleep(3.0)  # past start-up, inside the command (a page of it takes a minute more)
    child.send_signal(signal.SIGINT)
    err = child.communicate(timeout=120)[1]
    assert child.returncode == 130 and err.strip().endswith("interrupted") and "Traceback" not in err, err
    assert not (tmp_path / "f.svg").exists()
