from django.urls import path

from . import views

app_name = "response"

urlpatterns = [
    path("outbreaks/<int:outbreak_id>/risk/", views.outbreak_risk, name="outbreak_risk"),
    path("alerts/<int:alert_id>/risk/", views.alert_risk, name="alert_risk"),
    path("signals/<int:signal_id>/risk/", views.signal_risk, name="signal_risk"),
    path("outbreaks/<int:outbreak_id>/actions/", views.new_action, name="new_action"),
    path("outbreaks/<int:outbreak_id>/717/", views.timeliness, name="timeliness"),
    path("response/actions/<int:action_id>/", views.action, name="action"),
    path("response/actions/overdue/", views.overdue, name="overdue"),
    path("response/717/", views.performance, name="performance"),
]
