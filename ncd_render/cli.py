"""The ``ncd`` command: render, validate, and the other branches of the IR.

Every user mistake is reported as one paragraph on stderr with exit status 2 (ncd_render.console);
torch is imported only by the commands that execute a diagram (:mod:`.cli_pytorch`).
"""
from __future__ import annotations

import errno

import click

from .cli_pytorch import check_command, compile_command, import_command
from .console import check_style, flush_stdout, leave, open_stderr, outlive, reports_errors, say, stdout_failed, tell, warn
from .errors import NcdError, plural
from .usage import Commands


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="ncd-render")
def main():
    """Neural circuit diagrams from .ncd text files.

    \b
    Write an architecture as a short .ncd file:
        axis y = 128 width
        axis m = 512
        axis k = 64
        input X[y m]
        H = linear(X: m -> k) with bias as L_1
        output H
    then draw it:
        ncd render model.ncd -o model.svg      (or .pdf, .png)
        ncd validate model.ncd                 (check it without drawing)

    The language is documented in docs/dsl.md; every command has --help.
    """


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--depth", type=click.IntRange(min=0), default=None,
              help="Collapse component calls nested deeper than this into single boxes (0: every call is one box).")
@reports_errors
def validate(file, depth):
    """Check FILE: syntax, axes, shapes. Prints a summary, exits 2 on the first error."""
    from .sources import program_from_file
    from . import ops
    from .ir import build

    diagram = build(program_from_file(file), depth=depth)
    warn(diagram)
    boxes = sum(not ops.of(op).free for op in diagram.ops)
    say(f"{file}: ok: {plural(len(diagram.axes), 'axis', 'axes')}, {plural(boxes, 'box')}, "
        f"{plural(len(diagram.inputs), 'input')}, {plural(len(diagram.outputs), 'output')}")


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--hw", "hardware", default="a100-80gb", show_default=True,
              help="GPU profile: a100-40gb, a100-80gb, h100-sxm, h200-sxm, or the path of a .toml profile (docs/cost.md).")
@click.option("--dtype", default="bf16", show_default=True, help="Storage dtype of real values: fp32, tf32, bf16, fp16, fp8, int8, int4.")
@click.option("--sizes", default=None, metavar="AXIS=N,...", help="Override axis sizes, e.g. y=4096,x=4096; derived axes follow.")
@click.option("--plot", default=None, type=click.Path(dir_okay=False), help="Also draw a roofline chart: .png, .svg or .pdf.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="The report as a table, or as JSON with every figure (for tools and the browser view).")
@click.option("--suggest", "want_suggest", is_flag=True, help="Also search which adjacent boxes to fuse into one kernel, and print the best plan.")
@click.option("--apply", "apply_to", default=None, type=click.Path(dir_okay=False),
              help="Write a copy of FILE with the suggested fused sections to this path (implies --suggest).")
@click.option("--fused-kernel", default=None, help="Run fused attention as flash-v2 (the profile's default) or flash-v1 (the 2022 kernel).")
@reports_errors
def cost(file, hardware, dtype, sizes, plot, fmt, want_suggest, apply_to, fused_kernel):
    """Estimate FLOPs, HBM traffic and time of FILE, kernel by kernel, on one GPU.

    Boxes in a section marked 'fused' run as one kernel that keeps its
    intermediates on chip. The model is described in docs/cost.md.

    \b
    Examples:
        ncd cost gallery/sdpa.ncd --sizes y=4096,x=4096
        ncd cost gallery/flash_attention.ncd --hw h100-sxm --dtype fp8 --plot roofline.png
        ncd cost gallery/sdpa.ncd --sizes y=4096,x=4096 --suggest --apply sdpa_fused.ncd
        ncd cost gallery/mha.ncd --format json
    """
    from .cost.command import run_cost

    run_cost(file, hardware, dtype, sizes, plot, fmt, want_suggest, apply_to, say, warn, fused_kernel)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False),
              help="Output file; the format follows its extension: .svg, .pdf, .png or .tikz.")
