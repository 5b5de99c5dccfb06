from django.urls import path

from . import views

urlpatterns = [
    path("teams/", views.team_list, name="team_list"),
    path("teams/<slug:slug>/", views.team_detail, name="team"),
    path("people/<int:pk>/", views.person_detail, name="person"),
    path("services/", views.service_list, name="service_list"),
    path("services/<slug:slug>/", views.service_detail, name="service"),
    path("directory/import/", views.import_org, name="import_org"),
    path("tokens/", views.tokens, name="tokens"),
]
