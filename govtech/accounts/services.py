"""Rules for accounts: registration, sign-in, password policy and reset, agency verification."""

import datetime as dt
import secrets

import sqlalchemy as sa
from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from govtech import clock
from govtech.accounts.models import Agency, GovernmentLevel, Role, SizeBand, Supplier, User
from govtech.accounts.tax_ids import normalise_tax_id
from govtech.audit.services import record
from govtech.extensions import db
from govtech.navigation import public_url
from govtech.notifications import notify
from govtech.rules import RuleViolation

MIN_PASSWORD_LENGTH = 10
MAX_FAILED_LOGINS = 5
LOCKOUT = dt.timedelta(minutes=15)
_RESET_SALT = "govtech.password-reset"
_REGISTRATION_SALT = "govtech.registration"
# How long the link that finishes a registration works.
REGISTRATION_MAX_AGE = dt.timedelta(hours=24)


class AccountError(RuleViolation):
    """A rule of the accounts domain refused the request; `field` names the form field."""


def normalise_email(email: str) -> str:
    """Emails compare case-insensitively and without surrounding spaces."""
    return email.strip().lower()


def password_problem(password: str, user_inputs: list[str] | None = None):
    """Return why a password is too weak, or None when it is acceptable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return _l("Use at least %(n)s characters.", n=MIN_PASSWORD_LENGTH)
    if len(password) > 200:
        return _l("Use at most 200 characters.")
    # zxcvbn scores against common-password and dictionary lists; 3 = "safely unguessable".
    if zxcvbn(password[:100], user_inputs=user_inputs or [])["score"] < 3:
        return _l("This password is too common or easy to guess. Try a longer passphrase.")
    return None


def hash_password(password: str) -> str:
    """A scrypt hash (Werkzeug's default KDF)."""
    return generate_password_hash(password, method="scrypt")


def email_taken(email: str) -> bool:
    """True if an account already uses this email."""
    return (
        db.session.scalar(sa.select(User.id).where(User.email == normalise_email(email)))
        is not None
    )


def create_user(
    *,
    email: str,
    password: str,
    full_name: str,
    role: Role,
    agency: Agency | None = None,
    supplier: Supplier | None = None,
    locale: str | None = None,
    actor: User | None = None,
    check_password: bool = True,
) -> User:
    """Create an account after checking the email is free and the password is strong."""
    email = normalise_email(email)
    if email_taken(email):
        raise AccountError(_l("An account with this email already exists."), "email")
    if check_password:
        problem = password_problem(password, [email, full_name])
        if problem:
            raise AccountError(problem, "password")
    if role is Role.AGENCY_STAFF and agency is None:
        raise AccountError(_l("Agency staff must belong to an agency."), "agency")
    if role is Role.SUPPLIER_MEMBER and supplier is None:
        raise AccountError(_l("Supplier members must belong to a supplier."), "supplier")
    user = User(
        email=email,
        full_name=full_name.strip(),
        password_hash=hash_password(password),
        role=role,
        agency=agency,
        supplier=supplier,
        locale=locale,
        session_nonce=secrets.token_hex(16),
    )
    db.session.add(user)
    db.session.flush()
    record(
        "user.created",
        user,
        actor=actor or user,
        agency_id=agency.id if agency else None,
        role=role,
        email=email,
    )
    return user


def register_supplier(
    *,
    legal_name: str,
    tax_id: str,
    country: str,
    size_band: SizeBand,
    founding_year: int,
    website: str | None,
    actor: User | None = None,
) -> Supplier:
    """Register a supplier organisation; its tax id must be valid and new in its country."""
    compact = _new_supplier_tax_id(country, tax_id)
    supplier = Supplier(
        legal_name=legal_name.strip(),
        tax_id=compact,
        country=country,
        size_band=size_band,
        founding_year=founding_year,
        website=website or None,
    )
    db.session.add(supplier)
    db.session.flush()
    record("supplier.registered", supplier, actor=actor, country=country, tax_id=compact)
    return supplier


def _new_supplier_tax_id(country: str, tax_id: str) -> str:
    """The compact tax id, refused when a supplier of the country already has it."""
    compact = normalise_tax_id(country, tax_id)
    exists = db.session.scalar(
        sa.select(Supplier.id).where(Supplier.country == country, Supplier.tax_id == compact)
    )
    if exists:
        raise AccountError(
            _l("This organisation is already registered. Ask one of its members to invite you."),
            "tax_id",
        )
    return compact


def _new_agency_code(code: str) -> str:
    """The agency code in capitals, refused when another agency has it."""
    code = code.strip().upper()
    if db.session.scalar(sa.select(Agency.id).where(Agency.code == code)):
        raise AccountError(_l("This agency code is already in use."), "code")
    return code


def register_agency(
    *,
    name: str,
    code: str,
    country: str,
    level: GovernmentLevel,
    time_zone: str,
    locale: str = "es",
    website: str | None = None,
    actor: User | None = None,
) -> Agency:
    """Register a public agency, unverified until a platform admin checks it."""
    code = _new_agency_code(code)
    agency = Agency(
        name=name.strip(),
        code=code,
        country=country,
        level=level,
        time_zone=time_zone,
        locale=locale,
        website=website or None,
    )
    db.session.add(agency)
    db.session.flush()
    record("agency.registered", agency, actor=actor, agency_id=agency.id, code=code)
    return agency


def request_registration(
    *,
    email: str,
    full_name: str,
    organisation: dict,
    locale: str | None,
) -> None:
    """Start a registration: email the address a link where its owner chooses a password
    and the account is created, or, when an account already uses the address, tell its
    owner how to sign in instead.

    `organisation` holds the supplier's or agency's fields under "supplier" or "agency".
    The link carries the application signed, not encrypted, so it holds no password
    material: the password is chosen on the page the link opens. The applicant gets the
    same answer, and the same work is done, either way (the link signed, one email
    written); nothing is stored until the link is followed, so neither the page, its
    timing nor the audit log tells whether the email has an account.
    """
    email = normalise_email(email)
    if "supplier" in organisation:
        values = organisation["supplier"]
        _new_supplier_tax_id(values["country"], values["tax_id"])
    else:
        _new_agency_code(organisation["agency"]["code"])
    application = {
        "email": email,
        "full_name": full_name.strip(),
        "locale": locale,
        **organisation,
    }
    # Signed on both paths, so they cost the same.
    token = _registration_serializer().dumps(application)
    owner = db.session.scalar(sa.select(User).where(User.email == email))
    if owner is not None:
        notify(
            owner.email,
            "registration_existing",
            locale=owner.locale,
            user=owner,
            login_url=public_url("accounts.login"),
            reset_url=public_url("accounts.forgot_password"),
        )
        return
    notify(
        email,
        "registration_confirm",
        locale=locale or str(get_locale()),  # the language of the page they registered on
        full_name=application["full_name"],
        url=public_url("accounts.confirm_registration", token=token),
        hours=int(REGISTRATION_MAX_AGE.total_seconds() // 3600),
    )


def _registration_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_REGISTRATION_SALT)


def registration_for_token(token: str) -> dict | None:
    """The registration a valid, unexpired confirmation link carries, or None."""
    try:
        data = _registration_serializer().loads(
            token, max_age=int(REGISTRATION_MAX_AGE.total_seconds())
        )
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(data, dict) or not ({"supplier", "agency"} & data.keys()):
        return None
    return data


def registration_complete(application: dict) -> bool:
    """True once the link of this registration has been used: its account exists."""
    return email_taken(application["email"])


def complete_registration(application: dict, password: str) -> User:
    """Create the organisation and the account of a registration whose email was
    confirmed (its link followed), with the password chosen there; a second use of the
    link is refused, and a refused password leaves the link usable (nothing is written)."""
    if registration_complete(application):
        raise AccountError(_l("This registration is already complete: sign in."), "email")
    # Checked before anything is written: the person fixes it and sends the form again.
    problem = password_problem(password, [application["email"], application["full_name"]])
    if problem:
        raise AccountError(problem, "password")
    if "supplier" in application:
        values = application["supplier"]
        organisation = register_supplier(
            legal_name=values["legal_name"],
            tax_id=values["tax_id"],
            country=values["country"],
            size_band=SizeBand(values["size_band"]),
            founding_year=values["founding_year"],
            website=values.get("website"),
        )
        role = Role.SUPPLIER_MEMBER
    else:
        values = application["agency"]
        organisation = register_agency(
            name=values["name"],
            code=values["code"],
            country=values["country"],
            level=GovernmentLevel(values["level"]),
            time_zone=values["time_zone"],
            locale=values.get("locale") or "es",
        )
        role = Role.AGENCY_STAFF
    return create_user(
        email=application["email"],
        password=password,
        check_password=False,  # checked above
        full_name=application["full_name"],
        role=role,
        supplier=organisation if role is Role.SUPPLIER_MEMBER else None,
        agency=organisation if role is Role.AGENCY_STAFF else None,
        locale=application.get("locale"),
    )


def update_supplier_profile(supplier: Supplier, member: User, values: dict) -> None:
    """Change the company profile; the tax id stays valid and unique in its country."""
    if not member.represents(supplier.id):
        raise AccountError(_l("Only the company's members can change its profile."))
    compact = normalise_tax_id(values["country"], values["tax_id"])
    clash = db.session.scalar(
        sa.select(Supplier.id).where(
            Supplier.country == values["country"],
            Supplier.tax_id == compact,
            Supplier.id != supplier.id,
        )
    )
    if clash:
        raise AccountError(_l("Another registered company has this tax id."), "tax_id")
    values = {**values, "tax_id": compact}
    changed = {}
    for key, value in values.items():
        if getattr(supplier, key) != value:
            changed[key] = value
            setattr(supplier, key, value)
    db.session.flush()
    if changed:
        record("supplier.profile_updated", supplier, actor=member, fields=sorted(changed))


def verify_agency(agency: Agency, admin: User) -> None:
    """Mark an agency as verified so its staff can publish challenges."""
    if not admin.is_admin:
        raise AccountError(_l("Only a platform administrator can verify agencies."))
    if agency.is_verified:
        raise AccountError(_l("This agency is already verified."))
    agency.verified_at = clock.now()
    agency.verified_by_id = admin.id
    db.session.flush()
    record("agency.verified", agency, actor=admin, agency_id=agency.id, to="verified")


def authenticate(email: str, password: str) -> User | None:
    """Return the user when the credentials match and the account is not locked.

    Failures count towards a temporary lockout; the caller shows one generic message
    whatever the reason. Every failed attempt writes one audit entry (on the account, when
    the email has one) and the password is hashed whatever the account's state, so
    neither the response, its timing nor the audit log's length tells whether the email
    exists or the account is locked.
    """
    # populate_existing: the signed-in user's row may be a cached copy (accounts/sessions.py);
    # the failure count must be read as it is now.
    user = db.session.scalar(
        sa.select(User)
        .where(User.email == normalise_email(email))
        .execution_options(populate_existing=True)
    )
    now = clock.now()
    matches = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    if user is None:
        record("user.sign_in_failed", None, reason="no_account")
        return None
    if user.locked_until and user.locked_until > now:
        record("user.sign_in_failed", user, reason="locked")
        return None
    if not user.active or not matches:
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until = now + LOCKOUT
            user.failed_logins = 0
            # One entry per attempt: the lockout's stands for the failure that caused it.
            record(
                "user.locked",
                user,
                actor=user,
                until=user.locked_until,
                failed_logins=MAX_FAILED_LOGINS,
            )
        else:
            record(
                "user.sign_in_failed",
                user,
                reason="password" if user.active else "inactive",
                failed_logins=user.failed_logins,
            )
        db.session.flush()
        return None
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    db.session.flush()
    return user


_DUMMY_HASH = generate_password_hash("not-a-real-password-0", method="scrypt")


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_RESET_SALT)


