from django.apps import AppConfig


class MailConfig(AppConfig):
    """Mail in: three doors (pipe, SMTP, IMAP), one ingest; triage and quarantine."""

    name = "liaison.mail"
    label = "mail"
    verbose_name = "Mail"

    def ready(self):
        from . import signals  # noqa: F401 - request events → team chat webhooks
