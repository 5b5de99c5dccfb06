from django import forms

from liaison.org.models import Person

from .models import Rule, Side
from .moves import MOVES
from .situations import DETECTORS


class InvitationForm(forms.Form):
    title = forms.CharField(label="Title", max_length=200)
    start = forms.DateTimeField(label="Starts (your time zone)",
                                widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
                                error_messages={"invalid": "Enter a date and time."})
    minutes = forms.TypedChoiceField(label="Length", coerce=int, initial=30,
                                     choices=[(15, "15 minutes"), (30, "30 minutes"), (45, "45 minutes"),
                                              (60, "1 hour"), (90, "1½ hours")])
    location = forms.CharField(label="Where", required=False, max_length=200,
                               help_text="A room, or the link of the call.")
    attendees = forms.ModelMultipleChoiceField(label="Invite", queryset=Person.objects.none(),
                                               widget=forms.CheckboxSelectMultiple,
                                               error_messages={"required": "Invite at least one other person."})
    agenda = forms.CharField(label="What to settle", required=False, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attendees"].queryset = Person.objects.filter(pk__in=[p.pk for p in people]).order_by("name")


class RuleForm(forms.ModelForm):
    situation = forms.ChoiceField(label="Situation", choices=[(k, v[1]) for k, v in DETECTORS.items()])
    move = forms.ChoiceField(label="Move", choices=[(k, m.label) for k, m in MOVES.items()])
    side = forms.ChoiceField(label="Offered to", choices=Side.choices)

    class Meta:
        model = Rule
        fields = ["situation", "move", "side", "rank", "reason", "enabled"]
        labels = {"rank": "Rank (1 first)", "reason": "Why (one sentence)", "enabled": "Offered"}
