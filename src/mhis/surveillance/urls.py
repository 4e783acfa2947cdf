from django.urls import path

from . import views

app_name = "surveillance"

urlpatterns = [
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/overdue/", views.overdue, name="overdue"),
    path("alerts/<int:alert_id>/", views.alert, name="alert"),
    path("report/", views.report, name="report"),
    path("reports/export/", views.export_reports, name="export_reports"),
]
