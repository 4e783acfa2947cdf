from django.contrib import admin

from mhis.events import AnnouncesChanges

from .models import Alert, AlertEvent, ReportCount, SitePopulation, WeeklyReport


class CountInline(admin.TabularInline):
    model = ReportCount
    extra = 0
    can_delete = False
    readonly_fields = ("condition", "sex", "age_group", "count")


@admin.register(WeeklyReport)
class WeeklyReportAdmin(AnnouncesChanges, admin.ModelAdmin):
    """Reports are read here; they change only by a new submission (a correction)."""

    list_display = ("site", "year", "week", "version", "current", "source", "on_time")
    list_filter = ("current", "source", "on_time", "year")
    search_fields = ("site__code", "site__name")
    inlines = [CountInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EventInline(admin.TabularInline):
    model = AlertEvent
    extra = 0
    can_delete = False
    readonly_fields = ("from_state", "to_state", "by", "at", "note")


@admin.register(Alert)
class AlertAdmin(AnnouncesChanges, admin.ModelAdmin):
    """Alerts move through the workflow on their page, which records each step."""

    list_display = ("condition", "site", "year", "week", "observed", "threshold", "state")
    list_filter = ("state", "condition", "method")
    inlines = [EventInline]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SitePopulation)
class SitePopulationAdmin(AnnouncesChanges, admin.ModelAdmin):
    list_display = ("site", "since", "population")
    search_fields = ("site__code", "site__name")
