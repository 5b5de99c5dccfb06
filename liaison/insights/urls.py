from django.urls import path

from . import incident_views, views

app_name = "insights"
urlpatterns = [
    path("insights/", views.index, name="index"),
    path("insights/teams/<slug:slug>/", views.partners, name="partners"),
    path("insights/pairs/<slug:a>/<slug:b>/", views.pair, name="pair"),
    path("insights/pairs/<slug:a>/<slug:b>/<slug:table>.csv", views.pair, name="pair_csv"),
    path("insights/audit/", views.audit, name="audit"),
    path("insights/audit/log.csv", views.audit_log, name="audit_log"),
    path("insights/patterns/", incident_views.pattern_ranking, name="patterns"),
    path("insights/patterns/teams/<slug:slug>/", incident_views.team_pattern, name="team_pattern"),
    path("insights/patterns/incidents/<int:pk>/", incident_views.incident_pattern, name="incident_pattern"),
    path("insights/dashboard/", incident_views.dashboard, name="dashboard"),
    path("insights/incidents/<int:pk>/business-case/", incident_views.business_case, name="business_case"),
    path("insights/incidents/<int:pk>/business-case.pdf", incident_views.business_case_pdf,
         name="business_case_pdf"),
    path("insights/incidents/<int:pk>/business-case.csv", incident_views.business_case_csv,
         name="business_case_csv"),
]
