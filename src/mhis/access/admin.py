from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest

from mhis.events import AnnouncesChanges

from .models import AccessLog, ApiToken, Scope, User

if TYPE_CHECKING:
    # The admin classes are generic in django-stubs only; at run time they take no arguments.
    _ScopeInlineBase = admin.TabularInline[Scope, User]
    _UserAdminBase = BaseUserAdmin[User]
    _AccessLogAdminBase = admin.ModelAdmin[AccessLog]
    _ApiTokenAdminBase = admin.ModelAdmin[ApiToken]
else:
    _ScopeInlineBase = admin.TabularInline
    _UserAdminBase = BaseUserAdmin
    _AccessLogAdminBase = _ApiTokenAdminBase = admin.ModelAdmin


class ScopeInline(_ScopeInlineBase):
    model = Scope
    extra = 0
    autocomplete_fields = ("place",)


@admin.register(User)
class UserAdmin(AnnouncesChanges, _UserAdminBase):
    list_display = ("username", "role", "is_active", "last_login")
    list_filter = ("role", "is_active")
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        ("MHIS", {"fields": ("role", "phone", "language")}),
    )
    inlines = (ScopeInline,)


@admin.register(AccessLog)
class AccessLogAdmin(AnnouncesChanges, _AccessLogAdminBase):
    list_display = ("at", "user", "person", "view")
    list_filter = ("view",)
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AccessLog | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AccessLog | None = None) -> bool:
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(AnnouncesChanges, _ApiTokenAdminBase):
    list_display = ("prefix", "user", "name", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "digest", "created_at", "last_used_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
