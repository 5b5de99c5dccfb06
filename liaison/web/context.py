from django.conf import settings


def site(request):
    return {"org_name": settings.LIAISON_ORG_NAME}
