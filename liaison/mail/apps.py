from django.apps import AppConfig


class MailConfig(AppConfig):
    """Mail in: three doors (pipe, SMTP, IMAP), one ingest; triage and quarantine."""

    name = "liaison.mail"
    label = "mail"
    verbose_name = "Mail"

    def ready(self):
        from liaison.core import notices
        from liaison.core.links import register
        from liaison.notify import kinds

        from .services import may_see_quarantine, may_triage, request_notices

        # The triage page is one page for all of a person's teams; the team page links to
        # that team's slice of it, for those who may read it (the rule the view applies).
        register("team", "Mail triage", "mail:triage", query="?team={obj.slug}", order=15, show=may_triage)
        register("nav", "Quarantine", "mail:quarantine", order=90, active="mail:quarantine",
                 show=lambda user, obj: may_see_quarantine(user))

        # The request page says what the mail it came from needs its readers to know.
        notices.register("request", request_notices)

        kinds.register("Mail", {
            "mail.confirmation": "A confirmation when I file a request by mail",
            "mail.attachment_refused": "An attachment of my mail was too large to keep",
            "notify.webhook_disabled": "A chat webhook of my team was paused after failures",
        })
