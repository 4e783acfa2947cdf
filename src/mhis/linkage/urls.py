from django.urls import path

from . import views

app_name = "linkage"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("runs/", views.start, name="start"),
    path("pairs/<int:pair_id>/", views.pair, name="pair"),
    path("merges/<int:merge_id>/undo/", views.unmerge, name="unmerge"),
]
