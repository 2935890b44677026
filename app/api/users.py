"""Registration, sign-in and the current user: settings, export and deletion."""

from __future__ import annotations

from flask import Response

from app.api.auth import auth_required, current_actor, issue_token, presented_token, token_for
from app.api.common import NOT_AVAILABLE, TOKEN_SECURITY, UNAUTHORIZED, api_blueprint
from app.api.responses import json_response, no_content
from app.downloads import json_download
from app.limits import auth_rate_limited, password_reset_rate_limited
from app.models import User
from app.schemas.accounts import AccountExport, DeleteUserBody
from app.schemas.users import (
    Accepted,
    LoginUserBody,
    NewUserBody,
    PasswordResetConfirmBody,
    PasswordResetRequestBody,
    UpdateUserBody,
    UserEnvelope,
    UserOut,
)
from app.security import personal
from app.services import accounts, password_reset, users

EXPORT_FILENAME = "conduit-account.json"

bp = api_blueprint("api_users", __name__, "User and Authentication")


def _user_envelope(user: User, token: str) -> UserEnvelope:
    return UserEnvelope(
        user=UserOut(
            email=user.email,
            token=token,
            username=user.username,
            bio=user.bio,
            image=user.image,
            notify_by_email=user.notify_by_email,
        )
    )


@bp.post("/users", responses={201: UserEnvelope})
@personal
@auth_rate_limited
def register_user(body: NewUserBody) -> Response:
    """Register a new account."""
    user = users.register_user(
        username=body.user.username, email=body.user.email, password=body.user.password
    )
    return json_response(_user_envelope(user, issue_token(user)), 201)


@bp.post("/users/login", responses={200: UserEnvelope, 401: UNAUTHORIZED})
@personal
@auth_rate_limited
def login_user(body: LoginUserBody) -> Response:
    """Sign in with e-mail and password."""
    user = users.authenticate(email=body.user.email, password=body.user.password)
    return json_response(_user_envelope(user, issue_token(user)))


@bp.get("/user", responses={200: UserEnvelope}, security=TOKEN_SECURITY)
@personal
@auth_required
def get_current_user() -> Response:
    """Get the signed-in user."""
    return json_response(_user_envelope(current_actor(), presented_token()))


@bp.put("/user", responses={200: UserEnvelope}, security=TOKEN_SECURITY)
@personal
@auth_required
def update_current_user(body: UpdateUserBody) -> Response:
    """Update the signed-in user's settings; a new password revokes every other token."""
    user = users.update_user(user=current_actor(), **body.user.changes())
    return json_response(_user_envelope(user, token_for(user)))


@bp.post("/users/password-reset", responses={202: Accepted, 501: NOT_AVAILABLE})
@password_reset_rate_limited
def request_password_reset(body: PasswordResetRequestBody) -> Response:
    """Mail a password reset link to the address, if an account has it; 202 `{}` either way."""
    password_reset.request_password_reset(email=body.user.email)
    return json_response(Accepted(), 202)


@bp.post("/users/password-reset/confirm", responses={200: UserEnvelope})
@personal
@password_reset_rate_limited
def confirm_password_reset(body: PasswordResetConfirmBody) -> Response:
    """Set a new password with the token of a reset link; every earlier token is revoked."""
    user = password_reset.reset_password(token=body.user.token, password=body.user.password)
    return json_response(_user_envelope(user, issue_token(user)))


@bp.get("/user/export", responses={200: AccountExport}, security=TOKEN_SECURITY)
@personal
@auth_required
def export_current_user() -> Response:
    """Download the signed-in user's account: profile, articles, comments, favorites, follows."""
    return json_download(accounts.export_account(user=current_actor()), filename=EXPORT_FILENAME)


@bp.delete("/user", responses={204: None}, security=TOKEN_SECURITY)
@personal
@auth_required
def delete_current_user(body: DeleteUserBody) -> Response:
    """Delete the signed-in user's account and all it holds; asks for the password."""
    accounts.delete_account(user=current_actor(), password=body.user.password)
    return no_content()
