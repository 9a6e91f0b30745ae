"""What the crossing minimisation costs: layout + SVG with and without it, side by side.

Run from the repository root:  python bench/bench_layout.py [--runs 5] [--boxes 1000]
                               [--baseline DIR]   (a checkout of an older ncd-render to compare with)
Each variant runs as its own process (import, parse, build, layout, SVG), interleaved
run by run; prints medians and ratios, asserts nothing.

``--stages`` prints instead where the layout's time goes, stage by stage (the choice of how
copies branch, which sweeps the order once per choice it scores; the boxes' labels; heights;
x positions; glyphs; composition), in CPU seconds in this process, best of ``--runs``.
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
from ncd_render.layout import order
from ncd_render.api import load
from ncd_render.render.svg import to_svg
if {plain}:
    L.choose_order = lambda d, *a, **k: (L.PLAIN, order.order(d, L.PLAIN))  # the order as swept, no search (layout() asks choose_order)
fig = load({path!r})
to_svg(fig.scene())
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--boxes", type=int, nargs="+", default=[1000])
    ap.add_argument("--baseline", type=Path, help="another checkout's root, run the same way")
    ap.add_argument("--stages", action="store_true", help="CPU time of each layout stage, in this process")
    args = ap.parse_args()
    if args.stages:
        for boxes in args.boxes:
            stages(boxes, args.runs)
        return
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


def stages(boxes: int, runs: int) -> None:
    """CPU seconds of each stage of the layout of ``synthetic(boxes)``, best of ``runs``."""
    import gc

    sys.path.insert(0, str(ROOT))
    import ncd_render.layout as L
    from ncd_render.api import load_text
    from ncd_render.layout.columns import place_columns
    from ncd_render.layout.compose import compose
    from ncd_render.layout.glyphs import box_labels, draw_glyphs
    from ncd_render.layout.heights import heights
    from ncd_render.layout.model import Style
    from ncd_render.sizing import scale_fonts
    from ncd_render.style import load_preset, load_theme

    diagram = load_text(synthetic(boxes)).diagram
    preset = load_preset("paper")
    theme = scale_fonts(load_theme("paper"), preset.font_scale)
    style = Style(diagram, theme, preset)
    best: dict[str, float] = {}
    for _ in range(runs):
        gc.disable()  # as ncd_render.api pauses it
        try:
            done = {}

            def timed(name, fn):
                start = time.process_time()
                result = fn()
                done[name] = time.process_time() - start
                return result

            ordered = timed("choose copies + order", lambda: L.choose_order(diagram)[1])
            labels = timed("box labels", lambda: box_labels(style, ordered))
            high = timed("heights", lambda: heights(style, ordered, labels))
            laid = timed("columns", lambda: place_columns(style, ordered, high, labels))
            drawn = timed("glyphs", lambda: draw_glyphs(style, ordered, high, laid))
            timed("compose", lambda: compose(style, ordered, high, laid, drawn))
        finally:
            gc.enable()
        best = {k: min(v, best.get(k, v)) for k, v in done.items()}
    print(f"{boxes:,} synthetic boxes, layout stages (CPU, best of {runs}):   "
          + "   ".join(f"{k} {v:.3f} s" for k, v in best.items()) + f"   total {sum(best.values()):.3f} s")


if __name__ == "__main__":
    main()
