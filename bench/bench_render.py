"""Render benchmarks: the two targets side by side, then layout + render time against size.

Run:  python bench/bench_render.py [--runs 7] [--targets-only] [--stages]   (it measures the checkout it is in)

Targets, each a pair of whole-process commands run interleaved (a, b, a, b, ...)
so that load on the machine hits both alike; medians of wall and CPU time:

* a cold ``ncd render gallery/mha.ncd -o mha.svg`` against a bare ``python -c pass``: at most x6;
* ``ncd render`` of a synthetic 10,000-box diagram against 1,000 boxes: at most x6.
  A linear pipeline gives (c + 10v) / (c + v) for start-up c and per-1,000-box cost v,
  so the growth beyond a cold mha render is printed too (x10 is linear).

Without --targets-only it goes on: layout and SVG time against size in process, the whole
gallery build, and page composition (``--layout page``) of chains of 100 to 1,000 boxes,
which the strands tier once made cubic (100 boxes: 30 s; 1,000: over ten minutes), and of the
transformer with every call expanded (page and slide), which tried each depth that draws the same
figure again (2.4 and 4.2 s before, 2026-12-03).

``--stages`` adds where the time of those two sizes goes, stage by stage, in CPU time in one
process (parse, IR build, layout, SVG): what to make cheaper per box for the second ratio.
``--instructions`` adds the same commands run once each under valgrind's cachegrind (when
installed; about four minutes): instructions executed and last-level cache misses (a fixed
16 MiB, 16-way cache, whatever the machine's), counts that do not move with the machine's
load, so a cut of a few percent per box shows where wall-clock medians vary by 20%.

The commands run with bytecode caching on (in a temporary folder, after one warm-up
run), as an installed package does, even where PYTHONDONTWRITEBYTECODE is set;
--no-bytecode-cache measures without. Nothing here asserts a time.
Peers run side by side when installed: DisCoPy (pip install discopy==1.2.2)
drawing a chain of layers, each a box and two swaps.
"""
from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]  # this checkout's ncd_render, whatever is installed
from synthetic import synthetic  # noqa: E402

NCD = [sys.executable, "-m", "ncd_render"]


def run_process(cmd: list[str], env: dict | None = None) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one run of ``cmd``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, env=env, cwd=ROOT)  # -m finds this checkout first
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def interleaved(cmds: dict[str, list[str]], runs: int, env: dict | None = None) -> dict[str, tuple[float, float]]:
    """Median (wall, CPU) seconds of each command, the commands taking turns run after run."""
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in cmds}
    for _ in range(runs):
        for name, cmd in cmds.items():
            times[name].append(run_process(cmd, env))
    return {name: (statistics.median(t[0] for t in ts), statistics.median(t[1] for t in ts)) for name, ts in times.items()}


def median_process(cmd: list[str], runs: int, env: dict | None = None) -> float:
    return interleaved({"cmd": cmd}, runs, env)["cmd"][0]


