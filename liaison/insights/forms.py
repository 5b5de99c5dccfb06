"""The fairness audit form: scope, measure, attribute(s), period (months)."""

import datetime as dt

from django import forms

from liaison.org.models import Service, Team

from .fairness import ATTRIBUTES, MEASURES


def _month(value):
    try:
        year, month = (int(part) for part in value.split("-"))
        return dt.date(year, month, 1)
    except (ValueError, AttributeError):
        return None


class MonthField(forms.CharField):
    widget = forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"})

    def clean(self, value):
        value = super().clean(value)
        month = _month(value)
        if month is None:
            raise forms.ValidationError("Give a month as YYYY-MM, e.g. 2026-01.")
        return month


def scope_choices():
    services = [(f"service:{pk}", f"{name} ({team})") for pk, name, team in
                Service.objects.order_by("name").values_list("pk", "name", "team__name")]
    teams = [(f"team:{pk}", name) for pk, name in
             Team.objects.filter(services__isnull=False).distinct().order_by("name").values_list("pk", "name")]
    return [("", "Choose…"), ("Services", services), ("Provider teams", teams)]


class AuditForm(forms.Form):
    scope = forms.ChoiceField(label="Service or team", help_text="Requests to this service, or to any of this "
                              "team's services.")
    measure = forms.ChoiceField(label="Measure", choices=list(MEASURES.items()))
    attribute = forms.ChoiceField(label="Attribute of the requester",
                                  choices=[*ATTRIBUTES.items(), ("all", "All three (corrected together)")])
    start = MonthField(label="From month")
    end = MonthField(label="To month")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scope"].choices = scope_choices()
        if not self.is_bound:
            today = dt.date.today().replace(day=1)
            self.initial.setdefault("end", f"{today:%Y-%m}")
            start = dt.date(today.year - 1, today.month, 1)
            self.initial.setdefault("start", f"{start:%Y-%m}")

    def audit_arguments(self):
        kind, _, pk = self.cleaned_data["scope"].partition(":")
        attribute = self.cleaned_data["attribute"]
        return {"scope_kind": kind, "scope_id": int(pk), "measure": self.cleaned_data["measure"],
                "attributes": list(ATTRIBUTES) if attribute == "all" else [attribute],
                "start": self.cleaned_data["start"], "end": self.cleaned_data["end"]}

    def apply(self, exc):
        for field, messages in exc.message_dict.items():
            self.add_error(field if field in self.fields else None, messages)
