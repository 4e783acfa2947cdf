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
    path("practices/", views.practices, name="practices"),
    path("iati/activities.xml", views.iati_export, name="iati-export"),
    path("iati/import/", views.iati_import, name="iati-import"),
]
