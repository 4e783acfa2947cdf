from django.urls import path

from . import views

app_name = "indicators"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("dhis2/", views.dhis2_page, name="dhis2"),
    path("<str:code>/", views.indicator_page, name="indicator"),
]
