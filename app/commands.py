"""Maintenance commands of the `flask` CLI that are no request's: `flask search reindex`."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from app.services import search

search_commands = AppGroup("search", help="Full-text search of articles.")


@search_commands.command("reindex")
def reindex() -> None:
    """Write every article's searchable words again (after SEARCH_LANGUAGE changed)."""
    count = search.reindex_articles()
    click.echo(f"{count} articles reindexed")


def init_commands(app: Flask) -> None:
    app.cli.add_command(search_commands)
