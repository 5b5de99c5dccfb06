"""Triage (the service team's unmatched mail) and quarantine (org admins: unprocessable mail).

Thin: each view reads the request, asks the one visibility helper of InboundMessage
(triage_visible_to / quarantine_visible_to) and calls liaison.mail.ingest. Who may open a
team's queue or the quarantine is decided in liaison.mail.services, which the links on the
team page and in the navigation (apps.py) ask too.

The triage page is one page for all of a person's teams; `?team=<slug>` narrows it to one
team (the team page links there).
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from liaison.org.models import Team

from . import ingest
from .models import InboundMessage
from .parsing import parse
from .services import may_see_quarantine, may_triage


def _page(request, queryset):
    return Paginator(queryset.select_related("service", "person").defer("raw"),
                     settings.LIAISON_PAGE_SIZE).get_page(request.GET.get("page"))


@login_required
def triage(request):
    items = InboundMessage.objects.triage_visible_to(request.user)
    team = None
    if request.GET.get("team"):
        team = get_object_or_404(Team.objects.visible_to(request.user), slug=request.GET["team"])
        if not may_triage(request.user, team):
            raise PermissionDenied(f"Only members of {team} and org admins see its mail triage.")
        items = items.filter(service__team=team)
    return render(request, "mail/triage.html", {"page_obj": _page(request, items), "team": team,
                                                "see_quarantine": may_see_quarantine(request.user)})


def _preview(message):
    try:
        return parse(bytes(message.raw)).text[:5000]
    except Exception:  # the raw mail may be anything; the page must still show
        return "(the text could not be read)"


@login_required
def triage_item(request, pk):
    message = get_object_or_404(InboundMessage.objects.triage_visible_to(request.user)
                                .select_related("service__team"), pk=pk)
    return render(request, "mail/triage_item.html", {"message": message, "text": _preview(message)})


@login_required
@require_POST
def dismiss(request, pk):
    message = get_object_or_404(InboundMessage.objects.triage_visible_to(request.user), pk=pk)
    try:
        ingest.dismiss(message, by=request.user, now=timezone.now())
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Dismissed from triage.")
    return redirect("mail:triage")


@login_required
@require_POST
def reprocess(request, pk):
    """Run a triaged message through the ingest again (e.g. after the sender was added)."""
    message = get_object_or_404(InboundMessage.objects.triage_visible_to(request.user), pk=pk)
    outcome = ingest.retry(message, now=timezone.now())
    messages.info(request, f"Processed again: {outcome.disposition.replace('_', ' ')}. {outcome.reason}".strip())
    return redirect("mail:triage")


@login_required
def quarantine(request):
    if not may_see_quarantine(request.user):
        raise PermissionDenied("Only org admins see the mail quarantine.")
    items = InboundMessage.objects.quarantine_visible_to(request.user)
    return render(request, "mail/quarantine.html", {"page_obj": _page(request, items)})


@login_required
@require_POST
def retry(request, pk):
    message = get_object_or_404(InboundMessage.objects.quarantine_visible_to(request.user), pk=pk)
    outcome = ingest.retry(message, now=timezone.now())
    messages.info(request, f"Message {pk} processed again: {outcome.disposition.replace('_', ' ')}. "
                           f"{outcome.reason}".strip())
    return redirect("mail:quarantine")
