from django.contrib import admin

from .models import Membership, Organization


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "status", "country", "created_at"]
    list_filter = ["status"]
    search_fields = ["name", "slug"]
    inlines = [MembershipInline]
