from django.apps import AppConfig


class RequestsConfig(AppConfig):
    """Requests between teams: context, forecasts, commitments, slips, reminders, thanks."""

    name = "liaison.requests"
    label = "requests"
    verbose_name = "Requests"

    def ready(self):
        from . import sweeps  # noqa: F401 - registers requests.reminders
