from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The enterprise simulator: realistic, deterministic data at any scale."""

    name = "liaison.demo"
    label = "demo"
