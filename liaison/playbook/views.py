"""The playbook's own pages: book a call or a meeting, draft a business case, and the
org admins' rules page (edit, preview who would see what, which moves work)."""

from collections import Counter, defaultdict
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from . import business_case, invitations
from .advisor import advise_one, rule_table
from .forms import InvitationForm, RuleForm
from .models import Invitation, Outcome, Rule, Suggestion
from .moves import MOVES
from .situations import DETECTORS, subject_for_link


def _zone(user):
    try:
        return ZoneInfo(user.time_zone or "UTC")
    except (ValueError, KeyError):
        return ZoneInfo("UTC")


def _subject(request):
    about = request.POST.get("about") or request.GET.get("about", "")
    subject = subject_for_link(about, request.user, timezone.now())
    if subject is None:
        raise Http404("Nothing you can see has that address.")
    return subject


def _next_working_morning(local_now):
    """A sensible default: the next weekday at 10:00 in the viewer's time zone."""
    day = local_now + timedelta(days=1)
    while day.isoweekday() > 5:
        day += timedelta(days=1)
    return day.replace(hour=10, minute=0, second=0, microsecond=0)


@login_required
def invite(request):
    """Book a call or a meeting about a request, a conflict or a quiet relationship; mailed with its .ics."""
    subject = _subject(request)
    purpose = request.POST.get("purpose") or request.GET.get("purpose", "call")
    if purpose not in invitations.PURPOSES:
        purpose = "call"
    people = invitations.suggested_attendees(subject, purpose)
    people = [p for p in people if p.pk != request.user.pk]
    now = timezone.now()
    with timezone.override(_zone(request.user)):
        form = InvitationForm(request.POST or None, people=people, initial={
            "title": invitations.default_title(subject, purpose), "attendees": [p.pk for p in people],
            "start": _next_working_morning(timezone.localtime(now))})
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                invitations.send_invitation(by=request.user, subject=subject, title=data["title"],
                                            start=data["start"], minutes=data["minutes"],
                                            attendees=list(data["attendees"]), agenda=data["agenda"],
                                            location=data["location"], now=now)
            except ValidationError as exc:
                for field, errors in exc.error_dict.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            else:
                messages.success(request, "Invitation sent: everyone gets it by mail, with a calendar entry.")
                return redirect(subject.link)
        return render(request, "playbook/invite.html", {
            "form": form, "subject": subject, "purpose": purpose, "purpose_label": invitations.PURPOSES[purpose],
            "no_people": not people}, status=400 if form.errors else 200)


@login_required
def invitation_ics(request, uid):
    """The .ics of an invitation, for its organiser and attendees only."""
    invitation = get_object_or_404(Invitation.objects.filter(
        Q(organiser=request.user) | Q(attendees=request.user)).distinct(), uid=uid)
    response = HttpResponse(invitations.invitation_ics(invitation, timezone.now()),
                            content_type="text/calendar; method=REQUEST; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="invitation.ics"'
    return response


@login_required
def draft_business_case(request):
    subject = _subject(request)
    with timezone.override(_zone(request.user)):
        text = business_case.draft(subject, timezone.now())
    Suggestion.objects.filter(person=request.user, about=subject.link, move="business_case",
                              taken_at__isnull=True).update(taken_at=timezone.now())
    return render(request, "playbook/business_case.html", {"subject": subject, "draft": text})


# --- the rules, for org admins ------------------------------------------------------------------

def _admin(request):
    if not request.user.is_org_admin:
        raise PermissionDenied("Only org admins edit the playbook.")


def _stats():
    """{(situation, move): {"shown", "taken", outcomes...}} in one aggregate query."""
    rows = (Suggestion.objects.values("situation", "move")
            .annotate(shown=Count("id"), taken=Count("id", filter=Q(taken_at__isnull=False)),
                      **{o.value: Count("id", filter=Q(outcome=o.value)) for o in Outcome},
                      taken_resolved=Count("id", filter=Q(taken_at__isnull=False, outcome=Outcome.RESOLVED))))
    return {(r["situation"], r["move"]): r for r in rows}


@login_required
def rules(request):
    _admin(request)
    stats = _stats()
    by_situation = defaultdict(list)
    for rule in Rule.objects.order_by("situation", "side", "rank", "id"):
        rule.move_label = MOVES[rule.move].label if rule.move in MOVES else rule.move
        rule.stats = stats.get((rule.situation, rule.move), {})
        by_situation[rule.situation].append(rule)
    situations = [(code, label, by_situation.get(code, [])) for code, (_, label) in DETECTORS.items()]
    return render(request, "playbook/rules.html", {"situations": situations, "form": RuleForm()})


@login_required
def rule_edit(request, pk=None):
    _admin(request)
    rule = get_object_or_404(Rule, pk=pk) if pk else None
    form = RuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        saved = form.save(commit=False)
        saved.updated_by = request.user
        saved.save()
        messages.success(request, "Rule saved: it applies from the next page anyone opens.")
        return redirect("playbook:rules")
    return render(request, "playbook/rule_edit.html", {"form": form, "rule": rule},
                  status=400 if form.errors else 200)


@require_POST
@login_required
def rule_delete(request, pk):
    _admin(request)
    get_object_or_404(Rule, pk=pk).delete()
    messages.success(request, "Rule removed.")
    return redirect("playbook:rules")


PREVIEW_LIMIT = 40


@login_required
def preview(request):
    """Who would see what: the current open requests and conflicts, each party's moves."""
    _admin(request)
    from liaison.agenda.models import Conflict
    from liaison.org.models import Membership
    from liaison.requests.models import OPEN_STATUSES, Request

    from .situations import conflict_subjects, request_subjects

    now = timezone.now()
    situation = request.GET.get("situation", "")
    table = rule_table()
    requests = (Request.objects.filter(status__in=(*OPEN_STATUSES, "delivered"))
                .select_related("service", "requester", "requester_team", "provider_team", "provider_owner")
                .order_by("due_date")[:PREVIEW_LIMIT])
    conflicts = (Conflict.objects.unsettled().select_related("change__team__lead", "event__team__lead",
                                                             "freeze__team__lead")[:PREVIEW_LIMIT])
    subjects = request_subjects(requests, now) + conflict_subjects(conflicts, now)
    teams = set()
    for s in subjects:
        o = s.obj
        teams |= {o.requester_team_id, o.provider_team_id} if s.kind == "request" else {
            o.change.team_id, (o.event or o.freeze).team_id}
    # one person per team and side stands for the team: its lead, else its first member
    who = {}
    for m in Membership.objects.filter(team_id__in=teams).select_related("person", "team").order_by("person_id"):
        if m.team_id not in who or m.person_id == m.team.lead_id:
            who[m.team_id] = m.person
    rows, counts = [], Counter()
    for s in subjects:
        o = s.obj
        team_ids = [o.requester_team_id, o.provider_team_id] if s.kind == "request" else [
            o.change.team_id, (o.event or o.freeze).team_id]
        for team_id in dict.fromkeys(team_ids):
            person = who.get(team_id)
            if person is None:
                continue
            for a in advise_one(s, person, now, table):
                if situation and a.situation != situation:
                    continue
                counts[a.situation] += 1
                rows.append({"subject": s, "person": person, "advice": a})
    return render(request, "playbook/preview.html", {
        "rows": rows, "counts": counts, "situation": situation,
        "situations": [(code, label) for code, (_, label) in DETECTORS.items()]})
