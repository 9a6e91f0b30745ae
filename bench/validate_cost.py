"""Predicted (``ncd cost``) against published GPU measurements, with the error of every point.

Reads bench/data/published.toml (each table cites its source) and prints, for
forward attention on an A100 (FlashAttention paper, Table 18): the measured and
predicted times of unfused and fused attention and of the speed-up of fusing,
their ratios, and a summary (median and worst measured/predicted, points within
25%, overall and for N >= 1k). ``--roofline`` prints the same with the plain
roofline (the profiles without their [chip] and [efficiency] tables): the model
before the efficiency model.

    PYTHONPATH=. python3 bench/validate_cost.py [--roofline]
"""
from __future__ import annotations

import argparse
import dataclasses
import statistics
import tomllib
from pathlib import Path

from ncd_render.api import load_text
from ncd_render.cost import analyse, load_profile

DATA = Path(__file__).resolve().parent / "data" / "published.toml"
UNFUSED = """axis b = {b}
axis h = {h}
axis y = {n}
axis x = {n}
axis k = {d}
input Q[b h y k], K[b h x k], V[b h x k]
S = einsum(Q, K: b h y k, b h x k -> b h y x)
P = softmax(S: x)
O = einsum(P, V: b h y x, b h x k -> b h y k)
output O
"""  # the scale is folded into K, as the benchmark's PyTorch attention does
FUSED = UNFUSED.replace("S = einsum", 'section "attention" fused\nS = einsum').replace("output O", "end\noutput O")
SPHERICAL = FUSED.replace("P = softmax(S: x)", "P = rmsnorm(S: x) with eps=1e-12 * x^-1/2")  # gallery/spherical_attention.ncd


def attention_times(hw: str, n: int, roofline: bool = False, b: int = 16, h: int = 8, d: int = 64, dtype: str = "fp16"):
    """Predicted seconds of unfused and fused forward attention."""
    profile = load_profile(hw)
    if roofline:
        profile = dataclasses.replace(profile, chip=None)
    return tuple(analyse(load_text(src.format(b=b, h=h, n=n, d=d)).diagram, profile, dtype).time for src in (UNFUSED, FUSED))


def summary(ratios: list[float]) -> str:
    if not ratios:
        return "no points"
    worst = max(ratios, key=lambda r: max(r, 1 / r))
    within = sum(0.75 <= r <= 1.25 for r in ratios)
    return f"median {statistics.median(ratios):.2f}, worst {worst:.2f}, within 25%: {within} of {len(ratios)}"


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--roofline", action="store_true", help="the plain roofline model (before the efficiency model)")
    opts = args.parse_args()
    table = tomllib.loads(DATA.read_text())["fa1_forward_a100"]
    print(f"{table['source']}\n{table['setup']}; model: {'plain roofline' if opts.roofline else 'efficiency model'}, {table['hw']}")
    print(f"{'N':>6} {'unfused ms':>11} {'pred':>8} {'ratio':>6} {'fused ms':>9} {'pred':>8} {'ratio':>6} {'speed-up':>9} {'pred':>6} {'ratio':>6}")
    rows = {"unfused": [], "fused": [], "speed-up": []}
    big = {"unfused": [], "fused": [], "speed-up": []}
    for i, n in enumerate(table["n"]):
        unfused, fused = attention_times(table["hw"], n, opts.roofline)
        fm = table["fused_ms"][i]
        um = table["unfused_ms"][i] if i < len(table["unfused_ms"]) else None
        line = f"{n:>6} "
        line += f"{um:>11.2f} {unfused * 1e3:>8.3f} {um / (unfused * 1e3):>6.2f} " if um else f"{'-':>11} {unfused * 1e3:>8.3f} {'-':>6} "
        line += f"{fm:>9.2f} {fused * 1e3:>8.3f} {fm / (fused * 1e3):>6.2f} "
        points = [("fused", fm / (fused * 1e3))]
        if um:
            speed, predicted = um / fm, unfused / fused
            line += f"{speed:>9.2f} {predicted:>6.2f} {speed / predicted:>6.2f}"
            points += [("unfused", um / (unfused * 1e3)), ("speed-up", speed / predicted)]
        print(line)
        for kind, r in points:
            rows[kind].append(r)
            if n >= 1024:
                big[kind].append(r)
    for kind in rows:
        print(f"{kind:>9} (measured/predicted): all N {summary(rows[kind])}; N >= 1k {summary(big[kind])}")
    sign = tomllib.loads(DATA.read_text())["flashsign_a100"]
    print(f"\n{sign['source']}\n{sign['setup']}")
    for n in (1024, 4096, 16384):
        profile = load_profile(table["hw"]) if not opts.roofline else dataclasses.replace(load_profile(table["hw"]), chip=None)
        unfused, fused, spherical = (analyse(load_text(src.format(b=16, h=8, n=n, d=64)).diagram, profile, "fp16").time
                                     for src in (UNFUSED, FUSED, SPHERICAL))
        print(f"N={n}: spherical {spherical * 1e3:.3f} ms, {unfused / spherical:.2f}x unfused PyTorch attention "
              f"(published {sign['speedup_over_pytorch']}x), {fused / spherical:.2f}x fused SoftMax attention (published: comparable)")


if __name__ == "__main__":
    main()
