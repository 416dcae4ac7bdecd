"""Charts drawn on the server as SVG: horizontal bars, lines over time, and points with their
confidence intervals against a reference line.

Every chart is drawn with presentation attributes only (no style rules, which the console's
Content-Security-Policy would block inline) and is named for assistive technology; every page
shows the same figures in a table beside it, for screen readers and for copying.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

INK, MUTED, LINE, ACCENT, BAD, GOOD = "#1b1f24", "#4a5360", "#c9ced6", "#0b5cad", "#b3261e", \
    "#1d6b32"
SERIES_COLOURS = (ACCENT, "#8a5300", "#5b3fa0", GOOD, BAD, "#00676b")
_ids = itertools.count(1)


@dataclass(frozen=True)
class Interval:
    label: str
    point: float | None
    low: float | None = None
    high: float | None = None


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _svg(width: int, height: int, title: str, body: list[str]) -> Markup:
    ident = f"chart-{next(_ids)}"
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{ident}" font-family="system-ui, sans-serif" font-size="12">'
        f'<title id="{ident}">{escape(title)}</title>{"".join(body)}</svg>')


def _scale(low: float, high: float, start: float, end: float) -> Callable[[float], float]:
    span = (high - low) or 1.0
    return lambda v: start + (v - low) / span * (end - start)


def bars(rows: Sequence[tuple[str, float]], *, title: str,
         value_label: Callable[[float], str] = _fmt, colour: str = ACCENT,
         reference: float | None = None) -> Markup:
    """Horizontal bars, one per ``(label, value)``, from zero (values may be negative)."""
    label_width, width, row_height = 220, 640, 24
    height = 20 + row_height * max(len(rows), 1)
    values = [v for _, v in rows] + [0.0] + ([reference] if reference is not None else [])
    x = _scale(min(values), max(values), label_width, width - 60)
    body = []
    for i, (label, value) in enumerate(rows):
        y = 10 + i * row_height
        left, right = sorted((x(0.0), x(value)))
        body.append(f'<text x="{label_width - 8}" y="{y + 16}" text-anchor="end" fill="{INK}">'
                    f'{escape(label[:34])}</text>')
        body.append(f'<rect x="{left:.1f}" y="{y + 4}" width="{max(right - left, 1):.1f}" '
                    f'height="{row_height - 8}" fill="{colour}"/>')
        body.append(f'<text x="{right + 4:.1f}" y="{y + 16}" fill="{INK}">'
                    f'{escape(value_label(value))}</text>')
    body.append(f'<line x1="{x(0.0):.1f}" x2="{x(0.0):.1f}" y1="6" y2="{height - 6}" '
                f'stroke="{MUTED}"/>')
    if reference is not None:
        body.append(f'<line x1="{x(reference):.1f}" x2="{x(reference):.1f}" y1="6" '
                    f'y2="{height - 6}" stroke="{BAD}" stroke-dasharray="4 3"/>')
    return _svg(width, height, title, body)


def lines(series: dict[str, Sequence[tuple[str, float | None]]], *, title: str,
          value_label: Callable[[float], str] = _fmt, low: float | None = None,
          high: float | None = None, reference: float | None = None) -> Markup:
    """Lines over shared x labels (periods), one per named series, with a legend."""
    width, height, left, bottom, top = 640, 260, 56, 40, 16
    labels = list(dict.fromkeys(label for points in series.values() for label, _ in points))
    values = [v for points in series.values() for _, v in points if v is not None]
    if reference is not None:
        values.append(reference)
    y_low = low if low is not None else min(values, default=0.0)
    y_high = high if high is not None else max(values, default=1.0)
    y = _scale(y_low, y_high, height - bottom, top)
    x = _scale(0, max(len(labels) - 1, 1), left, width - 16)
    position = {label: i for i, label in enumerate(labels)}
    body = [f'<line x1="{left}" x2="{width - 16}" y1="{height - bottom}" y2="{height - bottom}" '
            f'stroke="{LINE}"/>']
    for tick in (y_low, (y_low + y_high) / 2, y_high):
        body.append(f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" '
                    f'fill="{MUTED}">{escape(value_label(tick))}</text>')
        body.append(f'<line x1="{left}" x2="{width - 16}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
                    f'stroke="{LINE}" stroke-dasharray="2 4"/>')
    # At most six labels along the axis, so that period labels never run into each other.
    step = max(1, -(-len(labels) // 6))
    for i, label in enumerate(labels):
        if i % step == 0:
            body.append(f'<text x="{x(i):.1f}" y="{height - bottom + 16}" text-anchor="middle" '
                        f'fill="{MUTED}">{escape(label)}</text>')
    if reference is not None:
        body.append(f'<line x1="{left}" x2="{width - 16}" y1="{y(reference):.1f}" '
                    f'y2="{y(reference):.1f}" stroke="{BAD}" stroke-dasharray="6 4"/>')
    for n, (name, points) in enumerate(series.items()):
        colour = SERIES_COLOURS[n % len(SERIES_COLOURS)]
        drawn = [(x(position[label]), y(v)) for label, v in points if v is not None]
        if len(drawn) > 1:
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py in drawn)
            body.append(f'<polyline points="{path}" fill="none" stroke="{colour}" '
                        f'stroke-width="2"/>')
        body.extend(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{colour}"/>'
                    for px, py in drawn)
        body.append(f'<rect x="{left + n * 150}" y="{height - 14}" width="10" height="10" '
                    f'fill="{colour}"/><text x="{left + n * 150 + 14}" y="{height - 5}" '
                    f'fill="{INK}">{escape(name[:22])}</text>')
    return _svg(width, height, title, body)


def intervals(rows: Sequence[Interval], *, title: str, reference: float | None = None,
              low: float = 0.0, high: float | None = None,
              value_label: Callable[[float], str] = _fmt) -> Markup:
    """A point per row with its confidence interval as a bar, and a dashed reference line
    (the 0.8 of the four-fifths rule, say); a point below the reference is drawn in red."""
    label_width, width, row_height = 200, 640, 26
    height = 30 + row_height * max(len(rows), 1)
    known = [v for r in rows for v in (r.point, r.low, r.high) if v is not None]
    top = high if high is not None else max(known + [reference or 0.0, 1.0])
    x = _scale(low, top, label_width, width - 50)
    body = []
    for i, row in enumerate(rows):
        y = 10 + i * row_height + row_height / 2
        body.append(f'<text x="{label_width - 8}" y="{y + 4:.1f}" text-anchor="end" '
                    f'fill="{INK}">{escape(row.label[:30])}</text>')
        if row.low is not None and row.high is not None:
            body.append(f'<line x1="{x(row.low):.1f}" x2="{x(row.high):.1f}" y1="{y:.1f}" '
                        f'y2="{y:.1f}" stroke="{MUTED}" stroke-width="2"/>')
        if row.point is not None:
            colour = BAD if reference is not None and row.point < reference else ACCENT
            body.append(f'<circle cx="{x(row.point):.1f}" cy="{y:.1f}" r="5" fill="{colour}"/>')
            body.append(f'<text x="{x(row.high if row.high is not None else row.point) + 8:.1f}" '
                        f'y="{y + 4:.1f}" fill="{INK}">{escape(value_label(row.point))}</text>')
    axis_y = height - 14
    for tick in (low, reference, top):
        if tick is None:
            continue
        body.append(f'<text x="{x(tick):.1f}" y="{axis_y + 10}" text-anchor="middle" '
                    f'fill="{MUTED}">{escape(value_label(tick))}</text>')
    if reference is not None:
        body.append(f'<line x1="{x(reference):.1f}" x2="{x(reference):.1f}" y1="4" '
                    f'y2="{axis_y - 2}" stroke="{BAD}" stroke-dasharray="5 4"/>')
    return _svg(width, height, title, body)
