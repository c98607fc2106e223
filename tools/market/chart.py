"""PNG price charts: close line over volume bars (matplotlib, Agg backend)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.market import Bar


def render_chart(symbol: str, bars: list[Bar], path: Path, demo: bool = False,
                 span: str = "") -> Path:
    """``span`` says what the chart covers ("3 months, 66 sessions, 2026-08-25 to …")."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    days = [b.day for b in bars]
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(8, 4.5), sharex=True, gridspec_kw={"height_ratios": [3, 1]}, dpi=110
    )
    try:
        top.plot(days, [b.close for b in bars], color="#1f77b4", linewidth=1.6)
        top.fill_between(days, [b.low for b in bars], [b.high for b in bars], alpha=0.15,
                         color="#1f77b4", linewidth=0)
        title = f"{symbol} — {span or f'last {len(bars)} sessions'}"
        top.set_title(title + (" (demo data)" if demo else ""), loc="left", fontsize=11)
        top.set_ylabel("close")
        top.grid(alpha=0.3)
        colors = ["#2ca02c" if b.close >= b.open else "#d62728" for b in bars]
        bottom.bar(days, [b.volume for b in bars], color=colors, width=0.8)
        bottom.set_ylabel("volume")
        bottom.grid(alpha=0.3)
        fig.autofmt_xdate()
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, format="png")
    finally:
        plt.close(fig)
    return path


def render_overlay(series: dict[str, list[tuple[Any, float]]], title: str, path: Path,
                   demo: bool = False) -> Path:
    """Several symbols' returns (percent from the same starting close) on one chart."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.dates import DateFormatter

    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=110)
    try:
        for symbol, points in series.items():
            ax.plot([d for d, _ in points], [v for _, v in points], linewidth=1.6,
                    marker="o" if len(points) <= 12 else None, markersize=3,
                    label=f"{symbol} {points[-1][1]:+.2f}%")
        ax.axhline(0, color="#888888", linewidth=0.8)
        ax.xaxis.set_major_formatter(DateFormatter("%d %b"))
        ax.set_title(title + (" (demo data)" if demo else ""), loc="left", fontsize=11)
        ax.set_ylabel("return, %")
        ax.grid(alpha=0.3)
        ax.legend(loc="best", fontsize=9)
        fig.autofmt_xdate()
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, format="png")
    finally:
        plt.close(fig)
    return path
