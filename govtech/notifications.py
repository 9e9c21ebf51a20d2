"""Email to users, rendered in the recipient's language and sent only after the commit.

Services call `notify(...)`; the message waits in the session and goes out when the
transaction commits (and is dropped on rollback), so nobody is told about a change that
did not happen.
"""

import logging

from flask import current_app, render_template
from flask_babel import force_locale
from flask_mail import Message
from sqlalchemy import event
from sqlalchemy.orm import Session

from govtech.extensions import db, mail

log = logging.getLogger(__name__)
_OUTBOX_KEY = "govtech_outbox"


def notify(recipient: str, template: str, *, locale: str | None = None, **context) -> None:
    """Queue an email from `templates/email/<template>.txt` (its first line is the subject)."""
    with force_locale(locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        text = render_template(f"email/{template}.txt", **context).strip()
    subject, _, body = text.partition("\n")
    message = Message(subject=subject.strip(), recipients=[recipient], body=body.strip() + "\n")
    db.session.info.setdefault(_OUTBOX_KEY, []).append(message)


def _masked(recipients: list[str]) -> str:
    """Recipients for the log: enough to trace a delivery, not a list of who bids."""
    return ", ".join(f"{r[:1]}***@{r.partition('@')[2]}" for r in recipients)


def _send_all(session: Session) -> None:
    messages = session.info.pop(_OUTBOX_KEY, [])
    for message in messages:
        try:
            mail.send(message)
        except Exception:  # a mail outage must not undo a committed procurement step
            log.exception("email to %s failed", _masked(message.recipients))
            continue
        if current_app.config.get("MAIL_SUPPRESS_SEND"):
            log.info(
                "email (not sent, MAIL_SUPPRESS_SEND) to=%s subject=%s",
                _masked(message.recipients),
                message.subject,
            )
            if current_app.config.get("MAIL_LOG_BODY"):
                # `make run` only: a new user finishes registering or resets a password from
                # the link printed in the terminal. Never in production (links are secrets).
                log.info("email body to=%s\n%s", message.recipients[0], message.body)


def _discard(session: Session) -> None:
    session.info.pop(_OUTBOX_KEY, None)


def register_mail_hooks() -> None:
    """Hook the outbox to commit and rollback of every session (once per process)."""
    if not event.contains(Session, "after_commit", _send_all):
        event.listen(Session, "after_commit", _send_all)
        event.listen(Session, "after_soft_rollback", lambda s, prev: _discard(s))