def password_reset_token(user: User) -> str:
    """A signed token bound to the current password hash, so it works once."""
    return _reset_serializer().dumps({"uid": user.id, "pw": user.password_hash[-16:]})


def request_password_reset(email: str) -> None:
    """Email a reset link to the account that uses `email`, or tell the address that no
    active account uses it.

    Both answers cost the same (one email written and sent, one audit entry), so neither
    the page, its timing nor the audit log's length tells whether the account exists.
    """
    email = normalise_email(email)
    user = db.session.scalar(sa.select(User).where(User.email == email))
    if user is not None and user.active:
        notify(
            user.email,
            "password_reset",
            locale=user.locale,
            user=user,
            url=public_url("accounts.reset_password", token=password_reset_token(user)),
        )
        record("user.password_reset_requested", user, actor=user)
        return
    notify(
        email,
        "password_reset_no_account",
        locale=str(get_locale()),
        url=public_url("accounts.register"),
    )
    record("user.password_reset_requested", None, account=False)


def user_for_reset_token(token: str) -> User | None:
    """The user a valid, unexpired, unused reset token belongs to, or None."""
    try:
        data = _reset_serializer().loads(
            token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"]
        )
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(data, dict):
        return None
    user = db.session.get(User, data.get("uid"))
    if user is None or user.password_hash[-16:] != data.get("pw"):
        return None
    return user


def change_password(user: User, current: str, new: str) -> None:
    """Change the password of a signed-in user who proves the current one (a wrong one
    counts towards the lockout, as at sign-in); other sessions are signed out."""
    if authenticate(user.email, current) is None:
        raise AccountError(_l("The current password is not right."), "current")
    set_password(user, new)


def end_sessions(user: User) -> None:
    """Sign the user out everywhere: every cookie carrying the old session nonce stops
    working (sessions are signed cookies, so there is no server-side session to delete)."""
    user.session_nonce = secrets.token_hex(16)
    db.session.flush()
    record("user.signed_out", user, actor=user)


def set_password(user: User, password: str) -> None:
    """Change a password after the policy check; signs the user out of other sessions."""
    problem = password_problem(password, [user.email, user.full_name])
    if problem:
        raise AccountError(problem, "password")
    user.password_hash = hash_password(password)
    user.session_nonce = secrets.token_hex(16)
    user.failed_logins = 0
    user.locked_until = None
    db.session.flush()
    record("user.password_changed", user, actor=user)
