"""Uploaded files, kept in the database so app servers stay stateless.

Only PDFs are accepted, checked by their content (not their name), and every file is stored
under a random key and served as a download, never rendered inline.
"""

import datetime as dt
import hashlib
import io
import secrets

import sqlalchemy as sa
from flask import current_app, send_file
from flask_babel import lazy_gettext as _l
from pypdf import PdfReader
from pypdf.errors import PyPdfError
from sqlalchemy.orm import Mapped, deferred, mapped_column
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from govtech import clock
from govtech.database import UTCDateTime
from govtech.extensions import db

PDF_MIME = "application/pdf"


class FileRejected(ValueError):
    """The upload is not an acceptable PDF; the message says why."""


class StoredFile(db.Model):
    """The bytes of one uploaded document with its digest."""

    __tablename__ = "stored_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    storage_key: Mapped[str] = mapped_column(sa.String(43), unique=True)
    filename: Mapped[str] = mapped_column(sa.String(200))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int] = mapped_column(sa.Integer)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    data: Mapped[bytes] = deferred(mapped_column(sa.LargeBinary, nullable=False))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))


def read_pdf_upload(upload: FileStorage, max_bytes: int | None = None) -> tuple[str, bytes]:
    """Return (safe filename, bytes) of an uploaded PDF, or raise FileRejected."""
    max_bytes = max_bytes or current_app.config["MAX_ATTACHMENT_BYTES"]
    data = upload.stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise FileRejected(_l("The file is larger than %(mb)s MB.", mb=max_bytes // (1024 * 1024)))
    if not data:
        raise FileRejected(_l("The file is empty."))
    check_pdf(data)
    name = secure_filename(upload.filename or "") or "document.pdf"
    if not name.lower().endswith(".pdf"):
        name += ".pdf"
    return name[-200:], data


def check_pdf(data: bytes) -> None:
    """Raise FileRejected unless the bytes are a readable PDF document."""
    if not data[:1024].lstrip().startswith(b"%PDF-"):
        raise FileRejected(_l("The file is not a PDF document."))
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if len(reader.pages) < 1:
            raise FileRejected(_l("The PDF has no pages."))
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise FileRejected(_l("The PDF is damaged or cannot be read.")) from exc


def store_file(filename: str, data: bytes, *, uploaded_by=None) -> StoredFile:
    """Keep a validated file under a random key."""
    stored = StoredFile(
        storage_key=secrets.token_urlsafe(32),
        filename=filename,
        content_type=PDF_MIME,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
        uploaded_by_id=getattr(uploaded_by, "id", None),
    )
    db.session.add(stored)
    db.session.flush()
    return stored


def send_stored_file(stored: StoredFile):
    """Serve a stored file as an attachment with its real type (never inline)."""
    response = send_file(
        io.BytesIO(stored.data),
        mimetype=stored.content_type,
        as_attachment=True,
        download_name=stored.filename,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response
