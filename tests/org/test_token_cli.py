"""`liaison token create|list|revoke`: what an operator and a script see."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connections

from liaison.org import services
from liaison.org.models import ApiToken
from tests.factories import PersonFactory


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_create_prints_only_the_token(member, client):
    out, err = run("create", "ANA@corp.example", "--name", "deploy bot")
    key = out.strip()
    assert out == key + "\n" and key.startswith("lsn_")
    token = ApiToken.objects.get(person=member)
    assert token.name == "deploy bot" and token.key_hash == ApiToken.hash(key)
    assert "shown once" in err and token.prefix in err
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"})
    assert response.json()["email"] == "ana@corp.example"


def test_create_refuses_an_unknown_email(db):
    with pytest.raises(CommandError, match=r"No person with email 'nobody@corp\.example'"):
        run("create", "nobody@corp.example")
    assert not ApiToken.objects.exists()


def test_create_refuses_a_deactivated_person(db):
    PersonFactory(email="gone@corp.example", is_active=False)
    with pytest.raises(CommandError, match="deactivated"):
        run("create", "gone@corp.example")
    assert not ApiToken.objects.exists()


def test_list_shows_tokens_but_never_keys(member, outsider):
    laptop, laptop_key = services.create_token(member, "laptop")
    old, _ = services.create_token(member, "old")
    services.revoke_token(old)
    services.create_token(outsider, "not mine")
    out, _ = run("list", "ana@corp.example")
    lines = out.splitlines()
    assert len(lines) == 3  # header and two tokens
    assert any(laptop.prefix in line and "active" in line and "laptop" in line for line in lines)
    assert any("revoked" in line and "old" in line for line in lines)
    assert laptop_key not in out and "not mine" not in out


def test_list_of_a_person_without_tokens(member):
    out, err = run("list", "ana@corp.example")
    assert out == "" and "no tokens" in err


def test_list_refuses_an_unknown_email(db):
    with pytest.raises(CommandError, match="No person"):
        run("list", "nobody@corp.example")


@pytest.mark.parametrize("how", ["id", "prefix", "key"])
def test_revoke_by_id_prefix_or_key(member, how):
    token, key = services.create_token(member, "laptop")
    keep, _ = services.create_token(member, "keep")
    _, err = run("revoke", {"id": str(token.pk), "prefix": token.prefix, "key": key}[how])
    token.refresh_from_db()
    keep.refresh_from_db()
    assert token.revoked_at is not None and keep.revoked_at is None
    assert "Revoked" in err and "ana@corp.example" in err
    assert services.authenticate_token(key) is None


def test_revoke_twice_says_so(member):
    token, _ = services.create_token(member, "laptop")
    run("revoke", str(token.pk))
    revoked_at = ApiToken.objects.get(pk=token.pk).revoked_at
    _, err = run("revoke", str(token.pk))
    assert "already revoked" in err
    assert ApiToken.objects.get(pk=token.pk).revoked_at == revoked_at


@pytest.mark.parametrize(("text", "message"), [
    ("999999", "No token with id 999999"),
    ("lsn_zzzzzz", "No token with prefix"),
    ("lsn_" + "z" * 40, "No token matches that key"),
    ("ls", "too short"),
])
def test_revoke_refuses_what_names_no_token(member, text, message):
    services.create_token(member, "laptop")
    with pytest.raises(CommandError, match=message):
        run("revoke", text)
    assert ApiToken.objects.filter(revoked_at__isnull=False).count() == 0


def test_revoke_refuses_an_ambiguous_prefix(member, outsider):
    first, _ = services.create_token(member, "a")
    second, _ = services.create_token(outsider, "b")
    ApiToken.objects.filter(pk=second.pk).update(prefix=first.prefix)  # a collision of 6 random characters
    with pytest.raises(CommandError, match="several tokens"):
        run("revoke", first.prefix)
    assert ApiToken.objects.filter(revoked_at__isnull=False).count() == 0


def test_the_liaison_command_runs_it(member, capsys, monkeypatch):
    from liaison.cli import main

    # run_from_argv closes every connection when it ends, which would end the test's transaction.
    monkeypatch.setattr(connections, "close_all", lambda: None)
    main(["liaison", "token", "create", "ana@corp.example"])
    key = capsys.readouterr().out.strip()
    assert services.authenticate_token(key) == member
