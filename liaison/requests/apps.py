from django.apps import AppConfig


class RequestsConfig(AppConfig):
    """Requests between teams: context, forecasts, commitments, slips, reminders, thanks."""

    name = "liaison.requests"
    label = "requests"
    verbose_name = "Requests"

    def ready(self):
        from liaison.core.links import register

        from . import sweeps  # noqa: F401 - registers requests.reminders
        from .services import may_read_inbox

        register("nav", "Requests", "requests:mine", order=10, active="requests:mine")
        register("nav", "Inbox", "requests:inbox_home", order=11, active="requests:inbox")
        register("team", "Requests inbox", "requests:inbox", arg="slug", order=10, show=may_read_inbox)
        register("service", "Ask this service", "requests:new", query="?service={obj.slug}", order=10)
