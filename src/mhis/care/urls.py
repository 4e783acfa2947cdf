from django.urls import path

from . import views

app_name = "care"
urlpatterns = [
    path("people/<uuid:person_id>/timeline/", views.timeline, name="timeline"),
    path("people/<uuid:person_id>/encounters/new/", views.add_encounter, name="add_encounter"),
    path("people/<uuid:person_id>/referrals/new/", views.add_referral, name="add_referral"),
    path("encounters/<int:encounter_id>/edit/", views.edit_encounter, name="edit_encounter"),
    path("referrals/<int:referral_id>/steps/", views.referral_step, name="referral_step"),
    path("referrals/overdue/", views.overdue, name="overdue"),
    path("people/<uuid:person_id>/assessments/new/", views.add_assessment, name="add_assessment"),
    path("assessments/<int:assessment_id>/", views.edit_assessment, name="edit_assessment"),
    path("assessments/pending/", views.pending, name="pending"),
]
