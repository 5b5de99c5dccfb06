from django import forms
from django.core.exceptions import ValidationError

from .models import HALF_LIFE_DAYS, Attendance, Kind


def apply_errors(form, exc: ValidationError):
    """Show a service's ValidationError on the form, each message under its field."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = field if field in form.fields else None
            for error in errors:
                form.add_error(target, error.messages[0] if target else f"{field}: {error.messages[0]}")
    else:
        for message in exc.messages:
            form.add_error(None, message)


class InteractionForm(forms.Form):
    kind = forms.ChoiceField(choices=Kind.choices, initial=Kind.ONE_ON_ONE)
    occurred_on = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))
    participants = forms.CharField(
        label="With", help_text="Email addresses of the people you met, separated by commas.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}))
    note = forms.CharField(label="Private note", required=False, max_length=5000,
                           help_text="Only you will ever see this note.", widget=forms.Textarea(attrs={"rows": 3}))


class PathForm(forms.Form):
    to = forms.CharField(label="Person you want to reach", help_text="Their email address.")


class CadenceForm(forms.Form):
    cadence_days = forms.IntegerField(label="Nudge after (days without contact)", min_value=7, max_value=365)


class HomeworkForm(forms.Form):
    colleague = forms.CharField(label="Colleague in another team", help_text="Their email address.")
    goal = forms.CharField(label="What you would like to learn about them", required=False, max_length=300)


class HomeworkStepForm(forms.Form):
    step = forms.CharField(widget=forms.HiddenInput)
    note = forms.CharField(label="Note", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class AttendanceForm(forms.Form):
    person = forms.CharField(label="Person", help_text="Email address.")
    status = forms.ChoiceField(choices=Attendance.Status.choices)


class IcalImportForm(forms.Form):
    file = forms.FileField(label="iCalendar file (.ics)", help_text="An export of the recurring meeting.")


HELP_STRENGTH = (f"Strength adds up the interactions: a one-on-one counts 2, a visit 3, an exchange 5, a meeting "
                 f"or thanks 1; each counts half as much after {HALF_LIFE_DAYS} days.")
