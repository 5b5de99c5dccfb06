from django.apps import AppConfig


class PlaybookConfig(AppConfig):
    """The advisor: situation -> constructive next steps. First rules: the request coach.

    It reads the other domains and nobody but the web pages and the API imports it.
    """

    name = "liaison.playbook"
    label = "playbook"
