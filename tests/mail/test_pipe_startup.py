"""The MTA pipe (`liaison mail ingest`, a fresh process per delivered message) stays lean:
no statistics, numerics or graph library is imported to file one message (issue 15).

Real processes on a real SQLite file: one migrates and creates a sender and a service,
a second runs the `liaison` console script's entry on a message, as Postfix would, and
reports what it imported.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("numpy", "pandas", "scipy", "lifelines", "matplotlib", "networkx", "weasyprint", "ninja")

SETUP = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from tests.factories import MembershipFactory, PersonFactory, ServiceFactory
person = PersonFactory(email="pat@corp.example")
MembershipFactory(person=person)
ServiceFactory(slug="printing")
"""

INGEST = """
import sys
from liaison.cli import main
code = 0
try:
    main(["liaison", "mail", "ingest", "--from", "pat@corp.example"])
except SystemExit as exit:
    code = exit.code
heavy = sorted(name for name in {heavy!r} if name in sys.modules)
print("EXIT", code, "HEAVY", ",".join(heavy) or "-", file=sys.stderr)
"""

MESSAGE = (b"From: Pat <pat@corp.example>\r\nTo: printing@liaison.example\r\n"
           b"Subject: Posters for the all-hands\r\nMessage-ID: <pipe-startup@corp.example>\r\n\r\n"
           b"200 A2 posters, please.\r\nNeed by: 2030-01-10\r\n")


@pytest.fixture
def pipe_env(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
           "DJANGO_SETTINGS_MODULE": "liaison.settings", "LIAISON_DATA_DIR": str(tmp_path),
           "LIAISON_MAIL_DOMAIN": "liaison.example", "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-c", SETUP], cwd=ROOT, env=env, check=True, timeout=300)
    return env


def test_mail_pipe_files_a_request_without_heavy_imports(pipe_env):
    done = subprocess.run([sys.executable, "-c", INGEST.format(heavy=HEAVY)], cwd=ROOT, env=pipe_env,
                          input=MESSAGE, capture_output=True, timeout=120)
    report = done.stderr.decode().strip().splitlines()[-1]
    assert done.stdout.decode().startswith("request #"), (done.stdout, done.stderr)
    assert report == "EXIT 0 HEAVY -", done.stderr.decode()
