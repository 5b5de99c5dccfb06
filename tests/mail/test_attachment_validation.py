"""Mail attachments go through the same validator as the page and the API (liaison/requests/attachments.py)."""

from liaison.mail.ingest import ingest
from liaison.requests.models import Request
from tests.mail.conftest import NOW, message
from tests.requests.test_attachments import HTML, SVG


def test_markup_sent_as_pdf_or_svg_is_not_kept(requester, service):
    raw = message(attachments=[("notes.txt", b"plain notes", "text/plain"), ("invoice.pdf", HTML, "application/pdf"),
                               ("logo.svg", SVG, "image/svg+xml")])
    request = Request.objects.get(pk=ingest(raw, now=NOW).request_id)
    assert [a.name for a in request.attachments.all()] == ["notes.txt"]
