from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from mhis.events import AnnouncesChanges

from .models import AccessLog, ApiToken, Scope, User


class ScopeInline(admin.TabularInline):
    model = Scope
    extra = 0
    autocomplete_fields = ("place",)


@admin.register(User)
class UserAdmin(AnnouncesChanges, BaseUserAdmin):
    list_display = ("username", "role", "is_active", "last_login")
    list_filter = ("role", "is_active")
    fieldsets = (*BaseUserAdmin.fieldsets, ("MHIS", {"fields": ("role",)}))
    inlines = (ScopeInline,)


@admin.register(AccessLog)
class AccessLogAdmin(AnnouncesChanges, admin.ModelAdmin):
    list_display = ("at", "user", "person", "view")
    list_filter = ("view",)
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(AnnouncesChanges, admin.ModelAdmin):
    list_display = ("prefix", "user", "name", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "digest", "created_at", "last_used_at")

    def has_add_permission(self, request):
        return False
