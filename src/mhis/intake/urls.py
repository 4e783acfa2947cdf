from django.urls import path

from . import views

app_name = "intake"
urlpatterns = [
    path("", views.imports, name="imports"),
    path("<int:pk>/", views.job, name="job"),
    path("<int:pk>/rejected.csv", views.rejected_csv, name="rejected"),
    path("<int:pk>/resume/", views.resume, name="resume"),
    path("forms/<str:form_id>.xlsx", views.field_form, name="field-form"),
]
