"""Accounts: users, agencies, suppliers, roles, sign-in and password reset."""

from flask import Blueprint

bp = Blueprint("accounts", __name__, url_prefix="/accounts")

from govtech.accounts import views  # noqa: E402, F401
