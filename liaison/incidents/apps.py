from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    """Incidents after a collision: impacts in numbers, the retrospective, alliances of the affected.

    Stands on org, notify, agenda (conflicts, changes, events) and requests (an action item
    is a request's commitment). insights reads it; it imports neither insights nor web.
    """

    name = "liaison.incidents"
    label = "incidents"
    verbose_name = "Incidents"
