"""The web UI's forms. Flask-WTF gives each one a CSRF token; the field rules
come from `app.services.rules`, the same rules the API's schemas use."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field, HiddenField, PasswordField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, Regexp, ValidationError

from app.services import rules


def _clean(value: Any) -> Any:
    """Strip text and refuse NUL characters (a ValueError here becomes a field error)."""
    if isinstance(value, str):
        return rules.no_nul(value.strip())
    return value


def _not_nul(value: Any) -> Any:
    return rules.no_nul(value) if isinstance(value, str) else value


def _rule(check: Callable[[str], str]) -> Callable[[FlaskForm, Field], None]:
    """A WTForms validator from a rule function; the rule may also normalise the value."""

    def validate(_form: FlaskForm, field: Field) -> None:
        if field.data:
            try:
                field.data = check(field.data)
            except ValueError as error:
                raise ValidationError(str(error)) from None

    return validate


def _username_field(label: str) -> StringField:
    return StringField(
        label,
        filters=[_clean],
        validators=[
            InputRequired(message="can't be blank"),
            Length(max=rules.USERNAME_MAX),
            Regexp(rules.USERNAME_PATTERN, message=rules.USERNAME_HINT),
        ],
    )


def _email_field() -> StringField:
    return StringField(
        "Email",
        filters=[_clean],
        validators=[
            InputRequired(message="can't be blank"),
            Length(max=rules.EMAIL_MAX),
            _rule(rules.normalise_email),
        ],
    )


class SafeRedirectForm(FlaskForm):
    """A form that carries where to go afterwards (checked before use)."""

    next = HiddenField(filters=[_clean])


class ActionForm(SafeRedirectForm):
    """A button that changes something (follow, favorite, delete, sign out): CSRF only."""


class LoginForm(SafeRedirectForm):
    email = StringField(
        "Email",
        filters=[_clean],
        validators=[InputRequired(message="can't be blank"), Length(max=rules.EMAIL_MAX)],
    )
    password = PasswordField(
        "Password",
        filters=[_not_nul],
        validators=[InputRequired(message="can't be blank"), Length(max=rules.PASSWORD_MAX)],
    )


class RegisterForm(FlaskForm):
    username = _username_field("Username")
    email = _email_field()
    password = PasswordField(
        "Password",
        filters=[_not_nul],
        validators=[
            InputRequired(message="can't be blank"),
            Length(min=rules.PASSWORD_MIN, max=rules.PASSWORD_MAX),
        ],
    )


class SettingsForm(FlaskForm):
    image = StringField(
        "URL of profile picture",
        filters=[_clean],
        validators=[Optional(), Length(max=rules.IMAGE_URL_MAX), _rule(rules.http_url)],
    )
    username = _username_field("Your Name")
    bio = TextAreaField(
        "Short bio about you", filters=[_clean], validators=[Length(max=rules.BIO_MAX)]
    )
    email = _email_field()
    password = PasswordField(
        "New Password",
        filters=[_not_nul],
        validators=[Optional(), Length(min=rules.PASSWORD_MIN, max=rules.PASSWORD_MAX)],
    )


class ArticleForm(FlaskForm):
    title = StringField(
        "Article Title",
        filters=[_clean],
        validators=[InputRequired(message="can't be blank"), Length(max=rules.TITLE_MAX)],
    )
    description = StringField(
        "What's this article about?",
        filters=[_clean],
        validators=[InputRequired(message="can't be blank"), Length(max=rules.DESCRIPTION_MAX)],
    )
    body = TextAreaField(
        "Write your article (in markdown)",
        filters=[_clean],
        validators=[InputRequired(message="can't be blank"), Length(max=rules.BODY_MAX)],
    )
    tags = StringField("Enter tags", filters=[_clean])

    def tag_list(self) -> list[str]:
        """The tags typed, separated by commas, without blanks or repeats."""
        names = [name.strip() for name in (self.tags.data or "").split(",")]
        return sorted({name for name in names if name})

    def validate_tags(self, _field: Field) -> None:
        names = self.tag_list()
        if len(names) > rules.TAGS_MAX:
            raise ValidationError(f"at most {rules.TAGS_MAX} tags")
        if any(len(name) > rules.TAG_MAX for name in names):
            raise ValidationError(f"a tag has at most {rules.TAG_MAX} characters")


class CommentForm(FlaskForm):
    body = TextAreaField(
        "Write a comment...",
        filters=[_clean],
        validators=[InputRequired(message="can't be blank"), Length(max=rules.COMMENT_MAX)],
    )
