"""Request pages. Thin: parse (forms), call the service named by the business action, render.

Every request comes through `Request.objects.visible_to(user)`: what a person may not see
is a 404, never a hint. Each action is a small form that POSTs to `act`, which calls the
service and redirects back (PRG); a refused action re-renders the request page with the
service's sentence next to the field it names (status 400) and nothing changed; acting
for the wrong side answers 403 with the service's sentence.

Which forms a page offers (ACTIONS: side and statuses) is presentation only: the
services decide, whatever is posted.

Lists stay fast at a million requests: the inbox and "my requests" read the indexed,
denormalised columns of Request (provider_team/status/due_date, requester/created_at),
load only the columns they show, and take their tab counts from one aggregate query.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from liaison.core.notices import notices_for
from liaison.org.models import Person, Service, Team
from liaison.playbook.coach import coach, draft_for

from . import forms, services
from .models import OPEN_STATUSES, Blocker, EventKind, Request, RequestEvent, Status

RELATED = ("service__team", "provider_team", "requester_team", "requester", "provider_owner")


def _now():
    return timezone.now()


def _zone(user):
    try:
        return ZoneInfo(user.time_zone or "UTC")
    except (ValueError, KeyError):
        return ZoneInfo("UTC")


def _render(request, template, context, status=200):
    """Render with times in the viewer's own time zone."""
    with timezone.override(_zone(request.user)):
        return render(request, template, context, status=status)


def _visible(request, pk):
    return get_object_or_404(Request.objects.visible_to(request.user).select_related(*RELATED), pk=pk)


# --- the actions ---------------------------------------------------------------------------------

PROVIDER, REQUESTER, EITHER = "provider", "requester", "either"


@dataclass(frozen=True)
class Action:
    name: str  # URL slug and form prefix
    label: str  # the button and the heading of its form
    form: type
    call: object  # services.<action>(request, by=, now=, **cleaned_data)
    side: str
    statuses: tuple
    done: str  # the success message
    primary: bool = False  # shown open, not folded in <details>
    danger: bool = False
    when: object = None  # when(req) -> bool: offered only then (the page's loaded state)


def _escalation_open(req):
    """Escalation after a warning is possible: the grace period ended and nobody escalated since.
    Before that, the page offers the warning (and an emergency escalation), never a button that
    can only be refused."""
    warning = req.warnings_list[-1] if req.warnings_list else None
    if warning is None or services.local_today(req.service, _now()) <= warning.deadline:
        return False
    return not (req.escalated_at and req.escalated_at >= warning.at)


def _emergency_escalate(request, *, by, now, justification, message=""):
    return services.escalate(request, by=by, now=now, emergency_override=True, justification=justification,
                             message=message)


def _not_thanked(req):
    return not req.thanks_list


