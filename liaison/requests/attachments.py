"""Attachments: ONE validator for every door (request page, API, mail) and ONE way to serve them.

What a file must be to be kept (`clean_upload`, raising ValidationError on "file"):
- at most LIAISON_ATTACHMENT_MAX_BYTES (default 10 MiB, as LIAISON_MAIL_MAX_ATTACHMENT_BYTES);
- of a type sniffed from its *content* (puremagic, pure Python), never from the declared
  Content-Type or the name: PDF, images (PNG, JPEG, GIF, WebP), office documents (OOXML,
  OpenDocument, legacy OLE), ZIP, or plain UTF-8 text (CSV, logs). HTML, SVG, XML, scripts
  and executables are refused: a browser could run them;
- its name is sanitised: the last path component only, no control characters, a safe
  alphabet, at most 100 characters, never empty or hidden (".x").

Downloads (`download_response`) go only to those who may see the request (the callers
look the request up through Request.objects.visible_to), always as
`Content-Disposition: attachment` with `X-Content-Type-Options: nosniff` and a sandboxing
Content-Security-Policy, with the sniffed type (text as text/plain), so nothing is ever
rendered inline.
"""

import re
import unicodedata
from dataclasses import dataclass

import puremagic
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.http import FileResponse

ALLOWED = {
    "application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp", "application/zip",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation", "application/msword", "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint", "application/x-ole-storage", "application/vnd.ms-office",
}
TEXT = "text/plain"
# Text that a browser would treat as markup or code, whatever the name says.
_MARKUP = re.compile(rb"^\s*(<\?xml|<!doctype|<html|<svg|<script|<head|<body|<iframe|<\!--)", re.I)
_UNSAFE_NAME = re.compile(r"[^\w.\- ()+,]")


@dataclass(frozen=True)
class CleanUpload:
    name: str
    content_type: str
    data: bytes

    def as_file(self):
        return ContentFile(self.data, name=self.name)


def max_bytes():
    return settings.LIAISON_ATTACHMENT_MAX_BYTES


def sanitise_name(name):
    """A name safe on every file system and in a header: no path, no control characters."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = _UNSAFE_NAME.sub("_", name).strip(" .")
    if len(name) > 100:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 100 - len(ext) - 1] + "." + ext) if dot and len(ext) <= 10 else name[:100]
    return name or "attachment"


def sniff(data):
    """The type the content says it is (not what the sender declared), or None if not allowed."""
    try:
        kind = puremagic.from_string(data, mime=True) if data else ""
    except (puremagic.PureError, ValueError):
        kind = ""
    if kind in ALLOWED:
        return kind
    if kind in ("", "text/plain", "text/csv"):
        head = data[:4096]
        if _MARKUP.match(head) or b"\x00" in head:
            return None
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return None
        return TEXT
    return None


def clean_upload(data, name, limit=None):
    """The upload as Liaison keeps it, or ValidationError({"file": why}).

    `limit` lowers the size limit for one door (mail keeps LIAISON_MAIL_MAX_ATTACHMENT_BYTES).
    """
    if hasattr(data, "read"):
        data = data.read()
    limit = min(limit or max_bytes(), max_bytes())
    if len(data) > limit:
        raise ValidationError({"file": f"{sanitise_name(name)} is {len(data) // 1024:,} KiB; "
                                       f"attachments may be at most {limit // 1024:,} KiB."})
    if not data:
        raise ValidationError({"file": "The file is empty."})
    kind = sniff(data)
    if kind is None:
        raise ValidationError({"file": f"{sanitise_name(name)}: this kind of file is not accepted (PDF, images, "
                                       "office documents, ZIP and plain text are)."})
    return CleanUpload(name=sanitise_name(name), content_type=kind, data=data)


def download_response(attachment):
    """The file as a download, never rendered: attachment disposition, nosniff, sandboxed."""
    attachment.file.open("rb")
    head = attachment.file.read(8192)
    attachment.file.seek(0)
    kind = sniff(head) if head else None
    if kind == TEXT:
        kind = "text/plain; charset=utf-8"
    response = FileResponse(attachment.file, as_attachment=True, filename=sanitise_name(attachment.name),
                            content_type=kind or "application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    return response
