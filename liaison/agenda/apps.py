from django.apps import AppConfig


class AgendaConfig(AppConfig):
    """Planned changes, customer events, freeze and maintenance windows, conflicts, notice, feeds.

    Stands on `org` (and, through one function, on `notify`). `org` must not import the
    agenda, so the agenda listens to ServiceDependency signals itself (see signals.py),
    and registers its periodic full conflict scan with liaison.core.sweeps (sweeps.py).
    """

    name = "liaison.agenda"
    label = "agenda"
    verbose_name = "Agenda"

    def ready(self):
        from liaison.core.links import register
        from liaison.notify import kinds

        from . import signals, sweeps  # noqa: F401

        register("nav", "Agenda", "agenda:overview", order=20, active="agenda:")
        register("team", "Calendar", "agenda:calendar", arg="slug", order=20)
        register("team", "Notice history", "agenda:notice_history", arg="slug", order=21)
        register("service", "Maintenance windows", "agenda:maintenance", arg="slug", order=20)

        kinds.register("Agenda", {
            "agenda.conflict": "A change collides with my team's event, or my team's change with theirs",
            "agenda.conflict.settled": ("A conflict of my team is rescheduled, mitigated, accepted as a risk "
                                        "or withdrawn"),
            "agenda.delay_asked": "A customer team asks to move my team's change",
        })
