from django.urls import path

from . import views

app_name = "insights"
urlpatterns = [
    path("insights/", views.index, name="index"),
    path("insights/teams/<slug:slug>/", views.partners, name="partners"),
    path("insights/pairs/<slug:a>/<slug:b>/", views.pair, name="pair"),
    path("insights/pairs/<slug:a>/<slug:b>/<slug:table>.csv", views.pair, name="pair_csv"),
    path("insights/audit/", views.audit, name="audit"),
    path("insights/audit/log.csv", views.audit_log, name="audit_log"),
]
