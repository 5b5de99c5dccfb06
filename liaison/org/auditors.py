"""Joining and leaving the Auditors group: asked by one org admin, decided by another, logged.

Auditors read sensitive attributes (gender, seniority band) in aggregate through the
fairness audit. Nobody may make themself or anyone else an auditor alone: one org admin
asks (with a reason), a *different* org admin approves or refuses, and every step is
written to the append-only AuditLogEntry. The admin site's person form does not offer the
Auditors group at all (liaison/org/admin.py), so this is the only way in or out.
"""

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from .models import AUDITORS_GROUP, AuditLogEntry, AuditorChange


def _require_admin(person):
    if person is None or not person.is_authenticated or not person.is_org_admin:
        raise PermissionDenied("Only org admins may change who audits.")


def _log(*, at, actor, action, subject, detail=""):
    return AuditLogEntry.objects.create(at=at, actor=actor, action=action, subject=subject, detail=detail)


def _is_auditor(person):
    return person.groups.filter(name=AUDITORS_GROUP).exists()


def check_ask(person, *, action, reason):
    """The request's own rules (the admin form shows them under the fields)."""
    if action not in AuditorChange.Action.values:
        raise ValidationError({"action": "Join or leave."})
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why: the second org admin and the audit log read it."})
    if (action == AuditorChange.Action.JOIN) == _is_auditor(person):
        raise ValidationError({"action": f"{person} {'already is' if action == 'join' else 'is not'} an auditor."})
    if AuditorChange.objects.filter(person=person, status=AuditorChange.Status.PENDING).exists():
        raise ValidationError({"person": f"A change for {person} is already waiting for approval."})


def ask(person, *, action, reason, by, now):
    """Ask for `person` to join or leave the Auditors; nothing changes until a second admin approves."""
    _require_admin(by)
    check_ask(person, action=action, reason=reason)
    with transaction.atomic():
        change = AuditorChange.objects.create(person=person, action=action, reason=reason.strip(), requested_by=by,
                                              requested_at=now)
        _log(at=now, actor=by, action=f"auditors.{action}.asked", subject=person, detail=change.reason)
    return change


def decide(change, *, approve, by, now):
    """A second org admin approves (the group changes) or refuses; both are logged."""
    _require_admin(by)
    if by.pk == change.requested_by_id:
        raise PermissionDenied("A second org admin must decide: you asked for this change.")
    if change.status != AuditorChange.Status.PENDING:
        raise ValidationError({"status": "This change was already decided."})
    with transaction.atomic():
        change.status = AuditorChange.Status.APPROVED if approve else AuditorChange.Status.REFUSED
        change.decided_by, change.decided_at = by, now
        change.save(update_fields=["status", "decided_by", "decided_at"])
        if approve:
            group, _ = Group.objects.get_or_create(name=AUDITORS_GROUP)
            if change.action == AuditorChange.Action.JOIN:
                change.person.groups.add(group)
            else:
                change.person.groups.remove(group)
        _log(at=now, actor=by, action=f"auditors.{change.action}.{change.status}", subject=change.person,
             detail=f"asked by {change.requested_by} on {change.requested_at:%Y-%m-%d %H:%M}: {change.reason}")
    return change
