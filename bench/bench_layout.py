"""What the crossing minimisation costs: layout + SVG with and without it, side by side.

Run from the repository root:  python bench/bench_layout.py [--runs 5] [--boxes 1000]
                               [--baseline DIR]   (a checkout of an older ncd-render to compare with)
Each variant runs as its own process (import, parse, build, layout, SVG), interleaved
run by run; prints medians and ratios, asserts nothing.
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

SCRIPT = """
import sys, time
sys.path.insert(0, {root!r})
import ncd_render.layout as L
from ncd_render.api import load
from ncd_render.render.svg import to_svg
if {plain}:
    L._choose = lambda d, *a, **k: (L.PLAIN, L.order(d, L.PLAIN))  # the order as swept, no search (layout() asks _choose)
fig = load({path!r})
to_svg(fig.scene())
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--boxes", type=int, nargs="+", default=[1000])
    ap.add_argument("--baseline", type=Path, help="another checkout's root, run the same way")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for boxes in args.boxes:
            path = Path(tmp) / f"synthetic{boxes}.ncd"
            path.write_text(synthetic(boxes))
            variants = {"with crossing minimisation": SCRIPT.format(root=str(ROOT), plain=False, path=str(path)),
                        "order as swept": SCRIPT.format(root=str(ROOT), plain=True, path=str(path))}
            for name, gallery in (("mha", "mha"), ("mixtral", "mixtral")):
                g = str(ROOT / "gallery" / f"{gallery}.ncd")
                variants[f"gallery {name}, with"] = SCRIPT.format(root=str(ROOT), plain=False, path=g)
                variants[f"gallery {name}, as swept"] = SCRIPT.format(root=str(ROOT), plain=True, path=g)
            if args.baseline:
                variants["baseline checkout"] = SCRIPT.format(root=str(args.baseline.resolve()), plain=False, path=str(path))
            times: dict[str, list[float]] = {k: [] for k in variants}
            for _ in range(args.runs):
                for name, code in variants.items():
                    start = time.perf_counter()
                    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
                    times[name].append(time.perf_counter() - start)
            medians = {k: statistics.median(v) for k, v in times.items()}
            print(f"{boxes} synthetic boxes (whole process, median of {args.runs}):")
            for name, t in medians.items():
                print(f"  {name:32s} {t:7.3f} s")
            print(f"  ratio with / as swept: {medians['with crossing minimisation'] / medians['order as swept']:.2f}")
            if args.baseline:
                print(f"  ratio with / baseline: {medians['with crossing minimisation'] / medians['baseline checkout']:.2f}")


if __name__ == "__main__":
    main()
