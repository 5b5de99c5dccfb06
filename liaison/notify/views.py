"""Notification preferences: per person, per kind, immediate, in a daily digest, or off.

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
from django.shortcuts import redirect, render

from . import kinds, services
from .models import NotificationPreference
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
               "manages_webhooks": manages_webhooks(user)}
    return render(request, "notify/preferences.html", context, status=400 if form.errors else 200)
