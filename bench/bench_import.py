"""ncd import on the modules tests/test_import.py uses: seconds to import and check each,
the drawing's crossings and layout defects, and the opaque boxes. Asserts nothing.

Run from the repository root:  python bench/bench_import.py [--round-trip] [--out DIR] [NAME ...]
Each module runs as `ncd import tests/import_models/models.py:NAME -o DIR/NAME.ncd`, then
`ncd check DIR/NAME.ncd`, in its own process (torch's import included, as a user sees it);
DIR keeps the diagrams, their pairings and PNGs to look at. With --round-trip the modules are
the gallery diagrams as `ncd compile` writes them (tests/import_models/roundtrip.py:NAME).
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "tests" / "import_models" / "models.py"
ROUND_TRIP = ROOT / "tests" / "import_models" / "roundtrip.py"
NAMES = ["multihead_attention", "encoder_layer", "decoder_layer", "mlp", "resnet_block", "llama_decoder_layer", "llama_mlp",
         "gpt2", "mixtral_moe", "vit", "deepseek_mlp"]


def ncd(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ncd_render", *args], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*")
    parser.add_argument("--out", default=None, help="Keep the diagrams here (default: a temporary folder).")
    parser.add_argument("--round-trip", action="store_true", help="Import the gallery diagrams compiled by ncd compile.")
    args = parser.parse_args()
    models = ROUND_TRIP if args.round_trip else MODELS
    names = args.names or (sorted(p.stem for p in (ROOT / "gallery").glob("*.ncd")) if args.round_trip else NAMES)
    out = Path(args.out or tempfile.mkdtemp(prefix="ncd-import-"))
    out.mkdir(parents=True, exist_ok=True)
    metrics = _figure_metrics()
    print(f"{'module':22} {'imported':>8} {'check':>6} {'seconds':>8} {'crossings':>9} {'knots':>5} {'through':>7} {'overlaps':>8} {'opaque':>6}")
    for name in names:
        path = out / f"{name}.ncd"
        start = time.perf_counter()
        imported = ncd("import", f"{models}:{name}", "-o", str(path))
        checked = ncd("check", str(path)) if imported.returncode == 0 else None
        seconds = time.perf_counter() - start
        row = {"crossings": "-", "knots_elsewhere": "-", "wire_through_box": "-", "label_overlaps": "-"}
        opaque = "-"
        if imported.returncode == 0:
            opaque = str(path.read_text().count("opaque("))
            ncd("render", str(path), "-o", str(path.with_suffix(".svg")))
            ncd("render", str(path), "-o", str(path.with_suffix(".png")), "--dpi", "150")
            if metrics is not None:
                result, _ = metrics.analyse(str(path.with_suffix(".svg")))
                row = {k: result.get(k, "-") for k in row}
        ok = "yes" if checked is not None and checked.returncode == 0 else "no"
        print(f"{name:22} {'yes' if imported.returncode == 0 else 'no':>8} {ok:>6} {seconds:8.1f} {row['crossings']!s:>9} "
              f"{row['knots_elsewhere']!s:>5} {row['wire_through_box']!s:>7} {row['label_overlaps']!s:>8} {opaque:>6}")
    print(f"diagrams, pairings and PNGs in {out}")


def _figure_metrics():
    tool = ROOT.parent / "shared" / "tools" / "figure_metrics.py"
    if not tool.is_file():
        return None
    spec = importlib.util.spec_from_file_location("figure_metrics", tool)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


if __name__ == "__main__":
    main()
