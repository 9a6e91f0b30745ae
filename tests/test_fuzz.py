"""A grammar-aware fuzzer, bounded for CI: gallery and corpus files mutated token by token (bench/fuzz.py
has the mutations and a longer run) go through parse, build, layout, SVG, TikZ and cost in
process. The only exception allowed is NcdError, and each case finishes in 10 s."""
import importlib.util
import random
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("ncd_fuzz", ROOT / "bench" / "fuzz.py")
fuzz = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fuzz)
GALLERY = {p.name: p.read_text() for p in fuzz.GALLERY}
SOURCES = {**GALLERY, **{p.name: p.read_text() for p in fuzz.CORPUS}}  # the corpus: division, split, subtraction


@settings(max_examples=120, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(SOURCES)), seed=st.integers(0, 2 ** 32 - 1), steps=st.integers(1, 3))
def test_mutated_gallery_files_fail_only_with_ncd_errors(name, seed, steps):
    text = fuzz.mutate(SOURCES[name], random.Random(seed), steps)
    began = time.perf_counter()
    stage, crash = fuzz.run_case(text, name, seconds=fuzz.CASE_SECONDS)
    assert crash is None, f"{crash} in {stage}, for this mutant of {name}:\n{text}"
    assert time.perf_counter() - began < fuzz.CASE_SECONDS


def test_the_mutations_reach_every_stage():
    """The fuzzer is only useful if mutants get past the parser: some are drawn and costed."""
    rng = random.Random(0)
    reached = {fuzz.run_case(fuzz.mutate(GALLERY[name], rng, 1), name)[0] for name in sorted(GALLERY) * 4}
    assert {"parse", "build", "ok"} <= reached
