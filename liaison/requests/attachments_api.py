"""Attachments over HTTP, under /api/v1/requests/{pk}/attachments: list, upload, download.

Kept apart from requests/api.py so the request API stays about the request's life. The
request is looked up through Request.objects.visible_to (anyone else: 404); the upload
goes through services.add_attachment and so through the one validator; a download is the
same sandboxed response as on the page.
"""

from datetime import datetime

from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import File, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from liaison.org.schemas import Invalid, Message, PersonRef

from . import services
from .attachments import download_response
from .models import Request

router = Router(tags=["requests"])


class AttachmentOut(Schema):
    id: int
    name: str
    size: int
    uploaded_by: PersonRef
    at: datetime
    url: str

    @staticmethod
    def resolve_size(obj):
        return obj.file.size

    @staticmethod
    def resolve_url(obj):
        return f"/api/v1/requests/{obj.request_id}/attachments/{obj.pk}"


def _request(user, pk):
    return get_object_or_404(Request.objects.visible_to(user), pk=pk)


@router.get("/requests/{pk}/attachments", response={200: list[AttachmentOut], 401: Message, 404: Message},
            summary="The request's attachments")
def list_attachments(request, pk: int):
    return list(_request(request.auth, pk).attachments.select_related("uploaded_by"))


@router.post("/requests/{pk}/attachments",
             response={201: AttachmentOut, 400: Invalid, 401: Message, 403: Message, 404: Message},
             summary="Attach a file (multipart form field 'file')")
def add_attachment(request, pk: int, file: File[UploadedFile]):
    attachment = services.add_attachment(_request(request.auth, pk), by=request.auth, file=file,
                                         now=timezone.now(), name=file.name)
    return Status(201, attachment)


@router.get("/requests/{pk}/attachments/{attachment_id}", response={200: None, 401: Message, 404: Message},
            summary="Download an attachment (always as a download, never rendered)")
def download_attachment(request, pk: int, attachment_id: int):
    return download_response(get_object_or_404(_request(request.auth, pk).attachments, pk=attachment_id))
