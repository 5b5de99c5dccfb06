from django.urls import path

from . import views

app_name = "agenda"
urlpatterns = [
    path("agenda/", views.overview, name="overview"),
    path("agenda/changes/", views.change_list, name="change_list"),
    path("agenda/changes/new/", views.change_create, name="change_create"),
    path("agenda/changes/<int:pk>/", views.change_detail, name="change"),
    path("agenda/changes/<int:pk>/edit/", views.change_edit, name="change_edit"),
    path("agenda/changes/<int:pk>/publish/", views.change_publish, name="change_publish"),
    path("agenda/changes/<int:pk>/reschedule/", views.change_reschedule, name="change_reschedule"),
    path("agenda/changes/<int:pk>/pick/", views.change_pick, name="change_pick"),
    path("agenda/changes/<int:pk>/cancel/", views.change_cancel, name="change_cancel"),
    path("agenda/changes/<int:pk>/done/", views.change_done, name="change_done"),
    path("agenda/events/", views.event_list, name="event_list"),
    path("agenda/events/new/", views.event_create, name="event_create"),
    path("agenda/events/<int:pk>/", views.event_detail, name="event"),
    path("agenda/events/<int:pk>/edit/", views.event_edit, name="event_edit"),
    path("agenda/events/<int:pk>/cancel/", views.event_cancel, name="event_cancel"),
    path("agenda/conflicts/", views.conflict_list, name="conflict_list"),
    path("agenda/conflicts/<int:pk>/", views.conflict_detail, name="conflict"),
    path("agenda/conflicts/<int:pk>/<slug:action>/", views.conflict_action, name="conflict_action"),
    path("agenda/freezes/", views.freeze_list, name="freeze_list"),
    path("agenda/freezes/<int:pk>/delete/", views.freeze_delete, name="freeze_delete"),
    path("agenda/maintenance/<slug:slug>/", views.maintenance, name="maintenance"),
    path("agenda/teams/<slug:slug>/calendar/", views.team_calendar, name="calendar"),
    path("agenda/notice/", views.notice_ranking, name="notice_ranking"),
    path("agenda/notice/<slug:slug>/", views.notice_history, name="notice_history"),
    path("agenda/feeds/", views.feeds, name="feeds"),
    path("agenda/feeds/<int:pk>/rotate/", views.feed_rotate, name="feed_rotate"),
    path("agenda/feed/<str:key>.ics", views.feed, name="feed"),
]
