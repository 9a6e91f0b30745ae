"""The committed gallery is what the code draws now, and components collapse by depth."""
from pathlib import Path

import pytest

from ncd_render.api import load
from ncd_render.errors import NcdError
from ncd_render.gallery import build_gallery
from ncd_render.render import render_bytes

GALLERY = Path(__file__).resolve().parents[1] / "gallery"


def test_committed_svg_is_not_stale(gallery_file):
    committed = gallery_file.with_suffix(".svg")
    assert committed.exists(), f"{committed.name} is missing: run 'ncd gallery build'"
    fresh = render_bytes(load(gallery_file).scene(), "svg")
    assert committed.read_bytes() == fresh, f"{committed.name} is stale: run 'ncd gallery build' and look at the result"


def test_committed_pdf_has_the_figure_size(gallery_file):
    from pypdf import PdfReader

    scene = load(gallery_file).scene()
    page = PdfReader(gallery_file.with_suffix(".pdf")).pages[0]
    assert float(page.mediabox.width) == pytest.approx(scene.width, abs=1)


def test_index_page_shows_every_diagram():
    index = (GALLERY / "index.html").read_text()
    for source in GALLERY.glob("*.ncd"):
        assert f'src="{source.stem}.page.svg"' in index and f'href="{source.stem}.svg"' in index
        assert load(source).diagram.title in index


def test_build_writes_svg_pdf_and_index(tmp_path):
    (tmp_path / "a.ncd").write_text((GALLERY / "sdpa.ncd").read_text())
    written = build_gallery(tmp_path)
    assert sorted(p.name for p in written) == ["a.page.pdf", "a.page.svg", "a.pdf", "a.svg", "index.html"]
    assert (tmp_path / "a.svg").read_bytes() == (GALLERY / "sdpa.svg").read_bytes()


def test_two_sources_that_would_draw_one_file_are_refused_before_anything_is_written(tmp_path):
    """x.ncd's page figure is x.page.svg, which x.page.ncd draws too: each file was written twice, the count said 9
    files where 8 existed, and the index showed one figure under both titles."""
    (tmp_path / "x.ncd").write_text((GALLERY / "mlp.ncd").read_text())
    (tmp_path / "x.page.ncd").write_text((GALLERY / "mha.ncd").read_text())
    with pytest.raises(NcdError, match=r"'x.page.ncd' and 'x.ncd' would both draw 'x.page.svg'"):
        build_gallery(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.ncd", "x.page.ncd"]


def test_depth_collapses_components_into_boxes():
    overview = load(GALLERY / "transformer.ncd", depth=0).diagram
    detailed = load(GALLERY / "transformer.ncd", depth=1).diagram
    calls = [op.label for op in overview.ops if op.kind == "call"]
    assert sorted(set(calls)) == ["Attention", "FeedForward", "MaskedAttention"]
    assert not any(op.kind == "call" for op in detailed.ops)
    assert sum(op.kind == "linear" for op in detailed.ops) > sum(op.kind == "linear" for op in overview.ops)
    boxes = [i for i in load(GALLERY / "transformer.ncd", depth=0).scene().items if i.role == "box.shadow"]
    assert len(boxes) == len(calls)  # collapsed components are drawn as 3-D boxes


def test_repeat_is_drawn_once_with_its_count():
    scene = load(GALLERY / "resnet.ncd").scene()
    titles = ["".join(r.text for r in t.runs) for t in scene.items if t.role == "label.title"]
    assert titles == ["Residual block ×3"]