@click.option("--theme", default="paper", show_default=True, help="A built-in theme name, or a path to a theme .toml file.")
@click.option("--layout", "layout_preset", default="paper", show_default=True, help="A built-in layout preset, or a path to a .toml file.")
@click.option("--depth", type=click.IntRange(min=0), default=None,
              help="Collapse component calls nested deeper than this into single boxes (default: the file's 'depth' line, else none).")
@click.option("--dpi", type=click.FloatRange(min=10), default=300, show_default=True, help="Resolution of PNG output.")
@click.option("--width", default=None, metavar="LENGTH",
              help="Exact figure width, e.g. 3.25in, 8.5cm, 241pt (default: the layout's). Labels keep the theme's "
                   "size; a wider figure is scaled down, with a warning giving the size its labels end at.")
@click.option("--height", default=None, metavar="LENGTH",
              help="The most the figure may stand, e.g. 550pt for a stock article's text: a layout of rows (column, "
                   "page, slide) sets its rows to fit it at full size (default: the layout's page_height, 9in; a slide's "
                   "5.625in); any other "
                   "layout shrinks a taller figure to it, with a warning.")
@click.option("--wrap", is_flag=True, help="Cut a figure wider than --width (or the layout's width, else a page's 6.5in "
                                           "text width) into strips stacked top to bottom, so labels keep their size "
                                           "instead of shrinking.")
@click.option("--annotate-cost", is_flag=True, help="Badge every kernel with its HBM bytes, FLOPs and time (see 'ncd cost').")
@click.option("--hw", "hardware", default=None, help="With --annotate-cost: the GPU profile, as for 'ncd cost' (default a100-80gb).")
@click.option("--dtype", default=None, help="With --annotate-cost: the storage dtype of real values (default bf16).")
@click.option("--sizes", default=None, metavar="AXIS=N,...", help="With --annotate-cost: override axis sizes, e.g. y=4096,x=4096.")
@reports_errors
def render(file, output, theme, layout_preset, depth, dpi, width, height, wrap, annotate_cost, hardware, dtype, sizes):
    """Draw FILE to OUTPUT. Nothing is written unless drawing succeeds.

    \b
    Examples:
        ncd render gallery/mha.ncd -o mha.svg
        ncd render gallery/mha.ncd -o mha.pdf --theme mono
        ncd render gallery/mha.ncd -o mha.pdf --width 3.25in     (or --layout column)
        ncd render gallery/mha.ncd -o mha.tikz                   (a tikzpicture: \\input{mha.tikz})
        ncd render model.ncd -o overview.png --depth 0
        ncd render gallery/resnet.ncd -o resnet.pdf --layout page      (rows, definitions, legend)
        ncd render gallery/sdpa.ncd -o sdpa.svg --annotate-cost --hw h100-sxm --sizes y=4096,x=4096
    """
    from .api import load
    from .latex import size_warnings
    from .limits import check_dpi, check_png
    from .output import check_writable, not_an_input
    from .render import format_of
    from .sizing import parse_length

    fmt = format_of(output)
    not_an_input(output, file, theme, layout_preset, hardware if annotate_cost else None)  # (a theme's or layout's path
    # too: read again after the write, the theme file had become the figure)
    check_dpi(dpi)
    if width is not None and fmt == "png":
        check_png(parse_length(width), 0, dpi)  # the canvas is at least this wide: refuse before any work
    elif width is not None:
        parse_length(width)
    if height is not None:
        parse_length(height, "the height")
    check_writable(output)
    check_style(theme, layout_preset)
    if not annotate_cost and (hardware or dtype or sizes):
        raise NcdError("--hw, --dtype and --sizes choose what --annotate-cost shows", hint="add --annotate-cost")
    report = None
    if annotate_cost:  # the cost model is imported only here
        from .cost import analyse, load_profile, parse_sizes

        profile = load_profile(hardware or "a100-80gb")
        figure = load(file, depth=depth, sizes=parse_sizes(sizes), theme=theme, layout=layout_preset, wrap=wrap, height=height)
        report = analyse(figure.diagram, profile, dtype or "bf16")
    else:
        figure = load(file, depth=depth, theme=theme, layout=layout_preset, wrap=wrap, height=height)
    warn(figure.diagram)
    with size_warnings(tell):
        scene = figure.scene(width=width, cost=report)
        figure.write(scene, output, dpi=dpi)
    _note_if_wide(scene.width, width, wrap, theme, layout_preset)
    if report is None:  # (badged, the convolutions are drawn explicit)
        _note_if_crossed(figure.diagram, wrap, theme, layout_preset)
    outlive(figure, scene)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("-o", "--output", "output", default=None, type=click.Path(dir_okay=False),
              help="The figure: .pdf or .png (300 dpi) for \\includegraphics, .tikz for \\input (default: NAME.pdf in this "
                   "folder).")
