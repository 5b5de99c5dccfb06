"""Notifications in the app, and preferences: per person, per kind, immediate, in a daily
digest, in the app only, or off.

The kinds come from the catalogue the domains register (liaison.notify.kinds); "*"
stands for every notification. Saving sets a preference only for the rows the person
changed, so "all: off" silences every kind not switched on by itself (the most specific
preference wins, see services._mode_for).
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from liaison.org.models import Team

from . import inbox, kinds, services
from .models import Notification, NotificationPreference
from .webhook_views import manages_webhooks

ALL = "*"


def _field_name(kind):
    return "all" if kind == ALL else "k_" + kind.replace(".", "__")


class PreferencesForm(forms.Form):
    def __init__(self, *args, rows, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = rows
        for kind, label, mode in rows:
            self.fields[_field_name(kind)] = forms.ChoiceField(
                label=label, choices=NotificationPreference.Mode.choices, initial=mode, widget=forms.RadioSelect,
                required=False)  # a row left out of the POST stays as it is

    def grouped(self):
        """[(group, [bound field, ...]), ...] for the template."""
        out = []
        for group, items in self.groups:
            out.append((group, [self[_field_name(k)] for k in items]))
        return out


def _rows(user):
    prefs = services.preferences_of(user)
    # services._mode_for is the one place that resolves exact / prefix / "*" preferences.
    rows = [(ALL, "All notifications", services._mode_for(prefs, ALL))]
    groups = []
    for group, items in kinds.catalogue():
        groups.append((group, [k.kind for k in items]))
        rows += [(k.kind, k.label, services._mode_for(prefs, k.kind)) for k in items]
    return rows, groups


@login_required
def preferences(request):
    user = request.user
    rows, groups = _rows(user)
    form = PreferencesForm(request.POST or None, rows=rows)
    form.groups = groups
    if request.method == "POST" and form.is_valid():
        changed = 0
        try:
            for kind, _label, mode in rows:
                new = form.cleaned_data[_field_name(kind)]
                if new and new != mode:
                    services.set_preference(user, kind, new)
                    changed += 1
        except ValidationError as exc:  # pragma: no cover - the form only offers valid modes
            form.add_error(None, exc)
        else:
            messages.success(request, f"Saved: {changed} preference{'s' if changed != 1 else ''} changed."
                             if changed else "Nothing changed.")
            return redirect("notify:preferences")
    context = {"form": form, "all_field": form["all"], "digest_hour": settings.LIAISON_DIGEST_HOUR,
               "daily_cap": services.daily_cap() or "unlimited",
               "manages_webhooks": manages_webhooks(user)}
    return render(request, "notify/preferences.html", context, status=400 if form.errors else 200)


# --- notifications in the app -------------------------------------------------------------

def _kind_label(kind):
    known = {k.kind: k.label for _group, items in kinds.catalogue() for k in items}
    return known.get(kind, kind)


def _filters(request):
    return {"state": request.GET.get("show", "all") or "all", "kind": request.GET.get("kind", ""),
            "team": request.GET.get("team", "")}


@login_required
def inbox_page(request):
    """The notifications page: newest first, read/unread, filters by kind and team, pages."""
    now = timezone.now()
    chosen = _filters(request)
    try:
        rows = inbox.filtered(request.user, now, **chosen)
    except ValidationError as error:
        messages.error(request, " ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items()))
        return render(request, "notify/inbox.html", {"page_obj": None, "chosen": chosen, "bad_filter": True,
                                                     **_choices(request.user, now)}, status=400)
    page = Paginator(rows.select_related("team"), settings.LIAISON_PAGE_SIZE).get_page(request.GET.get("page"))
    for row in page:
        row.kind_label = _kind_label(row.kind)
    context = {"page_obj": page, "chosen": chosen, "unread": inbox.unread_count(request.user, now),
               **_choices(request.user, now)}
    return render(request, "notify/inbox.html", context)


def _choices(user, now):
    return {"kind_choices": [(k, _kind_label(k)) for k in inbox.kinds_of(user, now)],
            "team_choices": list(Team.objects.filter(memberships__person=user).order_by("name")
                                 .values_list("pk", "name"))}


@login_required
def unread_badge(request):
    """The header's indicator, asked by HTMX every LIAISON_NOTIFY_POLL_SECONDS (no script of our own)."""
    count = inbox.unread_count(request.user, timezone.now())
    return render(request, "notify/_indicator.html", {"notify_unread": count})


@login_required
def open_notification(request, pk):
    """Follow a notification's link from the app: marks it read on the way."""
    try:
        row = inbox.mark_read(request.user, pk, now=timezone.now())
    except Notification.DoesNotExist:
        raise Http404("No such notification.") from None
    target = row.link if row.link.startswith("/") and not row.link.startswith("//") else reverse("notify:inbox")
    return redirect(target)


@login_required
@require_POST
def mark(request, pk):
    """Read or unread again (`read=0`); HTMX swaps the row and the header's count follows."""
    read = request.POST.get("read", "1") != "0"
    now = timezone.now()
    try:
        row = inbox.mark_read(request.user, pk, now=now, read=read)
    except Notification.DoesNotExist:
        raise Http404("No such notification.") from None
    if request.htmx:
        row.kind_label = _kind_label(row.kind)
        response = render(request, "notify/_row.html", {"n": row})
        response["HX-Trigger"] = "notify-changed"
        return response
    messages.success(request, "Marked read." if read else "Marked unread.")
    return redirect(_back(request))


@login_required
@require_POST
def mark_all(request):
    """Mark every unread notification read (only those of the kind and team filtered, if any)."""
    try:
        n = inbox.mark_all_read(request.user, now=timezone.now(), kind=request.POST.get("kind", ""),
                                team=request.POST.get("team", ""))
    except ValidationError as error:
        messages.error(request, " ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items()))
        return redirect(_back(request))
    messages.success(request, f"{n} notification{'s' if n != 1 else ''} marked read." if n else "Nothing was unread.")
    return redirect(_back(request))


def _back(request):
    nxt = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}) and nxt.startswith("/"):
        return nxt
    return reverse("notify:inbox")
