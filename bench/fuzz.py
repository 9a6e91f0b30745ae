"""A grammar-aware fuzzer: mutate the gallery's .ncd files token by token and push each
mutant through parse, build, layout, SVG, TikZ and cost, in-process.

The only exception allowed is the project's own NcdError, and every case must finish in
CASE_SECONDS. ``tests/test_fuzz.py`` runs a bounded number of cases with hypothesis; run this
file for a longer search, and it reports what it found:

    python bench/fuzz.py 2000              # 2000 mutants, seed 0
    python bench/fuzz.py 600s --seed 7     # as many as fit in ten minutes
    python bench/fuzz.py 500 --save out/   # also write each crashing or slow mutant to out/
    python bench/fuzz.py 500 --cli         # through the real command: ncd validate, render, cost
    python bench/fuzz.py 600s --pages      # also collapsed, with cost badges, and in the page layouts
    python bench/fuzz.py 600s --corpus     # the user-written diagrams of tests/corpus too

The run's address space is capped (--memory-gb, default 4), so a mutant that allocates without
bound is a MemoryError, counted like any crash, rather than a machine out of memory; with
--save, the mutant being run is always in out/current.ncd, for a crash that ends the process.

Mutations: delete, duplicate or swap tokens; replace a number with an extreme (0, -1, 2^40 + 1,
10^400, 5000 digits, 1e999); replace a name by another name or a keyword of the language;
insert a token; duplicate, delete or swap lines; wrap lines in a section or a repeat.
"""
from __future__ import annotations

import argparse
import collections
import random
import re
import resource
import signal
import sys
import time
import traceback
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ncd_render.errors import NcdError  # noqa: E402
from ncd_render.ops import dsl_names  # noqa: E402

GALLERY = sorted((ROOT / "gallery").glob("*.ncd"))
CORPUS = sorted((ROOT / "tests" / "corpus").glob("*.ncd"))  # --corpus: the user-written diagrams too
CASE_SECONDS = 10
TOKEN = re.compile(r'"[^"\n]*"|#[^\n]*|\n|[ \t]+|->|\\?[A-Za-z_][\w\']*|-?[0-9]*\.?[0-9]+(?:[eE]-?[0-9]+)?|.')
NUMBER = re.compile(r"-?[0-9]*\.?[0-9]+(?:[eE]-?[0-9]+)?$")
NAME = re.compile(r"\\?[A-Za-z_][\w']*$")
WHOLE = ["0", "1", "2", "3", "7", "64", "65536", "1000000000", "1099511627776", "1099511627777", "1" + "0" * 400, "9" * 5000]
EXTREMES = WHOLE + ["-1", "1e999", "1e-999", "0.0", "-0", "3.5", "-1000000000000000000/2", "5536", "1/0"]
KEYWORDS = ["axis", "tandem", "input", "output", "delete", "save", "load", "section", "repeat", "block", "return", "end",
            "fused", "width", "int", "with", "as", "title", "depth", "check", "einsum", "linear", "softmax", "rearrange",
            "unfold", "fold", "concat", "index", "topk", "rope", "mask", "unit", "relu", "identity", "bias", "per"]
KEYWORDS += [name for name in dsl_names() if name not in KEYWORDS]  # every operation, new ones too (argmax, pad, roll, ...)
PUNCTUATION = ["(", ")", "[", "]", ",", ":", "=", "->", "*", "+", "/", "^", "-", '"x"', "\n", "\nend\n", '\nsection "s"\n']


class Timeout(Exception):
    pass


def tokens(text: str) -> list[str]:
    return TOKEN.findall(text)


def mutate(text: str, rng: random.Random, steps: int = 1) -> str:
    """``text`` with ``steps`` random token- or line-level mutations."""
    for _ in range(steps):
        text = _one(text, rng)
    return text


