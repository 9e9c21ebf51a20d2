"""Uploaded files, kept in the database so app servers stay stateless.

Only PDFs are accepted, checked by their content (not their name), without JavaScript or
other active content, and every file is stored under a random key and served as a download,
never rendered inline.
"""

import datetime as dt
import hashlib
import io
import secrets
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app, send_file
from flask_babel import lazy_gettext as _l
from pypdf import PasswordType, PdfReader
from pypdf.errors import PdfReadError, PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NullObject, PdfObject
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
    """Raise FileRejected unless the bytes are a readable PDF document without active
    content (scripts, automatic actions, embedded files, multimedia, XFA forms)."""
    if not data[:1024].lstrip().startswith(b"%PDF-"):
        raise FileRejected(_l("The file is not a PDF document."))
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and reader.decrypt("") is PasswordType.NOT_DECRYPTED:
            raise FileRejected(
                _l("The PDF is protected by a password. Upload it without the password.")
            )
        if len(reader.pages) < 1:
            raise FileRejected(_l("The PDF has no pages."))
        found = active_content(reader)
    except FileRejected:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, AttributeError) as exc:
        raise FileRejected(_l("The PDF is damaged or cannot be read.")) from exc
    if found:
        raise FileRejected(
            _l(
                "The PDF contains active content (%(what)s), which is not accepted. Save or "
                "print it again as a plain PDF and upload that copy.",
                what=", ".join(sorted(str(ACTIVE_CONTENT_LABELS[kind]) for kind in found)),
            )
        )


# --- active content in PDFs ---------------------------------------------------------------
# What a viewer may run or open by itself besides drawing the pages: the agency's staff and
# evaluators open these files, so none of it is accepted.
ACTIVE_CONTENT_LABELS = {
    "javascript": _l("JavaScript"),
    "automatic_action": _l("actions that run when the document is opened or used"),
    "launch": _l("commands that start other programs"),
    "embedded_file": _l("embedded files"),
    "other_file": _l("links that open other files"),
    "form_action": _l("form actions that send or import data"),
    "xfa": _l("an XFA form"),
    "media": _l("multimedia or 3D content"),
    "unsafe_link": _l("links with an unsafe address"),
}
_ACTIVE_KEYS = {
    "/JavaScript": "javascript",  # the names tree of document-level scripts
    "/JS": "javascript",
    "/AA": "automatic_action",  # actions on opening, closing, page views, fields...
    "/EmbeddedFiles": "embedded_file",
    "/EF": "embedded_file",
    "/XFA": "xfa",
    "/RichMediaContent": "media",
}
_ACTIVE_ACTIONS = {
    "/JavaScript": "javascript",
    "/Launch": "launch",
    "/GoToE": "embedded_file",
    "/GoToR": "other_file",
    "/SubmitForm": "form_action",
    "/ImportData": "form_action",
    "/Rendition": "media",
    "/Movie": "media",
    "/Sound": "media",
    "/RichMediaExecute": "media",
    "/GoTo3DView": "media",
}
_ACTIVE_TYPES = {  # values of /Type or /Subtype
    "/EmbeddedFile": "embedded_file",
    "/FileAttachment": "embedded_file",
    "/RichMedia": "media",
    "/Screen": "media",
    "/Movie": "media",
    "/Sound": "media",
    "/3D": "media",
}
_SAFE_LINK_SCHEMES = {"http", "https", "mailto"}


def active_content(reader: PdfReader) -> set[str]:
    """The kinds of active content in the document (keys of ACTIVE_CONTENT_LABELS).

    Every object of the cross-reference table is inspected, those packed in object streams
    too, whether or not the page tree reaches it; stream data is never decoded, so a large
    scan or photo costs no more than a one-page letter.
    """
    found: set[str] = set()
    for generation, entries in list(reader.xref.items()):
        for number in list(entries):
            _inspect(reader.get_object(IndirectObject(number, generation, reader)), found)
    for number in list(reader.xref_objStm):
        packed = reader.get_object(IndirectObject(number, 0, reader))
        if packed is None or isinstance(packed, NullObject):
            # pypdf skips an object stream it cannot decode; a laxer viewer might not.
            raise PdfReadError(f"object {number} is in an unreadable object stream")
        _inspect(packed, found)
    _inspect(reader.trailer, found)
    return found


def _resolved(value: PdfObject | None) -> PdfObject | None:
    return value.get_object() if isinstance(value, IndirectObject) else value


def _inspect(obj: PdfObject | None, found: set[str]) -> None:
    """Add the active content of one object and of the direct objects inside it (indirect
    ones are inspected on their own, so reference cycles cannot loop)."""
    pending = [obj]
    while pending:
        item = pending.pop()
        if isinstance(item, ArrayObject):
            pending.extend(item)
        elif isinstance(item, DictionaryObject):
            _inspect_dictionary(item, found)
            pending.extend(dict.values(item))


def _inspect_dictionary(item: DictionaryObject, found: set[str]) -> None:
    for key in item:
        if key in _ACTIVE_KEYS:
            found.add(_ACTIVE_KEYS[key])
    for key in ("/Type", "/Subtype"):
        kind = str(_resolved(item.get(key)) or "")
        if kind in _ACTIVE_TYPES:
            found.add(_ACTIVE_TYPES[kind])
    action = str(_resolved(item.get("/S")) or "")
    if action in _ACTIVE_ACTIONS:
        found.add(_ACTIVE_ACTIONS[action])
    if action == "/URI":
        scheme = urlsplit(str(_resolved(item.get("/URI")) or "").strip()).scheme.lower()
        if scheme and scheme not in _SAFE_LINK_SCHEMES:
            found.add("unsafe_link")
    # Opening at a page is a destination (an array or a name); a dictionary is an action
    # that runs as soon as the document opens.
    if isinstance(_resolved(item.get("/OpenAction")), DictionaryObject):
        found.add("automatic_action")


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


def send_bytes(data: bytes, filename: str, mimetype: str):
    """Serve generated bytes (e.g. a notice) as a download."""
    response = send_file(
        io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=filename, max_age=0
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
