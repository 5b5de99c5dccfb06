from django.apps import AppConfig


class PlaybookConfig(AppConfig):
    """The advisor: situation -> constructive next steps (the request coach, and the playbook).

    It reads the other domains and nobody imports it. The domains' pages show its output
    through the `{% what_you_can_do obj %}` template tag it registers (templatetags/
    playbook.py): a template names the tag, no domain's Python imports the playbook. The
    notification mail gets it through notify's MAIL_EXTRAS hook, registered here. The
    web pages and the API (the floors on top) may import it.
    """

    name = "liaison.playbook"
    label = "playbook"

    def ready(self):
        from liaison.core.links import register
        from liaison.notify.rendering import register_attachments, register_mail_extra

        from . import outcomes  # noqa: F401 - registers the playbook.outcomes sweep
        from .mailhook import invitation_parts, playbook_extra

        register_mail_extra(playbook_extra)
        register_attachments("playbook.invitation", invitation_parts)
        register("nav", "Playbook", "playbook:rules", order=90, active="playbook:",
                 show=lambda user, obj: user.is_org_admin)
