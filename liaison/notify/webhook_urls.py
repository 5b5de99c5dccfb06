from django.urls import path

from . import webhook_views

app_name = "notify_webhooks"
urlpatterns = [
    path("notifications/webhooks/", webhook_views.webhooks, name="list"),
    path("notifications/webhooks/<int:pk>/toggle/", webhook_views.toggle, name="toggle"),
    path("notifications/webhooks/<int:pk>/delete/", webhook_views.delete, name="delete"),
]
