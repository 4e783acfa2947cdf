from django.urls import path

from . import views

app_name = "crossborder"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("sent/", views.sent, name="sent"),
    path("shares/<int:share_id>/", views.share_detail, name="share"),
    path("share/<str:kind>/<int:object_id>/", views.share_new, name="share_new"),
    path("twinnings/", views.twinnings, name="twinnings"),
]
