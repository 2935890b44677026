"""The OpenAPI document states exactly what the API accepts.

For each rule the document states on an input (nullability, length, pattern,
format, bounds), a value that breaks it is invalid by the document (read by
jsonschema-rs, as schema-driven clients and fuzzers read it) and refused by the
API with 422, and a value that keeps it is valid by the document and accepted.
"""

from __future__ import annotations

import re
import time
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import rules
from tests.conftest import auth_headers
from tests.factories import PASSWORD, ArticleFactory, CommentFactory, UserFactory

SPEC_URL = "/api/docs/openapi.json"
ABSENT = object()


@pytest.fixture
def headers(user) -> dict[str, str]:
    return auth_headers(user)


@pytest.fixture
def spec(client) -> dict[str, Any]:
    document: dict[str, Any] = client.get(SPEC_URL).json
    return document


def _body_validator(spec: dict[str, Any], path: str, method: str) -> jsonschema_rs.Validator:
    content = spec["paths"][path][method]["requestBody"]["content"]["application/json"]
    schema = {**content["schema"], "components": spec["components"]}
    return jsonschema_rs.validator_for(schema, validate_formats=True)


def _parameter_validator(
    spec: dict[str, Any], path: str, method: str, name: str
) -> jsonschema_rs.Validator:
    (parameter,) = (p for p in spec["paths"][path][method]["parameters"] if p["name"] == name)
    return jsonschema_rs.validator_for(parameter["schema"], validate_formats=True)


def _with(fields: dict[str, Any], name: str, value: Any) -> dict[str, Any]:
    changed = dict(fields)
    if value is ABSENT:
        changed.pop(name)
    else:
        changed[name] = value
    return changed


def _check(validator: jsonschema_rs.Validator, document: Any, response: Any, *, ok: bool) -> None:
    text = response.get_data(as_text=True)
    assert validator.is_valid(document) is ok, (document, text)
    if ok:
        assert 200 <= response.status_code < 300, (document, text)
    else:
        assert response.status_code == 422, (document, text)


BLANKS_OF_EVERY_KIND = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u200a\u2028\u3000"

NEW_USER = {"username": "alice", "email": "alice@example.com", "password": "correct horse"}
NEW_USER_CASES = [
    ("username", " alice\t", True),
    ("username", "a" * rules.USERNAME_MAX, True),
    ("username", None, False),
    ("username", ABSENT, False),
    ("username", BLANKS_OF_EVERY_KIND, False),
    ("username", "al ice", False),
    ("username", "a" * rules.USERNAME_MAX + " ", False),
    ("username", "ali\x00ce", False),
    ("email", "Alice@Example.COM", True),
    ("email", "alice@mail.example", True),
    ("email", "o'brien+tag@example.co.uk", True),
    ("email", "josé@exemple.fr", True),
    ("email", None, False),
    ("email", "0", False),
    ("email", " alice@example.com", False),
    ("email", "alice@example.test", False),
    ("email", "alice@EXAMPLE.ONION", False),
    ("email", "alice@localhost", False),
    ("email", '"alice"@example.com', False),
    ("email", "alice@[127.0.0.1]", False),
    ("email", "alice@example.123", False),
    ("email", "ali\x00ce@example.com", False),
    ("email", "a" * 64 + "@" + "b" * 186 + ".com", False),
    ("password", " " * rules.PASSWORD_MIN, True),
    ("password", "p" * rules.PASSWORD_MAX, True),
    ("password", None, False),
    ("password", "short", False),
    ("password", "p" * (rules.PASSWORD_MAX + 1), False),
    ("password", "pass\x00word", False),
]


@pytest.mark.parametrize(("field", "value", "ok"), NEW_USER_CASES)
def test_registration_rules_are_the_documents(client, spec, field, value, ok):
    document = {"user": _with(NEW_USER, field, value)}

    response = client.post("/api/users", json=document)

    _check(_body_validator(spec, "/api/users", "post"), document, response, ok=ok)


SIGN_IN_CASES = [
    ("email", " jake@example.com\n", True),
    ("email", None, False),
    ("email", "", False),
    ("email", BLANKS_OF_EVERY_KIND, False),
    ("email", "jake\x00@example.com", False),
    ("email", "j" * (rules.EMAIL_MAX + 1), False),
    ("password", None, False),
    ("password", "", False),
    ("password", "pass\x00word", False),
]


@pytest.mark.parametrize(("field", "value", "ok"), SIGN_IN_CASES)
def test_sign_in_rules_are_the_documents(client, spec, field, value, ok):
    UserFactory(username="jake", email="jake@example.com")
    credentials = {"email": "jake@example.com", "password": PASSWORD}
    document = {"user": _with(credentials, field, value)}

    response = client.post("/api/users/login", json=document)

    _check(_body_validator(spec, "/api/users/login", "post"), document, response, ok=ok)


