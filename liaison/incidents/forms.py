"""Forms of the incident pages: they parse input; the rules live in the services."""

from django import forms

from liaison.org.models import Person

from .models import Alliance, Kind, Unit


def apply_errors(form, exc):
    """Put a service's ValidationError on the form's fields (unknown fields go to the top)."""
    for field, messages in getattr(exc, "message_dict", {"__all__": exc.messages}).items():
        form.add_error(field if field in form.fields else None, " ".join(messages))


class IncidentForm(forms.Form):
    title = forms.CharField(max_length=200)
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False,
                              help_text="What is happening, in plain words. No blame: causes come once it is stable.")
    kind = forms.ChoiceField(choices=Kind.choices, initial=Kind.CHANGE_COLLISION)
    team = forms.ModelChoiceField(queryset=None, label="Your affected team", empty_label=None)

    def __init__(self, *args, teams=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams


class ImpactForm(forms.Form):
    team = forms.ModelChoiceField(queryset=None, label="Reported by (your team)", empty_label=None)
    unit = forms.ChoiceField(choices=Unit.choices)
    amount = forms.CharField(max_length=30, help_text="A number; a correction is a negative amount.")
    unit_label = forms.CharField(max_length=40, required=False, label="Unit name or currency",
                                 help_text="For money, the currency (EUR); for another unit, its name.")
    what_happened = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, teams=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams


class TextForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class CausesForm(forms.Form):
    causes = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False,
                             help_text="Systems, processes, circumstances — never a person.")
    contributing_factors = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class ScheduleForm(forms.Form):
    scheduled_at = forms.DateTimeField(label="Date and time (your time zone)",
                                       widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    duration_minutes = forms.IntegerField(min_value=15, max_value=480, initial=90, label="Minutes")
    location = forms.CharField(max_length=200, required=False, help_text="A room is best; a video link otherwise.")
    facilitator = forms.EmailField(required=False, help_text="Leave empty to keep the one proposed.")

    def clean_facilitator(self):
        email = (self.cleaned_data.get("facilitator") or "").strip().lower()
        if not email:
            return None
        person = Person.objects.filter(email=email, is_active=True).first()
        if person is None:
            raise forms.ValidationError("No one with that address.")
        return person


class ActionItemForm(forms.Form):
    title = forms.CharField(max_length=200)
    owner = forms.EmailField(help_text="Someone in a team involved, who commits for their team.")
    due = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))

    def clean_owner(self):
        email = self.cleaned_data["owner"].strip().lower()
        person = Person.objects.filter(email=email, is_active=True).first()
        if person is None:
            raise forms.ValidationError("No one with that address.")
        return person


class SlipForm(forms.Form):
    new_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))


class AllianceForm(forms.Form):
    team = forms.ModelChoiceField(queryset=None, label="Your team", empty_label=None)
    ask_kind = forms.ChoiceField(choices=Alliance.Ask.choices, label="We ask for")
    ask_text = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), label="The ask, in a few sentences")

    def __init__(self, *args, teams=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams


class AnswerForm(forms.Form):
    answer = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}))
