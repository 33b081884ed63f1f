from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import ApiKey, User

# The admin's own log-in form checks only the password; send it through allauth's log-in,
# which asks for the second factor and counts failed attempts like any other log-in.
admin.site.login = secure_admin_login(admin.site.login)

admin.site.register(User, UserAdmin)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "name", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "key_hash", "created_at", "last_used_at"]