SETTINGS_CASES = [
    ("username", "jake2", True),
    ("username", None, False),
    ("username", "jake 2", False),
    ("email", "jake2@example.com", True),
    ("email", None, False),
    ("email", "jake2@example.invalid", False),
    # A blank or null password changes nothing; bio and image are cleared by either.
    ("password", None, True),
    ("password", "", True),
    ("password", " " * 200, True),
    ("password", "short", False),
    ("password", "pass\x00word", False),
    ("bio", None, True),
    ("bio", " " * (rules.BIO_MAX + 10), True),
    ("bio", "b" * rules.BIO_MAX, True),
    ("bio", "b" * (rules.BIO_MAX + 1), False),
    ("bio", "b\x00", False),
    ("image", None, True),
    ("image", "", True),
    ("image", " HTTPS://example.com/me.png ", True),
    ("image", "http://example.com/" + "a" * (rules.IMAGE_URL_MAX - 19), True),
    ("image", "http://example.com/" + "a" * (rules.IMAGE_URL_MAX - 18), False),
    ("image", "ftp://example.com/me.png", False),
    ("image", "javascript:alert(1)", False),
    ("image", "http:///me.png", False),
    ("image", "http://example.com/\x00", False),
    # The notification setting (an extension): a JSON boolean, nothing else.
    ("notifyByEmail", True, True),
    ("notifyByEmail", False, True),
    ("notifyByEmail", None, False),
    ("notifyByEmail", "true", False),
    ("notifyByEmail", 1, False),
]


@pytest.mark.parametrize("case", SETTINGS_CASES)
def test_settings_rules_are_the_documents(client, spec, headers, case):
    field, value, ok = case
    document = {"user": {field: value}}

    response = client.put("/api/user", json=document, headers=headers)

    _check(_body_validator(spec, "/api/user", "put"), document, response, ok=ok)


NEW_ARTICLE = {"title": "Dragons", "description": "How to", "body": "Believe", "tagList": ["x"]}
TEXT_CASES = [
    (" Padded\n", True),
    ("\x01 control characters other than NUL are text", True),
    (None, False),
    ("", False),
    (BLANKS_OF_EVERY_KIND, False),
    ("Dra\x00gons", False),
]
ARTICLE_CASES = [
    *((field, value, ok) for field in ("title", "description", "body") for value, ok in TEXT_CASES),
    ("title", "t" * rules.TITLE_MAX, True),
    # The limit counts what was sent, surrounding blanks included.
    ("title", "t" * rules.TITLE_MAX + " ", False),
    ("description", "d" * (rules.DESCRIPTION_MAX + 1), False),
    ("tagList", [], True),
    ("tagList", [f"tag{n}" for n in range(rules.TAGS_MAX)], True),
    ("tagList", [f"tag{n}" for n in range(rules.TAGS_MAX + 1)], False),
    ("tagList", None, False),
    ("tagList", ["  "], False),
    ("tagList", ["ta\x00g"], False),
    ("tagList", ["t" * (rules.TAG_MAX + 1)], False),
]


@pytest.mark.parametrize("case", ARTICLE_CASES)
def test_new_article_rules_are_the_documents(client, spec, headers, case):
    field, value, ok = case
    document = {"article": _with(NEW_ARTICLE, field, value)}

    response = client.post("/api/articles", json=document, headers=headers)

    _check(_body_validator(spec, "/api/articles", "post"), document, response, ok=ok)


@pytest.mark.parametrize("case", ARTICLE_CASES)
def test_article_update_rules_are_the_documents(client, spec, headers, user, case):
    field, value, ok = case
    article = ArticleFactory(author=user)
    document = {"article": {field: value}}

    response = client.put(f"/api/articles/{article.slug}", json=document, headers=headers)

    _check(_body_validator(spec, "/api/articles/{slug}", "put"), document, response, ok=ok)


@pytest.mark.parametrize(("value", "ok"), TEXT_CASES)
def test_comment_rules_are_the_documents(client, spec, headers, value, ok):
    article = ArticleFactory()
    document = {"comment": {"body": value}}

    response = client.post(f"/api/articles/{article.slug}/comments", json=document, headers=headers)

    validator = _body_validator(spec, "/api/articles/{slug}/comments", "post")
    _check(validator, document, response, ok=ok)


def test_unknown_fields_are_ignored_whatever_they_hold(client, spec, headers):
    # The document allows any other field (no additionalProperties: false): NUL in
    # one the API does not read is no reason to refuse the request.
    document = {"article": {**NEW_ARTICLE, "note": "a\x00b"}, "extra": ["\x00"]}

    response = client.post("/api/articles", json=document, headers=headers)

    _check(_body_validator(spec, "/api/articles", "post"), document, response, ok=True)


