"""deploy/grafana-dashboard.json charts only metrics that the app exports."""

from __future__ import annotations

import json
import re
from pathlib import Path

from prometheus_client import REGISTRY

import app.metrics  # noqa: F401 - registers the app's metrics

ROOT = Path(__file__).resolve().parents[2]
# The series each kind of metric is queried by.
SUFFIXES = {"counter": ["_total"], "gauge": [""], "histogram": ["_bucket", "_count", "_sum"]}


def test_every_query_names_an_exported_metric() -> None:
    dashboard = json.loads((ROOT / "deploy" / "grafana-dashboard.json").read_text())
    exported = {
        family.name + suffix
        for family in REGISTRY.collect()
        for suffix in SUFFIXES.get(family.type, [])
    }
    queried = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"\bconduit_[a-z_]+", target["expr"])
    }
    assert len(queried) == 6
    assert queried <= exported, queried - exported
