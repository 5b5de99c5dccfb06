from django.urls import path

from . import views

urlpatterns = [
    path("network/", views.my_network, name="network_home"),
    path("network/log/", views.log_interaction, name="network_log"),
    path("network/nudges/", views.nudges, name="network_nudges"),
    path("network/path/", views.warm_path, name="network_path"),
    path("network/people/<int:pk>/", views.person_ties, name="network_person"),
    path("network/teams/<slug:slug>/", views.team_network, name="network_team"),
    path("network/teams/<slug:slug>/homework/", views.team_homework, name="network_team_homework"),
    path("network/homework/", views.homework, name="network_homework"),
    path("network/homework/<int:pk>/step/", views.homework_step, name="network_homework_step"),
    path("network/meetings/", views.series_list, name="network_series_list"),
    path("network/meetings/<int:pk>/", views.series_detail, name="network_series"),
]
