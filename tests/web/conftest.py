from tests.web.personas import world  # noqa: F401 - issue 13's people, for the home tests
