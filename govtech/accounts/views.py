"""Sign-in, registration, password reset and agency verification."""

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from govtech.accounts import bp
from govtech.accounts.forms import (
    ConfirmForm,
    LoginForm,
    PasswordChangeForm,
    PasswordResetForm,
    PasswordResetRequestForm,
    RegistrationForm,
    RegistrationPasswordForm,
    SupplierProfileForm,
)
from govtech.accounts.models import Agency, Role, SizeBand
from govtech.accounts.services import (
    AccountError,
    authenticate,
    change_password,
    complete_registration,
    end_sessions,
    registration_complete,
    registration_for_token,
    request_password_reset,
    request_registration,
    set_password,
    update_supplier_profile,
    user_for_reset_token,
    verify_agency,
)
from govtech.accounts.sessions import enforce_session_timeouts, stamp_new_session
from govtech.accounts.tax_ids import InvalidTaxId
from govtech.audit.services import record
from govtech.extensions import db, limiter
from govtech.navigation import safe_next
from govtech.permissions import public, roles, signed_in

AUTH_LIMIT = "10 per minute; 50 per hour"


bp.before_app_request(enforce_session_timeouts)


def _start_session(user) -> None:
    """Sign the user in with a fresh session (prevents session fixation)."""
    language = session.get("language")
    session.clear()
    if language:
        session["language"] = language
    login_user(user)
    stamp_new_session()


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(AUTH_LIMIT, methods=["POST"])
@public
def login():
    """Sign in with email and password."""
    if current_user.is_authenticated:
        return redirect(url_for("site.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is None:
            db.session.commit()  # keep the failed attempt: its count and its audit entry
            form.password.errors.append(
                _("Email or password is incorrect, or the account is temporarily locked.")
            )
        else:
            record("user.signed_in", user, actor=user)
            db.session.commit()
            _start_session(user)
            return redirect(safe_next(request.args.get("next")))
    return render_template("accounts/login.html", form=form), 400 if form.errors else 200


@bp.route("/logout", methods=["POST"])
@signed_in
def logout():
    """Sign out."""
    form = ConfirmForm()
    if form.validate_on_submit():
        end_sessions(current_user)
        db.session.commit()
        logout_user()
        session.clear()
        flash(_("You have signed out."), "info")
    return redirect(url_for("site.home"))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(AUTH_LIMIT, methods=["POST"])
@public
def register():
    """Ask for an account with the organisation it represents; the link emailed opens the
    page where the password is chosen and the account created."""
    if current_user.is_authenticated:
        return redirect(url_for("site.dashboard"))
    form = RegistrationForm()
    if form.validate_on_submit():
        if form.account_type.data == "supplier":
            organisation = {
                "supplier": {
                    "legal_name": form.legal_name.data.strip(),
                    "tax_id": form.tax_id.data,
                    "country": form.supplier_country.data,
                    "size_band": form.size_band.data,
                    "founding_year": form.founding_year.data,
                    "website": form.website.data or None,
                }
            }
        else:
            organisation = {
                "agency": {
                    "name": form.agency_name.data.strip(),
                    "code": form.agency_code.data,
                    "country": form.agency_country.data,
                    "level": form.level.data,
                    "time_zone": form.time_zone.data,
                    "locale": session.get("language") or "es",
                }
            }
        try:
            request_registration(
                email=form.email.data,
                full_name=form.full_name.data,
                organisation=organisation,
                locale=session.get("language"),
            )
        except AccountError as error:
            db.session.rollback()
            _field_error(form, error)
        else:
            db.session.commit()  # sends the email (nothing else is stored yet)
            # The same answer whether or not the email already has an account.
            flash(
                _(
                    "Check your email: we have sent a message to the address you entered. "
                    "Follow its link within 24 hours to finish."
                ),
                "info",
            )
            return redirect(url_for("accounts.login"))
    return render_template("accounts/register.html", form=form), 400 if form.errors else 200


def _field_error(form: RegistrationForm, error: AccountError) -> None:
    mapping = {"code": form.agency_code, "tax_id": form.tax_id}
    field = mapping.get(error.field) or getattr(form, error.field or "", None) or form.email
    field.errors = [*field.errors, error.message]


@bp.route("/register/confirm/<token>", methods=["GET", "POST"])
@limiter.limit(AUTH_LIMIT, methods=["POST"])
@public
def confirm_registration(token: str):
    """Finish a registration from the link emailed: choose the password, then the account
    is created and signed in."""
    application = registration_for_token(token)
    if application is None:
        abort(404)
    if registration_complete(application):  # the link works once
        flash(_("This registration is already complete: sign in."), "info")
        return redirect(url_for("accounts.login"))
    form = RegistrationPasswordForm()
    if form.validate_on_submit():
        try:
            user = complete_registration(application, form.password.data)
        except AccountError as error:
            db.session.rollback()
            if error.field == "password":  # the link stays usable: choose another
                form.password.errors = [*form.password.errors, error.message]
                return _confirmation_page(form, application)
            flash(error.message, "error")
            return redirect(
                url_for("accounts.login" if error.field == "email" else "accounts.register")
            )
        db.session.commit()
        _start_session(user)
        if user.is_agency_staff:
            flash(
                _(
                    "Welcome. A platform administrator will verify your agency before "
                    "you can publish challenges."
                ),
                "info",
            )
        else:
            flash(_("Welcome. Your organisation's profile is ready for your first bid."), "success")
        return redirect(url_for("site.dashboard"))
    return _confirmation_page(form, application)


def _confirmation_page(form: RegistrationPasswordForm, application: dict):
    return render_template(
        "accounts/confirm_registration.html", form=form, application=application
    ), (400 if form.errors else 200)


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit("5 per minute; 20 per hour", methods=["POST"])
@public
def forgot_password():
    """Ask for a password reset link by email."""
    form = PasswordResetRequestForm()
    if form.validate_on_submit():
        request_password_reset(form.email.data)
        db.session.commit()
        # The same answer either way: never reveal whether an account exists.
        flash(
            _(
                "If an account exists for that email, we have sent a link to reset the "
                "password. It is valid for one hour."
            ),
            "info",
        )
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(AUTH_LIMIT, methods=["POST"])
@public
def reset_password(token: str):
    """Choose a new password with a valid reset link."""
    user = user_for_reset_token(token)
    if user is None:
        flash(_("This reset link is invalid or has expired. Ask for a new one."), "error")
        return redirect(url_for("accounts.forgot_password"))
    form = PasswordResetForm()
    if form.validate_on_submit():
        try:
            set_password(user, form.password.data)
        except AccountError as error:
            db.session.rollback()
            form.password.errors.append(error.message)
        else:
            db.session.commit()
            flash(_("Your password has been changed. You can sign in now."), "success")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_password.html", form=form), 400 if form.errors else 200


@bp.route("/password", methods=["GET", "POST"])
@limiter.limit(AUTH_LIMIT, methods=["POST"])
@signed_in
def change_password_page():
    """A signed-in user changes the password; this session carries on, others end."""
    form = PasswordChangeForm()
    user = current_user._get_current_object()  # login_user below needs the object, not the proxy
    if form.validate_on_submit():
        try:
            change_password(user, form.current.data, form.password.data)
        except AccountError as error:
            if error.field == "current":
                db.session.commit()  # keep the failed attempt and its audit entry, as at sign-in
            else:
                db.session.rollback()  # a refused new password changes nothing
            form[error.field or "password"].errors.append(error.message)
        else:
            db.session.commit()
            _start_session(user)
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("site.dashboard"))
    return render_template("accounts/change_password.html", form=form), 400 if form.errors else 200


@bp.route("/agencies")
@roles(Role.ADMIN)
def agencies():
    """Admin: the agencies, unverified first."""
    rows = db.session.scalars(
        sa.select(Agency).order_by(Agency.verified_at.is_not(None), Agency.created_at.desc())
    ).all()
    return render_template("accounts/agencies.html", agencies=rows, form=ConfirmForm())


@bp.route("/agencies/<int:agency_id>/verify", methods=["POST"])
@roles(Role.ADMIN)
def verify(agency_id: int):
    """Admin: verify an agency so its staff may publish."""
    agency = db.get_or_404(Agency, agency_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            verify_agency(agency, current_user)
        except AccountError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("%(agency)s is now verified.", agency=agency.name), "success")
    return redirect(url_for("accounts.agencies"))


@bp.route("/organisation", methods=["GET", "POST"])
@roles(Role.SUPPLIER_MEMBER)
def organisation():
    """The company profile, completed once and reused in every proposal."""
    supplier = current_user.supplier
    form = SupplierProfileForm(obj=supplier)
    if request.method == "GET":
        form.size_band.data = supplier.size_band.value
    if form.validate_on_submit():
        try:
            update_supplier_profile(
                supplier,
                current_user,
                {
                    "legal_name": form.legal_name.data.strip(),
                    "country": form.country.data,
                    "tax_id": form.tax_id.data,
                    "size_band": SizeBand(form.size_band.data),
                    "founding_year": form.founding_year.data,
                    "website": form.website.data or None,
                    "team_size": form.team_size.data,
                    "description": (form.description.data or "").strip() or None,
                },
            )
        except AccountError as error:
            db.session.rollback()
            target = getattr(form, error.field or "", None) or form.legal_name
            target.errors = [*target.errors, error.message]
        except InvalidTaxId:
            db.session.rollback()
            form.tax_id.errors = [_("This is not a valid tax id for the selected country.")]
        else:
            db.session.commit()
            flash(_("Company profile saved."), "success")
            return redirect(url_for("accounts.organisation"))
    return render_template("accounts/organisation.html", form=form, supplier=supplier), (
        400 if form.errors else 200
    )