@click.option("--width", default=None, metavar="LENGTH",
              help="Exact figure width, e.g. 3.25in (default: the layout's); see 'ncd render --help'.")
@click.option("--theme", default="paper", show_default=True, help="A built-in theme name, or a path to a theme .toml file.")
@click.option("--layout", "layout_preset", default=None,
              help="A layout preset (paper, column: 3.25in, page: 6.5in, slide), or a path to a .toml file (default: paper, "
                   "but a figure wider than a page's 6.5in text is set in rows on the page layout; --layout paper keeps "
                   "it one strip).")
@click.option("--depth", type=click.IntRange(min=0), default=None,
              help="Collapse component calls nested deeper than this into single boxes (default: the file's 'depth' line, else none).")
@click.option("--height", default=None, metavar="LENGTH",
              help="The most the figure and its caption may stand: your text height, e.g. 550pt for a stock article "
                   "(default: the layout's page_height, 9in); see 'ncd render --help'.")
@click.option("--wrap", is_flag=True, help="Cut a figure wider than the target into strips instead of shrinking it.")
@click.option("--label", default=None, help="The \\label key (default: fig:NAME).")
@reports_errors
def latex(file, output, width, theme, layout_preset, depth, height, wrap, label):
    """Write FILE as a figure for a LaTeX paper and print the snippet that includes it.

    The snippet (a figure environment with the diagram's title as caption)
    goes to stdout; messages go to stderr.

    \b
    Examples:
        ncd latex gallery/mha.ncd --layout column          (writes mha.pdf)
        ncd latex gallery/mha.ncd -o figs/mha.tikz --width 3.25in
    """
    from pathlib import Path

    from .api import load
    from .latex import CAPTION_ROOM, COLUMN_WIDTH, check_tex_name, default_label, draw_figure, size_warnings, snippet
    from .output import not_an_input, write_atomic
    from .sizing import SMALLEST, parse_length

    name = Path(file).stem
    output = output or f"{name}.pdf"
    chosen, layout_preset = layout_preset is not None, layout_preset or "paper"
    not_an_input(output, file, theme, layout_preset)
    check_tex_name(Path(output).as_posix(), "the figure's file name", "choose one with -o, e.g. -o figs/model.pdf")
    label = check_tex_name(label, "the label", "e.g. --label fig:model") if label else default_label(name)
    if width is not None:
        parse_length(width)
    room = parse_length(height, "the height") - CAPTION_ROOM if height is not None else None  # (under the caption)
    if room is not None and room < SMALLEST:
        raise NcdError(f"the height '{height}' leaves {max(0.0, room):.0f}pt for the figure under its caption ({CAPTION_ROOM / 72:g}in)",
                       hint=f"give at least {(SMALLEST + CAPTION_ROOM) / 72:g}in")
    check_style(theme, layout_preset)
    figure = load(file, depth=depth, theme=theme, layout=layout_preset, wrap=wrap, height=height)
    warn(figure.diagram)
    if not chosen:
        figure, layout_preset = _fit_page(figure, width, wrap)
    with size_warnings(tell) as shrunk:
        data, figure_width, figure_height = draw_figure(figure, output, width=width)
    column = parse_length(width) + 1.0 if width is not None and layout_preset == "column" else COLUMN_WIDTH  # (IEEE's 3.5in)
    with size_warnings(tell):  # (letters its caption cannot set)
        text = snippet(output, figure.diagram.title, figure_width, label, figure_height, column,
                       scaled=shrunk[-1] if shrunk else (), asked=width is not None)
    say(text)
    flush_stdout()  # (the snippet out first: a stdout that cannot take it leaves no figure behind)
    write_atomic(output, data)
    tell(f"wrote {output}")
    _note_if_dark(theme)
    _note_if_wide(figure_width, width, wrap, theme, layout_preset)
    _note_if_crossed(figure.diagram, wrap, theme, layout_preset)


