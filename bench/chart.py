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
    rows = report["scenarios"]
    baseline = next((row for row in rows if row["key"] == "baseline"), None)
    rows = [row for row in rows if row["key"] != "baseline"]
    names = [row["name"] for row in rows]
    values = [row["rps"] for row in rows]
    colours = [
        ERROR_COLOUR if row["errors"] else WRITE_COLOUR if row["key"] == "write" else READ_COLOUR
        for row in rows
    ]
    if baseline is not None:
        names.insert(0, baseline["name"])
        values.insert(0, baseline["rps"])
        colours.insert(0, BASELINE_COLOUR)

    figure, axes = plt.subplots(figsize=(10, 0.45 * len(names) + 2.2), dpi=120)
    positions = list(range(len(names)))
    bars = axes.barh(positions, values, color=colours)
    axes.set_yticks(positions, names)
    axes.invert_yaxis()
    top = max(values) if values else 1
    if log_scale:
        axes.set_xscale("log")
        axes.set_xlim(max(min(v for v in values if v > 0) / 2, 0.1) if any(values) else 1, top * 6)
        axes.set_xlabel("requests/s, log scale (higher is better)")
    else:
        axes.set_xlim(0, top * 1.22)
        axes.set_xlabel("requests/s (higher is better)")
    if baseline is not None:
        axes.axvline(baseline["rps"], color=BASELINE_COLOUR, linestyle="--", linewidth=1)
    for bar, row in zip(bars, ([baseline] if baseline else []) + rows, strict=True):
        label = f"{row['rps']:,.0f}"
        if row["key"] != "baseline" and row.get("ratio") is not None:
            percent = row["ratio"] * 100
            label += f"  ({percent:.1f}%)" if percent < 10 else f"  ({percent:.0f}%)"
        if row["errors"]:
            label += f"  {row['errors']} errors"
        axes.text(
            bar.get_width() * 1.08 if log_scale else bar.get_width() + top * 0.01,
            bar.get_y() + bar.get_height() / 2,
            label,
            va="center",
            fontsize=8,
        )
    info = report["machine"]
    settings = report["settings"]
    axes.set_title(
        f"Conduit, {report['scale']} scale: requests/s per scenario "
        f"(% of the bare-Flask baseline)\n"
        f"{info['nproc']} CPUs, {info['memory_gib']} GiB; {settings['wrk']}; "
        f"{settings['app_workers']} gunicorn workers; {report['started_at']}",
        fontsize=9,
    )
    axes.grid(axis="x", alpha=0.3)
    legend = [
        Patch(color=BASELINE_COLOUR, label="baseline: bare Flask, no database"),
        Patch(color=READ_COLOUR, label="read"),
        Patch(color=WRITE_COLOUR, label="write mix"),
        Patch(color=ERROR_COLOUR, label="had errors (non-2xx or socket)"),
    ]
    axes.legend(handles=legend, loc="lower right", fontsize=8)
    figure.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out)
    plt.close(figure)
    return out


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
