from django.contrib import admin

from mhis.events import AnnouncesChanges

from .models import Share, Twinning


@admin.register(Twinning)
class TwinningAdmin(AnnouncesChanges, admin.ModelAdmin):
    """Twinnings are added with `mhis crossborder twin` or on the twinned places page (which
    check the pair); here they are read, and ended or resumed with `active`."""

    list_display = ("place_a", "place_b", "agreement", "active", "created_by", "created_at")
    list_filter = ("active",)
    search_fields = ("place_a__name", "place_b__name", "agreement")
    readonly_fields = ("place_a", "place_b", "created_by", "created_at")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Share)
class ShareAdmin(AnnouncesChanges, admin.ModelAdmin):
    """What was sent is never changed: read only."""

    list_display = ("kind", "origin", "to_place", "shared_by", "shared_at", "acknowledged_at")
    list_filter = ("kind",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
