"""The web UI's forms. Flask-WTF gives each one a CSRF token; the field rules
come from `app.rules`, the same rules the API's schemas use."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from flask import request
from flask_wtf import FlaskForm
from werkzeug.datastructures import CombinedMultiDict
from wtforms import (
    BooleanField,
    Field,
    HiddenField,
    PasswordField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from app import rules


def _clean(value: Any) -> Any:
    """Strip text and refuse NUL characters (a ValueError here becomes a field error)."""
    if isinstance(value, str):
        return rules.no_nul(value.strip())
    return value


def _lf(value: Any) -> Any:
    """Line ends as the API stores them: a browser sends a text area's as CRLF, so an
    unchanged body saved through a form would be a changed one (and a longer one)."""
    if isinstance(value, str):
        return value.replace("\r\n", "\n").replace("\r", "\n")
    return value


def _not_nul(value: Any) -> Any:
    return rules.no_nul(value) if isinstance(value, str) else value


def _blank_as_empty(value: Any) -> Any:
    """An optional password of blanks only means "no new password", as in the API."""
    return "" if isinstance(value, str) and not value.strip() else value


def _rule(check: Callable[[str], str]) -> Callable[[FlaskForm, Field], None]:
    """A WTForms validator from a rule function; the rule may also normalise the value."""

    def validate(_form: FlaskForm, field: Field) -> None:
        if field.data:
            try:
                field.data = check(field.data)
            except ValueError as error:
                raise ValidationError(str(error)) from None

    return validate


def _required() -> DataRequired:
    # Checked after the filters: a value of blanks only is blank too, as in the API.
    return DataRequired(message="can't be blank")


def _at_most(maximum: int) -> Length:
    return Length(max=maximum, message="is too long (maximum is %(max)d characters)")


def _at_least(minimum: int) -> Length:
    return Length(min=minimum, message="is too short (minimum is %(min)d characters)")


def _username_field(label: str) -> StringField:
    return StringField(
        label,
        filters=[_clean],
        validators=[
            _required(),
            _at_most(rules.USERNAME_MAX),
            Regexp(rules.USERNAME_PATTERN, message=rules.USERNAME_HINT),
        ],
    )


def _email_field() -> StringField:
    return StringField(
        "Email",
        filters=[_clean],
        validators=[
            _required(),
            _at_most(rules.EMAIL_MAX),
            _rule(rules.normalise_email),
        ],
    )


class Form(FlaskForm):
    """A form of the web UI, shown by `app.web.pages.form_page`."""

    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form: FlaskForm, formdata: Any) -> Any:
            """The submitted text fields only. Flask-WTF also reads the request's
            files and a JSON body, but no form here takes either: a file or a JSON
            object, number or list sent for a field is no value (the field's own rule
            refuses it), never an object a rule cannot read."""
            wrapped = super().wrap_formdata(form, formdata)
            if isinstance(wrapped, CombinedMultiDict) or (wrapped is not None and request.is_json):
                return request.form
            return wrapped

    # Where a service's refusal naming one of the form's fields is shown (see
    # `app.web.pages.show_refusal`): beside that field, in the field's label's words
    # ("Email has already been taken"); False: above the form, in the service's.
    REFUSALS_BESIDE_FIELDS: ClassVar[bool] = True


class SafeRedirectForm(Form):
    """A form that carries where to go afterwards (checked before use)."""

    next = HiddenField(filters=[_clean])


class ActionForm(SafeRedirectForm):
    """A button that changes something (follow, favorite, delete, sign out): CSRF only."""


class LoginForm(SafeRedirectForm):
    email = StringField(
        "Email",
        filters=[_clean],
        validators=[_required(), _at_most(rules.EMAIL_MAX)],
    )
    password = PasswordField(
        "Password",
        filters=[_not_nul],
        validators=[_required(), _at_most(rules.PASSWORD_MAX)],
    )


class RegisterForm(Form):
    username = _username_field("Username")
    email = _email_field()
    password = PasswordField(
        "Password",
        filters=[_not_nul],
        validators=[
            _required(),
            _at_least(rules.PASSWORD_MIN),
            _at_most(rules.PASSWORD_MAX),
        ],
    )


class ForgotPasswordForm(Form):
    email = _email_field()


class NewPasswordForm(Form):
    # The refusal of a link (used, expired) names no field of the form: shown above it.
    REFUSALS_BESIDE_FIELDS = False

    password = PasswordField(
        "New Password",
        filters=[_not_nul],
        validators=[
            _required(),
            _at_least(rules.PASSWORD_MIN),
            _at_most(rules.PASSWORD_MAX),
        ],
    )


class SettingsForm(Form):
    image = StringField(
        "URL of profile picture",
        filters=[_clean],
        validators=[Optional(), _at_most(rules.IMAGE_URL_MAX), _rule(rules.http_url)],
    )
    username = _username_field("Your Name")
    bio = TextAreaField(
        "Short bio about you", filters=[_lf, _clean], validators=[_at_most(rules.BIO_MAX)]
    )
    email = _email_field()
    password = PasswordField(
        "New Password",
        filters=[_not_nul, _blank_as_empty],
        validators=[Optional(), _at_least(rules.PASSWORD_MIN), _at_most(rules.PASSWORD_MAX)],
    )
    # A checkbox sends nothing when unticked: a form sent without it turns mail off.
    notify_by_email = BooleanField("E-mail me when someone follows me or comments on my articles")


class DeleteAccountForm(Form):
    password = PasswordField(
        "Password",
        filters=[_not_nul],
        validators=[_required(), _at_most(rules.PASSWORD_MAX)],
    )


def tags_text(names: Sequence[str]) -> str:
    """Tags as the editor's field shows them."""
    return ", ".join(names)


