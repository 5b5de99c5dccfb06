"""Directory pages. Thin: read the request, call the model or a service, render.

Lists go through `Model.objects.visible_to(request.user)` and load what they show in a
fixed number of queries (select_related / prefetch_related / subquery counts), so a
page costs the same with 10 teams or 10,000. List pages answer HTMX requests with the
results fragment only (template partial "results"), for live search.
"""

import calendar

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from liaison.core import throttle
from liaison.core.links import links_for

from . import services
from .forms import OrgImportForm, ServiceFilterForm, SetPasswordByMailForm, TeamFilterForm, TokenForm
from .models import ApiToken, Membership, Person, Service, Team

IMPORT_COLUMNS = [
    ("email", True, "Work email; how a person is matched on a later import (case does not matter)."),
    ("name", True, "Full name."),
    ("team", True, "The team the person belongs to; created if new."),
    ("title", False, "Job title."),
    ("site", False, "Office or site."),
    ("time_zone", False, "IANA time zone, e.g. Europe/Paris. Defaults to UTC."),
    ("parent_team", False, "The team's parent in the org tree."),
    ("manager_email", False, "Email of the person's manager (a row of the same file, or already known)."),
    ("is_lead", False, "yes / no (also true/false, 1/0, blank = no): the person leads the team."),
    ("gender", False, "Sensitive: only auditors see it, only aggregated."),
    ("seniority_band", False, "Sensitive: only auditors see it, only aggregated."),
]


def _count(model, field):
    """A correlated subquery counting `model` rows whose `field` is the outer row.

    Unlike Count() over joins, two of these on one queryset do not multiply each
    other, and the database counts only the rows of the page it returns.
    """
    rows = model.objects.filter(**{field: OuterRef("pk")}).order_by().values(field).annotate(n=Count("pk"))
    return Coalesce(Subquery(rows.values("n"), output_field=IntegerField()), 0)


def _page(request, queryset):
    return Paginator(queryset, settings.LIAISON_PAGE_SIZE).get_page(request.GET.get("page"))


def _list_response(request, template, context):
    """The whole page, or only its results for an HTMX live-search request."""
    if request.htmx:
        template = f"{template}#results"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


def working_day_names(days):
    """'12345' → 'Monday to Friday'; '135' → 'Monday, Wednesday, Friday'."""
    numbers = sorted({int(d) for d in days if d in "1234567"})
    names = [calendar.day_name[n - 1] for n in numbers]
    if len(names) >= 3 and numbers == list(range(numbers[0], numbers[-1] + 1)):
        return f"{names[0]} to {names[-1]}"
    return ", ".join(names)


# --- teams ---------------------------------------------------------------------------

@login_required
def team_list(request):
    form = TeamFilterForm(request.GET or None, user=request.user)
    teams = (Team.objects.visible_to(request.user).select_related("parent", "lead")
             .annotate(member_count=_count(Membership, "team"), service_count=_count(Service, "team")))
    query, parent = "", None
    if form.is_valid():
        query, parent = form.cleaned_data["q"], form.cleaned_data["parent"]
        if query:
            teams = teams.search(query)
        if parent is not None:
            teams = teams.filter(parent=parent)
    return _list_response(request, "org/team_list.html", {
        "form": form, "page_obj": _page(request, teams), "query": query, "parent": parent,
        "filtered": bool(query or parent),
        # the directory's size, which the home showed before it became "what needs you"
        "people_count": None if request.htmx else Person.objects.visible_to(request.user).count(),
    })


@login_required
def team_detail(request, slug):
    user = request.user
    team = get_object_or_404(Team.objects.visible_to(user).select_related("parent", "lead"), slug=slug)
    own_services = Service.objects.visible_to(user).filter(team=team).prefetch_related(
        Prefetch("depends_on", queryset=Service.objects.visible_to(user).select_related("team")))
    # What this team needs from others: whatever its services depend on, outside the team.
    upstream = (Service.objects.visible_to(user).filter(dependents__team=team).exclude(team=team)
                .select_related("team").distinct()
                .prefetch_related(Prefetch("dependents", queryset=Service.objects.filter(team=team),
                                           to_attr="needed_by")))
    # Who needs this team: services elsewhere that depend on one of its services.
    downstream = (Service.objects.visible_to(user).filter(depends_on__team=team).exclude(team=team)
                  .select_related("team").distinct())
    context = {
        "team": team,
        "ancestors": list(reversed(team.ancestors())),
        "children": Team.objects.visible_to(user).filter(parent=team).select_related("lead"),
        "members": Person.objects.visible_to(user).filter(memberships__team=team).order_by("name"),
        "services": own_services,
        "upstream": upstream,
        "downstream": downstream,
        "links": links_for("team", user, team),
    }
    return render(request, "org/team_detail.html", context)


# --- people ----------------------------------------------------------------------------

