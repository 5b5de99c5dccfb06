"""The header's unread count, computed only if a template shows it (one COUNT)."""

from django.conf import settings
from django.utils import timezone
from django.utils.functional import SimpleLazyObject


def unread(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from .inbox import unread_count

    return {"notify_unread": SimpleLazyObject(lambda: unread_count(user, timezone.now())),
            "notify_poll_seconds": settings.LIAISON_NOTIFY_POLL_SECONDS}
