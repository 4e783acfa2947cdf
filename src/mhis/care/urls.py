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
]
