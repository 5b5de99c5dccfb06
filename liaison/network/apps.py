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
        from liaison.core.links import register
        from liaison.notify import kinds

        from . import sweeps  # noqa: F401  (registers the weekly nudge sweep)

        register("nav", "Network", "network_home", order=30, active="network_")
        register("team", "Team network", "network_team", arg="slug", order=30)

        kinds.register("Network", {"network.nudge": "My team has lost touch with a team it depends on"})
