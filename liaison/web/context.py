from django.conf import settings

from liaison.core.links import links_for


def site(request):
    context = {"org_name": settings.LIAISON_ORG_NAME, "attachment_max": settings.LIAISON_ATTACHMENT_MAX_BYTES}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        match = getattr(request, "resolver_match", None)
        context["nav_links"] = links_for("nav", user, view_name=match.view_name if match else "")
    return context
