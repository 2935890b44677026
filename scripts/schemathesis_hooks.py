"""schemathesis hooks for scripts/schemathesis.sh (SCHEMATHESIS_HOOKS names this file)."""

from __future__ import annotations

import os
from typing import Any

import schemathesis


@schemathesis.hook
def filter_case(_context: Any, case: Any) -> bool:
    """Send no case whose URL is another operation's fixed path, nor one that changes
    the password or deletes the account the run signs in with.

    OpenAPI matches a concrete path before a templated one, so /api/articles/feed is
    the feed whatever /api/articles/{slug} allows; a slug of `feed` generated for the
    latter would test the former against the wrong operation's schema. A new password
    revokes every token issued before it, the run's own included: every later case
    would only meet 401 (the revocation has tests of its own). Deleting the account
    with its password (SCHEMATHESIS_ACCOUNT_PASSWORD) would do the same: a DELETE of
    /api/user is sent with any other password, which changes nothing (422).
    """
    if _changes_the_password(case) or _deletes_the_account(case):
        return False
    path: str = case.formatted_path
    if path == case.operation.path:
        return True
    return path not in case.operation.schema.raw_schema.get("paths", {})


def _changes_the_password(case: Any) -> bool:
    if case.method.upper() != "PUT" or case.operation.path != "/api/user":
        return False
    user = case.body.get("user") if isinstance(case.body, dict) else None
    password = user.get("password") if isinstance(user, dict) else None
    return isinstance(password, str) and password.strip() != ""


def _deletes_the_account(case: Any) -> bool:
    if case.method.upper() != "DELETE" or case.operation.path != "/api/user":
        return False
    user = case.body.get("user") if isinstance(case.body, dict) else None
    password = user.get("password") if isinstance(user, dict) else None
    return password == os.environ.get("SCHEMATHESIS_ACCOUNT_PASSWORD", "fuzz-password")
