"""A row cut from a figure, pressed to what it holds (:func:`tightened`): its empty horizontal bands
squeezed (:func:`squeeze`), then each section's piece cut down to what it holds in the row
(:func:`fit_sections`). The layout kept that room for wires elsewhere in the figure; a row need not."""
from __future__ import annotations

from ..records import replaced
from ..scene import Line, Path, Rect, shifted

SECTION_PAD = 6.0  # a section's piece in a row reaches this far beyond what it holds
TITLE_BAND = 14.0  # a title whose bottom is this near its section's top is the section's own, at its top
SQUEEZE_GAP = 2 * SECTION_PAD + 2  # the most empty height a row keeps between two things
BRIDGE_GAP = 8.0  # the least height a squeezed band keeps between two wire runs in it


def tightened(items: list) -> list:
    """``items``, a row's, squeezed and with its sections fitted."""
    return fit_sections(squeeze(items))


def squeeze(items: list) -> list:
    """The row without its empty horizontal bands: where nothing but a section's background or
    wires bending from one height to another (their curves and the short runs between two curves)
    spans a band taller than SQUEEZE_GAP, the band is pressed to that height, or, with runs inside
    it, each stretch between them to BRIDGE_GAP; what lies below moves up (the layout kept that room for
    wires elsewhere in the figure) and the bends through the band grow steeper."""
    bridges = _bridges(items)
    spans = sorted((bb[1], bb[3]) for i in items if not stretches(i) and not _bends(i) and id(i) not in bridges for bb in (i.bbox,))
    bands, reach = [], None  # (top, bottom, the share of its height it keeps)
    for y0, y1 in spans:
        if reach is not None and y0 - reach > SQUEEZE_GAP:
            edges = sorted({reach, y0} | {i.y1 for i in items if id(i) in bridges and reach < i.y1 < y0})
            least = SQUEEZE_GAP if len(edges) == 2 else BRIDGE_GAP  # between two runs, or a run and what is above or below
            bands += [(a, b, least / (b - a)) for a, b in zip(edges, edges[1:]) if b - a > least]
        reach = y1 if reach is None else max(reach, y1)
    if not bands:
        return items

    def moved(y: float) -> float:
        return y - sum((min(y, bottom) - top) * (1.0 - keep) for top, bottom, keep in bands if y > top)

    out = []
    for i in items:
        if isinstance(i, Rect) and i.role in ("section", "region"):
            top, bottom = moved(i.y), moved(i.y + i.h)
            out.append(replaced(i, y=top, h=bottom - top))
        elif i.role == "bracket" or _bends(i):  # each point moves with its own height
            out.append(replaced(i, commands=tuple(c[:1] + tuple(v if k % 2 == 0 else moved(v) for k, v in enumerate(c[1:])) for c in i.commands)))
        elif id(i) in bridges:
            out.append(replaced(i, y1=moved(i.y1), y2=moved(i.y2)))
        else:
            top = i.bbox[1]
            out.append(shifted(i, 0, moved(top) - top))
    return out


def _bridges(items: list) -> set[int]:
    """The ids of the short level wire runs between two bends (a wire stepping down in two curves)."""
    ends = set()
    for i in items:
        if isinstance(i, Path) and i.role == "wire.bend":
            for c in (i.commands[0], i.commands[-1]):
                ends.add((round(c[-2], 2), round(c[-1], 2)))
    return {id(i) for i in items if isinstance(i, Line) and i.role in ("wire", "wire.bend") and i.y1 == i.y2
            and (round(i.x1, 2), round(i.y1, 2)) in ends and (round(i.x2, 2), round(i.y2, 2)) in ends}


def _bends(item) -> bool:
    """A wire's curve from one height to another, or a bend's invisible region: it stretches across a band."""
    return (isinstance(item, Path) and item.role == "wire.bend") or (isinstance(item, Rect) and item.role == "region")


