"""The body of ``ncd cost``: the report as text or JSON, the roofline chart, and the
fusion suggestions (``--suggest``, ``--apply``). The click command in cli.py only
passes its options here."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ..errors import NcdError
from ..limits import MAX_FILE_BYTES
from ..output import check_writable, not_an_input, write_atomic
from .chip import with_fused_kernel
from .table import si


def run_cost(file: str, hardware: str, dtype: str, sizes: str | None, plot: str | None, fmt: str, want_suggest: bool,
             apply_to: str | None, say, warn, fused_kernel: str | None = None) -> None:
    """Cost ``file`` and ``say`` the report (``fmt`` 'text' or 'json'); with ``want_suggest`` also the fusion
    plan, and with ``apply_to`` a copy of the file with the plan's fused sections. ``warn`` reports lint.
    ``fused_kernel`` (``flash-v1``, ``flash-v2``) overrides the profile's fused attention kernel."""
    from ..ir import build
    from ..sources import program_from_text, read_source
    from . import analyse, check_plot_path, dtype_bytes, format_report, load_profile, parse_sizes, plot_roofline
    from .report_json import dumps, report_dict
    from .suggest import suggest

    profile = load_profile(hardware)
    if fused_kernel:
        if profile.chip is None:
            raise NcdError(f"--fused-kernel needs a profile with the efficiency model; '{hardware}' has no [chip] table",
                           hint="use a bundled profile (docs/cost.md)")
        profile = replace(profile, chip=with_fused_kernel(profile.chip, fused_kernel))
    dtype_bytes(dtype)
    if plot:
        check_plot_path(plot)
        not_an_input(plot, file, hardware)  # (a profile named by its path too)
    if apply_to:
        if Path(apply_to).resolve() == Path(file).resolve():
            raise NcdError("--apply writes a copy: give a path other than the input file", hint=f"for example --apply {Path(file).stem}_fused.ncd")
        if plot and Path(apply_to).resolve() == Path(plot).resolve():
            raise NcdError(f"--apply and --plot both name '{plot}': the chart would replace the fused copy", hint="give them two files")
        check_writable(apply_to)
    text = read_source(file)
    overrides = parse_sizes(sizes)
    diagram = build(program_from_text(text, str(file)), sizes=overrides)
    warn(diagram)
    report = analyse(diagram, profile, dtype)
    plan = suggest(text, str(file), profile, dtype, overrides) if want_suggest or apply_to else None
    if fmt == "json":
        data = report_dict(report, diagram, str(file))
        if plan is not None:
            data["suggestions"] = {"runs": [{"lines": [r.first, r.last], "hbm_bytes_before": r.bytes_before, "hbm_bytes_after": r.bytes_after,
                                             "time_before": r.time_before, "time_after": r.time_after} for r in plan.runs],
                                   "time_before": plan.time_before, "time_after": plan.time_after, "tried": plan.tried,
                                   "possible": plan.possible}
        say(dumps(data), nl=False)
    else:
        say(format_report(report, str(file)), nl=False)
        if plan is not None:
            say("")
            say("\n".join(suggestion_lines(plan)))
    if apply_to:
        data = plan.text.encode("utf-8")
        if len(data) > MAX_FILE_BYTES:  # (a file just under the limit, with its sections marked fused, did not read back)
            raise NcdError(f"the fused copy would be {len(data):,} bytes, more than the {MAX_FILE_BYTES >> 20} MiB a diagram "
                           "may be", hint="fuse in a copy with fewer comments or statements")
        write_atomic(apply_to, data)
        if fmt != "json":
            say(f"wrote {apply_to}")
    if plot:
        plot_roofline(report, plot)
        if fmt != "json":
            say(f"wrote {plot}")


def suggestion_lines(plan) -> list[str]:
    """'fuse lines 15-18 as one kernel: 203 MB -> 9 MB, 112 µs -> 33 µs', one per run, and the total (saying so where
    the search tried only the runs whose kernels take the most time)."""
    cut = f" (of {plan.possible:,} runs, the {plan.tried:,} whose kernels take the most time were tried)" if plan.tried < plan.possible else ""
    if not plan.runs:
        return ["suggest: no adjacent boxes save time as one kernel" + cut]
    out = [f"fuse lines {r.first}-{r.last} as one kernel: {si(r.bytes_before, 'B', 2)} -> {si(r.bytes_after, 'B', 2)}, "
           f"{si(r.time_before, 's', 2)} -> {si(r.time_after, 's', 2)}" for r in plan.runs]
    out.append(f"all together: {si(plan.time_before, 's', 3)} -> {si(plan.time_after, 's', 3)}" + cut)
    return out
