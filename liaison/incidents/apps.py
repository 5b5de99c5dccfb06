from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    """Incidents after a collision: impacts in numbers, the retrospective, alliances of the affected.

    Stands on org, notify, agenda (conflicts, changes, events) and requests (an action item
    is a request's commitment). insights reads it; it imports neither insights nor web.
    It adds to lower floors only through their registries: notification kinds, the
    invitation's iCalendar attachment (notify.rendering), the team calendar feeds
    (agenda.ical), navigation links (core.links) and its sweep (core.sweeps).
    """

    name = "liaison.incidents"
    label = "incidents"
    verbose_name = "Incidents"

    def ready(self):
        from liaison.agenda.ical import register_feed_source
        from liaison.core.links import register as register_link
        from liaison.notify.kinds import register
        from liaison.notify.rendering import register_attachments

        from . import sweeps  # noqa: F401 - registers incidents.retrospectives
        from .ical import feed_vevents, invitation_parts

        register("Incidents", {
            "incident.opened": "An incident was opened that involves my team",
            "incident.invited": "My team was asked whether an incident affects it",
            "incident.stable": "An incident of my team was marked stable",
            "incident.closed": "An incident of my team was closed",
            "incident.open": "An incident of my team was reopened",
            "incident.retrospective.proposed": "A retrospective was proposed (when is the retrospective?)",
            "incident.retrospective.invitation": "An invitation to a retrospective (with a calendar entry)",
            "incident.retrospective.reminder": "No retrospective has been booked after the proposed date",
            "incident.alliance.invited": "My team was invited into an alliance",
            "incident.alliance.signed": "A team co-signed an alliance's ask to my service team",
            "incident.alliance.answered": "The service team answered an alliance of my team",
        })
        register_attachments("incident.retrospective.invitation", invitation_parts)
        register_feed_source(feed_vevents)
        register_link("nav", "Incidents", "incidents:list", order=25, active="incidents:")
        register_link("team", "Incidents", "incidents:list", query="?team={obj.slug}", order=25)
