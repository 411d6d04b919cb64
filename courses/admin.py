"""The Django admin: for administrators. Authors work in the author area (/auteur/).

Content admin follows the same rules as the author area: only a draft version's content can be
changed (published and retired versions are read-only here too), and every save or delete of
content writes a ChangeRecord.
"""

from django import forms
from django.contrib import admin
from polymorphic.admin import PolymorphicInlineSupportMixin, StackedPolymorphicInline

from .authoring.forms import AuthorModelForm
from .models import (
    Block,
    CalloutBlock,
    ChangeRecord,
    Course,
    CourseRole,
    CourseVersion,
    GlossaryTerm,
    ImageBlock,
    LearningTrack,
    Lesson,
    LiveSessionEdition,
    LiveSessionRegistration,
    LiveSessionType,
    MatchingQuestion,
    MediaBlock,
    Module,
    MultipleChoiceQuestion,
    OrderingQuestion,
    Persona,
    PersonaStoryBlock,
    PublishedContentError,
    Question,
    Quiz,
    QuizBlock,
    ReflectionBlock,
    ReviewApproval,
    ReviewComment,
    RichTextBlock,
    ScaleQuestion,
    ScenarioBlock,
    SingleChoiceQuestion,
    TrueFalseQuestion,
    VersionedContent,
)
from .publishing import diff_of_form, record_change, record_persona_change


class RichTextAdmin(admin.ModelAdmin):
    """A model admin whose form (an `AuthorModelForm`) gives its sanitised HTML fields the author
    area's rich-text editor; the change form loads the editor (static/js/rich_text.js)."""

    change_form_template = "admin/rich_text_change_form.html"


class CourseRoleInline(admin.TabularInline):
    model = CourseRole
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ["slug", "__str__", "published_version", "created_at"]
    search_fields = ["slug"]
    readonly_fields = ["published_version"]
    inlines = [CourseRoleInline]


class VersionedContentForm(forms.ModelForm):
    """Shows the guard of published content (`VersionedContent.refuse_if_frozen`) as a form error,
    e.g. on adding a lesson to a module of a published version, instead of failing on save."""

    def _post_clean(self):
        super()._post_clean()
        if isinstance(self.instance, VersionedContent):
            try:
                self.instance.refuse_if_frozen()
            except PublishedContentError as error:
                self.add_error(None, error)


class AuditedContentAdmin(admin.ModelAdmin):
    """Content of one version: editable only while it is a draft; every change is recorded."""

    form = VersionedContentForm

    def version_of(self, obj) -> CourseVersion:
        raise NotImplementedError

    def has_change_permission(self, request, obj=None):
        if obj is not None and not self.version_of(obj).is_editable:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and not self.version_of(obj).is_editable:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        version = self.version_of(obj)
        record_change(
            request.user,
            version.course,
            ChangeRecord.Action.UPDATE if change else ChangeRecord.Action.CREATE,
            version=version,
            obj=obj,
            summary=f"admin: {obj}",
            changes=diff_of_form(form),
        )

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if formset.new_objects or formset.changed_objects or formset.deleted_objects:
            version = self.version_of(form.instance)
            record_change(
                request.user,
                version.course,
                ChangeRecord.Action.UPDATE,
                version=version,
                obj=form.instance,
                summary=f"admin: {form.instance}",
                changes={
                    "new": len(formset.new_objects),
                    "changed": len(formset.changed_objects),
                    "deleted": len(formset.deleted_objects),
                },
            )

    def delete_model(self, request, obj):
        version = self.version_of(obj)
        record_change(
            request.user,
            version.course,
            ChangeRecord.Action.DELETE,
            version=version,
            obj=obj,
            summary=f"admin: {obj}",
        )
        super().delete_model(request, obj)


class ModuleInline(admin.TabularInline):
    model = Module
    extra = 0
    fields = ["position", "key", "title"]


@admin.register(CourseVersion)
class CourseVersionAdmin(AuditedContentAdmin):
    list_display = ["__str__", "course", "number", "status", "published_at"]
    list_filter = ["status"]
    readonly_fields = ["status", "published_at", "published_by", "number"]
    inlines = [ModuleInline]

    def version_of(self, obj):
        return obj


def child_inline(model):
    """A polymorphic inline child for one subclass; its admin form is the model's own."""
    return type(f"{model.__name__}Inline", (StackedPolymorphicInline.Child,), {"model": model})


