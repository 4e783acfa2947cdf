"""Data entry for the portfolio, open to administrators and programme managers by role."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied

from mhis.access.policy import OUT_OF_SCOPE
from mhis.events import AnnouncesChanges

from . import models
from .services import can_write, in_places


def _ours(request, obj) -> bool:
    """Whether a project or an event (or what is part of one, or for an inline, the record it
    is part of) lies in the user's places, the rule of the workplan and attendance pages: a manager of
    Thailand does not change Honduras's work here either."""
    if obj is None or request.user.is_superuser:
        return True
    # A project's results and their indicators (with the periods' actuals), an event's plans.
    if isinstance(obj, models.ResultIndicator) and obj.result_id:
        obj = obj.result
    if isinstance(obj, models.Result) and obj.project_id:
        obj = obj.project
    if isinstance(obj, models.ActionPlan) and obj.event_id:
        obj = obj.event
    if isinstance(obj, models.Project | models.Event):
        return in_places(request.user, obj)
    return True


class ByRole:
    """Administrators and programme managers may view, add, change and delete, whatever
    Django permissions they hold: the portfolio holds no personal data. Projects and events
    (with their workplans and attendance) they change only in their places."""

    def has_module_permission(self, request):
        return can_write(request.user)

    def has_view_permission(self, request, obj=None):
        return can_write(request.user)

    def has_add_permission(self, request, obj=None):
        return can_write(request.user) and _ours(request, obj)

    def has_change_permission(self, request, obj=None):
        return can_write(request.user) and _ours(request, obj)

    def has_delete_permission(self, request, obj=None):
        return can_write(request.user) and _ours(request, obj)

    def save_model(self, request, obj, form, change):
        # As saved: a project given another country, or an event another project, stays ours.
        if not _ours(request, obj):
            raise PermissionDenied(OUT_OF_SCOPE)
        super().save_model(request, obj, form, change)  # type: ignore[misc]


class Tabular(ByRole, admin.TabularInline):
    extra = 0


class Stacked(ByRole, admin.StackedInline):
    extra = 0
    show_change_link = True


class ParticipationInline(Tabular):
    model = models.Participation


class BudgetInline(Tabular):
    model = models.Budget


class ResultInline(Stacked):
    model = models.Result


class ActivityInline(Tabular):
    model = models.WorkplanActivity


@admin.register(models.Project)
class ProjectAdmin(AnnouncesChanges, ByRole, admin.ModelAdmin):
    list_display = ("code", "title", "type", "status", "coverage", "region", "reporting_org_ref")
    list_filter = ("type", "status", "coverage")
    search_fields = ("code", "title")
    readonly_fields = ("iati_identifier", "published_at")
    inlines = [ParticipationInline, BudgetInline, ResultInline, ActivityInline]


class PeriodInline(Tabular):
    model = models.ResultPeriod


@admin.register(models.ResultIndicator)
class IndicatorAdmin(AnnouncesChanges, ByRole, admin.ModelAdmin):
    list_display = ("title", "result", "mhis_indicator", "place")
    inlines = [PeriodInline]


class IndicatorInline(Stacked):
    model = models.ResultIndicator


@admin.register(models.Result)
class ResultAdmin(AnnouncesChanges, ByRole, admin.ModelAdmin):
    list_display = ("title", "project", "type")
    inlines = [IndicatorInline]


class AttendanceInline(Tabular):
    model = models.Attendance


class ActionPlanInline(Tabular):
    model = models.ActionPlan
    show_change_link = True


@admin.register(models.Event)
class EventAdmin(AnnouncesChanges, ByRole, admin.ModelAdmin):
    list_display = ("title", "kind", "start", "country", "project")
    list_filter = ("kind",)
    inlines = [AttendanceInline, ActionPlanInline]


class ActionItemInline(Tabular):
    model = models.ActionItem


@admin.register(models.ActionPlan)
class ActionPlanAdmin(AnnouncesChanges, ByRole, admin.ModelAdmin):
    inlines = [ActionItemInline]


class MembershipInline(Tabular):
    model = models.Membership


@admin.register(models.Body)
class BodyAdmin(AnnouncesChanges, ByRole, admin.ModelAdmin):
    list_display = ("name", "kind", "country")
    inlines = [MembershipInline]


@admin.register(models.Organisation)
class OrganisationAdmin(AnnouncesChanges, ByRole, admin.ModelAdmin):
    search_fields = ("name", "ref")
    list_display = ("name", "ref", "type", "country")


@admin.register(models.ExchangeRate)
class ExchangeRateAdmin(AnnouncesChanges, ByRole, admin.ModelAdmin):
    list_display = ("currency", "on", "rate")


@admin.register(models.Publication)
class PublicationAdmin(AnnouncesChanges, ByRole, admin.ModelAdmin):
    list_display = ("title", "kind", "date", "reached")


@admin.register(models.Practice)
class PracticeAdmin(AnnouncesChanges, ByRole, admin.ModelAdmin):
    list_display = ("title", "country", "theme", "language")
    search_fields = ("title",)
