"""Team chat webhooks: the leads of a team (and org admins) add, pause and remove them.

Kept apart from the preferences page (liaison/notify/views.py) on purpose: webhooks
belong to a team, preferences to a person.
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from liaison.org.models import Team

from .models import TeamWebhook
from .webhooks import add_webhook


def _teams(user):
    """Teams whose webhooks `user` manages: the ones they lead; every team for org admins."""
    if not user.is_authenticated or not user.is_active:
        return Team.objects.none()
    return Team.objects.all() if user.is_org_admin else Team.objects.filter(lead=user)


def manages_webhooks(user):
    """Whether `user` has any team whose webhooks they manage (the preferences page links here then)."""
    return _teams(user).exists()


class WebhookForm(forms.Form):
    team = forms.ModelChoiceField(queryset=Team.objects.none(), label="Team")
    url = forms.CharField(label="Incoming webhook address (Slack, Teams or any https endpoint)", max_length=500,
                          widget=forms.URLInput(attrs={"autocomplete": "off", "spellcheck": "false"}))

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams
        if len(teams) == 1:  # a lead of one team has nothing to choose
            self.fields["team"].initial = teams[0]

    def describe_errors(self):
        """Point each field with an error at its message (the template renders it as id_<name>_error)."""
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs["aria-describedby"] = f"id_{name}_error"


@login_required
def webhooks(request):
    teams = _teams(request.user).order_by("name")
    form = WebhookForm(request.POST or None, teams=teams)
    if request.method == "POST" and form.is_valid():
        try:
            hook = add_webhook(form.cleaned_data["team"], url=form.cleaned_data["url"].strip(), now=timezone.now())
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, f"Webhook added. Its signing secret: {hook.secret}")
            return redirect("notify_webhooks:list")
    form.describe_errors()
    hooks = (TeamWebhook.objects.filter(team__in=_teams(request.user)).select_related("team")
             .order_by("team__name", "id"))
    page = Paginator(hooks, settings.LIAISON_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notify/webhooks.html", {"form": form, "page_obj": page, "teams": teams},
                  status=400 if form.errors else 200)


@login_required
@require_POST
def toggle(request, pk):
    hook = get_object_or_404(TeamWebhook.objects.filter(team__in=_teams(request.user)), pk=pk)
    hook.active = not hook.active
    hook.consecutive_failures = 0
    hook.disabled_at = None if hook.active else timezone.now()
    hook.disabled_reason = "" if hook.active else f"Paused by {request.user}."
    hook.save(update_fields=["active", "consecutive_failures", "disabled_at", "disabled_reason"])
    messages.success(request, "Webhook turned on." if hook.active else "Webhook paused.")
    return redirect("notify_webhooks:list")


@login_required
@require_POST
def delete(request, pk):
    get_object_or_404(TeamWebhook.objects.filter(team__in=_teams(request.user)), pk=pk).delete()
    messages.success(request, "Webhook removed.")
    return redirect("notify_webhooks:list")
