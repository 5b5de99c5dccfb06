from django.apps import AppConfig


class WebConfig(AppConfig):
    """Layout, shared templates and static files, the home page, search and health."""

    name = "liaison.web"
    label = "web"
