from django.urls import path

from . import views

app_name = "notify"
urlpatterns = [
    path("notifications/", views.inbox_page, name="inbox"),
    path("notifications/unread/", views.unread_badge, name="unread"),
    path("notifications/read-all/", views.mark_all, name="mark_all"),
    path("notifications/<int:pk>/", views.open_notification, name="open"),
    path("notifications/<int:pk>/read/", views.mark, name="mark"),
    path("notifications/preferences/", views.preferences, name="preferences"),
]
