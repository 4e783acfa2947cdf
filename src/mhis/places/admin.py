from django.contrib import admin

from mhis.events import AnnouncesChanges

from .models import Place


@admin.register(Place)
class PlaceAdmin(AnnouncesChanges, admin.ModelAdmin):
    list_display = ("name", "code", "kind", "site_type", "country_code", "level")
    list_filter = ("kind", "site_type", "country_code")
    search_fields = ("name", "code")
    readonly_fields = ("path", "level")

    def has_add_permission(self, request):
        # Places are created through places.services.create_place (mhis demo, imports).
        return False
