from django.urls import path

from . import views

app_name = "playbook"
urlpatterns = [
    path("playbook/invite/", views.invite, name="invite"),
    path("playbook/invitations/<uuid:uid>/calendar/", views.invitation_ics, name="invitation_ics"),
    path("playbook/business-case/", views.draft_business_case, name="business_case"),
    path("playbook/rules/", views.rules, name="rules"),
    path("playbook/rules/new/", views.rule_edit, name="rule_new"),
    path("playbook/rules/<int:pk>/", views.rule_edit, name="rule_edit"),
    path("playbook/rules/<int:pk>/delete/", views.rule_delete, name="rule_delete"),
    path("playbook/preview/", views.preview, name="preview"),
]
