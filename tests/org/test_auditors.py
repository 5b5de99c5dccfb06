"""Sensitive attributes never reach a person view; joining the Auditors takes two org admins and is logged."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from liaison.org import auditors
from liaison.org.models import AUDITORS_GROUP, AuditLogEntry, AuditorChange, SensitiveAttributes
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admins(db):
    Group.objects.get_or_create(name=AUDITORS_GROUP)
    return (PersonFactory(name="Adam Admin", email="adam@corp.example", is_staff=True, is_superuser=True),
            PersonFactory(name="Beth Admin", email="beth@corp.example", is_staff=True, is_superuser=True))


def test_the_admin_site_has_no_page_of_sensitive_attributes_even_for_an_auditor_superuser(client, admins):
    adam, _ = admins
    adam.groups.add(Group.objects.get(name=AUDITORS_GROUP))
    SensitiveAttributes.objects.create(person=adam, gender="man", seniority_band="senior")
    client.force_login(adam)
    assert client.get("/admin/org/sensitiveattributes/").status_code == 404
    assert "Sensitive" not in client.get("/admin/").content.decode()
    page = client.get(f"/admin/org/person/{adam.pk}/change/").content.decode()
    assert "seniority" not in page.lower() and "gender" not in page.lower()


def test_a_superuser_cannot_add_themself_to_the_auditors_in_the_person_form(client, admins):
    adam, _ = admins
    client.force_login(adam)
    auditors_group = Group.objects.get(name=AUDITORS_GROUP)
    page = client.get(f"/admin/org/person/{adam.pk}/change/").content.decode()
    assert f'value="{auditors_group.pk}"' not in page
    response = client.post(f"/admin/org/person/{adam.pk}/change/", {
        "email": adam.email, "name": adam.name, "time_zone": "UTC", "is_active": "on", "is_staff": "on",
        "is_superuser": "on", "groups": [auditors_group.pk]})
    assert response.status_code == 200  # the form refuses the choice
    assert not adam.groups.filter(name=AUDITORS_GROUP).exists()


def test_joining_needs_a_second_admin_and_every_step_is_logged(admins):
    adam, beth = admins
    now = timezone.now()
    change = auditors.ask(adam, action="join", reason="Quarterly fairness review", by=adam, now=now)
    assert not adam.groups.filter(name=AUDITORS_GROUP).exists()
    with pytest.raises(PermissionDenied):
        auditors.decide(change, approve=True, by=adam, now=now)
    auditors.decide(change, approve=True, by=beth, now=now)
    assert adam.groups.filter(name=AUDITORS_GROUP).exists()
    assert list(AuditLogEntry.objects.order_by("pk").values_list("action", "actor__email", "subject__email")) == [
        ("auditors.join.asked", adam.email, adam.email), ("auditors.join.approved", beth.email, adam.email)]
    leaving = auditors.ask(adam, action="leave", reason="Review done", by=beth, now=now)
    auditors.decide(leaving, approve=False, by=adam, now=now)
    assert adam.groups.filter(name=AUDITORS_GROUP).exists()
    assert AuditLogEntry.objects.filter(action="auditors.leave.refused").count() == 1


def test_rules_of_a_request(admins):
    adam, beth = admins
    member = PersonFactory()
    now = timezone.now()
    with pytest.raises(PermissionDenied):
        auditors.ask(member, action="join", reason="me", by=member, now=now)
    with pytest.raises(ValidationError):
        auditors.ask(member, action="join", reason=" ", by=adam, now=now)
    with pytest.raises(ValidationError):
        auditors.ask(member, action="leave", reason="x", by=adam, now=now)
    auditors.ask(member, action="join", reason="x", by=adam, now=now)
    with pytest.raises(ValidationError):
        auditors.ask(member, action="join", reason="again", by=beth, now=now)


def test_the_audit_log_is_append_only(admins):
    adam, _ = admins
    entry = AuditLogEntry.objects.create(at=timezone.now(), actor=adam, action="x", subject=adam)
    entry.detail = "changed"
    with pytest.raises(ValidationError):
        entry.save()
    with pytest.raises(ValidationError):
        entry.delete()


def test_the_admin_asks_and_a_second_admin_approves(client, admins):
    adam, beth = admins
    member = PersonFactory(email="mo@corp.example")
    client.force_login(adam)
    response = client.post("/admin/org/auditorchange/add/", {"person": member.pk, "action": "join",
                                                             "reason": "New audit lead"})
    assert response.status_code == 302, response.content.decode()[:2000]
    change = AuditorChange.objects.get()
    client.post("/admin/org/auditorchange/", {"action": "approve", "_selected_action": [change.pk]})
    assert not member.groups.filter(name=AUDITORS_GROUP).exists()  # adam asked, adam may not approve
    client.force_login(beth)
    client.post("/admin/org/auditorchange/", {"action": "approve", "_selected_action": [change.pk]})
    assert member.groups.filter(name=AUDITORS_GROUP).exists()