class BlockInline(StackedPolymorphicInline):
    """Every block kind of a lesson in one list (django-polymorphic's inline)."""

    model = Block
    ordering = ["position"]
    child_inlines = [
        child_inline(m)
        for m in (
            RichTextBlock,
            CalloutBlock,
            ImageBlock,
            MediaBlock,
            PersonaStoryBlock,
            ScenarioBlock,
            ReflectionBlock,
            QuizBlock,
        )
    ]


@admin.register(Lesson)
class LessonAdmin(PolymorphicInlineSupportMixin, AuditedContentAdmin):
    list_display = ["title", "key", "module", "position"]
    list_filter = ["module__version__course"]
    search_fields = ["title", "key"]
    inlines = [BlockInline]

    def version_of(self, obj):
        return obj.module.version


class QuestionInline(StackedPolymorphicInline):
    model = Question
    ordering = ["position"]
    child_inlines = [
        child_inline(m)
        for m in (
            SingleChoiceQuestion,
            TrueFalseQuestion,
            MultipleChoiceQuestion,
            OrderingQuestion,
            MatchingQuestion,
            ScaleQuestion,
        )
    ]


@admin.register(Quiz)
class QuizAdmin(PolymorphicInlineSupportMixin, AuditedContentAdmin):
    list_display = ["title", "kind", "version"]
    list_filter = ["kind"]
    inlines = [QuestionInline]

    def version_of(self, obj):
        return obj.version


@admin.register(ChangeRecord)
class ChangeRecordAdmin(admin.ModelAdmin):
    """The audit log is read-only, also for administrators."""

    list_display = [
        "created_at",
        "user",
        "course",
        "version",
        "action",
        "object_type",
        "object_key",
        "summary",
    ]
    list_filter = ["action", "object_type"]
    search_fields = ["summary", "object_key", "course__slug", "user__email"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReviewComment)
class ReviewCommentAdmin(admin.ModelAdmin):
    list_display = ["created_at", "author", "version", "lesson_key"]
    list_select_related = ["author", "version"]


@admin.register(ReviewApproval)
class ReviewApprovalAdmin(admin.ModelAdmin):
    list_display = ["approved_at", "reviewer", "version"]
    list_select_related = ["reviewer", "version"]


@admin.register(Persona)
class PersonaAdmin(admin.ModelAdmin):
    """Personas are shared: a change counts as a content change of every draft that shows it."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        action = ChangeRecord.Action.UPDATE if change else ChangeRecord.Action.CREATE
        record_persona_change(request.user, obj, action, diff_of_form(form))


class GlossaryTermForm(AuthorModelForm):
    html_fields = ("definition",)

    class Meta:
        model = GlossaryTerm
        fields = ["term", "definition", "courses"]


@admin.register(GlossaryTerm)
class GlossaryTermAdmin(RichTextAdmin):
    form = GlossaryTermForm
    list_display = ["term"]
    search_fields = ["term"]
    filter_horizontal = ["courses"]


class LearningTrackForm(AuthorModelForm):
    html_fields = ("description",)

    class Meta:
        model = LearningTrack
        fields = "__all__"


@admin.register(LearningTrack)
class LearningTrackAdmin(RichTextAdmin):
    form = LearningTrackForm


class LiveSessionEditionInline(admin.StackedInline):
    model = LiveSessionEdition
    extra = 0
    fields = [
        "starts_at",
        "ends_at",
        "location",
        "online_url",
        "trainers",
        "capacity",
        "registration_deadline",
        "cancelled_at",
        "is_demo",
    ]
    filter_horizontal = ["trainers"]


class LiveSessionTypeForm(AuthorModelForm):
    html_fields = ("description",)

    class Meta:
        model = LiveSessionType
        fields = "__all__"


@admin.register(LiveSessionType)
class LiveSessionTypeAdmin(RichTextAdmin):
    form = LiveSessionTypeForm
    list_display = ["title", "slug", "study_load_hours"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [LiveSessionEditionInline]


@admin.register(LiveSessionRegistration)
class LiveSessionRegistrationAdmin(admin.ModelAdmin):
    list_display = ["edition", "user", "status", "attended_at"]
    list_filter = ["status"]
    raw_id_fields = ["user", "edition"]