def median_call(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def targets(out: Path, runs: int, env: dict | None) -> None:
    """The two ratios the render path is held to, each measured as an interleaved pair."""
    mha = NCD + ["render", str(ROOT / "gallery/mha.ncd"), "-o", str(out / "mha.svg")]
    sizes = {}
    for boxes in (1000, 10000):
        (out / f"s{boxes}.ncd").write_text(synthetic(boxes))
        sizes[boxes] = NCD + ["render", str(out / f"s{boxes}.ncd"), "-o", str(out / f"s{boxes}.svg")]
    for cmd in (mha, sizes[1000]):  # writes the bytecode cache, and warms the disk cache
        run_process(cmd, env)
    cold = interleaved({"pass": [sys.executable, "-c", "pass"], "mha": mha}, runs, env)
    print("cold start, interleaved, medians (wall / CPU):")
    print(f"  python3 -c pass                          {cold['pass'][0]:7.3f} s / {cold['pass'][1]:.3f} s")
    print(f"  ncd render gallery/mha.ncd -o mha.svg    {cold['mha'][0]:7.3f} s / {cold['mha'][1]:.3f} s")
    print(f"  ratio x{cold['mha'][0] / cold['pass'][0]:.1f} wall, x{cold['mha'][1] / cold['pass'][1]:.1f} CPU   target: at most x6")
    big = interleaved({1000: sizes[1000], 10000: sizes[10000]}, max(3, runs // 2), env)
    print("\nsynthetic diagrams end to end (ncd render to SVG, whole process), interleaved, medians (wall / CPU):")
    for boxes, (wall, cpu) in big.items():
        print(f"  {boxes:6,d} boxes                             {wall:7.3f} s / {cpu:.3f} s")
    print(f"  ratio x{big[10000][0] / big[1000][0]:.1f} wall, x{big[10000][1] / big[1000][1]:.1f} CPU   target: at most x6")
    grow = [(big[10000][i] - cold["mha"][i]) / (big[1000][i] - cold["mha"][i]) for i in (0, 1)]
    print(f"  beyond a cold mha render: x{grow[0]:.1f} wall, x{grow[1]:.1f} CPU   (x10 is linear)")


LAST_LEVEL = "16777216,16,64"  # cachegrind's simulated last-level cache: 16 MiB, 16-way, 64-byte lines


def instructions(out: Path, env: dict | None) -> None:
    """The target commands once each under cachegrind (files written by :func:`targets`): their instructions
    and last-level misses, and the 10,000-box target's ratio taken of instructions instead of wall time."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        print("\nvalgrind not installed: instruction counts skipped (apt-get install valgrind)")
        return
    cmds = {"python3 -c pass": [sys.executable, "-c", "pass"],
            "ncd render gallery/mha.ncd": NCD + ["render", str(ROOT / "gallery/mha.ncd"), "-o", str(out / "mha.svg")]}
    for boxes in (1000, 10000):
        cmds[f"{boxes:,d} boxes"] = NCD + ["render", str(out / f"s{boxes}.ncd"), "-o", str(out / f"s{boxes}.svg")]
    print(f"\nunder cachegrind, once each (instructions; last-level misses, a {LAST_LEVEL.split(',')[0]}-byte cache):")
    counts = {}
    for name, cmd in cmds.items():
        run = subprocess.run([valgrind, "--tool=cachegrind", "--cache-sim=yes", f"--LL={LAST_LEVEL}",
                              "--cachegrind-out-file=/dev/null", *cmd], capture_output=True, text=True, env=env, cwd=ROOT)
        found = [re.search(rf"{key}:\s+([\d,]+)", run.stderr) for key in ("I\\s+refs", "LL misses")]
        if run.returncode or not all(found):
            print(f"  {name}: cachegrind failed (exit {run.returncode})")
            return
        counts[name] = [int(m.group(1).replace(",", "")) for m in found]
        print(f"  {name:32s} {counts[name][0] / 1e9:7.3f} G instructions  {counts[name][1] / 1e6:7.2f} M misses")
    (mha, _), (small, small_miss), (big, big_miss) = (counts[k] for k in list(cmds)[1:])
    print(f"  10,000 / 1,000 boxes: x{big / small:.2f} instructions, x{big_miss / small_miss:.1f} misses   "
          f"(beyond a cold mha render: x{(big - mha) / (small - mha):.1f} instructions; x10 is linear)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--targets-only", action="store_true", help="measure only the two target ratios")
    parser.add_argument("--no-bytecode-cache", action="store_true", help="run the commands as the environment says")
    parser.add_argument("--stages", action="store_true", help="also CPU time per stage at 1,000 and 10,000 boxes, in process")
    parser.add_argument("--instructions", action="store_true", help="also instructions and cache misses under cachegrind")
    args = parser.parse_args()
    out = Path(tempfile.mkdtemp())
    env = None
    if not args.no_bytecode_cache:
        env = {**os.environ, "PYTHONPYCACHEPREFIX": str(out / "pycache")}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, median of {args.runs} runs, "
          f"bytecode cache {'off' if args.no_bytecode_cache else 'on'}\n")
    targets(out, args.runs, env)
    if args.instructions:
        instructions(out, env)
    if args.stages:
        stages()
    if args.targets_only:
        return

    from ncd_render.api import load_text
    from ncd_render.render import render_bytes

    print("\nlayout + SVG render, in process (parse and check excluded):")
    rows = []
    for boxes in (250, 500, 1000, 2000):
        fig = load_text(synthetic(boxes))
        t = median_call(lambda: render_bytes(fig.scene(), "svg"), max(3, args.runs // 2))
        rows.append((boxes, t))
        print(f"  {boxes:5d} boxes: {t:.3f} s  ({t / boxes * 1e3:.2f} ms per box)")
    print(f"  growth 1000 -> 2000 boxes: x{rows[3][1] / rows[2][1]:.2f} (linear would be x2)")
    parse_t = median_call(lambda: load_text(synthetic(1000)), 3)
    print(f"  parse + check of the 1000-box program: {parse_t:.3f} s")

    build = median_process(NCD + ["gallery", "build", str(_copy_gallery(out))], 3, env)
    print(f"\nwhole gallery build (SVG + PDF + index, whole process): {build:.3f} s")

    print("\npage composition of a chain of residual blocks (ncd render --layout page, whole process, median of 3):")
    for boxes in (100, 300, 1000):
        source = out / f"chain{boxes}.ncd"
        source.write_text(synthetic(boxes))
        t = median_process(NCD + ["render", str(source), "--layout", "page", "-o", str(out / f"chain{boxes}.svg")], 3, env)
        print(f"  {boxes:5d} boxes: {t:.2f} s")
    expanded = out / "transformer_expanded.ncd"  # every component call drawn open: the page tries each depth
    expanded.write_text((ROOT / "gallery/transformer.ncd").read_text().replace("depth 0\n", "depth 2\n"))
    for layout in ("page", "slide"):
        t = median_process(NCD + ["render", str(expanded), "--layout", layout, "-o", str(out / f"expanded.{layout}.svg")], 3, env)
        print(f"  the transformer with every call expanded (depth 2), --layout {layout}: {t:.2f} s")

    try:
        import discopy  # noqa: F401
    except ImportError:
        print("\nDisCoPy not installed: peer comparison skipped (pip install discopy==1.2.2)")
        return
    print("\npeer, side by side: DisCoPy drawing a chain of n layers (box + two swaps) to SVG, whole process, interleaved")
    for n in (20, 100):
        (out / f"chain{n}.ncd").write_text(_chain(n))
        pair = interleaved({"ours": NCD + ["render", str(out / f"chain{n}.ncd"), "-o", str(out / f"c{n}.svg")],
                            "peer": [sys.executable, "-c", DISCOPY, str(n), str(out / f"d{n}.svg")]}, 3, env)
        ours, peer = pair["ours"][0], pair["peer"][0]
        print(f"  n={n:3d}: ncd-render {ours:.3f} s, DisCoPy {peer:.3f} s, ratio x{peer / ours:.1f}")


def stages() -> None:
    """CPU seconds of each stage of ``ncd render`` at 1,000 and 10,000 boxes, best of three, in this process."""
    import gc

    from ncd_render.api import Figure
    from ncd_render.ir import build
    from ncd_render.render import render_bytes
    from ncd_render.sources import program_from_text

    def cpu(fn):
        gc.disable()  # as ncd_render.api pauses it
        try:
            start = time.process_time()
            result = fn()
            return time.process_time() - start, result
        finally:
            gc.enable()

    print("\nstages, CPU time in one process, best of 3 (parse / IR build / layout / SVG):")
    rows = {}
    for boxes in (1000, 10000):
        text = synthetic(boxes)
        best = None
        for _ in range(3):
            t_parse, program = cpu(lambda: program_from_text(text, "synthetic.ncd"))
            t_build, diagram = cpu(lambda: build(program))
            t_layout, scene = cpu(lambda: Figure(diagram).scene())
            t_svg, _ = cpu(lambda: render_bytes(scene, "svg"))
            times = (t_parse, t_build, t_layout, t_svg)
            best = times if best is None else tuple(map(min, best, times))
        rows[boxes] = best
        print(f"  {boxes:6,d} boxes   " + "   ".join(f"{name} {t:.3f} s" for name, t in zip(("parse", "build", "layout", "svg"), best))
              + f"   total {sum(best):.3f} s")
    print("  growth x" + "   x".join(f"{rows[10000][k] / rows[1000][k]:.1f}" for k in range(4)) + "   (x10 is linear)")


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
