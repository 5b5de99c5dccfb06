from django.apps import AppConfig


class NotifyConfig(AppConfig):
    """The one outbox every domain uses: a notification row per recipient and channel."""

    name = "liaison.notify"
    label = "notify"

    def ready(self):
        # Nothing in the main navigation: the preferences page is a person's own setting,
        # linked from the account area of the header (web/templates/base.html), and the
        # webhooks page is linked from the preferences page for those who manage a team.
        from . import chat, sweeps  # noqa: F401 - sweeps registers notify.deliver, .digest, .webhooks

        chat.connect()