ANY = tuple(Status.values)
ACTIONS = {a.name: a for a in [
    Action("acknowledge", "Acknowledge", forms.NoFields, services.acknowledge, PROVIDER, (Status.SUBMITTED,),
           "Acknowledged: the requester knows you have it.", primary=True),
    Action("commit", "Commit to a date", forms.CommitForm, services.commit_to_date, PROVIDER,
           (Status.SUBMITTED, Status.ACKNOWLEDGED), "Committed.", primary=True),
    Action("progress", "Post progress", forms.TextForm, services.post_progress, PROVIDER, OPEN_STATUSES,
           "Progress posted."),
    Action("deliver", "Deliver", forms.NoteForm, services.deliver, PROVIDER, OPEN_STATUSES,
           "Delivered: the requester is asked to accept it.", primary=True),
    Action("slip", "Change the commitment", forms.SlipForm, services.change_commitment, PROVIDER,
           (Status.COMMITTED,), "Commitment changed; the slip is recorded."),
    Action("decline", "Decline", forms.ReasonForm, services.decline, PROVIDER, OPEN_STATUSES, "Declined.",
           danger=True),
    Action("confirm", "Confirm the forecast", forms.ConfirmForm, services.confirm_forecast, REQUESTER,
           (Status.FORECAST,), "Confirmed: it is now a request to the provider.", primary=True),
    Action("forecast", "Change the forecast", forms.ForecastChangeForm, services.update_forecast, REQUESTER,
           (Status.FORECAST,), "Forecast changed; the old values are kept in the timeline."),
    Action("accept", "Accept the delivery", forms.AcceptForm, services.accept, REQUESTER, (Status.DELIVERED,),
           "Accepted.", primary=True),
    Action("reopen", "Reopen as rework", forms.ReopenForm, services.reopen, REQUESTER, (Status.DELIVERED,),
           "Reopened for rework."),
    Action("thank", "Say thank you", forms.ThanksForm, services.thank, REQUESTER,
           (Status.DELIVERED, Status.ACCEPTED), "Thank-you sent to the people who delivered and their lead.",
           when=_not_thanked),
    Action("warn", "Warn before escalating", forms.WarnForm, services.warn_before_escalating, REQUESTER,
           OPEN_STATUSES, "Warning sent to the provider."),
    Action("escalate", "Escalate", forms.EscalateForm, services.escalate, REQUESTER, OPEN_STATUSES,
           "Escalated: management has been asked for help.", danger=True, when=_escalation_open),
    Action("emergency", "Escalate now (emergency)", forms.EmergencyEscalateForm, _emergency_escalate, REQUESTER,
           OPEN_STATUSES, "Escalated as an emergency: management has been asked for help.", danger=True,
           when=lambda req: not _escalation_open(req)),
    Action("withdraw", "Withdraw", forms.ReasonForm, services.withdraw, REQUESTER,
           (Status.FORECAST, *OPEN_STATUSES), "Withdrawn.", danger=True),
    Action("blocker", "Raise a blocker", forms.BlockerForm, services.raise_blocker, EITHER, OPEN_STATUSES,
           "Blocker raised; both sides see it."),
    Action("comment", "Comment", forms.CommentForm, services.comment, EITHER, ANY, "Comment added."),
]}


def _sides(req, user):
    return {PROVIDER: services.acts_as_provider(req, user), REQUESTER: services.acts_as_requester(req, user)}


def _offered(req, user):
    sides = _sides(req, user)
    return [a for a in ACTIONS.values() if req.status in a.statuses
            and (sides[a.side] if a.side != EITHER else any(sides.values()))
            and (a.when is None or a.when(req))]


# --- the request page ----------------------------------------------------------------------------

def _d(value):
    try:
        return date.fromisoformat(value) if isinstance(value, str) else value
    except ValueError:
        return value


def _fmt(value):
    value = _d(value)
    return f"{value:%a %d %b %Y}" if isinstance(value, date) else str(value)


def describe(event):
    """(what happened, details) for a timeline row, from the event's kind and data."""
    d, k = event.data or {}, event.kind
    text = ""
    if k == EventKind.CREATED:
        if d.get("forecast"):
            what = (f"Sent a heads-up forecast: {d.get('probability')} % likely, expected "
                    f"{_fmt(d.get('need_by'))}, confirm by {_fmt(d.get('confirm_by'))}")
        else:
            what = f"Sent the request, needed by {_fmt(d.get('need_by'))} ({d.get('date_kind', '')})"
        if "notice_business_days" in d:
            what += f"; {d['notice_business_days']} business days of notice"
            if d.get("short_notice") and not d.get("forecast"):
                what += " (short notice)"
    elif k == EventKind.FORECAST_CHANGED:
        names = {"need_by": "expected date", "probability": "probability", "confirm_by": "confirm-by date"}
        parts = [f"{names.get(f, f)} {_fmt(old)} → {_fmt(new)}" for f, (old, new) in (d.get("changes") or {}).items()]
        what, text = "Changed the forecast: " + "; ".join(parts), d.get("reason", "")
    elif k == EventKind.CONFIRMED:
        what = "Confirmed the forecast: it is now a request"
    elif k == EventKind.ACKNOWLEDGED:
        seconds = d.get("seconds_to_acknowledge")
        what = "Acknowledged"
        if seconds is not None:
            hours = seconds / 3600
            what += f" ({hours:.0f} h after it was sent)" if hours >= 1 else f" ({seconds // 60} min after it was sent)"
    elif k == EventKind.COMMITTED:
        what = f"Committed to {_fmt(d.get('date'))}"
        if d.get("meets_need_by") is False:
            what += f", after the need-by date {_fmt(d.get('need_by'))}"
        text = d.get("note", "")
    elif k == EventKind.SLIPPED:
        what, text = f"Changed the commitment from {_fmt(d.get('old_date'))} to {_fmt(d.get('new_date'))}", \
            d.get("reason", "")
    elif k == EventKind.DELIVERED:
        what = "Delivered" + ("" if d.get("on_time", True) else ", after the committed date")
        text = d.get("note", "")
    elif k == EventKind.ACCEPTED:
        what = f"Accepted the delivery, quality {d.get('quality')}/5"
    elif k == EventKind.THANKED:
        what = "Said thank you"
        text = d.get("message", "") + (f"\nWhat it made possible: {d['impact']}" if d.get("impact") else "")
    elif k == EventKind.WARNED:
        what, text = "Warned before escalating", " ".join(filter(None, [d.get("text"), d.get("message")]))
    elif k == EventKind.ESCALATED:
        what = "Escalated" + (" (emergency override)" if d.get("emergency") else " after the grace period")
        text = " ".join(filter(None, [d.get("justification"), d.get("message")]))
    else:
        what = event.get_kind_display()
        text = next((d[f] for f in ("text", "reason", "description", "resolution", "missing", "name") if d.get(f)),
                    "")
    return what, text


