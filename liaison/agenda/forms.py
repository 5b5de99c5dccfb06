
"""Agenda forms: parse and shape input only; the rules live in services.py.

Dates are typed as wall-clock times in the chosen time zone (datetime-local inputs), so
the fields keep them naive and services.as_aware applies the zone, DST included.
"""

import zoneinfo
from datetime import datetime

from django import forms
from django.core.exceptions import ValidationError

from liaison.org.models import Service, Team

from .models import Change, Event, MaintenanceWindow

ZONES = sorted(zoneinfo.available_timezones())


class LocalDateTimeField(forms.DateTimeField):
    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            return value.replace(tzinfo=None)
        try:
            return datetime.fromisoformat(str(value).strip()).replace(tzinfo=None)
        except ValueError:
            raise ValidationError("Enter a date and time (YYYY-MM-DD HH:MM).", code="invalid") from None


def zone_field(initial="UTC"):
    return forms.ChoiceField(label="Time zone", choices=[(z, z) for z in ZONES], initial=initial,
                             help_text="The zone the times above are in.")


class WindowForm(forms.Form):
    start = LocalDateTimeField(label="Starts")
    end = LocalDateTimeField(label="Ends")

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"] = zone_field(getattr(user, "time_zone", "UTC") or "UTC")


def _services_field(label, help_text):
    return forms.ModelMultipleChoiceField(
        label=label, help_text=help_text,
        queryset=Service.objects.select_related("team").order_by("name"),
        widget=forms.SelectMultiple(attrs={"size": 8}))


class DetailsForm(forms.Form):
    """What an item is, whoever plans it: shared by the create and the edit forms."""

    title = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    confidential = forms.BooleanField(required=False, help_text="Only your team and the teams named below see it.")
    shared_with = forms.ModelMultipleChoiceField(queryset=Team.objects.order_by("name"), required=False,
                                                 label="Shared with (when confidential)",
                                                 widget=forms.SelectMultiple(attrs={"size": 4}))
    ORDER = ["title", "description", "services", "start", "end", "time_zone"]


class ChangeDetailsForm(DetailsForm):
    services = _services_field("Services affected", "Hold Ctrl or ⌘ to choose several.")
    risk = forms.ChoiceField(choices=Change.Risk.choices, initial=Change.Risk.MEDIUM)
    rollback_plan = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class EventDetailsForm(DetailsForm):
    services = _services_field("Services it depends on", "Hold Ctrl or ⌘ to choose several.")
    criticality = forms.ChoiceField(choices=Event.Criticality.choices, initial=Event.Criticality.MEDIUM)
    audience = forms.CharField(max_length=200, required=False, help_text='e.g. "100+ customer organisations"')
    buffer_hours = forms.IntegerField(min_value=0, max_value=720, initial=48, label="Preparation buffer (hours)",
                                      help_text="No changes this many hours before the event.")


class ItemForm(WindowForm):
    """Creating an item: its team and window besides what it is."""

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        teams = Team.objects.order_by("name")
        if user is not None and not user.is_org_admin:
            teams = teams.filter(memberships__person=user)
        self.fields["team"] = forms.ModelChoiceField(queryset=teams, empty_label=None, label="Team")
        self.order_fields(["team", *DetailsForm.ORDER])


class ChangeForm(ItemForm, ChangeDetailsForm):
    publish = forms.BooleanField(required=False, label="Publish now",
                                 help_text="Announce it to the organisation; notice is counted from now.")


class EventForm(ItemForm, EventDetailsForm):
    pass


def _wall_clock(moment, zone):
    """A stored time as the minute a datetime-local input shows, in the zone the item was planned in."""
    return moment.astimezone(zoneinfo.ZoneInfo(zone)).replace(tzinfo=None, second=0, microsecond=0)


class EditForm:
    """An edit form starts from the item and sends its service only what the person changed,
    as the API's PATCH does (an untouched window is not moved by a rounding to the minute)."""

    FIELDS = ()

    @classmethod
    def initial_for(cls, item):
        initial = {name: getattr(item, name) for name in cls.FIELDS}
        initial["services"] = [s.pk for s in item.services.all()]
        initial["shared_with"] = [t.pk for t in item.shared_with.all()]
        return initial

    def changes(self):
        changed = set(self.changed_data)
        if "time_zone" in changed:  # the times typed are read in the new zone
            changed |= {"start", "end"}
        return {name: (list(value) if name in ("services", "shared_with") else value)
                for name, value in self.cleaned_data.items() if name in changed}


class ChangeEditForm(EditForm, ChangeDetailsForm):
    """What a change is; its window moves by a reschedule, which keeps the history and the notice."""

    FIELDS = ("title", "description", "risk", "rollback_plan", "confidential")
    field_order = DetailsForm.ORDER

    def __init__(self, *args, user=None, **kwargs):  # no window, so no time zone to default to the user's
        super().__init__(*args, **kwargs)


class EventEditForm(EditForm, WindowForm, EventDetailsForm):
    FIELDS = ("title", "description", "criticality", "audience", "buffer_hours", "confidential", "time_zone")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields(DetailsForm.ORDER)

    @classmethod
    def initial_for(cls, event):
        return {**super().initial_for(event), "start": _wall_clock(event.start, event.time_zone),
                "end": _wall_clock(event.end, event.time_zone)}


class RescheduleForm(WindowForm):
    reason = forms.CharField(max_length=500, required=False)


class FreezeForm(WindowForm):
    title = forms.CharField(max_length=200)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    org_wide = forms.BooleanField(required=False, label="Organisation-wide", help_text="Org admins only.")
    services = forms.ModelMultipleChoiceField(
        queryset=Service.objects.order_by("name"), required=False, label="Frozen services",
        widget=forms.SelectMultiple(attrs={"size": 6}))


class MaintenanceForm(forms.Form):
    weekday = forms.TypedChoiceField(choices=MaintenanceWindow.WEEKDAYS, coerce=int)
    start_time = forms.TimeField(label="From", widget=forms.TimeInput(attrs={"type": "time"}))
    end_time = forms.TimeField(label="To", widget=forms.TimeInput(attrs={"type": "time"}))


class TextForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=10_000, required=False)


def apply_errors(form, exc):
    """Put a service's ValidationError on the form fields it names."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
    else:
        form.add_error(None, exc)
