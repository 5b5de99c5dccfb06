from django.urls import path

from . import views

app_name = "incidents"
urlpatterns = [
    path("incidents/", views.incident_list, name="list"),
    path("incidents/new/", views.incident_new, name="new"),
    path("incidents/<int:pk>/", views.incident_detail, name="detail"),
    path("incidents/<int:pk>/invite/", views.incident_invite, name="invite"),
    path("incidents/<int:pk>/join/", views.incident_join, name="join"),
    path("incidents/<int:pk>/retrospective/calendar/", views.retro_ics, name="retro_ics"),
    path("incidents/<int:pk>/retrospective/<slug:action>/", views.retro_action, name="retro_action"),
    path("incidents/<int:pk>/<slug:action>/", views.incident_action, name="action"),
    path("incidents/alliances/new/", views.alliance_new, name="alliance_new"),
    path("incidents/alliances/<int:pk>/", views.alliance_detail, name="alliance"),
    path("incidents/alliances/<int:pk>/<slug:action>/", views.alliance_action, name="alliance_action"),
]
