"""A page's items name the figure's ops (ncd_render.page.refs).

A page is set from pieces each built as a diagram of its own, numbered from 0. Before the pieces'
ops were numbered as the figure's, a label of a later row (the ∗k^-1/2 at an attention's cup)
shared its number with a box of an earlier row: the SVG drew the label in that box's group,
before the later row's panel, which then covered it (grey instead of black: llama_attention's
page), and the browser view's card for a box of a later row was another box's.
"""
import re
import sys
from pathlib import Path

import pytest

from ncd_render.api import load
from ncd_render.layout import layout
from ncd_render.page.chunks import chunks
from ncd_render.page.refs import Numbering, in_figure, op_keys
from ncd_render.serve.view import figure_view
from ncd_render.style import load_preset, load_theme

sys.path.insert(0, str(Path(__file__).parent))
from test_figure_quality import FIGURE_IDS, FIGURES  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
LLAMA = ROOT / "tests" / "corpus" / "llama_attention.ncd"
PANEL = re.compile(r'<rect class="ncd-section"[^>]*\bheight="([\d.]+)"[^>]*\bwidth="([\d.]+)" x="([-\d.]+)" y="([-\d.]+)"')
SPAN = re.compile(r'<tspan[^>]*\bx="([-\d.]+)" y="([-\d.]+)">([^<]*)</tspan>')
GROUP = re.compile(r'<g class="ncd-box" data-op="(\d+)">(.*?)</g>', re.S)
TEXT = re.compile(r'<text[^>]*\bdata-op="(\d+)"[^>]*>(.*?)</text>')


def labels_under_panels(svg: str) -> list[str]:
    """The labels a section panel is drawn after and over (panels are translucent: what they cover fades)."""
    panels = [(m.start(), float(m.group(3)), float(m.group(4)), float(m.group(2)), float(m.group(1))) for m in PANEL.finditer(svg)]
    return [m.group(3) for m in SPAN.finditer(svg)
            if any(start > m.start() and x <= float(m.group(1)) <= x + w and y <= float(m.group(2)) <= y + h
                   for start, x, y, w, h in panels)]


def box_texts(svg: str) -> dict[str, list[str]]:
    """data-op -> the text of each group of that op's box."""
    found: dict[str, list[str]] = {}
    for group in GROUP.finditer(svg):
        found.setdefault(group.group(1), []).append("".join(m.group(3) for m in SPAN.finditer(group.group(2))))
    return found


def op_texts(svg: str) -> dict[str, set[str]]:
    """data-op -> the texts that name that op (a box's label and its bias's "+", a sum's sign, a scale at a cup)."""
    found: dict[str, set[str]] = {}
    for text in TEXT.finditer(svg):
        found.setdefault(text.group(1), set()).add("".join(m.group(3) for m in SPAN.finditer(text.group(2))))
    return found


def test_the_check_finds_a_label_under_a_panel():
    svg = ('<text><tspan x="5" y="5">before</tspan></text>'
           '<rect class="ncd-section" fill="#C5BEDF" height="10" width="10" x="0" y="0" />'
           '<text><tspan x="6" y="6">after</tspan></text>')
    assert labels_under_panels(svg) == ["before"]


@pytest.mark.parametrize("path", FIGURES, ids=FIGURE_IDS)
def test_no_label_of_a_page_lies_under_a_panel_drawn_after_it(path):
    """llama_attention's ∗k^-1/2 was drawn with a box of the row above, under its own row's panel."""
    assert labels_under_panels(load(path, layout="page").svg().decode()) == []


@pytest.mark.parametrize("path", FIGURES, ids=FIGURE_IDS)
def test_every_box_of_a_page_names_the_op_the_figure_names_it_by(path):
    """A label on the page reads as the labels of the same ``data-op`` in the figure as drawn whole (the
    paper layout, laid out from the figure's own diagram; a sum drawn there between merge dots, as a box
    here, has the same sign); a box the figure does not draw (a collapsed component's body, laid out as
    its definition) names no op."""
    whole = op_texts(load(path).svg().decode())
    for op, texts in op_texts(load(path, layout="page").svg().decode()).items():
        assert op in whole and texts <= whole[op], (path.stem, op, texts, whole.get(op))


def test_a_part_of_a_page_names_its_ops_as_the_figure_does():
    """llama_attention's parts, each built alone and numbered from 0: renumbered, each item names the
    figure's op of the same kind and label; as built, some named another."""
    figure = load(LLAMA).diagram
    numbering, theme, preset = Numbering(figure), load_theme("paper"), load_preset("page")
    ours = {op.id: (op.kind, op.label) for op in figure.ops}
    misnamed = 0
    for part in chunks(figure):
        theirs = {op.id: (op.kind, op.label) for op in part.diagram.ops}
        scene = layout(part.diagram, theme, preset)
        for item, renamed in zip(scene.items, in_figure(scene, part.diagram, numbering).items):
            if getattr(item, "ref", None) is not None:
                assert ours[renamed.ref] == theirs[item.ref]
                misnamed += ours.get(item.ref) != theirs[item.ref]
    assert misnamed > 0


def test_an_op_is_known_by_its_calls_its_statement_its_kind_and_its_turn():
    figure = load(ROOT / "gallery" / "transformer.ncd", depth=1).diagram  # every layer's attention expanded: one body, three calls
    keys = [k for k in op_keys(figure).values() if k is not None]
    assert len(set(keys)) == len(keys)
    assert len({k[0] for k in keys}) > 2  # the calls around them tell the bodies apart


def test_the_browser_views_cards_on_a_page_are_the_boxes_own():
    """The page layout in the browser view: each box's ``data-op`` finds its own card (its label)."""
    data, _ = figure_view(LLAMA.read_text(), LLAMA.name, layout="page")
    linear = {op: texts for op, texts in box_texts(data["svg"]).items() if data["ops"][op]["kind"] == "linear"}
    assert len(linear) == 4
    for op, texts in linear.items():
        assert texts == [data["ops"][op]["label"].replace("_", "")], (texts, data["ops"][op]["label"])
