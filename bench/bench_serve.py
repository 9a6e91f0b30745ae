"""From saving a .ncd file to the new figure in the page of ``ncd serve``, in a real Chromium.

Run from the repository root:  python bench/bench_serve.py [--saves 20] [gallery/deepseek_v3.ncd ...]
Serves a copy of each file (default: the gallery's largest diagram and mha), opens it in
headless Chromium (the system's, through Playwright), then saves it ``--saves`` times
with a new title, as an editor does (write a new file, rename it over the old), and
times each save until the page shows the new title and figure. Prints the median and
the worst, and the part the server spends making the view; asserts nothing.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from ncd_render.serve.server import serve  # noqa: E402


def measure(page, path: Path, text: str, saves: int) -> list[float]:
    server, stop = serve(str(path), 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        page.goto(server.url)
        page.wait_for_selector("#kernels-body tr")
        times, server_side = [], []
        page.on("response", lambda r: server_side.append(float(r.headers.get("server-timing", "view;dur=0").split("dur=")[1]) / 1000)
                if "view.json" in r.url else None)
        for i in range(saves):
            title = f"bench save {i}"
            fresh = path.with_suffix(".tmp")
            fresh.write_text(f'title "{title}"\n' + text)
            started = time.perf_counter()
            os.replace(fresh, path)
            page.wait_for_function(f"() => document.querySelector('#figure svg > title')?.textContent === {title!r}"
                                   f" && document.querySelector('#title').textContent === {title!r}", timeout=10000)
            times.append(time.perf_counter() - started)
            time.sleep(0.05)
        return times, server_side[-saves:]
    finally:
        stop.set()
        server.shutdown()
        server.server_close()


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", default=["gallery/deepseek_v3.ncd", "gallery/mha.ncd"])
    parser.add_argument("--saves", type=int, default=20)
    args = parser.parse_args()
    with sync_playwright() as p, tempfile.TemporaryDirectory() as folder:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1500, "height": 950})
        for name in args.files:
            text = "\n".join(line for line in Path(name).read_text().splitlines() if not line.startswith("title "))
            path = Path(folder) / Path(name).name
            path.write_text(text)
            times, server_side = measure(page, path, text, args.saves)
            print(f"{name}: save -> figure in the page, {len(times)} saves: median {1000 * statistics.median(times):.0f} ms, "
                  f"worst {1000 * max(times):.0f} ms; of which the server's view (parse, layout, SVG, cost): "
                  f"median {1000 * statistics.median(server_side):.0f} ms")
        browser.close()


if __name__ == "__main__":
    main()