@login_required
def person_detail(request, pk):
    """A person's public profile. Sensitive attributes are never read here (auditors only)."""
    user = request.user
    people = Person.objects.visible_to(user)
    person = get_object_or_404(people, pk=pk)
    teams = Team.objects.visible_to(user).filter(members=person).select_related("parent")
    context = {
        "person": person,
        "manager": people.filter(pk=person.manager_id).first() if person.manager_id else None,
        "reports": people.filter(manager=person),
        "teams": teams,
        "teams_led": Team.objects.visible_to(user).filter(lead=person),
    }
    return render(request, "org/person_detail.html", context)


# --- services -------------------------------------------------------------------------

@login_required
def service_list(request):
    user = request.user
    form = ServiceFilterForm(request.GET or None, user=user)
    catalogue = (Service.objects.visible_to(user).select_related("team")
                 .prefetch_related(Prefetch("depends_on",
                                            queryset=Service.objects.visible_to(user).select_related("team"))))
    query, team = "", None
    if form.is_valid():
        query, team = form.cleaned_data["q"], form.cleaned_data["team"]
        if query:
            catalogue = catalogue.search(query)
        if team is not None:
            catalogue = catalogue.filter(team=team)
    return _list_response(request, "org/service_list.html", {
        "form": form, "page_obj": _page(request, catalogue), "query": query, "provider": team,
        "filtered": bool(query or team),
    })


@login_required
def service_detail(request, slug):
    user = request.user
    service = get_object_or_404(Service.objects.visible_to(user).select_related("team", "team__lead"), slug=slug)
    visible = Service.objects.visible_to(user).select_related("team")
    direct = list(visible.filter(dependents=service))
    indirect_ids = services.transitive_dependencies(service.pk) - {s.pk for s in direct}
    context = {
        "service": service,
        "working_days": working_day_names(service.working_days),
        "depends_on": direct,
        "indirect": visible.filter(pk__in=indirect_ids) if indirect_ids else [],
        "dependents": visible.filter(depends_on=service),
        "links": links_for("service", user, service),
    }
    return render(request, "org/service_detail.html", context)


# --- org-chart import (org admins) --------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def import_org(request):
    """Upload a CSV; all or nothing: either a report of what changed, or every error and no change."""
    if not request.user.is_org_admin:
        raise PermissionDenied("Only org admins can import the org chart.")
    report, errors, status = None, None, 200
    posted = request.method == "POST"
    form = OrgImportForm(request.POST, request.FILES) if posted else OrgImportForm()
    if posted:
        if form.is_valid():
            from .importer import OrgImportError, import_org_csv  # written beside this, see importer.py

            try:
                report = import_org_csv(form.cleaned_data["file"])
            except OrgImportError as exc:
                errors, status = exc.errors, 400
        else:
            status = 400
    return render(request, "org/import.html", {
        "form": form, "report": report, "errors": errors, "columns": IMPORT_COLUMNS,
    }, status=status)


# --- API tokens ----------------------------------------------------------------------------

@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def tokens(request):
    """A person's own API tokens. A new key is shown once, in this response, and never again."""
    new_key = None
    form = TokenForm(request.POST) if request.method == "POST" else TokenForm()
    if form.is_bound and form.is_valid():
        try:
            token, new_key = services.create_token(request.user, form.cleaned_data["name"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            form = TokenForm()
            messages.success(request, f"Token “{token.name}” created.")
    own = ApiToken.objects.visible_to(request.user)
    return render(request, "org/tokens.html", {"form": form, "tokens": own, "new_key": new_key},
                  status=400 if form.errors else 200)


@login_required
@require_POST
def revoke_token(request, pk):
    token = get_object_or_404(ApiToken.objects.visible_to(request.user), pk=pk)
    if token.revoked_at is None:
        services.revoke_token(token)
        messages.success(request, f"Token “{token.name}” ({token.prefix}…) revoked; it no longer works.")
    return redirect("tokens")


# --- password by mail --------------------------------------------------------------------

# The admin app ships registration/password_reset_*.html templates and comes first in
# INSTALLED_APPS, so these views name Liaison's own templates (under account/) explicitly.
# org/urls.py mounts them on Django's own paths and names, ahead of django.contrib.auth.urls.

class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset-by-mail, also for people imported without a password (see the form)."""

    form_class = SetPasswordByMailForm
    template_name = "account/password_reset_form.html"
    email_template_name = "account/password_reset_email.txt"
    subject_template_name = "account/password_reset_subject.txt"

    @property
    def extra_email_context(self):
        return {"org_name": settings.LIAISON_ORG_NAME, "site_url": settings.SITE_URL}

    def form_valid(self, form):
        """Every reset request counts as a guess (liaison.core.throttle): a mailbox cannot be
        flooded with reset mail, nor the form used to probe addresses at full speed."""
        name = throttle.password_reset_name(form.cleaned_data["email"])
        if throttle.is_locked(self.request, name) or throttle.record_failure(self.request, name, type(self)):
            return throttle.lockout_response(self.request)
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "account/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "account/password_reset_confirm.html"


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "account/password_reset_complete.html"
