"""render.svg writes svgwrite's elements itself (for speed); the text must be what svgwrite writes."""
import svgwrite

from ncd_render.api import load, load_text
from ncd_render.render import svg


def _both(scene) -> tuple[bytes, bytes]:
    """The SVG as render.svg writes it, and as svgwrite's own tostring (through ElementTree) writes it."""
    ours = svg.to_svg(scene)
    original = svg.serialise
    svg.serialise = svgwrite.Drawing.tostring
    try:
        theirs = svg.to_svg(scene)
    finally:
        svg.serialise = original
    return ours, theirs


def test_gallery_svg_is_svgwrites_text(gallery_file):
    ours, theirs = _both(load(gallery_file).scene())
    assert ours == theirs


def test_escaped_text_and_titles_are_svgwrites_text():
    fig = load_text('title "a < b & c>"\naxis m = 4\ninput X[m]\nY = linear(X: m -> m) as W_{<&>}\noutput Y\n')
    ours, theirs = _both(fig.scene(theme="serif"))
    assert ours == theirs and b"&lt;" in ours and b"&amp;" in ours


def test_a_label_or_font_with_a_control_character_is_refused_by_name():
    """The renderer screens every label and font family in one pass, then names the one that is bad."""
    import pytest

    from ncd_render.errors import NcdError
    from ncd_render.scene import Scene, Text
    from ncd_render.text import set_label

    good, bad = set_label("ok", "DejaVu Sans", 9), set_label("a\x07b", "DejaVu Sans", 9)
    with pytest.raises(NcdError, match=r"the label 'a\\x07b' holds the control character U\+0007"):
        svg.to_svg(Scene(9, 9, [Text(0, 0, good.runs, "DejaVu Sans", "#000", 1, 1, 1),
                                Text(0, 0, bad.runs, "DejaVu Sans", "#000", 1, 1, 1)]))
    with pytest.raises(NcdError, match="the font family holds the control character U\\+001B"):
        svg.to_svg(Scene(9, 9, [Text(0, 0, good.runs, "Deja\x1bVu", "#000", 1, 1, 1)]))
