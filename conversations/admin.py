from django.contrib import admin

from .models import Statement, StatementSet


class StatementInline(admin.TabularInline):
    model = Statement
    extra = 0
    fields = ["position", "key", "kind", "theme", "journey_stage", "text"]


@admin.register(StatementSet)
class StatementSetAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "updated_at"]
    inlines = [StatementInline]
