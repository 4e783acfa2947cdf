from django.urls import path

from . import views

app_name = "administration"
urlpatterns = [
    path("users/", views.users, name="users"),
    path("users/new/", views.user_new, name="user_new"),
    path("users/<int:pk>/", views.user_edit, name="user"),
    path("users/<int:pk>/password/", views.user_password, name="user_password"),
    path("users/<int:pk>/second-factor/", views.user_second_factor, name="user_second_factor"),
    path("places/", views.places, name="places"),
    path("places/new/", views.place_new, name="place_new"),
    path("places/<int:pk>/", views.place_edit, name="place"),
]
