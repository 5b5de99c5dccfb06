from django.apps import AppConfig


class AgendaConfig(AppConfig):
    """Planned changes, customer events, freeze and maintenance windows, conflicts, notice, feeds.

    Stands on `org` (and, through one function, on `notify`). `org` must not import the
    agenda, so the agenda listens to ServiceDependency signals itself (see signals.py),
    and registers its periodic full conflict scan with liaison.core.sweeps (tasks.py).
    """

    name = "liaison.agenda"
    label = "agenda"
    verbose_name = "Agenda"

    def ready(self):
        from . import signals, tasks  # noqa: F401