def _note_if_dark(theme: str) -> None:
    """A note on stderr when a paper's figure is drawn on a dark background (a reviewer's paper set --theme dark,
    made for slides, as a black slab on its white page)."""
    from .style import load_theme

    background = load_theme(theme).colors.background
    if background and len(background) == 7:
        r, g, b = (int(background[k:k + 2], 16) / 255 for k in (1, 3, 5))
        if 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.4:
            tell(f"note: theme '{theme}' draws on a dark background ({background}), made for slides: on a paper's white "
                 "page the figure prints as a dark panel; --theme paper, serif, mono or colorblind draw on white")


def _fit_page(figure, width, wrap: bool):
    """(the figure, its layout) for a paper where no layout was asked for: one wider than a page's text at its
    natural size is set in rows on the page layout, at full size (set at the natural size, a GPT-2 block was 14.6in
    wide: 'Overfull \\hbox' by 500 pt and more, or labels at 4 pt where scaled down), with a note that says so."""
    from dataclasses import replace

    from .sizing import PAGE_TEXT

    if width is not None or wrap:
        return figure, figure.layout
    natural = replace(figure, page_height=None).scene().width  # (its width: fitted to --height, it warned, and passed)
    if natural <= PAGE_TEXT + 0.5:
        return figure, figure.layout
    tell(f"note: the figure is {natural / 72:.2f}in wide at its natural size, wider than a page's 6.5in text: "
         "it is set in rows on a page (--layout page); --layout paper keeps it one strip")
    return replace(figure, layout="page"), "page"


def _note_if_wide(drawn: float, width, wrap: bool, theme: str, layout_preset: str) -> None:
    """A note on stderr for a figure ``drawn`` points wide at its natural size (no --width, --wrap or layout width)
    that is wider than a page's text (:func:`ncd_render.sizing.wide_note`)."""
    from .sizing import scale_fonts, wide_note
    from .style import load_preset, load_theme

    preset = load_preset(layout_preset)
    if width or wrap or preset.width:
        return
    note = wide_note(drawn, scale_fonts(load_theme(theme), preset.font_scale).font.axis_size)
    if note:
        tell(f"note: {note}")


def _note_if_crossed(diagram, wrap: bool, theme: str, layout_preset: str) -> None:
    """A note on stderr when declaring the inputs in another order, or writing a statement earlier, would cross far
    fewer wires (:func:`ncd_render.layout.advice.crossing_note`)."""
    from dataclasses import replace

    from .layout.advice import crossing_note
    from .sizing import scale_fonts
    from .style import load_preset, load_theme

    preset = load_preset(layout_preset)  # (a page's rows are cut from the figure laid out whole: its crossings are theirs)
    note = crossing_note(diagram, scale_fonts(load_theme(theme), preset.font_scale), replace(preset, wrap=preset.wrap or wrap, rows=False),
                         whole=preset.rows)
    if note:
        tell(f"note: {note}")


