from django.urls import path

from . import attachment_views, views

app_name = "requests"
urlpatterns = [
    path("requests/", views.mine, name="mine"),
    path("requests/new/", views.new_request, name="new"),
    path("requests/coach/", views.coach_view, name="coach"),
    path("requests/inbox/", views.inbox_home, name="inbox_home"),
    path("requests/inbox/<slug:slug>/", views.inbox, name="inbox"),
    # A plain path: Request.get_absolute_url() and the notifications link here without reverse().
    path("requests/<int:pk>/", views.detail, name="detail"),
    path("requests/<int:pk>/attachments/", attachment_views.upload, name="attach"),
    path("requests/<int:pk>/attachments/<int:attachment_id>/", attachment_views.download, name="attachment"),
    path("requests/<int:pk>/blockers/<int:blocker_id>/clear/", views.clear_blocker, name="clear_blocker"),
    path("requests/<int:pk>/<slug:action>/", views.act, name="act"),
]
