"""Admin for accreditation bodies, LRSs, the xAPI outbox, register accreditations and reports."""

import json

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import (
    AccreditationBody,
    AttendanceReport,
    CourseAccreditation,
    EditionAccreditation,
    LearningRecordStore,
    PeOnlineSubmission,
    PeOnlineSubmissionRow,
    StatementOutbox,
)
from .services import retry_statements


@admin.register(AccreditationBody)
class AccreditationBodyAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "actor_mode", "api_token_prefix"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["courses"]
    readonly_fields = ["api_token_prefix"]
    actions = ["issue_token"]

    @admin.action(description=_("Nieuwe API-sleutel uitgeven (de oude vervalt)"))
    def issue_token(self, request, queryset):
        for body in queryset:
            token = body.issue_api_token()
            # Shown once: only its hash is stored.
            self.message_user(
                request,
                _("Nieuwe API-sleutel voor %(body)s (wordt maar één keer getoond): %(token)s")
                % {"body": body.name, "token": token},
                messages.WARNING,
            )


class LearningRecordStoreForm(forms.ModelForm):
    endpoint = forms.URLField(label=_("endpoint"), assume_scheme="https")
    password = forms.CharField(
        label=_("wachtwoord"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leeg laten om het huidige wachtwoord te houden."),
    )

    class Meta:
        model = LearningRecordStore
        fields = ["name", "endpoint", "username", "password", "enabled", "body"]

    def clean_password(self):
        # The password is never sent back to the browser; an empty field keeps the stored one.
        return self.cleaned_data["password"] or (self.instance.password if self.instance.pk else "")


@admin.register(LearningRecordStore)
class LearningRecordStoreAdmin(admin.ModelAdmin):
    form = LearningRecordStoreForm
    list_display = ["name", "endpoint", "body", "enabled", "from_settings"]
    list_filter = ["enabled", "body"]

    def get_readonly_fields(self, request, obj=None):
        # Stores mirrored from LRS_ENDPOINT(S) are edited in the environment: a sync undoes edits.
        if obj is not None and obj.settings_key:
            return ["name", "endpoint", "username", "enabled", "body"]
        return []

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is not None and obj.settings_key:
            return [f for f in fields if f != "password"]
        return fields

    @admin.display(boolean=True, description=_("uit de omgeving"))
    def from_settings(self, obj):
        return bool(obj.settings_key)


@admin.register(StatementOutbox)
class StatementOutboxAdmin(admin.ModelAdmin):
    list_display = [
        "statement_id",
        "verb",
        "lrs",
        "status",
        "attempts",
        "last_status_code",
        "short_response",
        "next_attempt_at",
        "created_at",
        "delivered_at",
    ]
    list_filter = ["status", "lrs", "verb"]
    search_fields = ["statement_id"]
    list_select_related = ["lrs"]
    date_hierarchy = "created_at"
    actions = ["retry"]
    fields = (
        "statement_id",
        "lrs",
        "verb",
        "status",
        "attempts",
        "next_attempt_at",
        "last_status_code",
        "last_response",
        "created_at",
        "delivered_at",
        "pretty_payload",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("antwoord van de LRS"))
    def short_response(self, obj):
        return obj.last_response[:120]

    @admin.display(description=_("statement"))
    def pretty_payload(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.payload, indent=2, ensure_ascii=False))

    def has_retry_permission(self, request):
        # Rows are read-only in the admin; retrying is the one change staff may make.
        return request.user.has_perm("records.change_statementoutbox")

    @admin.action(description=_("Mislukte statements opnieuw versturen"), permissions=["retry"])
    def retry(self, request, queryset):
        count = retry_statements(queryset.values_list("pk", flat=True))
        self.message_user(
            request,
            ngettext(
                "%(count)d statement staat weer klaar.",
                "%(count)d statements staan weer klaar.",
                count,
            )
            % {"count": count},
        )


@admin.register(CourseAccreditation)
class CourseAccreditationAdmin(admin.ModelAdmin):
    list_display = [
        "course",
        "register",
        "register_name",
        "pe_course_id",
        "pe_edition_id",
        "points",
        "valid_from",
        "valid_until",
        "min_score",
        "first_attempt_only",
    ]
    list_filter = ["register", "first_attempt_only"]
    search_fields = ["course__slug", "pe_course_id", "pe_edition_id", "register_name"]
    raw_id_fields = ["course"]
    list_select_related = ["course__published_version"]


@admin.register(AttendanceReport)
class AttendanceReportAdmin(admin.ModelAdmin):
    """Read-only: a report is a fact about a file that was sent."""

    list_display = ["completion", "accreditation", "reported_at", "file_name", "reported_by"]
    list_filter = ["accreditation__register"]
    list_select_related = [
        "accreditation__course__published_version",
        "completion__enrollment__user",
        "completion__enrollment__course__published_version",
        "reported_by",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(EditionAccreditation)
class EditionAccreditationAdmin(admin.ModelAdmin):
    list_display = ["edition", "register", "pe_course_id", "pe_edition_id", "points"]
    raw_id_fields = ["edition"]


class PeOnlineSubmissionRowInline(admin.TabularInline):
    model = PeOnlineSubmissionRow
    extra = 0
    can_delete = False
    fields = (
        "line",
        "completion",
        "registration",
        "register_number",
        "status",
        "error_text",
        "released_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PeOnlineSubmission)
class PeOnlineSubmissionAdmin(admin.ModelAdmin):
    """Read-only: what was sent to PE-online and what it answered (the rows are the history)."""

    list_display = [
        "pk",
        "accreditation",
        "edition_accreditation",
        "status",
        "created_at",
        "accepted_count",
        "rejected_count",
    ]
    list_filter = ["status", "accreditation__register"]
    list_select_related = ["accreditation__course", "edition_accreditation__edition__session_type"]
    inlines = [PeOnlineSubmissionRowInline]
    readonly_fields = [
        "accreditation",
        "edition_accreditation",
        "status",
        "created_by",
        "attempts",
        "last_attempt_at",
        "answered_at",
        "reply",
        "error",
        "accepted_count",
        "rejected_count",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PeOnlineSubmissionRow)
class PeOnlineSubmissionRowAdmin(admin.ModelAdmin):
    """Every verdict PE-online gave on a completion or presence, searchable per completion."""

    list_display = [
        "submission",
        "line",
        "completion",
        "registration",
        "register_number",
        "status",
        "error_text",
    ]
    list_filter = ["status"]
    list_select_related = [
        "submission",
        "completion__enrollment__user",
        "registration__user",
        "registration__edition__session_type",
    ]
    search_fields = ["register_number", "completion__verification_code"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
