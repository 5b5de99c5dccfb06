"""`{% what_you_can_do obj %}`: the playbook's ranked moves on a domain's page.

The domains' templates name the tag; their Python never imports the playbook. The tag
takes a request, an agenda conflict, an incident or a nudge, advises the signed-in viewer and records
what it showed.
"""

from django import template
from django.utils import timezone

from ..advisor import advise
from ..situations import conflict_subjects, incident_subjects, nudge_subjects, request_subjects

register = template.Library()


def subjects_for(obj, now):
    from liaison.agenda.models import Conflict
    from liaison.network.models import Nudge
    from liaison.requests.models import Request

    if isinstance(obj, Request):
        return request_subjects([obj], now)
    if isinstance(obj, Conflict):
        return conflict_subjects([obj], now)
    if isinstance(obj, Nudge):
        return nudge_subjects([obj], now)
    from liaison.incidents.models import Incident

    if isinstance(obj, Incident):
        return incident_subjects([obj], now)
    return []


@register.inclusion_tag("playbook/_what_you_can_do.html", takes_context=True)
def what_you_can_do(context, obj, heading_level=3):
    request = context.get("request")
    user = getattr(request, "user", None)
    if obj is None or user is None or not user.is_authenticated:
        return {"advice": []}
    now = timezone.now()
    subjects = subjects_for(obj, now)
    advice = advise(subjects, user, now).get(subjects[0].link, []) if subjects else []
    return {"advice": advice, "h": heading_level, "csrf_token": context.get("csrf_token"), "request": request}
