"""Attachments on the request page: upload (either side) and download (whoever sees the request).

Thin: the request is looked up through Request.objects.visible_to (anyone else: 404),
services.add_attachment runs the one validator, attachments.download_response serves the
file as a sandboxed download.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from . import services
from .attachments import download_response
from .models import Request


def _visible(request, pk):
    return get_object_or_404(Request.objects.visible_to(request.user), pk=pk)


@require_POST
@login_required
def upload(request, pk):
    req = _visible(request, pk)
    file = request.FILES.get("file")
    if file is None:
        messages.error(request, "File: choose a file to attach.")
    else:
        try:
            attachment = services.add_attachment(req, by=request.user, file=file, now=timezone.now(), name=file.name)
            messages.success(request, f"Attached {attachment.name}.")
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, "File: " + " ".join(getattr(exc, "messages", None) or [str(exc)]))
    return redirect(f"{req.get_absolute_url()}#attachments-h")


@login_required
def download(request, pk, attachment_id):
    req = _visible(request, pk)
    return download_response(get_object_or_404(req.attachments, pk=attachment_id))