def _escalation_state(req):
    """What the page says about escalating: the latest warning and the day escalation opens."""
    warning = req.warnings_list[-1] if req.warnings_list else None
    opens = warning.deadline + timedelta(days=1) if warning else None
    return {"warning": warning, "opens": opens, "grace_days": services.grace_days(req.service)}


def _blocker_id(name):
    return int(name[len("clear-"):]) if name.startswith("clear-") and name[len("clear-"):].isdigit() else None


def _detail_context(request, req, bound=None):
    """Everything the request page shows; `bound` = (action name, bound form) to show with errors."""
    user = request.user
    req.slips_list = list(req.slips.select_related("by"))
    req.blockers_list = list(req.blockers.select_related("raised_by", "cleared_by"))
    req.warnings_list = list(req.escalation_warnings.select_related("by", "manager"))
    req.thanks_list = list(req.thanks.select_related("by"))
    events = list(RequestEvent.objects.filter(request=req).select_related("actor").order_by("at", "id"))
    for e in events:
        e.what, e.text = describe(e)
    offered = _offered(req, user)
    action_forms = [(a, bound[1] if bound and bound[0] == a.name else a.form(prefix=a.name)) for a in offered]
    clear_forms = {}
    sides = _sides(req, user)
    can_clear = req.status in OPEN_STATUSES and any(sides.values())
    for b in req.blockers_list:
        if b.is_open and can_clear:
            form = bound[1] if bound and bound[0] == f"clear-{b.pk}" else forms.ClearBlockerForm(prefix=f"clear-{b.pk}")
            clear_forms[b.pk] = form
    for b in req.blockers_list:
        b.clear_form = clear_forms.get(b.pk)
    progress = [e for e in events if e.kind == EventKind.PROGRESS]
    return {
        "notices": notices_for("request", user, req),  # e.g. from mail: a Reply-To that is not the sender
        "req": req, "events": events, "actions": action_forms,
        "primary": [(a, f) for a, f in action_forms if a.primary],
        "secondary": [(a, f) for a, f in action_forms if not a.primary],
        "sides": sides, "latest_progress": progress[-1] if progress else None,
        "needs_thanks": req.status == Status.ACCEPTED and not req.thanks_list and sides[REQUESTER],
        "thanks_list": req.thanks_list,
        "open_action": bound[0] if bound else request.GET.get("do", ""),
        "escalation": _escalation_state(req),
        "open_blockers": [b for b in req.blockers_list if b.is_open],
        "lead_time": req.service.lead_time_days,
        "bound": bound[0] if bound else None,
        # a refusal for a form this viewer is not offered (wrong side, or the state moved on)
        "refusal": [m for errors in bound[1].errors.values() for m in errors]
        if bound and bound[1].errors and not any(a.name == bound[0] for a in offered)
        and bound[1] is not clear_forms.get(_blocker_id(bound[0])) else [],
    }


@login_required
def detail(request, pk):
    req = _visible(request, pk)
    return _render(request, "requests/detail.html", _detail_context(request, req))