def _one(text: str, rng: random.Random) -> str:
    kind = rng.choice(["delete", "duplicate", "swap", "number", "number", "name", "insert", "line", "wrap"])
    if kind in ("line", "wrap"):
        lines = text.split("\n")
        i, j = sorted(rng.randrange(len(lines)) for _ in range(2))
        if kind == "wrap":
            opener = rng.choice(['section "fuzz"', 'section "fuzz" fused', f"repeat {rng.choice(['2', '3', '1000000000'])}"])
            return "\n".join(lines[:i] + [opener] + lines[i:j + 1] + ["end"] + lines[j + 1:])
        how = rng.choice(["duplicate", "delete", "swap"])
        if how == "duplicate":
            lines.insert(j, lines[i])
        elif how == "delete":
            del lines[i]
        else:
            lines[i], lines[j] = lines[j], lines[i]
        return "\n".join(lines)
    toks = tokens(text)
    solid = [i for i, t in enumerate(toks) if not t.isspace() and not t.startswith("#")]
    if not solid:
        return text
    i = rng.choice(solid)
    if kind == "delete":
        del toks[i]
    elif kind == "duplicate":
        toks.insert(i, toks[i] + " ")
    elif kind == "swap":
        j = rng.choice(solid)
        toks[i], toks[j] = toks[j], toks[i]
    elif kind == "number":
        numbers = [k for k in solid if NUMBER.match(toks[k])] or [i]
        toks[rng.choice(numbers)] = rng.choice(WHOLE if rng.random() < 0.6 else EXTREMES)
    elif kind == "name":
        names = [k for k in solid if NAME.match(toks[k])] or [i]
        pool = sorted({toks[k] for k in names}) if rng.random() < 0.7 else KEYWORDS
        toks[rng.choice(names)] = rng.choice(pool)
    else:
        toks.insert(i, " " + rng.choice(PUNCTUATION + KEYWORDS + EXTREMES) + " ")
    return "".join(toks)


