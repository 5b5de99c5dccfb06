from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Infrastructure every domain may use: the sweep registry, the worker, business days.

    It sits below `org` and imports no domain, so the floors of ARCHITECTURE.md hold.
    """

    name = "liaison.core"
    label = "core"
