from django.apps import AppConfig


class RequestsConfig(AppConfig):
    """Requests between teams: context, forecasts, commitments, slips, reminders, thanks."""

    name = "liaison.requests"
    label = "requests"
    verbose_name = "Requests"

    def ready(self):
        from liaison.core.links import register
        from liaison.notify import chat, kinds

        from . import sweeps  # noqa: F401 - registers requests.reminders
        from .models import RequestEvent
        from .services import may_read_inbox

        # Every new event of a request is posted to both teams' chat webhooks, if they have one.
        chat.register_source(RequestEvent, teams=RequestEvent.chat_teams, message=RequestEvent.chat_message)

        register("nav", "Requests", "requests:mine", order=10, active="requests:mine")
        register("nav", "Inbox", "requests:inbox_home", order=11, active="requests:inbox")
        register("team", "Requests inbox", "requests:inbox", arg="slug", order=10, show=may_read_inbox)
        register("service", "Ask this service", "requests:new", query="?service={obj.slug}", order=10)

        kinds.register("Requests", {
            "request.submitted": "A request (or a confirmed forecast) arrives for my team",
            "request.acknowledged": "My request is acknowledged",
            "request.committed": "My request gets a committed date",
            "request.slipped": "A commitment to me changes date",
            "request.slipped.past_hard_date": "A commitment moves past a hard need-by date (both sides)",
            "request.declined": "My request is declined",
            "request.progress": "Progress on my request",
            "request.blocked": "A blocker is raised",
            "request.unblocked": "A blocker is cleared",
            "request.delivered": "My request is delivered",
            "request.accepted": "A delivery of my team is accepted",
            "request.reopened": "A delivery of my team is reopened for rework",
            "request.thanks": "Thanks for work I did",
            "request.comment": "Comments",
            "request.withdrawn": "A request to my team is withdrawn",
            "request.warning": "A warning before escalation",
            "request.escalated": "Escalations",
            "request.reminder.due": "Reminders before a date I committed to",
            "request.reminder.overdue": "Daily reminders when my commitment is overdue",
            "request.overdue.notice": "Notice that a commitment to me is overdue",
            "request.reminder.confirm_by": "Reminder to confirm or withdraw my forecast",
        })
