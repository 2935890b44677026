"""A bar chart of requests/s per scenario against the baseline, from a results JSON.

    .venv/bin/python -m bench.chart /tmp/conduit-bench/results/small-<timestamp>.json
    .venv/bin/python -m bench.chart results.json --out chart.png [--log]

Needs matplotlib, installed for the benchmark only (see bench/README.md). The PNG
goes next to the JSON file (same name, .png) unless --out says otherwise.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.patches import Patch

BASELINE_COLOUR = "#9e9e9e"
READ_COLOUR = "#5cb85c"  # Conduit's green
WRITE_COLOUR = "#d9534f"
ERROR_COLOUR = "#f0ad4e"


def chart(report: dict[str, Any], out: Path, *, log_scale: bool = False) -> Path:
    """Draw `report`'s scenarios (the baseline first) as horizontal bars into `out`."""
    rows = _rows_in_order(report["scenarios"])
    values = [row["rps"] for row in rows]
    figure, axes = plt.subplots(figsize=(10, 0.45 * len(rows) + 2.2), dpi=120)
    positions = list(range(len(rows)))
    bars = axes.barh(positions, values, color=[_colour(row) for row in rows])
    axes.set_yticks(positions, [row["name"] for row in rows])
    axes.invert_yaxis()
    top = max(values) if values else 1
    _scale(axes, values, top, log_scale=log_scale)
    baseline = next((row for row in rows if row["key"] == "baseline"), None)
    if baseline is not None:
        axes.axvline(baseline["rps"], color=BASELINE_COLOUR, linestyle="--", linewidth=1)
    for bar, row in zip(bars, rows, strict=True):
        axes.text(
            bar.get_width() * 1.08 if log_scale else bar.get_width() + top * 0.01,
            bar.get_y() + bar.get_height() / 2,
            _label(row),
            va="center",
            fontsize=8,
        )
    axes.set_title(_title(report), fontsize=9)
    axes.grid(axis="x", alpha=0.3)
    axes.legend(handles=LEGEND, loc="lower right", fontsize=8)
    figure.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out)
    plt.close(figure)
    return out


LEGEND = [
    Patch(color=BASELINE_COLOUR, label="baseline: bare Flask, no database"),
    Patch(color=READ_COLOUR, label="read"),
    Patch(color=WRITE_COLOUR, label="write mix"),
    Patch(color=ERROR_COLOUR, label="had errors (non-2xx or socket)"),
]


def _rows_in_order(scenarios: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The baseline's row (if measured) first, then the scenarios as they ran."""
    baseline = [row for row in scenarios if row["key"] == "baseline"]
    return baseline[:1] + [row for row in scenarios if row["key"] != "baseline"]


def _colour(row: dict[str, Any]) -> str:
    if row["key"] == "baseline":
        return BASELINE_COLOUR
    if row["errors"]:
        return ERROR_COLOUR
    return WRITE_COLOUR if row["key"] == "write" else READ_COLOUR


def _scale(axes: Any, values: list[float], top: float, *, log_scale: bool) -> None:
    if not log_scale:
        axes.set_xlim(0, top * 1.22)
        axes.set_xlabel("requests/s (higher is better)")
        return
    axes.set_xscale("log")
    positive = [value for value in values if value > 0]
    axes.set_xlim(max(min(positive) / 2, 0.1) if positive else 1, top * 6)
    axes.set_xlabel("requests/s, log scale (higher is better)")


def _label(row: dict[str, Any]) -> str:
    """Its requests/s, its share of the baseline's, and its errors."""
    label = f"{row['rps']:,.0f}"
    if row["key"] != "baseline" and row.get("ratio") is not None:
        percent = row["ratio"] * 100
        label += f"  ({percent:.1f}%)" if percent < 10 else f"  ({percent:.0f}%)"
    if row["errors"]:
        label += f"  {row['errors']} errors"
    return label


def _title(report: dict[str, Any]) -> str:
    info = report["machine"]
    settings = report["settings"]
    return (
        f"Conduit, {report['scale']} scale: requests/s per scenario "
        f"(% of the bare-Flask baseline)\n"
        f"{info['nproc']} CPUs, {info['memory_gib']} GiB; {settings['wrk']}; "
        f"{settings['app_workers']} gunicorn workers; {report['started_at']}"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", type=Path, help="a JSON file written by bench/run.py")
    parser.add_argument("--out", type=Path, help="the PNG (default: the JSON's name, .png)")
    parser.add_argument("--log", action="store_true", help="a logarithmic requests/s axis")
    args = parser.parse_args(argv)
    report = json.loads(args.results.read_text())
    out = chart(report, args.out or args.results.with_suffix(".png"), log_scale=args.log)
    print(out)


if __name__ == "__main__":
    main()
