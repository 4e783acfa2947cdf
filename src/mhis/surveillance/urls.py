from django.urls import path

from . import outbreak_views, views

app_name = "surveillance"

urlpatterns = [
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/overdue/", views.overdue, name="overdue"),
    path("alerts/<int:alert_id>/", views.alert, name="alert"),
    path("report/", views.report, name="report"),
    path("reports/export/", views.export_reports, name="export_reports"),
    path("completeness/", views.completeness_page, name="completeness"),
    path("signals/", outbreak_views.signals, name="signals"),
    path("signals/new/", outbreak_views.report_signal, name="report_signal"),
    path("signals/<int:signal_id>/", outbreak_views.signal, name="signal"),
    path("outbreaks/", outbreak_views.outbreak_list, name="outbreaks"),
    path("outbreaks/<int:outbreak_id>/", outbreak_views.outbreak, name="outbreak"),
    path(
        "alerts/<int:alert_id>/outbreak/",
        outbreak_views.outbreak_from_alert,
        name="outbreak_from_alert",
    ),
]
