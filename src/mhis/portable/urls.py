from django.urls import path

from . import views

app_name = "portable"
urlpatterns = [
    path("record/import/", views.import_summary, name="import"),
    path("record/<uuid:person_id>/summary.json", views.summary_json, name="summary-json"),
    path("record/<uuid:person_id>/summary.pdf", views.summary_pdf, name="summary-pdf"),
    path("record/<uuid:person_id>/links/", views.links, name="links"),
    path("record/links/<int:pk>/revoke/", views.revoke, name="revoke"),
    path("shl/m/<str:manifest_id>", views.manifest, name="manifest"),
    path("shl/f/<str:token>", views.file, name="file"),
    path("shl/view/", views.viewer, name="viewer"),
]