class ArticleForm(Form):
    # Its labels are prompts ("What's this article about?"), not names to start a
    # sentence with: a refusal is shown above the form as the service words it.
    REFUSALS_BESIDE_FIELDS = False

    title = StringField(
        "Article Title",
        filters=[_clean],
        validators=[_required(), _at_most(rules.TITLE_MAX), _rule(rules.one_line)],
    )
    description = StringField(
        "What's this article about?",
        filters=[_clean],
        validators=[_required(), _at_most(rules.DESCRIPTION_MAX), _rule(rules.one_line)],
    )
    body = TextAreaField(
        "Write your article (in markdown)",
        filters=[_lf, _clean],
        validators=[_required(), _at_most(rules.BODY_MAX)],
    )
    tags = StringField("Tags", filters=[_clean], render_kw={"placeholder": "Enter tags"})
    # The article's tags when the editor shows an article's (see `tag_list`).
    shown_tags: Sequence[str] | None = None

    def article_fields(self) -> dict[str, Any]:
        """What the form says of the article, as the articles service takes it."""
        return {
            "title": self.title.data,
            "description": self.description.data,
            "body": self.body.data,
            "tag_list": self.tag_list(),
        }

    def tag_list(self) -> list[str]:
        """The tags typed, separated by commas, without blanks or repeats; the
        article's own tags when the field is as the editor showed them (a tag
        written through the API may hold a comma, which the field cannot tell apart)."""
        if self.shown_tags is not None and self.tags.data == tags_text(self.shown_tags):
            return sorted(self.shown_tags)
        names = [name.strip() for name in (self.tags.data or "").split(",")]
        return sorted({name for name in names if name})

    def validate_tags(self, _field: Field) -> None:
        names = self.tag_list()
        if len(names) > rules.TAGS_MAX:
            raise ValidationError(f"can't be more than {rules.TAGS_MAX}")
        if any(len(name) > rules.TAG_MAX for name in names):
            raise ValidationError(f"can't be longer than {rules.TAG_MAX} characters each")
        if any(len(name.splitlines()) > 1 for name in names):
            raise ValidationError(rules.ONE_LINE_HINT)


class CommentForm(Form):
    body = TextAreaField(
        "Write a comment...",
        filters=[_lf, _clean],
        validators=[_required(), _at_most(rules.COMMENT_MAX)],
    )
