from django.urls import path

from . import views

app_name = "mail"
urlpatterns = [
    path("mail/triage/", views.triage, name="triage"),
    path("mail/triage/<int:pk>/", views.triage_item, name="triage_item"),
    path("mail/triage/<int:pk>/dismiss/", views.dismiss, name="dismiss"),
    path("mail/triage/<int:pk>/reprocess/", views.reprocess, name="reprocess"),
    path("mail/quarantine/", views.quarantine, name="quarantine"),
    path("mail/quarantine/<int:pk>/retry/", views.retry, name="retry"),
]
