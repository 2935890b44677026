"""Two instances behind one load balancer behave as one site.

Each test talks to instance A and instance B over HTTP only, as a client whose
requests a load balancer spreads over both: what one instance counts, caches or
ends must hold on the other at once.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import redis

from tests.deploy.conftest import PASSWORD, CookieJar, Instance, csrf_token, sign_up, unique_name

AUTH_LIMIT = 4  # RATELIMIT_AUTH: "4 per minute", from one address over both instances
TAG_LISTS = "conduit:cache:tags-v1:*"


def test_sign_in_rate_limit_counts_requests_to_both_instances(a: Instance, b: Instance) -> None:
    attempt = {"user": {"email": f"{unique_name('nobody')}@example.com", "password": "wrong"}}
    # A, B, A, B: four failed sign-ins, each instance seeing only two of them.
    for number, instance in enumerate([a, b, a, b], start=1):
        reply = instance.request("POST", "/api/users/login", json_body=attempt)
        assert reply.status == 401, f"attempt {number} on {instance.name}: {reply.describe()}"
        assert reply.json() == {"errors": {"email or password": ["is invalid"]}}
        # The counter is shared: what is left falls with each attempt, whichever took it.
        assert reply.header("X-RateLimit-Limit") == str(AUTH_LIMIT)
        assert reply.header("X-RateLimit-Remaining") == str(AUTH_LIMIT - number), (
            f"attempt {number} on {instance.name}"
        )

    # The fifth is refused by A, and so is a sixth by B: neither has seen five itself.
    for number, instance in [(5, a), (6, b)]:
        reply = instance.request("POST", "/api/users/login", json_body=attempt)
        assert reply.status == 429, f"attempt {number} on {instance.name}: {reply.describe()}"
        assert reply.header("Content-Type") == "application/json"
        errors = reply.json()["errors"]
        assert list(errors) == ["body"]
        assert errors["body"][0].startswith("too many requests: the limit is 4 per 1 minute")
        retry_after = reply.header("Retry-After")
        assert retry_after is not None, f"no Retry-After on {instance.name}"
        assert 1 <= int(retry_after) <= 60

    # The address is what is limited: another account fares no better, on either instance.
    other = {"user": {"email": f"{unique_name('other')}@example.com", "password": "wrong"}}
    for instance in (a, b):
        reply = instance.request("POST", "/api/users/login", json_body=other)
        assert reply.status == 429, f"other account on {instance.name}: {reply.describe()}"


def _tags(instance: Instance) -> list[str]:
    reply = instance.request("GET", "/api/tags")
    assert reply.status == 200, f"tags on {instance.name}: {reply.describe()}"
    tags: list[str] = reply.json()["tags"]
    return tags


def test_article_writes_on_one_instance_refresh_the_tag_list_on_the_other(
    a: Instance, b: Instance, redis_client: redis.Redis
) -> None:
    name = unique_name("author")
    token = sign_up(a, name)
    tag = unique_name("tag")

    # Both instances read the list (the first fills the shared cache, the second reads it).
    assert tag not in _tags(a)
    assert tag not in _tags(b)
    assert list(redis_client.scan_iter(TAG_LISTS)), "the tag list was not cached in Redis"

    created = a.request(
        "POST",
        "/api/articles",
        token=token,
        json_body={
            "article": {
                "title": f"Shared caches {name}",
                "description": "One cache for every instance",
                "body": "Forget it once, forgotten everywhere.",
                "tagList": [tag],
            }
        },
    )
    assert created.status == 201, created.describe()
    slug = created.json()["article"]["slug"]

    # B shows the new tag at once: A's write made the list B would have served stale.
    assert tag in _tags(b)
    assert tag in _tags(a)

    deleted = b.request("DELETE", f"/api/articles/{slug}", token=token)
    assert deleted.status == 204, deleted.describe()

    # And B's delete is seen by A.
    assert tag not in _tags(a)
    assert tag not in _tags(b)


def _sign_up_on_the_web(instance: Instance, name: str, cookies: CookieJar) -> None:
    form_page = instance.request("GET", "/register", cookies=cookies)
    assert form_page.status == 200, form_page.describe()
    signed_up = instance.request(
        "POST",
        "/register",
        cookies=cookies,
        form={
            "csrf_token": csrf_token(form_page),
            "username": name,
            "email": f"{name}@example.com",
            "password": PASSWORD,
        },
    )
    assert signed_up.status == 302, signed_up.describe()
    assert signed_up.header("Location") == "/"


def _username_field_value(page_html: str) -> str | None:
    field = re.search(r'<input[^>]*\bname="username"[^>]*>', page_html)
    value = re.search(r'\bvalue="([^"]*)"', field.group()) if field else None
    return value.group(1) if value else None


def test_web_session_started_on_one_instance_works_and_ends_on_the_other(
    a: Instance, b: Instance
) -> None:
    name = unique_name("reader")
    browser = CookieJar()
    _sign_up_on_the_web(a, name, browser)
    assert "session" in browser.values, "no session cookie after signing up on A"
    # A copy of the cookie as A set it, kept to be replayed after signing out.
    cookie_from_a = browser.copy()

    # B knows the session A started.
    settings = b.request("GET", "/settings", cookies=browser)
    assert settings.status == 200, settings.describe()
    assert _username_field_value(settings.text) == name
    assert f"{name}@example.com" in settings.text

    # Sign out on B, with a CSRF token from B's page.
    signed_out = b.request(
        "POST", "/logout", cookies=browser, form={"csrf_token": csrf_token(settings)}
    )
    assert signed_out.status == 302, signed_out.describe()
    assert signed_out.header("Location") == "/"

    # The session has ended everywhere: A's own cookie now opens nothing on A (or on B).
    for instance in (a, b):
        again = instance.request("GET", "/settings", cookies=cookie_from_a.copy())
        assert again.status == 302, f"on {instance.name}: {again.describe()}"
        location = urlsplit(again.header("Location") or "")
        assert location.path == "/login", f"on {instance.name}: {location}"
        assert parse_qs(location.query) == {"next": ["/settings"]}, f"on {instance.name}"


def _token_answers(instance: Instance, token: str, name: str) -> list[int]:
    """What a route that needs the token and two where it is optional answer with it."""
    paths = ["/api/user", "/api/articles", f"/api/profiles/{name}"]
    return [instance.request("GET", path, token=token).status for path in paths]


def test_a_password_change_on_one_instance_revokes_older_tokens_on_the_other(
    a: Instance, b: Instance
) -> None:
    name = unique_name("owner")
    old = sign_up(a, name)
    # B verifies the token and caches what it needs to check it, as it goes on doing.
    for _ in range(2):
        assert _token_answers(b, old, name) == [200, 200, 200]

    changed = a.request(
        "PUT", "/api/user", token=old, json_body={"user": {"password": "a-brand-new-password"}}
    )
    assert changed.status == 200, changed.describe()
    new = changed.json()["user"]["token"]
    assert new != old

    for instance in (b, a):
        assert _token_answers(instance, old, name) == [401, 401, 401], instance.name
        refused = instance.request("GET", "/api/articles", token=old)
        assert refused.json() == {"errors": {"token": ["has been revoked"]}}, instance.name
        assert _token_answers(instance, new, name) == [200, 200, 200], instance.name
    login = {"user": {"email": f"{name}@example.com", "password": "a-brand-new-password"}}
    signed_in = b.request("POST", "/api/users/login", json_body=login)
    assert signed_in.status == 200, signed_in.describe()
    assert _token_answers(b, signed_in.json()["user"]["token"], name) == [200, 200, 200]
