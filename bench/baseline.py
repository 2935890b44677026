"""The benchmark's ceiling: a bare Flask app, no database, no extensions.

    gunicorn -c gunicorn.conf.py --no-control-socket bench.baseline:app

It answers GET /api/articles with the same JSON document as the real app's
`/api/articles?limit=20` (run.py saves that response to a file and names it in
BENCH_BASELINE_BODY), serialised again on every request with `json.dumps` of the
prepared dict, so that it pays for the same bytes and a comparable encoding. Without
the file it builds a document of BENCH_BASELINE_BYTES bytes (default 12,000) of
the same shape. Served by the same gunicorn settings as the real app, its
requests/s is what Flask, gunicorn and wrk themselves cost on this machine: the
real app's ratio to it is what the app's own work (database, auth, validation,
serialisation through pydantic, logging) leaves.
"""

from __future__ import annotations

import json
import os
from typing import Any

from flask import Flask, Response

SEPARATORS = (",", ":")


def _synthetic(size: int) -> dict[str, Any]:
    """A list-of-articles document of about `size` bytes."""
    article = {
        "slug": "a-benchmark-article",
        "title": "A Benchmark Article",
        "description": "Padding of the right size.",
        "tagList": ["benchmark"],
        "createdAt": "2026-01-01T00:00:00.000Z",
        "updatedAt": "2026-01-01T00:00:00.000Z",
        "favorited": False,
        "favoritesCount": 0,
        "author": {"username": "bench", "bio": None, "image": None, "following": False},
    }
    document: dict[str, Any] = {"articles": [], "articlesCount": 0}
    while len(_dump(document)) < size:
        document["articles"].append(dict(article))
    document["articlesCount"] = len(document["articles"])
    return document


def _dump(document: dict[str, Any]) -> str:
    return json.dumps(document, separators=SEPARATORS, ensure_ascii=False)


def _prepared() -> dict[str, Any]:
    path = os.environ.get("BENCH_BASELINE_BODY")
    if path:
        with open(path, encoding="utf-8") as file:
            document: dict[str, Any] = json.load(file)
        return document
    return _synthetic(int(os.environ.get("BENCH_BASELINE_BYTES") or 12_000))


DOCUMENT = _prepared()

app = Flask(__name__)


@app.get("/api/articles")
def articles() -> Response:
    return Response(_dump(DOCUMENT), mimetype="application/json")


@app.get("/health")
def health() -> Response:
    return Response('{"status":"ok"}', mimetype="application/json")
