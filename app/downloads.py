"""Files to download, sent as they are written (both surfaces send the account export)."""

from __future__ import annotations

from collections.abc import Iterator

from flask import Response, current_app, stream_with_context


def json_download(pieces: Iterator[str], *, filename: str) -> Response:
    """A response that saves `pieces` (one JSON document) as `filename`, sent as the
    pieces come: the whole document is never held in memory.

    The pieces are read after the view has returned, in its request's context
    (`stream_with_context`), so they may still query the database. `filename`
    must be plain ASCII without quotes.
    """
    response = current_app.response_class(
        stream_with_context(piece.encode("utf-8") for piece in pieces),
        mimetype="application/json",
    )
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
