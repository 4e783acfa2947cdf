from django.urls import path

from . import views

app_name = "outreach"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("contacts/new/", views.contact, name="contact"),
]
