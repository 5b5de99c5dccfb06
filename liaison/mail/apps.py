from django.apps import AppConfig


class MailConfig(AppConfig):
    """Mail in: three doors (pipe, SMTP, IMAP), one ingest; triage and quarantine."""

    name = "liaison.mail"
    label = "mail"
    verbose_name = "Mail"

    def ready(self):
        from liaison.notify import kinds

        from . import signals  # noqa: F401 - request events → team chat webhooks

        kinds.register("Mail", {
            "mail.confirmation": "A confirmation when I file a request by mail",
            "mail.attachment_refused": "An attachment of my mail was too large to keep",
            "notify.webhook_disabled": "A chat webhook of my team was paused after failures",
        })
