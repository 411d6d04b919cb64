"""Admin for users and their register numbers."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .forms import RateLimitedAdminAuthenticationForm
from .models import RegisterNumber, User

# The admin login counts toward the same limit as the site login (accounts/backends.py) and says so.
admin.site.login_form = RateLimitedAdminAuthenticationForm


class RegisterNumberInline(admin.TabularInline):
    model = RegisterNumber
    extra = 0


@admin.register(User)
class LearnerAdmin(UserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "profession", "is_staff"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (
            "Persoon",
            {"fields": ("first_name", "surname_prefix", "last_name", "initials", "profession")},
        ),
        (
            "Rechten",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    inlines = [RegisterNumberInline]
