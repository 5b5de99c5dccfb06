from django.apps import AppConfig


class NetworkConfig(AppConfig):
    """Ties between people of different teams: interactions, tie strength, nudges, bridges,
    warm paths, homework plans, cross-team meeting series and attendance.

    Stands on `org` (and `notify` for nudges); other domains feed it through
    `services.record_interaction_from` and `dependencies.register_dependency_source`,
    never the other way round.
    """

    name = "liaison.network"
    label = "network"
    verbose_name = "Network"

    def ready(self):
        from . import sweeps  # noqa: F401  (registers the weekly nudge sweep)
