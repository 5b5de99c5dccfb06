"""Request forms: they parse and shape input only; every rule lives in services.py.

Fields are mostly optional here on purpose: a missing title, a past need-by date or an
unowned short notice is refused by the service, whose sentence names the field and says
why; apply_errors() puts that sentence next to the field. The forms only turn text into
dates and numbers. Field names are the services' keyword arguments, so the names a
service uses in its ValidationError are the form's field names.
"""

from django import forms
from django.core.exceptions import ValidationError

from liaison.org.models import Service, Team

from .models import DateKind


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def date_field(label, help_text="", required=False):
    return forms.DateField(label=label, help_text=help_text, required=required, widget=DateInput(),
                           error_messages={"invalid": "Enter a date as YYYY-MM-DD."})


def text_field(label, help_text="", rows=3, required=False, max_length=5000):
    return forms.CharField(label=label, help_text=help_text, required=required, max_length=max_length,
                           widget=forms.Textarea(attrs={"rows": rows}))


class Form(forms.Form):
    """Labels without the trailing colon."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def apply_errors(form, exc):
    """Put a service's ValidationError on the fields it names; the rest (status, warning,
    blocker, ...) at the top of the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
    else:
        form.add_error(None, exc)


class RequestForm(Form):
    """A new request, or (with `is_forecast`) a heads-up forecast."""

    service = forms.ModelChoiceField(
        queryset=Service.objects.none(), empty_label="Choose a service…",
        error_messages={"required": "Choose the service you are asking.",
                        "invalid_choice": "Choose a service from the list."})
    requester_team = forms.ModelChoiceField(
        queryset=Team.objects.none(), required=False, label="Asking for",
        help_text="The team this request is from.")
    title = forms.CharField(max_length=200, required=False,
                            help_text="What you need, in a few words.")
    context = text_field("Context", "Why it matters to you, and what happens if it is missed.", rows=5,
                         max_length=20_000)
    need_by = date_field("Needed by")
    date_kind = forms.ChoiceField(label="The date is", choices=DateKind.choices, required=False,
                                  widget=forms.RadioSelect)
    options = text_field("Options", "Acceptable alternatives: “any day that week”, “a partial delivery first”.",
                         rows=2)
    milestone = forms.CharField(label="Milestone", max_length=300, required=False,
                                help_text="The customer commitment or milestone this serves (optional).")
    short_notice_owned = text_field(
        "Owning short notice",
        "Needed only when you give less notice than the service's lead time: say why it is late and that "
        "you know it is an imposition. The provider sees this sentence.", rows=2, max_length=2000)
    is_forecast = forms.BooleanField(
        label="This is a heads-up forecast, not yet a firm request", required=False,
        help_text="Give the provider notice before you are sure; confirm it (or withdraw it) later.")
    probability = forms.IntegerField(label="Probability (%)", required=False,
                                     help_text="How likely you are to need it, 1 to 100.")
    confirm_by = date_field("Confirm by", "When you will know for sure.")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = (Service.objects.visible_to(user).select_related("team")
                                           .order_by("name"))
        self.fields["service"].label_from_instance = lambda s: f"{s.name} — {s.team.name}"
        teams = Team.objects.filter(memberships__person=user).order_by("name")
        self.fields["requester_team"].queryset = teams
        self.several_teams = teams.count() > 1
        if not self.several_teams:
            self.fields["requester_team"].widget = forms.HiddenInput()
        self.fields["title"].widget.attrs["autocomplete"] = "off"

    def service_kwargs(self):
        """Keyword arguments for services.submit_request / create_forecast."""
        data = self.cleaned_data
        kwargs = {k: data[k] for k in ("service", "title", "context", "need_by", "options", "milestone")}
        kwargs["date_kind"] = data["date_kind"]
        kwargs["requester_team"] = data["requester_team"]
        if data["is_forecast"]:
            kwargs.update(probability=data["probability"], confirm_by=data["confirm_by"])
        else:
            kwargs["short_notice_owned"] = data["short_notice_owned"]
        return kwargs


# --- one small form per action on a request (prefix = the action's name) --------------------

class NoFields(Form):
    pass


class CommitForm(Form):
    date = date_field("Commit to", required=True)
    note = text_field("Note", "Optional: how, or which of the options.", rows=2)


class SlipForm(Form):
    new_date = date_field("New date", required=True)
    reason = text_field("Reason", "Every change of commitment is kept, with its reason.", rows=2)


class ReasonForm(Form):
    reason = text_field("Reason", rows=2)


class TextForm(Form):
    text = text_field("Update", rows=2)


class CommentForm(Form):
    text = text_field("Comment", rows=2)


class BlockerForm(Form):
    description = text_field("What is in the way", rows=2)


class ClearBlockerForm(Form):
    resolution = forms.CharField(label="Resolution", required=False, max_length=5000,
                                 help_text="Optional: how it was cleared.")


class NoteForm(Form):
    note = text_field("Delivery note", "Optional: what was delivered, where to find it.", rows=2)


class ConfirmForm(Form):
    short_notice_owned = text_field(
        "Owning short notice", "Needed only if this is still less notice than the service's lead time.", rows=2,
        max_length=2000)


class ForecastChangeForm(Form):
    need_by = date_field("Expected need date")
    probability = forms.IntegerField(label="Probability (%)", required=False)
    confirm_by = date_field("Confirm by")
    reason = text_field("Why it changed", rows=2, max_length=2000)

    def clean(self):
        data = super().clean()
        if not self.errors and all(data.get(k) in (None, "") for k in ("need_by", "probability", "confirm_by")):
            raise ValidationError("Change at least one of the date, the probability or the confirm-by date.")
        return data


class WarnForm(Form):
    deadline = date_field("Settled by", "Blank: the earliest date the grace period allows.")
    message = text_field("Message", "Optional: what you still need, said kindly.", rows=2)


class EscalateForm(Form):
    emergency_override = forms.BooleanField(
        label="Emergency override: escalate without the warning and grace period", required=False)
    justification = text_field("Justification", "Required for an emergency override: why it cannot wait.", rows=2)
    message = text_field("Message to management", rows=2)


class EmergencyEscalateForm(Form):
    """Escalating before a warning's grace period ended: only as an emergency, with its reason."""

    justification = text_field("Why it cannot wait", "An emergency skips the warning and grace period; it is "
                               "counted apart.", rows=2, required=True)
    message = text_field("Message to management", rows=2)


QUALITY_CHOICES = [(n, f"{n} — {label}") for n, label in
                   [(5, "excellent"), (4, "good"), (3, "acceptable"), (2, "poor"), (1, "unusable")]]


class AcceptForm(Form):
    quality = forms.TypedChoiceField(
        label="Quality", choices=QUALITY_CHOICES, coerce=int, widget=forms.RadioSelect,
        error_messages={"required": "Rate the quality from 1 to 5."})
    thanks = text_field("Thank-you", "Optional now, prompted later: a word for the people who did it.", rows=2)
    impact = text_field("What it made possible", rows=2)


class ReopenForm(Form):
    missing = text_field("What is missing", rows=2)


class ThanksForm(Form):
    message = text_field("Thank-you", rows=2)
    impact = text_field("What it made possible", "The launch that went out, the client who stayed: say it.",
                        rows=2)
