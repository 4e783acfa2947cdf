from django.urls import path

from . import views

app_name = "programmes"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("projects/<str:code>/", views.project, name="project"),
    path(
        "projects/<str:code>/periods/<int:period_id>/actual/",
        views.record_actual,
        name="record-actual",
    ),
    path("projects/<str:code>/workplan/", views.workplan, name="workplan"),
    path("projects/<str:code>/workplan/new/", views.activity_form, name="activity-new"),
    path(
        "projects/<str:code>/workplan/<int:activity_id>/",
        views.activity_form,
        name="activity-edit",
    ),
    path("events/", views.events, name="events"),
    path("events/<int:event_id>/attendance/", views.attendance, name="attendance"),
    path("events/<int:event_id>/attendance/new/", views.attendance_form, name="attendance-new"),
    path(
        "events/<int:event_id>/attendance/<int:row_id>/",
        views.attendance_form,
        name="attendance-edit",
    ),
    path("practices/", views.practices, name="practices"),
    path("iati/activities.xml", views.iati_export, name="iati-export"),
    path("iati/import/", views.iati_import, name="iati-import"),
]