def stretches(item) -> bool:
    """A section's background or a repeat's bracket: it grows and shrinks with what it holds."""
    return (isinstance(item, Rect) and item.role == "section") or item.role == "bracket"


def fit_sections(items: list) -> list:
    """Each section's piece in a row cut down, top and bottom, to what it holds in that row."""
    sections = sorted((i for i in items if isinstance(i, Rect) and i.role == "section"), key=lambda r: r.w * r.h)
    if sections:  # each item measured once (a path's box walks its commands), arrows at the cuts left out
        others = [i.bbox for i in items if not stretches(i) and not i.role.startswith("arrow.continue")]
        level = [(min(i.x1, i.x2), i.y1, max(i.x1, i.x2)) for i in items if isinstance(i, Line) and i.role == "wire" and i.y1 == i.y2]
        titles = [i for i in items if i.role == "label.title"]
    fitted: dict[int, Rect] = {}
    moved: dict[int, object] = {}  # the titles gone down with their pieces' tops
    for s in sections:
        x0, x1, y0, y1 = s.x - 0.5, s.x + s.w + 0.5, s.y - 0.5, s.y + s.h + 0.5
        inside = [bb for bb in others if x0 <= bb[0] and bb[2] <= x1 and y0 <= bb[1] and bb[3] <= y1]
        inside += [r.bbox for k, r in fitted.items() if x0 <= r.x and r.x + r.w <= x1 and s.y <= r.y and r.y + r.h <= s.y + s.h]
        if not inside:
            fitted[id(s)] = s
            continue
        # and the wires that run across the whole piece within its height, past what it holds (a tensor's broadcast
        # axis over a norm at a row's end: the piece was cut down to the norm, the wire left outside it)
        inside += [(a, y, b, y) for a, y, b in level if a <= x0 + 0.5 and b >= x1 - 0.5 and y0 <= y <= y1]
        # its title at its top goes down with it, where what it holds starts far below the title (a continued title kept
        # a piece of RetNet's decay mask as tall as the row, its one box at the bottom, copies of X beside it)
        title = next((t for t in titles if x0 <= t.bbox[0] and t.bbox[2] <= x1 and y0 <= t.bbox[1] and t.bbox[3] <= s.y + TITLE_BAND), None)
        held = [bb for bb in inside if title is None or bb != title.bbox]
        band = 0.0
        if title is not None and held and min(bb[1] for bb in held) - title.bbox[3] > SQUEEZE_GAP:
            inside, band = held, title.bbox[3] - s.y
        else:
            title = None
        top = max(s.y, min(bb[1] for bb in inside) - SECTION_PAD - band)
        bottom = min(s.y + s.h, max(bb[3] for bb in inside) + SECTION_PAD)
        fitted[id(s)] = replaced(s, y=top, h=bottom - top)
        if title is not None and top > s.y:
            moved[id(title)] = shifted(title, 0, top - s.y)
    for b in (i for i in items if i.role == "bracket"):  # a bracket keeps to its section's top and bottom
        owner = next((s for s in sections if abs(b.bbox[1] - s.y - 2.5) < 0.1 and s.x <= b.bbox[0] <= s.x + s.w), None)
        if owner is not None:
            new = fitted[id(owner)]
            top, bottom, was_top, was_bottom = new.y + 2.5, new.y + new.h - 2.5, b.bbox[1], b.bbox[3]
            def fit(v, top=top, bottom=bottom, was_top=was_top, was_bottom=was_bottom):  # its heights scaled to the new span, curves and all
                return top + (v - was_top) * (bottom - top) / (was_bottom - was_top) if was_bottom > was_top else top
            fitted[id(b)] = replaced(b, commands=tuple(c[:1] + tuple(v if k % 2 == 0 else fit(v) for k, v in enumerate(c[1:])) for c in b.commands))
    return [fitted.get(id(i)) or moved.get(id(i), i) for i in items]
