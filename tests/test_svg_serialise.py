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