def _refused(request, req, name, form, exc):
    """Re-render the page with the refusal next to the field; 403 for the wrong side."""
    if isinstance(exc, PermissionDenied):
        form.add_error(None, str(exc) or "You may not do this on this request.")
        status = 403
    else:
        forms.apply_errors(form, exc)
        status = 400
    return _render(request, "requests/detail.html", _detail_context(request, req, bound=(name, form)), status=status)


@require_POST
@login_required
def act(request, pk, action):
    """One step on a request: call the service; PRG on success, the page with errors if not."""
    a = ACTIONS.get(action)
    if a is None:
        raise Http404
    req = _visible(request, pk)
    form = a.form(request.POST, prefix=a.name)
    if not form.is_valid():
        return _render(request, "requests/detail.html", _detail_context(request, req, bound=(a.name, form)),
                       status=400)
    try:
        a.call(req, by=request.user, now=_now(), **form.cleaned_data)
    except (ValidationError, PermissionDenied) as exc:
        req = _visible(request, pk)  # the service may have loaded state; show the stored one
        return _refused(request, req, a.name, form, exc)
    messages.success(request, a.done)
    return redirect(req)


@require_POST
@login_required
def clear_blocker(request, pk, blocker_id):
    req = _visible(request, pk)
    blocker = get_object_or_404(Blocker, pk=blocker_id, request=req)
    blocker.request = req
    name = f"clear-{blocker.pk}"
    form = forms.ClearBlockerForm(request.POST, prefix=name)
    if form.is_valid():
        try:
            services.clear_blocker(blocker, by=request.user, now=_now(), **form.cleaned_data)
        except (ValidationError, PermissionDenied) as exc:
            return _refused(request, _visible(request, pk), name, form, exc)
        messages.success(request, "Blocker cleared.")
        return redirect(req)
    return _render(request, "requests/detail.html", _detail_context(request, req, bound=(name, form)), status=400)


# --- a new request, and the coach ------------------------------------------------------------------

def _advice(form, now):
    """The coach's advice on whatever the form holds so far (parsed fields only)."""
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    draft = {k: data.get(k) for k in ("title", "context", "need_by", "date_kind", "options", "short_notice_owned")}
    service = data.get("service")
    draft = draft_for(service, draft, now)
    if data.get("is_forecast"):
        draft["short_notice"] = False  # a heads-up is the notice; shortness is owned when confirming
    return {"advice": coach(draft), "draft": draft, "service": service, "is_forecast": data.get("is_forecast")}


