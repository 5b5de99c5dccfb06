from django.apps import AppConfig


class OrgConfig(AppConfig):
    """The ground floor: teams, people, memberships, services and their dependencies."""

    name = "liaison.org"
    label = "org"
    verbose_name = "Directory and service catalogue"

    def ready(self):
        from .cache import connect_receivers

        connect_receivers()