def run_case(text: str, name: str = "fuzz.ncd", seconds: float = CASE_SECONDS, pages: bool = False) -> tuple[str, str | None]:
    """Push ``text`` through every stage. Returns (the last stage reached or 'ok', a description
    of the crash or None). An NcdError ends the case normally. ``pages``: then also the figure
    collapsed (depth 0) and badged with its cost, and in the column, page and slide layouts
    (rows, strands, definitions: 0.1-2 s a figure, so not by default), where an NcdError is a
    finding: the figure drew, so these must draw it too."""
    from ncd_render.api import Figure
    from ncd_render.cost import analyse, load_profile
    from ncd_render.ir import build
    from ncd_render.parse import parse
    from ncd_render.render import render_bytes

    stage = "parse"

    def expire(*_):
        raise Timeout(f"longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        program = parse(text, name)
        stage = "build"
        diagram = build(program)
        stage = "collapsed"
        build(program, depth=0)
        stage = "layout+svg"
        figure = Figure(diagram)
        scene = figure.scene()
        render_bytes(scene, "svg")
        stage = "tikz"
        render_bytes(scene, "tikz")
        stage = "cost"
        report = analyse(diagram, load_profile("a100-80gb"), "bf16")
        if pages:  # what drew as a figure draws in every layout: an NcdError here is a finding too
            try:
                stage = "collapsed layout"
                render_bytes(Figure(build(program, depth=0)).scene(), "svg")
                stage = "cost badges"
                render_bytes(figure.scene(cost=report), "svg")
                with warnings.catch_warnings():  # a figure that must shrink says so: not a finding
                    warnings.simplefilter("ignore")
                    for preset in ("column", "page", "slide"):
                        stage = f"{preset} layout"
                        render_bytes(Figure(diagram, layout=preset).scene(), "svg")
            except NcdError as error:
                return stage, f"NcdError only here: {str(error).splitlines()[0][:120]}"
        return "ok", None
    except NcdError as error:
        str(error)  # the message itself must not fail
        return stage, None
    except Timeout as error:
        return stage, f"Timeout: {error}"
    except RecursionError:
        return stage, "RecursionError"
    except MemoryError:
        return stage, "MemoryError"
    except Exception as error:  # the finding
        frame = traceback.extract_tb(error.__traceback__)[-1]
        return stage, f"{type(error).__name__} at {Path(frame.filename).name}:{frame.lineno}: {str(error)[:120]}"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def through_cli(args) -> int:
    """Mutants through ``python -m ncd_render validate | render | cost``: exit 0 or 2, no traceback."""
    import subprocess
    import tempfile

    rng = random.Random(args.seed)
    sources = {p.name: p.read_text() for p in GALLERY}
    commands = (["validate"], ["render", "-o", "out.svg"], ["render", "-o", "out.pdf"], ["cost"])
    outcomes, findings, n = collections.Counter(), [], 0
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        while n < int(args.amount.rstrip("s")):
            name = rng.choice(sorted(sources))
            path = Path(tmp) / name
            path.write_text(mutate(sources[name], rng, rng.randint(1, args.steps)))
            command = rng.choice(commands)
            run = subprocess.run([sys.executable, "-m", "ncd_render", command[0], str(path), *command[1:]],
                                 cwd=tmp, capture_output=True, text=True, timeout=60)
            n += 1
            outcomes[f"exit {run.returncode}"] += 1
            if run.returncode not in (0, 2) or "Traceback" in run.stderr:
                findings.append((name, command[0], run.returncode, run.stderr.strip().splitlines()[-1:]))
                if args.save:
                    args.save.mkdir(parents=True, exist_ok=True)
                    (args.save / f"cli{n:05d}_{name}").write_text(path.read_text())
    print(f"{n} mutants through the ncd command in {time.perf_counter() - start:.0f} s, seed {args.seed}: "
          + ", ".join(f"{count} {key}" for key, count in sorted(outcomes.items())))
    print(f"{len(findings)} with a traceback or another exit status")
    for finding in findings[:20]:
        print("  ", *finding)
    return 1 if findings else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("amount", help="how many mutants (e.g. 2000), or how long (e.g. 600s)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=3, help="mutations per mutant, at most (default 3)")
    parser.add_argument("--save", type=Path, help="write each crashing or slow mutant to this folder")
    parser.add_argument("--memory-gb", type=float, default=4, help="cap on the address space (default 4 GB)")
    parser.add_argument("--pages", action="store_true", help="also the collapsed figure, its cost badges and the column, "
                                                            "page and slide layouts (slower)")
    parser.add_argument("--corpus", action="store_true", help="mutate tests/corpus/*.ncd too (division, split, subtraction, ...)")
    parser.add_argument("--cli", action="store_true", help="run each mutant through the ncd command instead, in a process "
                                                          "of its own: it must exit 0 or 2, with no traceback")
    args = parser.parse_args(argv)
    if args.cli:
        return through_cli(args)
    cap = int(args.memory_gb * 2 ** 30)
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)
    limit_s = float(args.amount[:-1]) if args.amount.endswith("s") else None
    cases = None if limit_s else int(args.amount)
    rng = random.Random(args.seed)
    sources = {p.name: p.read_text() for p in GALLERY + (CORPUS if args.corpus else [])}
    stages, findings, slow = collections.Counter(), collections.defaultdict(list), []
    start, n = time.perf_counter(), 0
    while (cases is None or n < cases) and (limit_s is None or time.perf_counter() - start < limit_s):
        name = rng.choice(sorted(sources))
        text = mutate(sources[name], rng, rng.randint(1, args.steps))
        if args.save:
            (args.save / "current.ncd").write_text(text)
        began = time.perf_counter()
        stage, crash = run_case(text, name, pages=args.pages)
        took = time.perf_counter() - began
        n += 1
        stages["ok" if stage == "ok" else f"NcdError in {stage}" if crash is None else f"crash in {stage}"] += 1
        if crash:
            findings[(stage, crash.split(":")[0] if crash.startswith("Timeout") else crash)].append((name, text))
        if took > CASE_SECONDS / 2:
            slow.append((took, name, stage))
        if args.save and (crash or took > CASE_SECONDS / 2):
            (args.save / f"case{n:06d}_{name}").write_text(text)
    elapsed = time.perf_counter() - start
    print(f"{n} mutants of {len(sources)} files in {elapsed:.0f} s ({n / max(elapsed, 1e-9):.1f}/s), seed {args.seed}")
    for key, count in sorted(stages.items(), key=lambda kv: -kv[1]):
        print(f"  {count:6d}  {key}")
    print(f"{len(findings)} distinct crash(es), {sum(map(len, findings.values()))} mutant(s) in all; "
          f"{len(slow)} slower than {CASE_SECONDS / 2:.0f} s")
    for (stage, crash), examples in sorted(findings.items(), key=lambda kv: -len(kv[1])):
        print(f"  {len(examples):5d} x {stage}: {crash}   (e.g. from {examples[0][0]})")
    for took, name, stage in sorted(slow, reverse=True)[:10]:
        print(f"  slow: {took:.1f} s, {name}, ended in {stage}")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
