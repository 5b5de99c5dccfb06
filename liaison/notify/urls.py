from django.urls import path

from . import views

app_name = "notify"
urlpatterns = [
    path("notifications/preferences/", views.preferences, name="preferences"),
]
