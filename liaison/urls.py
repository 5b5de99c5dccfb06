from django.contrib import admin
from django.urls import include, path

from liaison.api import api

admin.site.site_header = "Liaison administration"
admin.site.site_title = "Liaison admin"

urlpatterns = [
    # The API first: its routes are matched on every API call, before the many page patterns.
    path("api/v1/", api.urls),
    path("", include("liaison.web.urls")),
    path("", include("liaison.org.urls")),
    path("", include("liaison.network.urls")),
    path("", include("liaison.agenda.urls")),
    path("", include("liaison.requests.urls")),
    path("", include("liaison.incidents.urls")),
    path("", include("liaison.notify.urls")),
    path("", include("liaison.notify.webhook_urls")),
    path("", include("liaison.mail.urls")),
    path("", include("liaison.insights.urls")),
    path("", include("liaison.playbook.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
]

handler404 = "liaison.web.views.not_found"
