"""Forms for the directory pages: they parse and validate input; services do the work."""

import io

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm

from .models import Team

MAX_IMPORT_BYTES = 10 * 1024 * 1024


class TeamFilterForm(forms.Form):
    """Search and filter for the team list. Unknown parents are ignored, not an error page."""

    q = forms.CharField(label="Search teams", required=False, max_length=200, strip=True)
    parent = forms.ModelChoiceField(label="Inside", required=False, queryset=Team.objects.none(),
                                    to_field_name="slug", empty_label="Any part of the org")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Only teams that have sub-teams make sense as a filter.
        self.fields["parent"].queryset = (
            Team.objects.visible_to(user).filter(children__isnull=False).distinct().order_by("name"))


class ServiceFilterForm(forms.Form):
    q = forms.CharField(label="Search services", required=False, max_length=200, strip=True)
    team = forms.ModelChoiceField(label="Provided by", required=False, queryset=Team.objects.none(),
                                  to_field_name="slug", empty_label="Any team")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = (
            Team.objects.visible_to(user).filter(services__isnull=False).distinct().order_by("name"))


class OrgImportForm(forms.Form):
    file = forms.FileField(label="Org chart (CSV, UTF-8)",
                           help_text="One row per person; the first row names the columns.")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size // (1024 * 1024)} MB; the limit is {MAX_IMPORT_BYTES // (1024 * 1024)} MB.")
        raw = upload.read()
        try:
            text = raw.decode("utf-8-sig")  # spreadsheets often prepend a byte-order mark
        except UnicodeDecodeError as exc:
            raise forms.ValidationError(
                "The file is not UTF-8 text. Save it from your spreadsheet as “CSV UTF-8” and try again.") from exc
        if not text.strip():
            raise forms.ValidationError("The file is empty.")
        return io.StringIO(text, newline="")


class TokenForm(forms.Form):
    name = forms.CharField(label="Name", max_length=100, strip=True,
                           help_text="What the token is for, e.g. “CI pipeline” or “my laptop”.")


class SetPasswordByMailForm(PasswordResetForm):
    """Django's reset form, also for people who never set a password.

    People imported from the org chart start with an unusable password; Django's form
    skips them, so the page that says "Forgot your password, or never set one?" would
    send nothing. Deactivated people still get nothing, and the page never says whether
    an address is known.
    """

    def get_users(self, email):
        people = get_user_model()._default_manager.filter(email__iexact=email.strip(), is_active=True)
        return iter(people)
