from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("", views.inbox, name="list"),
    path("read/", views.read, name="read"),
    path("count/", views.count, name="count"),
]
