import pytest

from liaison.playbook.defaults import load_defaults
from liaison.playbook.models import Rule


@pytest.fixture(autouse=True)
def playbook_rules(db):
    """The shipped rules (migration 0002); a transactional test before may have flushed them."""
    load_defaults(Rule)


# The casts of the requests and agenda tests, as fixtures here too.
from tests.agenda.conftest import story, upgrade  # noqa: E402, F401
from tests.web.personas import world  # noqa: E402, F401
