"""Render benchmarks: whole-process cold renders, and layout + render time against diagram size.

Run from the repository root:  python bench/bench_render.py [--runs 7]
Prints medians; nothing here asserts a time. Peers run side by side when installed:
DisCoPy (pip install discopy==1.2.2) drawing a chain of layers, each a box and two swaps.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from synthetic import synthetic  # noqa: E402


def median_process(cmd: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def median_call(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


DISCOPY = """
import sys
import matplotlib
matplotlib.use("Agg")
from discopy.symmetric import Ty, Box, Swap, Id
n = int(sys.argv[1]); x, y = Ty('x'), Ty('y')
d = Id(x @ y)
for i in range(n):
    d = d >> Box(f'f{i}', x @ y, x @ y) >> Swap(x, y) >> Swap(y, x)
d.draw(path=sys.argv[2], show=False)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    out = Path(tempfile.mkdtemp())
    print(f"python {sys.version.split()[0]}, median of {args.runs} runs\n")

    cold = median_process([sys.executable, "-m", "ncd_render", "render", str(ROOT / "gallery/mha.ncd"), "-o", str(out / "mha.svg")], args.runs)
    print(f"cold `ncd render gallery/mha.ncd -o mha.svg` (whole process): {cold:.3f} s   target < 0.5 s")
    baseline = median_process([sys.executable, "-c", "pass"], args.runs)
    print(f"  of which Python start-up alone: {baseline:.3f} s")

    from ncd_render.api import load_text
    from ncd_render.render import render_bytes

    print("\nlayout + SVG render, in process (parse and check excluded):")
    rows = []
    for boxes in (250, 500, 1000, 2000):
        fig = load_text(synthetic(boxes))
        t = median_call(lambda: render_bytes(fig.scene(), "svg"), max(3, args.runs // 2))
        rows.append((boxes, t))
        print(f"  {boxes:5d} boxes: {t:.3f} s  ({t / boxes * 1e3:.2f} ms per box)")
    print(f"  growth 1000 -> 2000 boxes: x{rows[3][1] / rows[2][1]:.2f} (linear would be x2)   target: 1000 boxes < 2 s")
    parse_t = median_call(lambda: load_text(synthetic(1000)), 3)
    print(f"  parse + check of the 1000-box program: {parse_t:.3f} s")

    build = median_process([sys.executable, "-m", "ncd_render", "gallery", "build", str(_copy_gallery(out))], 3)
    print(f"\nwhole gallery build (SVG + PDF + index, whole process): {build:.3f} s")

    try:
        import discopy  # noqa: F401
    except ImportError:
        print("\nDisCoPy not installed: peer comparison skipped (pip install discopy==1.2.2)")
        return
    print("\npeer, side by side: DisCoPy drawing a chain of n layers (box + two swaps) to SVG, whole process")
    for n in (20, 100):
        ours_src = out / f"chain{n}.ncd"
        ours_src.write_text(_chain(n))
        ours = median_process([sys.executable, "-m", "ncd_render", "render", str(ours_src), "-o", str(out / f"c{n}.svg")], 3)
        peer = median_process([sys.executable, "-c", DISCOPY, str(n), str(out / f"d{n}.svg")], 3)
        print(f"  n={n:3d}: ncd-render {ours:.3f} s, DisCoPy {peer:.3f} s, ratio x{peer / ours:.1f}")


def _chain(n: int) -> str:
    """The same chain as the DisCoPy peer: a box on two wires, then a transpose and its inverse."""
    lines = ["axis x = 4", "axis y = 4", "input A[x y]"]
    for i in range(n):
        lines += [f"A = linear(A: x y -> x y) as f_{{{i}}}", "A = rearrange(A: x y -> y x)", "A = rearrange(A: y x -> x y)"]
    return "\n".join(lines + ["output A"]) + "\n"


def _copy_gallery(out: Path) -> Path:
    folder = out / "gallery"
    folder.mkdir()
    for src in (ROOT / "gallery").glob("*.ncd"):
        (folder / src.name).write_text(src.read_text())
    return folder


if __name__ == "__main__":
    main()
