"""Charts as inline SVG, drawn on the server: a latency line (with failed checks marked)
and horizontal bars. Presentation attributes only (no inline styles), so the page's
Content-Security-Policy stays strict; every label is escaped."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

COLOURS = {"ok": "#2e9d5b", "degraded": "#d9a400", "down": "#d64545"}


def latency_chart(points: Sequence[tuple[float, float | None, str]], width: int = 320,
                  height: int = 64, label: str = "latency") -> Markup:
    """``points``: (time, latency in ms or None, status) oldest first."""
    if not points:
        return Markup(f'<svg class="chart" width="{width}" height="{height}" role="img" '
                      f'aria-label="no {escape(label)} history yet"><text x="4" y="{height // 2}" '
                      'fill="#888" font-size="11">no history yet</text></svg>')
    values = [p[1] or 0.0 for p in points]
    hi = max(values) or 1.0
    pad = 4
    step = (width - 2 * pad) / max(1, len(points) - 1)

    def y(v: float) -> float:
        return height - pad - (v / hi) * (height - 2 * pad - 12)

    xy = [(pad + i * step, y(v)) for i, v in enumerate(values)]
    line = " ".join(f"{x:.1f},{yy:.1f}" for x, yy in xy)
    marks = "".join(
        f'<circle cx="{x:.1f}" cy="{yy:.1f}" r="2.5" fill="{COLOURS.get(p[2], "#888")}">'
        f"<title>{escape(p[2])}{'' if p[1] is None else f', {p[1]:.1f} ms'}</title></circle>"
        for (x, yy), p in zip(xy, points, strict=True) if p[2] != "ok")
    return Markup(
        f'<svg class="chart" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(label)}: {len(points)} checks, up to {hi:.1f} ms">'
        f'<text x="{pad}" y="10" fill="#888" font-size="10">max {hi:.1f} ms</text>'
        f'<polyline points="{line}" fill="none" stroke="#3a7bd5" stroke-width="1.5"/>'
        f"{marks}</svg>")


def bar_chart(rows: Sequence[tuple[str, float]], width: int = 420, bar: int = 18,
              label: str = "chart", unit: str = "") -> Markup:
    """Horizontal bars, one per (label, value), largest first as given."""
    if not rows:
        return Markup('<p class="muted">Nothing to chart yet.</p>')
    text_w = 150
    hi = max(v for _, v in rows) or 1.0
    height = len(rows) * (bar + 6) + 4
    parts = []
    for i, (name, value) in enumerate(rows):
        top = 2 + i * (bar + 6)
        w = max(1.0, (value / hi) * (width - text_w - 60)) if value > 0 else 1.0
        parts.append(
            f'<text x="0" y="{top + bar - 5}" font-size="12" fill="#333">'
            f"{escape(name[:24])}</text>"
            f'<rect x="{text_w}" y="{top}" width="{w:.1f}" height="{bar}" fill="#3a7bd5">'
            f"<title>{escape(name)}: {value:g}{escape(unit)}</title></rect>"
            f'<text x="{text_w + w + 4:.1f}" y="{top + bar - 5}" font-size="12" fill="#333">'
            f"{value:g}{escape(unit)}</text>")
    return Markup(f'<svg class="chart" width="{width}" height="{height}" '
                  f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}">'
                  + "".join(parts) + "</svg>")