@main.group()
def gallery():
    """Build the gallery of example diagrams."""


@gallery.command("build")
@click.argument("folder", default="gallery", type=click.Path(file_okay=False))
@click.option("--theme", default="paper", show_default=True, help="Theme name or .toml path.")
@click.option("--layout", "layout_preset", default="paper", show_default=True, help="Layout preset name or .toml path.")
@reports_errors
def gallery_build(folder, theme, layout_preset):
    """Render every FOLDER/*.ncd to SVG and PDF beside it, and write FOLDER/index.html."""
    from .gallery import build_gallery

    check_style(theme, layout_preset)
    written = build_gallery(folder, theme=theme, layout=layout_preset)
    tell(f"wrote {len(written)} files in {folder}/ (open {folder}/index.html)")


@main.command("serve")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--hw", "hardware", default="a100-80gb", show_default=True,
              help="GPU profile the page starts on: a bundled one, or the path of a .toml profile (docs/cost.md).")
@click.option("--dtype", default="bf16", show_default=True, help="Storage dtype the page starts on (fp32, bf16, fp8, ...).")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True, help="Port on 127.0.0.1; 0: any free one.")
@click.option("--no-browser", is_flag=True, help="Do not open the page in a browser; just print its address.")
@reports_errors
def serve_command(file, hardware, dtype, port, no_browser):
    """Show FILE in the browser, live: save the file in any editor and the figure follows.

    Hover a box for its statement, shapes and cost; hover a wire for its axis;
    click a component to expand or collapse it; change the hardware, dtype and
    axis sizes beside the figure. Serves on 127.0.0.1 only, until Ctrl-C.

    \b
    Examples:
        ncd serve gallery/mha.ncd
        ncd serve model.ncd --hw h100-sxm --dtype fp8 --port 9000 --no-browser
    """
    from .cost import dtype_bytes, load_profile
    from .serve.server import serve_until_stopped
    from .sources import read_source

    read_source(file)  # a missing or unreadable file is an error now; a broken diagram shows in the page
    load_profile(hardware)
    dtype_bytes(dtype)

    def announce(line: str) -> None:  # at once: the server blocks from here on
        say(line)
        flush_stdout()

    serve_until_stopped(file, port, hardware, dtype, not no_browser, announce)


@main.command("html")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False), help="The .html file to write.")
@click.option("--hw", "hardware", default="a100-80gb", show_default=True, help="GPU profile the page opens on (all bundled ones are in it).")
@click.option("--dtype", default="bf16", show_default=True, help="Storage dtype the page opens on (all are in it).")
@click.option("--sizes", default=None, metavar="AXIS=N,...", help="Override axis sizes, e.g. y=4096,x=4096.")
@reports_errors
def html_command(file, output, hardware, dtype, sizes):
    """Write the browser view of FILE as one self-contained .html file (nothing fetched when opened).

    \b
    Example:
        ncd html gallery/mha.ncd -o mha.html
    """
    from .cost import parse_sizes
    from .output import check_writable, not_an_input, write_atomic
    from .serve.export import html
    from .sources import read_source

    not_an_input(output, file, hardware)
    check_writable(output)
    page = html(read_source(file), file, hardware, dtype, parse_sizes(sizes))
    write_atomic(output, page.encode("utf-8"))
    tell(f"wrote {output}")  # (a note: the result is the file, so a stdout that cannot take it changes nothing)


for _command in (check_command, compile_command, import_command):
    main.add_command(_command)


def run() -> None:
    """The installed ``ncd`` command: :func:`main`, then :func:`.console.leave`, which ends the
    process without freeing its objects one by one. ``main`` is what tests and ``CliRunner`` call."""
    open_stderr()
    try:
        try:
            main()
        except OSError as error:  # the commands report a full stdout themselves (console.say); click's --help does not
            if error.errno != errno.ENOSPC:
                raise
            stdout_failed(error)
    except SystemExit as done:
        leave(done.code)
    leave(0)
