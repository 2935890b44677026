"""Domain exceptions: what a use case can refuse, independent of HTTP.

Each carries the error body's field map; each surface decides how to show it
(`app.errors` maps them to statuses for the API).
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every refusal a service can raise."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = errors

    @classmethod
    def on(cls, field: str, message: str) -> DomainError:
        return cls({field: [message]})


class NotFound(DomainError):
    """The thing asked for does not exist."""

    def __init__(self, resource: str) -> None:
        super().__init__({resource: ["not found"]})
        self.resource = resource


class Forbidden(DomainError):
    """The actor may not do this to this thing."""


class Unauthorized(DomainError):
    """The actor's credentials are missing or wrong."""

    @classmethod
    def account_gone(cls) -> Unauthorized:
        """A write whose actor's account was deleted meanwhile (in another tab)."""
        return cls({"account": ["has been deleted"]})


class Invalid(DomainError):
    """The input breaks a rule (including uniqueness: "has already been taken")."""


class Unavailable(DomainError):
    """This installation does not offer the feature (password reset without a mail server)."""


class Busy(DomainError):
    """Too many requests of this kind are at work now; the same request may succeed shortly."""