QUERY_CASES = [
    ("limit", 1, True),
    ("limit", 100, True),
    ("limit", 0, False),
    ("limit", 101, False),
    ("offset", 0, True),
    ("offset", 2**31 - 1, True),
    ("offset", -1, False),
    ("offset", 2**31, False),
    *((name, "x" * rules.LOOKUP_MAX, True) for name in ("tag", "author", "favorited")),
    *((name, "x" * (rules.LOOKUP_MAX + 1), False) for name in ("tag", "author", "favorited")),
    *((name, "a\x00b", False) for name in ("tag", "author", "favorited")),
]


@pytest.mark.parametrize(("name", "value", "ok"), QUERY_CASES)
def test_list_query_rules_are_the_documents(client, spec, name, value, ok):
    response = client.get("/api/articles", query_string={name: value})

    _check(_parameter_validator(spec, "/api/articles", "get", name), value, response, ok=ok)


PATH_CASES = [
    ("/api/profiles/{username}", "get", "username"),
    ("/api/articles/{slug}", "get", "slug"),
    ("/api/articles/{slug}/comments", "get", "slug"),
]


@pytest.mark.parametrize("operation", PATH_CASES)
@pytest.mark.parametrize("value", ["a\x00b", "x" * (rules.LOOKUP_MAX + 1)])
def test_path_rules_are_the_documents(client, spec, operation, value):
    path, method, name = operation

    response = client.open(path.replace("{" + name + "}", value), method=method.upper())

    _check(_parameter_validator(spec, path, method, name), value, response, ok=False)


@pytest.mark.parametrize("value", [None, 0, 2**63])
def test_comment_id_bounds_are_the_documents(client, spec, headers, user, value):
    article = ArticleFactory()
    comment = CommentFactory(article=article, author=user)
    ok = value is None
    if ok:
        value = comment.id
    path = f"/api/articles/{article.slug}/comments/{value}"

    response = client.delete(path, headers=headers)

    path_template = "/api/articles/{slug}/comments/{id}"
    _check(_parameter_validator(spec, path_template, "delete", "id"), value, response, ok=ok)


def test_blanks_are_what_str_strip_removes():
    blank = re.compile(f"[{rules.BLANKS}]")
    expected = {chr(code) for code in range(0x110000) if chr(code).isspace()}

    assert {chr(code) for code in range(0x110000) if blank.match(chr(code))} == expected


PATTERNS = [
    rules.BLANK_PATTERN,
    rules.NUL_FREE_PATTERN,
    rules.TEXT_PATTERN,
    rules.ONE_LINE_PATTERN,
    rules.USERNAME_TEXT_PATTERN,
    rules.IMAGE_URL_PATTERN,
    *rules.EMAIL_REFUSED_PATTERNS,
]
# Characters each pattern tells apart, blanks of every kind among them.
TRICKY = st.text(
    alphabet=st.sampled_from([*"aZ09_-./:?#@hHtTpPsS", "\x00", "\x01", *BLANKS_OF_EVERY_KIND])
    | st.characters(codec="utf-8"),
    max_size=24,
)


@pytest.mark.parametrize("pattern", PATTERNS)
@settings(max_examples=400, deadline=None, database=None)
@given(text=TRICKY)
def test_python_and_json_schema_read_each_pattern_alike(pattern, text):
    # The API checks the pattern with Python's re; clients, with ECMA-262 regular
    # expressions (jsonschema-rs here).
    assert (re.search(pattern, text) is not None) is jsonschema_rs.is_valid(
        {"type": "string", "pattern": pattern}, text
    )


@settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=TRICKY)
def test_text_is_refused_exactly_when_its_pattern_says(client, headers, text):
    document = {"article": {**NEW_ARTICLE, "body": text}}

    response = client.post("/api/articles", json=document, headers=headers)

    matches = re.search(rules.TEXT_PATTERN, text) is not None
    assert (response.status_code == 201) is matches, (text, response.get_data(as_text=True))


@pytest.mark.parametrize("pattern", PATTERNS)
def test_no_pattern_backtracks_on_the_longest_text(pattern):
    # A pattern whose parts can match the same characters takes quadratic time on a
    # long text that fails at its end: minutes for a 100,000-character body.
    longest = rules.BODY_MAX
    texts = ["a" * longest + "\x00", " " * longest + "\x00", "http://" + "a" * longest + "\x00"]

    started = time.perf_counter()
    for text in texts:
        re.search(pattern, text)

    assert time.perf_counter() - started < 1.0
