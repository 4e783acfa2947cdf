"""Outreach records in the admin pages, for administrators: the everyday way in is the field
forms and imports."""

from django.contrib import admin

from mhis.events import AnnouncesChanges

from . import models


@admin.register(models.Worker)
class WorkerAdmin(AnnouncesChanges, admin.ModelAdmin):
    list_display = ("code", "name", "kind", "site", "active")
    list_filter = ("kind", "active")
    search_fields = ("code", "name")


@admin.register(models.HealthCorner)
class CornerAdmin(AnnouncesChanges, admin.ModelAdmin):
    list_display = ("code", "name", "kind", "site", "opened_on", "closed_on")
    list_filter = ("kind",)
    search_fields = ("code", "name")


@admin.register(models.Session)
class SessionAdmin(AnnouncesChanges, admin.ModelAdmin):
    list_display = ("date", "site", "topic", "language", "females", "males", "others")
    list_filter = ("topic",)
    date_hierarchy = "date"


@admin.register(models.Training)
class TrainingAdmin(AnnouncesChanges, admin.ModelAdmin):
    list_display = ("worker", "course", "date", "hours")
    search_fields = ("course", "worker__code")
