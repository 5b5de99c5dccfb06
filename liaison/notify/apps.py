from django.apps import AppConfig


class NotifyConfig(AppConfig):
    """The one outbox every domain uses: a notification row per recipient and channel."""

    name = "liaison.notify"
    label = "notify"

    def ready(self):
        from . import sweeps  # noqa: F401 - registers notify.deliver
