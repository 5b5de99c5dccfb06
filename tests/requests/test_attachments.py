"""Attachments: one validator for the page, the API and mail; downloads only to those who see
the request, always as a sandboxed download."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from liaison.org.services import create_token
from liaison.requests.attachments import clean_upload, sanitise_name
from liaison.requests.models import Attachment

from .conftest import make_request

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << >> endobj\n"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
EXE = b"MZ\x90\x00" + b"\x00" * 60


@pytest.mark.parametrize("data,name,kind", [(PNG, "screen.png", "image/png"), (PDF, "plan.pdf", "application/pdf"),
                                            (PNG, "looks-like.pdf", "image/png"),
                                            (b"id;name\n1;Ana\n", "list.csv", "text/plain")])
def test_the_type_comes_from_the_content(data, name, kind):
    assert clean_upload(data, name).content_type == kind


@pytest.mark.parametrize("data,name", [(SVG, "logo.svg"), (SVG, "logo.png"), (HTML, "report.pdf"), (EXE, "tool.pdf"),
                                       (b"\xff\xfe\x00junk\x00", "data.txt"), (b"", "empty.txt")])
def test_markup_executables_and_junk_are_refused_whatever_their_name(data, name):
    with pytest.raises(ValidationError) as info:
        clean_upload(data, name)
    assert "file" in info.value.message_dict


def test_size_limit(settings):
    settings.LIAISON_ATTACHMENT_MAX_BYTES = 100
    with pytest.raises(ValidationError, match="at most"):
        clean_upload(b"x" * 101, "big.txt")


@pytest.mark.parametrize("raw,clean", [("../../etc/passwd", "passwd"), ("C:\\Users\\x\\report.pdf", "report.pdf"),
                                       ("evil\x00name\r\n.pdf", "evilname.pdf"), ("..", "attachment"),
                                       ('a"b;c<d>.txt', "a_b_c_d_.txt"), ("x" * 300 + ".pdf", "x" * 96 + ".pdf")])
def test_names_are_sanitised(raw, clean):
    assert sanitise_name(raw) == clean


def test_page_upload_and_download_only_for_those_who_see_the_request(client, cast):
    req = make_request(cast)
    client.force_login(cast.remy)
    response = client.post(f"/requests/{req.pk}/attachments/", {"file": SimpleUploadedFile("../shot.png", PNG,
                                                                                          "text/html")})
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.name == "shot.png"
    assert "shot.png" in client.get(req.get_absolute_url()).content.decode()
    client.force_login(cast.pete)  # the provider side
    download = client.get(f"/requests/{req.pk}/attachments/{attachment.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PNG
    assert download["Content-Disposition"].startswith("attachment;") and "shot.png" in download["Content-Disposition"]
    assert download["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in download["Content-Security-Policy"] and download["Content-Type"] == "image/png"
    client.force_login(cast.olga)
    assert client.get(f"/requests/{req.pk}/attachments/{attachment.pk}/").status_code == 404
    assert client.post(f"/requests/{req.pk}/attachments/", {"file": SimpleUploadedFile("a.png", PNG)}).status_code \
        == 404
    assert Attachment.objects.count() == 1


def test_page_refuses_svg_with_the_reason(client, cast):
    req = make_request(cast)
    client.force_login(cast.remy)
    response = client.post(f"/requests/{req.pk}/attachments/", {"file": SimpleUploadedFile("x.svg", SVG)},
                           follow=True)
    assert "not accepted" in response.content.decode() and not Attachment.objects.exists()


def test_api_upload_list_and_download(client, cast):
    req = make_request(cast)
    _, key = create_token(cast.remy)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    url = f"/api/v1/requests/{req.pk}/attachments"
    refused = client.post(url, {"file": SimpleUploadedFile("page.html", HTML, "application/pdf")}, **headers)
    assert refused.status_code == 400 and refused.json()["errors"][0]["field"] == "file"
    created = client.post(url, {"file": SimpleUploadedFile("plan.pdf", PDF, "application/pdf")}, **headers)
    assert created.status_code == 201 and created.json()["name"] == "plan.pdf"
    assert [a["name"] for a in client.get(url, **headers).json()] == ["plan.pdf"]
    download = client.get(created.json()["url"], **headers)
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff" and "sandbox" in download["Content-Security-Policy"]
    _, outsider = create_token(cast.olga)
    assert client.get(created.json()["url"], HTTP_AUTHORIZATION=f"Bearer {outsider}").status_code == 404
