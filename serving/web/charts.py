"""Charts as inline SVG drawn on the server: no JavaScript, nothing fetched, and the page's
figures are in the HTML the tests read. Labels are escaped; every chart has a title and a
text equivalent for screen readers."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

Format = Callable[[float], str]


def _plain(value: float) -> str:
    return f"{value:,.0f}"


def _finite(value: float | None) -> float:
    return 0.0 if value is None or not math.isfinite(value) else float(value)


def hbars(
    items: Sequence[tuple[str, float | None]],
    title: str,
    fmt: Format = _plain,
    color: str = "#1f5fbf",
    label_width: int = 150,
) -> Markup:
    """Horizontal bars, one per ``(label, value)`` (aging buckets, grades)."""
    row, width, value_width = 22, 560, 110
    plot = width - label_width - value_width
    top = max((_finite(v) for _, v in items), default=0.0) or 1.0
    parts = []
    for i, (label, value) in enumerate(items):
        v = _finite(value)
        y = i * row
        w = max(0.0, plot * v / top)
        parts.append(
            f'<text x="{label_width - 6}" y="{y + 15}" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{label_width}" y="{y + 4}" width="{w:.1f}" height="{row - 8}" '
            f'fill="{color}"><title>{escape(label)}: {escape(fmt(v))}</title></rect>'
            f'<text x="{label_width + w + 6:.1f}" y="{y + 15}">{escape(fmt(v))}</text>'
        )
    return _svg(title, width, max(row, row * len(items)), "".join(parts))


def diverging(
    items: Sequence[tuple[str, float]], title: str, fmt: Format = lambda v: f"{v:+.2f}"
) -> Markup:
    """Contributions up (raising risk, red, to the right) and down (lowering it, green, to
    the left) from the portfolio's baseline, each labelled with its plain-language text."""
    row, width, text_width = 24, 760, 400
    centre = text_width + (width - text_width) / 2
    half = (width - text_width) / 2 - 50
    top = max((abs(v) for _, v in items), default=0.0) or 1.0
    parts = [
        f'<line x1="{centre}" y1="0" x2="{centre}" y2="{row * max(1, len(items))}" '
        'stroke="#5b6573" stroke-dasharray="3 3"/>'
    ]
    for i, (label, value) in enumerate(items):
        y = i * row
        w = half * abs(value) / top
        x = centre if value >= 0 else centre - w
        color = "#c0392b" if value >= 0 else "#1e8449"
        short = label if len(label) <= 64 else label[:61] + "…"
        tx = centre + w + 4 if value >= 0 else centre - w - 4
        anchor = "start" if value >= 0 else "end"
        parts.append(
            f'<text x="0" y="{y + 16}">{escape(short)}<title>{escape(label)}</title></text>'
            f'<rect x="{x:.1f}" y="{y + 5}" width="{w:.1f}" height="{row - 10}" fill="{color}">'
            f"<title>{escape(label)}: {escape(fmt(value))}</title></rect>"
            f'<text x="{tx:.1f}" y="{y + 16}" text-anchor="{anchor}">{escape(fmt(value))}</text>'
        )
    return _svg(title, width, max(row, row * len(items)), "".join(parts))


def columns(items: Sequence[tuple[str, float | None]], title: str, fmt: Format = _plain) -> Markup:
    """Vertical columns over time (days late by month, DSO by month); an empty month is
    left blank rather than drawn as zero."""
    width, height, base = 560, 180, 150
    n = max(1, len(items))
    step = (width - 20) / n
    values = [abs(_finite(v)) for _, v in items if v is not None]
    top = max(values, default=0.0) or 1.0
    zero = base if all(_finite(v) >= 0 for _, v in items) else base / 2
    scale = (zero - 15) / top
    parts = [f'<line x1="10" y1="{zero}" x2="{width - 10}" y2="{zero}" stroke="#5b6573"/>']
    for i, (label, value) in enumerate(items):
        x = 10 + i * step
        parts.append(
            f'<text x="{x + step / 2:.1f}" y="{height - 12}" text-anchor="middle">'
            f"{escape(label)}</text>"
        )
        if value is None or not math.isfinite(value):
            continue
        h = abs(value) * scale
        y = zero - h if value >= 0 else zero
        color = "#c0392b" if value > 0 else "#1e8449"
        parts.append(
            f'<rect x="{x + 3:.1f}" y="{y:.1f}" width="{step - 6:.1f}" height="{h:.1f}" '
            f'fill="{color}"><title>{escape(label)}: {escape(fmt(value))}</title></rect>'
            f'<text x="{x + step / 2:.1f}" y="{(y - 3) if value >= 0 else (y + h + 11):.1f}" '
            f'text-anchor="middle">{escape(fmt(value))}</text>'
        )
    return _svg(title, width, height, "".join(parts))


def _svg(title: str, width: int, height: int, body: str) -> Markup:
    return Markup(
        f'<svg role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
        f'width="100%" style="max-width:{width}px">'
        f"<title>{escape(title)}</title>{body}</svg>"
    )
