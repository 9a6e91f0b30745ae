from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GALLERY = sorted((ROOT / "gallery").glob("*.ncd"))


def pytest_generate_tests(metafunc):
    if "gallery_file" in metafunc.fixturenames:
        metafunc.parametrize("gallery_file", GALLERY, ids=[p.stem for p in GALLERY])


@pytest.fixture
def write(tmp_path):
    """Write a .ncd file and return its path."""

    def _write(text: str, name: str = "t.ncd") -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path

    return _write
