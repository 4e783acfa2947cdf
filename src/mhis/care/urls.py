from django.urls import path

from . import views

app_name = "care"
urlpatterns = [
    path("people/<uuid:person_id>/timeline/", views.timeline, name="timeline"),
    path("people/<uuid:person_id>/<str:kind>/new/", views.add_record, name="add_record"),
    path("<str:kind>/<int:record_id>/edit/", views.edit_record, name="edit_record"),
    path("referrals/<int:referral_id>/steps/", views.referral_step, name="referral_step"),
    path("referrals/overdue/", views.overdue, name="overdue"),
    path("assessments/<int:assessment_id>/", views.edit_assessment, name="edit_assessment"),
    path("icd10/", views.icd10_search, name="icd10_search"),
    path("assessments/pending/", views.pending, name="pending"),
]
