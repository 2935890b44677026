"""Fixtures of the API tests: signed-in headers for the shared users."""

from __future__ import annotations

import pytest
from flask import Flask

from app.models import User
from tests.conftest import auth_headers
from tests.factories import UserFactory


@pytest.fixture
def headers(user: User) -> dict[str, str]:
    """The Authorization header of `user` (jake)."""
    return auth_headers(user)


@pytest.fixture
def other_headers(other_user: User) -> dict[str, str]:
    """The Authorization header of `other_user` (celeb)."""
    return auth_headers(other_user)


@pytest.fixture
def third_user(app: Flask) -> User:
    return UserFactory(username="third", email="third@example.com")


@pytest.fixture
def third_headers(third_user: User) -> dict[str, str]:
    return auth_headers(third_user)