@login_required
def new_request(request):
    user, now = request.user, _now()
    initial = {}
    if request.method == "GET" and request.GET.get("service"):
        initial["service"] = Service.objects.visible_to(user).filter(slug=request.GET["service"]).first()
    form = forms.RequestForm(request.POST or None, user=user, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                if data["is_forecast"]:
                    created = services.create_forecast(requester=user, now=now, **form.service_kwargs())
                else:
                    created = services.submit_request(requester=user, now=now, **form.service_kwargs())
            except ValidationError as exc:
                forms.apply_errors(form, exc)
            else:
                messages.success(request, "Heads-up sent: the provider sees it in its forecast demand."
                                 if created.is_forecast else f"Request sent to {created.provider_team}.")
                return redirect(created)
        coach_context = _advice(form, now)
    else:
        coach_context = {"advice": [], "draft": {}, "service": initial.get("service"), "idle": True}
    return _render(request, "requests/new.html", {"form": form, **coach_context},
                   status=400 if form.errors else 200)


@require_POST
@login_required
def coach_view(request):
    """The request coach, live: HTMX posts the form as it is typed; advice, never a block."""
    form = forms.RequestForm(request.POST, user=request.user)
    return render(request, "requests/_coach.html", _advice(form, _now()))


# --- lists ------------------------------------------------------------------------------------

LIST_COLUMNS = ("id", "title", "status", "due_date", "need_by", "committed_date", "date_kind", "open_blockers",
                "short_notice", "slip_count", "probability", "created_at", "submitted_at")

INBOX_TABS = [("all", "All open"), ("new", "New"), ("unacknowledged", "Unacknowledged"), ("due_soon", "Due soon"),
              ("overdue", "Overdue"), ("blocked", "Blocked")]
CHART_WIDTH = 220
INBOX_RELATED = (Prefetch("service", Service.objects.only("id", "name", "slug")),
                 Prefetch("requester", Person.objects.only("id", "name")),
                 Prefetch("requester_team", Team.objects.only("id", "name", "slug")))


def _team_in_scope(user, slug):
    """A team whose inbox `user` may read: a member, or a lead/manager above it; else 404."""
    team = Team.objects.filter(slug=slug).only("id", "name", "slug").first()
    if team is None or not services.may_read_inbox(user, team):
        raise Http404
    return team


def _chart(rows):
    """Bar lengths (in SVG units) for the demand chart; one scale for both series."""
    top = max([1, *(max(r["forecast_load"], r["confirmed_count"]) for r in rows)])
    for r in rows:
        r["confirmed_w"] = round(CHART_WIDTH * r["confirmed_count"] / top)
        r["forecast_w"] = round(CHART_WIDTH * r["forecast_load"] / top)
    return top


@login_required
def inbox_home(request):
    """The inbox of my team: straight there with one team, a choice with several."""
    teams = list(Team.objects.filter(memberships__person=request.user).only("id", "name", "slug").order_by("name"))
    if len(teams) == 1:
        return redirect("requests:inbox", slug=teams[0].slug)
    return _render(request, "requests/inbox_home.html", {"teams": teams})


@login_required
def inbox(request, slug):
    """A provider team's open requests by bucket, soonest due first, with forecast demand by week.

    The page of rows is read from the request table alone (the inbox index, then a top-N
    sort) and its service, requester and team are fetched for those 25 rows only: joining
    first would hash every person and team of the organisation before the LIMIT.
    """
    user, now = request.user, _now()
    team = _team_in_scope(user, slug)
    show = request.GET.get("show", "all")
    if show not in dict(INBOX_TABS):
        show = "all"
    counts = services.inbox_counts(team, now=now)
    rows = (services.team_inbox(team, now=now, bucket=None if show == "all" else show)
            .select_related(None).prefetch_related(*INBOX_RELATED)
            .only(*LIST_COLUMNS, "service", "requester", "requester_team"))
    paginator = Paginator(rows, settings.LIAISON_PAGE_SIZE)
    paginator.count = counts[show]  # the same filter, already counted in the one aggregate
    page = paginator.get_page(request.GET.get("page"))
    demand = services.forecast_demand_by_week(team, now=now, weeks=12)
    top = _chart(demand)
    return _render(request, "requests/inbox.html", {
        "team": team, "show": show, "tabs": [(key, label, counts[key]) for key, label in INBOX_TABS],
        "page_obj": page, "demand": demand, "chart_top": top, "chart_width": CHART_WIDTH,
        "today": timezone.localdate(now), "forecast_total": sum(r["forecast_count"] for r in demand),
    })


MINE_TABS = [("open", "Open", OPEN_STATUSES), ("forecasts", "Forecasts", (Status.FORECAST,)),
             ("delivered", "Delivered", (Status.DELIVERED, Status.ACCEPTED)), ("all", "All", None)]


@login_required
def mine(request):
    """The requests I made, newest first, by tab: open, forecasts, delivered, all."""
    user = request.user
    tabs = {key: statuses for key, _, statuses in MINE_TABS}
    show = request.GET.get("show", "open")
    if show not in tabs:
        show = "open"
    counts = Request.objects.filter(requester=user).aggregate(
        all=Count("id"), **{key: Count("id", filter=Q(status__in=s)) for key, s in tabs.items() if s})
    rows = services.my_requests(user).only(*LIST_COLUMNS, "service__name", "service__slug", "provider_team__name",
                                           "provider_team__slug")
    if tabs[show]:
        rows = rows.filter(status__in=tabs[show])
    paginator = Paginator(rows, settings.LIAISON_PAGE_SIZE)
    paginator.count = counts[show]
    return _render(request, "requests/mine.html", {
        "page_obj": paginator.get_page(request.GET.get("page")), "show": show,
        "tabs": [(key, label, counts[key]) for key, label, _ in MINE_TABS], "today": timezone.localdate(),
    })
