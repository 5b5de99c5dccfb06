from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("home/requests/<int:pk>/<slug:action>/", views.home_act, name="home_act"),
    path("search/", views.search, name="search"),
    path("healthz", views.healthz, name="healthz"),
]
