from django.urls import path

from . import views

app_name = "registry"
urlpatterns = [
    path("", views.search, name="search"),
    path("new/", views.register, name="register"),
    path("<uuid:person_id>/", views.detail, name="detail"),
    path("<uuid:person_id>/edit/", views.edit, name="edit"),
    path("<uuid:person_id>/consents/", views.consents, name="consents"),
    path(
        "<uuid:person_id>/consents/<int:consent_id>/withdraw/",
        views.withdraw_consent,
        name="withdraw-consent",
    ),
]
