import os
import subprocess
import sys

import pytest


def liaison(*args, env=None):
    # The browser fixtures allow Django's async-unsafe calls in the test process; a deployed
    # command never runs with that, and `check --deploy` rightly refuses it.
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return subprocess.run([sys.executable, "-m", "liaison.cli", *args], capture_output=True, text=True,
                          env={**inherited, **(env or {})}, timeout=120)


def test_cli_passes_django_commands_through():
    result = liaison("help")
    assert result.returncode == 0
    for command in ("serve", "worker", "migrate", "shell"):
        assert command in result.stdout


@pytest.mark.parametrize("env", [{}, {"DATABASE_URL": "postgres://u@db.example:5432/liaison"}])
def test_production_settings_pass_check_deploy(env, tmp_path):
    result = liaison("check", "--deploy", "--fail-level", "WARNING", env={
        "DJANGO_SETTINGS_MODULE": "liaison.settings",
        "LIAISON_SECRET_KEY": "x" * 20 + "a-long-random-production-secret-key-0123456789",
        "LIAISON_ALLOWED_HOSTS": "liaison.corp.example",
        "LIAISON_DATA_DIR": str(tmp_path),
        "LIAISON_DEBUG": "0",
        "LIAISON_HTTPS": "",  # the test process runs over plain HTTP; production's default is HTTPS
        **env,
    })
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_short_secret_key_is_refused(tmp_path):
    result = liaison("check", env={"DJANGO_SETTINGS_MODULE": "liaison.settings",
                                   "LIAISON_SECRET_KEY": "short", "LIAISON_DATA_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "LIAISON_SECRET_KEY" in result.stderr


def test_a_secret_key_is_generated_once_when_none_is_set(tmp_path):
    env = {"DJANGO_SETTINGS_MODULE": "liaison.settings", "LIAISON_SECRET_KEY": "", "LIAISON_DATA_DIR": str(tmp_path)}
    assert liaison("check", env=env).returncode == 0
    key = (tmp_path / "secret_key").read_text()
    assert len(key) >= 50 and oct((tmp_path / "secret_key").stat().st_mode)[-3:] == "600"
    assert liaison("check", env=env).returncode == 0
    assert (tmp_path / "secret_key").read_text() == key
