import importlib.util
import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GALLERY = sorted((ROOT / "gallery").glob("*.ncd"))
METRICS = ROOT.parent / "shared" / "tools" / "figure_metrics.py"


def pytest_generate_tests(metafunc):
    if "gallery_file" in metafunc.fixturenames:
        metafunc.parametrize("gallery_file", GALLERY, ids=[p.stem for p in GALLERY])


def _program(name: str, install: str) -> str:
    """The path of an outside program a test needs: skipped where it is missing, a failure under CI."""
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is missing; CI must install it ({install})")
        pytest.skip(f"{name} is not installed")
    return path


@pytest.fixture(scope="session")
def chromium() -> str:
    return _program("chromium", "apt-get install -y chromium")


@pytest.fixture(scope="session")
def pdflatex_program() -> str:
    return _program("pdflatex", "apt-get install -y texlive-latex-base texlive-pictures texlive-latex-recommended")


@pytest.fixture(scope="session")
def update_golden() -> bool:
    """Whether to rewrite golden files: only NCD_UPDATE_GOLDEN=1 does (unset or 0 compares), and never under CI."""
    value = os.environ.get("NCD_UPDATE_GOLDEN", "")
    if value not in ("", "0", "1"):
        pytest.fail(f"NCD_UPDATE_GOLDEN={value!r}: set it to 1 to rewrite the golden files, or leave it unset to compare")
    if value == "1" and os.environ.get("CI"):
        pytest.fail("NCD_UPDATE_GOLDEN=1 under CI: golden files are regenerated and looked at by a person, never by CI")
    return value == "1"


@pytest.fixture(scope="session")
def figure_metrics():
    """shared/tools/figure_metrics.py as a module: skipped where it is missing, a failure under CI."""
    if not METRICS.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"{METRICS} is missing; CI must copy shared/ beside the repository root")
        pytest.skip(f"{METRICS} is not there")
    spec = importlib.util.spec_from_file_location("figure_metrics", METRICS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
