"""Course content: Course → CourseVersion → Module → Lesson → Block, plus quizzes, personas, tracks.

A Course is an identity (slug, authors). Its content lives in CourseVersions: at most one
draft (what authors edit) and a published version (what learners see). Publishing freezes the
draft; editing after that works on a fresh draft copied from the published version. Modules,
lessons, blocks, quizzes and questions carry a `key` that is stable across versions, so
progress and reports follow a lesson or question from one version to the next.
"""

import hashlib
import itertools
import secrets
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.html import strip_tags
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from polymorphic.models import PolymorphicModel

from courses.fields import SanitisedHTMLField
from lms.lib.typing import StrOrPromise
from lms.lib.video_embeds import Embed, find_embed


def new_key() -> str:
    return uuid.uuid4().hex[:12]


class PublishedContentError(ValidationError):
    """A change to content of a published or retired version: what was approved stays as it was."""


FROZEN_STATUSES = ("published", "retired")


class VersionedContent:
    """Mixin for every row of a version's content: it refuses save() and delete() when the row
    belongs to (or would be added to) a published or retired version.

    One place for every writer (services, authoring views, the admin, the importer): a published
    version is immutable, edits go to a draft (`publishing.create_draft`). `version_path` is the
    lookup from the row to its CourseVersion. Bulk `QuerySet.update()`/`delete()`/`bulk_create()`
    bypass model methods; the code only uses them on drafts (the importer's into the version it
    creates) and in the cascade when a whole course is deleted.
    """

    version_path = ""

    def save(self, *args, **kwargs):
        self.refuse_if_frozen()
        return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self.refuse_if_frozen(stored_only=True)
        return super().delete(*args, **kwargs)

    def refuse_if_frozen(self, stored_only=False) -> None:
        """Raise PublishedContentError when the stored row or its (new) parent belongs to a
        published or retired version.

        Queries: one for a stored row (where it is now), and one for the parent unless the
        chain up to the version is already loaded on the instance (as when a draft is built).
        """
        row: Any = self  # a model instance: this mixin comes before models.Model
        frozen = False
        if row.pk is not None and not row._state.adding:
            frozen = (
                type(row)
                ._base_manager.filter(
                    pk=row.pk, **{f"{self.version_path}__status__in": FROZEN_STATUSES}
                )
                .exists()
            )
        if not frozen and not stored_only:
            frozen = self._parent_is_frozen()
        if frozen:
            raise PublishedContentError(
                _(
                    "Deze inhoud hoort bij een gepubliceerde versie en kan niet meer veranderen; "
                    "bewerk een conceptversie."
                )
            )

    def _parent_is_frozen(self) -> bool:
        row: Any = self
        obj = row
        for name in self.version_path.split("__"):
            field = obj._meta.get_field(name)
            if not field.is_cached(obj):
                break
            obj = getattr(obj, name)
            if obj is None:
                return False
        else:
            return obj.status in FROZEN_STATUSES
        # Not loaded: ask the database, from the nearest row whose id we have.
        parent_field, _sep, rest = self.version_path.partition("__")
        field = row._meta.get_field(parent_field)
        parent_id = getattr(row, field.attname)
        if parent_id is None:
            return False
        lookup = f"{rest}__status__in" if rest else "status__in"
        return field.related_model._base_manager.filter(
            pk=parent_id, **{lookup: FROZEN_STATUSES}
        ).exists()


_definition_order = itertools.count()


class KindRoot:
    """Mixin for a polymorphic base whose subclasses are kinds (`Block`, `Question`).

    `kinds()` finds the concrete subclasses that declare their own `kind`, in the order they are
    defined: the registry callers use instead of a table of kind names.
    """

    kind = ""
    _defined = 0

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._defined = next(_definition_order)

    @classmethod
    def kinds(cls) -> dict[str, Any]:
        """kind → subclass, for every concrete subclass (not proxies) of this base."""
        found, todo = [], list(cls.__subclasses__())
        while todo:
            sub = todo.pop()
            found.append(sub)
            todo.extend(sub.__subclasses__())
        concrete = [
            sub
            for sub in found
            if "kind" in vars(sub) and not sub._meta.abstract and not sub._meta.proxy  # type: ignore[attr-defined]
        ]
        return {sub.kind: sub for sub in sorted(concrete, key=lambda sub: sub._defined)}


class Persona(models.Model):
    """A recurring patient character, reused across courses (e.g. Levi, Jaimy)."""

    slug = models.SlugField(unique=True)
    name = models.CharField(_("naam"), max_length=100)
    age = models.PositiveSmallIntegerField(_("leeftijd"), null=True, blank=True)
    pronouns = models.CharField(_("voornaamwoorden"), max_length=40, blank=True)
    bio = SanitisedHTMLField(_("korte beschrijving"), blank=True)
    portrait = models.ImageField(_("portret"), upload_to="personas/", blank=True)
    portrait_alt = models.CharField(_("alt-tekst portret"), max_length=250, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("persona")
        verbose_name_plural = _("persona's")

    def __str__(self):
        return self.name

    SNAPSHOT_FIELDS = ("slug", "name", "age", "pronouns", "bio", "portrait", "portrait_alt")

    def snapshot(self) -> dict:
        """The persona as a published version keeps it (`CourseVersion.personas`)."""
        data = {name: getattr(self, name) for name in self.SNAPSHOT_FIELDS}
        data["portrait"] = self.portrait.name or ""
        return data

    @classmethod
    def from_snapshot(cls, pk: int, data: dict) -> "Persona":
        """An unsaved Persona as it was when a version was published (for rendering only)."""
        return cls(pk=pk, **{name: data.get(name, "") for name in cls.SNAPSHOT_FIELDS})


def use_approved_personas(blocks, personas: dict) -> None:
    """Point each block's persona at its copy in `personas` (`CourseVersion.personas`); a draft,
    whose mapping is empty, keeps the live persona. No queries."""
    for block in blocks:
        data = personas.get(str(getattr(block, "persona_id", None) or ""))
        if data is not None:
            block.persona = Persona.from_snapshot(block.persona_id, data)


class CourseQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published_version__isnull=False)

    def for_catalog(self):
        """Published courses with their live version, for the catalog (one query)."""
        return self.published().select_related("published_version").order_by("slug")

    def editable_by(self, user):
        if user.is_superuser:
            return self.all()
        return self.filter(roles__user=user, roles__role=CourseRole.Role.AUTHOR).distinct()


class Course(models.Model):
    slug = models.SlugField(unique=True)
    published_version = models.OneToOneField(
        "CourseVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CourseQuerySet.as_manager()

    class Meta:
        verbose_name = _("cursus")
        verbose_name_plural = _("cursussen")

    def __str__(self):
        version = self.published_version or self.versions.order_by("-number").first()
        return version.title if version else self.slug

    def get_absolute_url(self):
        return reverse("courses:course_detail", args=[self.slug])

    @staticmethod
    def may_be_created_by(user) -> bool:
        """Who may start a new course (in the author area or by importing a zip): staff users
        (the ‘auteur’ accounts) and users with the `courses.add_course` permission."""
        return user.is_active and (user.is_staff or user.has_perm("courses.add_course"))

    @property
    def draft_version(self):
        return self.versions.filter(status=CourseVersion.Status.DRAFT).first()


class CourseRole(models.Model):
    """Who may author or review a course."""

    class Role(models.TextChoices):
        AUTHOR = "author", _("auteur")
        REVIEWER = "reviewer", _("reviewer")

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="roles")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="course_roles"
    )
    role = models.CharField(max_length=16, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["course", "user", "role"], name="courses_courserole_unique"
            ),
        ]

    def __str__(self):
        return f"{self.user} – {self.get_role_display()} – {self.course}"


class CourseVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("concept")
        PUBLISHED = "published", _("gepubliceerd")
        RETIRED = "retired", _("vervangen")

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(default=1)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    title = models.CharField(_("titel"), max_length=200)
    summary = models.TextField(_("samenvatting"), blank=True)
    description = SanitisedHTMLField(_("beschrijving"), blank=True)
    language = models.CharField(_("taal"), max_length=5, default="nl")
    study_load_hours = models.DecimalField(
        _("studiebelasting (uren)"),
        max_digits=5,
        decimal_places=2,
        default=1,
        validators=[MinValueValidator(0)],
    )
    accreditation_reference = models.CharField(
        _("accreditatiereferentie"), max_length=100, blank=True
    )
    audience = models.CharField(_("doelgroep"), max_length=200, blank=True)
    learning_objectives = models.JSONField(_("leerdoelen"), default=list, blank=True)
    # When the content is due for its next check against current guidelines (shown to learners).
    next_review = models.DateField(_("volgende herziening"), null=True, blank=True)
    # For the verantwoording page: only what was recorded is shown, nothing is assumed.
    conflict_of_interest = models.TextField(
        _("belangenverklaring"),
        blank=True,
        max_length=2000,
        help_text=_("Verklaring over (het ontbreken van) commerciële en andere belangen."),
    )
    partners = models.JSONField(
        _("co-creatiepartners"),
        default=list,
        blank=True,
        help_text=_("Alleen partners die echt hebben meegewerkt, met hun toestemming."),
    )
    # The personas the version shows, as approved when it was published: {"<pk>": snapshot}.
    # Personas are shared and stay editable; a published lesson shows this copy.
    personas = models.JSONField(_("persona's bij publicatie"), default=dict, blank=True)
    # Likewise the course's glossary terms as approved: {"<pk>": {"term": …, "definition": …}}.
    glossary = models.JSONField(_("begrippen bij publicatie"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["course", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "number"], name="courses_courseversion_unique_number"
            ),
            models.UniqueConstraint(
                fields=["course"],
                condition=Q(status="draft"),
                name="courses_courseversion_one_draft",
            ),
            models.CheckConstraint(
                condition=Q(study_load_hours__gte=0),
                name="courses_courseversion_study_load_positive",
            ),
        ]

    def __str__(self):
        return f"{self.title} (v{self.number})"

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT

    def use_approved_personas(self, blocks) -> None:
        """Point each block's persona at the copy this version was published with. No queries."""
        use_approved_personas(blocks, self.personas)

    def glossary_terms(self) -> list["GlossaryTerm"]:
        """The glossary terms the version's lessons link to, by term: for a published or retired
        version as approved at publication (`glossary`, unsaved rows; no queries), for a draft
        the course's current terms (one query)."""
        if self.status == self.Status.DRAFT:
            terms = list(GlossaryTerm.objects.filter(courses=self.course_id))
        else:
            terms = [GlossaryTerm.from_snapshot(int(pk), t) for pk, t in self.glossary.items()]
        return sorted(terms, key=lambda t: t.term.casefold())

    @property
    def final_test(self):
        return next((q for q in self.quizzes.all() if q.kind == Quiz.Kind.FINAL), None)

    def lessons_in_order(self):
        return (
            Lesson.objects.filter(module__version=self)
            .select_related("module")
            .order_by("module__position", "position")
        )


class Module(VersionedContent, models.Model):
    version_path = "version"

    version = models.ForeignKey(CourseVersion, on_delete=models.CASCADE, related_name="modules")
    key = models.SlugField(max_length=64, default=new_key)
    title = models.CharField(_("titel"), max_length=200)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="courses_module_unique_key"),
            models.UniqueConstraint(
                fields=["version", "position"], name="courses_module_unique_position"
            ),
        ]

    def __str__(self):
        return self.title


class LessonQuerySet(models.QuerySet):
    def for_player(self):
        """Lessons with module, version and course joined, for the lesson player."""
        return self.select_related("module__version__course")


class Lesson(VersionedContent, models.Model):
    version_path = "module__version"

    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="lessons")
    key = models.SlugField(max_length=64, default=new_key)
    title = models.CharField(_("titel"), max_length=200)
    position = models.PositiveIntegerField(default=0)
    required = models.BooleanField(_("verplicht"), default=True)
    estimated_minutes = models.PositiveSmallIntegerField(_("geschatte duur (minuten)"), default=10)
    # The sources the lesson's facts rest on: [{"title", "publisher", "year", "url"}], in order.
    sources = models.JSONField(_("bronnen"), default=list, blank=True)
    reviewed_on = models.DateField(_("laatst beoordeeld"), null=True, blank=True)

    objects = LessonQuerySet.as_manager()

    class Meta:
        ordering = ["module__position", "position"]
        constraints = [
            models.UniqueConstraint(fields=["module", "key"], name="courses_lesson_unique_key"),
            models.UniqueConstraint(
                fields=["module", "position"], name="courses_lesson_unique_position"
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("courses:lesson", args=[self.module.version.course.slug, self.key])

    @property
    def version(self):
        return self.module.version


# Study load (courses.course_files.study_load): minutes besides reading.
MINUTES_PER_REFLECTION = 4.0  # thinking and writing a few sentences
MINUTES_PER_SCENARIO_STEP = 1.5  # weighing the choices of one step and reading the feedback


# --- Blocks -------------------------------------------------------------------------------------


class Block(KindRoot, VersionedContent, PolymorphicModel):
    """One piece of a lesson. Each kind is one subclass with its fields, `kind`, `label`,
    `template_name` and its course-file shape (`course_file_fields()`,
    `create_from_course_file()`); callers ask the block or `Block.kinds()`, never its name.
    """

    version_path = "lesson__module__version"

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="blocks")
    key = models.SlugField(max_length=64, default=new_key)
    position = models.PositiveIntegerField(default=0)

    kind = "block"
    template_name = "courses/blocks/block.html"
    label: StrOrPromise = ""  # in the author's "add a block" menu
    change_label: StrOrPromise = ""  # what the change log calls it ("tekstblok")
    learner_state = False  # True: how it renders depends on the learner (never cached as is)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["lesson", "position"], name="courses_block_unique_position"
            ),
            models.UniqueConstraint(fields=["lesson", "key"], name="courses_block_unique_key"),
        ]

    def __str__(self):
        return f"{self.kind} #{self.position}"

    def editor_summary(self) -> str:
        """A line of plain text that tells the author which block this is."""
        return getattr(self, "title", "")

    def course_file_fields(self, ctx) -> dict:
        """The block's own fields as a course file writes them, after `type` and `key`. `ctx`
        is the exporter's (`courses.course_files.exporter.ExportContext`)."""
        raise NotImplementedError

    @classmethod
    def create_from_course_file(cls, common: dict, data: dict, ctx) -> "Block":
        """Create the block from its planned course-file dict `data` with the `common` fields
        (lesson, key, position). `ctx` is the importer's (`ImportContext`)."""
        raise NotImplementedError

    @classmethod
    def plan_course_file(cls, data: dict, path: tuple, planner) -> dict:
        """The block's own fields of a schema-valid course file, checked and normalised (HTML
        sanitised, media by reference). `planner` is `courses.course_files.plan.BlockPlanner`:
        it reports problems and offers the shared checks."""
        raise NotImplementedError

    @classmethod
    def words_to_read(cls, data: dict, count_words) -> int:
        """How many words a learner reads in the planned block (for the study-load estimate)."""
        return 0

    @property
    def package_template_name(self) -> str:
        return f"scorm_export/package/blocks/{self.kind}.html"

    def fill_package_item(self, item, package) -> None:
        """Put what this block's package template reads on `item` (a `BlockItem`): media paths,
        steps, the quiz. `package` is the version's content as read once for the whole package
        (`scorm_export.packaging.content.PackageReader`). Nothing for kinds that need nothing."""

    @classmethod
    def activity_minutes(cls, data: dict) -> float:
        """Minutes a learner spends on the planned block besides reading (study-load estimate)."""
        return 0.0


class RichTextBlock(Block):
    html = SanitisedHTMLField(_("tekst"))

    kind = "text"
    template_name = "courses/blocks/text.html"
    label = _("Tekst")
    change_label = _("tekstblok")

    def editor_summary(self):
        return strip_tags(self.html).strip()

    def course_file_fields(self, ctx):
        return {"html": self.html}

    @classmethod
    def create_from_course_file(cls, common, data, ctx):
        return cls.objects.create(**common, html=data["html"])

    @classmethod
    def plan_course_file(cls, data, path, planner):
        return {"html": planner.html(data["html"])}

    @classmethod
    def words_to_read(cls, data, count_words):
        return count_words(data.get("title", "")) + count_words(data["html"])


class CalloutBlock(Block):
    class Style(models.TextChoices):
        INFO = "info", _("informatie")
        TIP = "tip", _("tip")
        WARNING = "warning", _("let op")
        QUOTE = "quote", _("citaat")

    style = models.CharField(max_length=16, choices=Style.choices, default=Style.INFO)
    title = models.CharField(_("titel"), max_length=200, blank=True)
    html = SanitisedHTMLField(_("tekst"))

    kind = "callout"
    template_name = "courses/blocks/callout.html"
    label = _("Kader (tip, let op, citaat)")
    change_label = _("kader")

    def editor_summary(self):
        return (self.title + " " + strip_tags(self.html)).strip()

    def course_file_fields(self, ctx):
        return {"style": self.style, "title": self.title, "html": self.html}

    @classmethod
    def create_from_course_file(cls, common, data, ctx):
        return cls.objects.create(
            **common, style=data["style"], title=data["title"], html=data["html"]
        )

    @classmethod
    def plan_course_file(cls, data, path, planner):
        return {
            "style": data.get("style", "info"),
            "title": data.get("title", ""),
            "html": planner.html(data["html"]),
        }

    @classmethod
    def words_to_read(cls, data, count_words):
        return count_words(data.get("title", "")) + count_words(data["html"])


class ImageBlock(Block):
    image = models.ImageField(_("afbeelding"), upload_to="blocks/images/")
    alt = models.CharField(_("alt-tekst"), max_length=250, blank=True)
    decorative = models.BooleanField(_("alleen decoratief"), default=False)
    caption = models.CharField(_("onderschrift"), max_length=300, blank=True)

    kind = "image"
    template_name = "courses/blocks/image.html"
    label = _("Afbeelding")
    change_label = _("afbeelding")

    def editor_summary(self):
        return self.alt or self.caption or str(_("decoratieve afbeelding"))

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(decorative=True) | ~Q(alt=""),
                name="courses_imageblock_alt_or_decorative",
            ),
        ]

    def course_file_fields(self, ctx):
        return {
            "file": ctx.media(self.image, "image"),
            "alt": self.alt,
            "decorative": self.decorative,
            "caption": self.caption,
        }

    @classmethod
    def create_from_course_file(cls, common, data, ctx):
        return cls.objects.create(
            **common,
            image=ctx.stored[data["file"]],
            alt=data["alt"],
            decorative=data["decorative"],
            caption=data["caption"],
        )

    @classmethod
    def plan_course_file(cls, data, path, planner):
        decorative = data.get("decorative", False)
        alt = (data.get("alt") or "").strip()
        if not decorative and not alt:
            planner.report.add(
                path,
                gettext(
                    "een afbeelding heeft een alt-tekst (‘alt’) nodig, tenzij ‘decorative: true’"
                ),
            )
        return {
            "file": planner.media(data["file"], path + ("file",), "image"),
            "alt": data.get("alt", ""),
            "decorative": decorative,
            "caption": data.get("caption", ""),
        }

    @classmethod
    def words_to_read(cls, data, count_words):
        return count_words(data.get("caption", ""))

    def fill_package_item(self, item, package):
        item.src = package.add_media(self.image)


class MediaBlock(Block):
    """Video or audio. Accessible only with captions (video) or a transcript."""

    class Kind(models.TextChoices):
        VIDEO = "video", _("video")
        AUDIO = "audio", _("audio")

    media_kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.VIDEO)
    title = models.CharField(_("titel"), max_length=200)
    file = models.FileField(_("bestand"), upload_to="blocks/media/", blank=True)
    url = models.URLField(_("externe URL"), blank=True)
    captions = models.FileField(_("ondertitels (WebVTT)"), upload_to="blocks/captions/", blank=True)
    transcript = SanitisedHTMLField(_("transcript"), blank=True)
    # Playing time, when known: part of a course's estimated study load.
    duration_minutes = models.PositiveSmallIntegerField(_("duur (minuten)"), null=True, blank=True)

    kind = "media"
    template_name = "courses/blocks/media.html"
    label = _("Video of audio")
    change_label = _("video of audio")

    class Meta:
        constraints = [
            # Every media block has a transcript (captions alone do not serve everyone), as
            # `source_problems()` requires of the author form and the course-file import.
            models.CheckConstraint(
                condition=~Q(transcript=""), name="courses_mediablock_accessible"
            ),
        ]

    @property
    def embed(self) -> Embed | None:
        """The YouTube or Vimeo player for a video's `url`, or None (an uploaded file, audio or
        another link)."""
        if self.media_kind != self.Kind.VIDEO or not self.url:
            return None
        return find_embed(self.url)

    @classmethod
    def source_problems(
        cls, media_kind: str, *, has_file: bool, has_captions: bool, url: str, transcript: str
    ) -> dict[str, StrOrPromise]:
        """What keeps media of `media_kind` from being shown to everyone, as Dutch sentences by
        field name ("file", "url", "transcript"); empty when it may be saved. Shared by the
        author's form and the course-file import."""
        problems: dict[str, StrOrPromise] = {}
        if has_file == bool(url):
            problems["file"] = (
                _("Kies een bestand óf een link, niet allebei.")
                if has_file
                else _("Upload een bestand of geef een externe URL.")
            )
        elif url and media_kind == cls.Kind.VIDEO and find_embed(url) is None:
            problems["url"] = _(
                "Een video-link moet naar YouTube of Vimeo wijzen; upload een andere video als "
                "MP4-bestand met ondertitels."
            )
        if has_file and media_kind == cls.Kind.VIDEO and not has_captions:
            problems["captions"] = _(
                "Een geüploade video heeft ondertitels nodig (een WebVTT-bestand)."
            )
        if not strip_tags(transcript or "").strip():
            problems["transcript"] = _(
                "Een transcript is verplicht, zodat iedereen de inhoud kan volgen, ook zonder "
                "geluid of beeld."
            )
        return problems

    def course_file_fields(self, ctx):
        data: dict[str, Any] = {"media_kind": self.media_kind, "title": self.title}
        if self.file:
            data["file"] = ctx.media(self.file, self.media_kind)
        if self.url:
            data["url"] = self.url
        if self.captions:
            data["captions"] = ctx.media(self.captions, "captions")
        data["transcript"] = self.transcript
        data["duration_minutes"] = self.duration_minutes
        return data

    @classmethod
    def create_from_course_file(cls, common, data, ctx):
        return cls.objects.create(
            **common,
            media_kind=data["media_kind"],
            title=data["title"],
            file=ctx.stored[data["file"]] if data["file"] else "",
            url=data["url"],
            captions=ctx.stored[data["captions"]] if data["captions"] else "",
            transcript=data["transcript"],
            duration_minutes=data["duration_minutes"],
        )

    @classmethod
    def plan_course_file(cls, data, path, planner):
        kind = data.get("media_kind", "video")
        problems = cls.source_problems(
            kind,
            has_file="file" in data,
            has_captions=bool(data.get("captions")),
            url=data.get("url", ""),
            transcript=data.get("transcript") or "",
        )
        for name, message in problems.items():
            planner.report.add(path + ((name,) if name in data else ()), message)
        return {
            "media_kind": kind,
            "title": data["title"],
            "file": planner.media(data["file"], path + ("file",), kind) if data.get("file") else "",
            "url": data.get("url", ""),
            "captions": planner.media(data["captions"], path + ("captions",), "captions")
            if data.get("captions")
            else "",
            "transcript": planner.html(data.get("transcript")),
            "duration_minutes": data.get("duration_minutes"),
        }

    @classmethod
    def words_to_read(cls, data, count_words):
        return 0 if data.get("duration_minutes") else count_words(data.get("transcript", ""))

    @classmethod
    def activity_minutes(cls, data):
        return float(data.get("duration_minutes") or 0)

    def fill_package_item(self, item, package):
        item.src = package.add_media(self.file)
        item.captions_src = package.add_media(self.captions)


class PersonaStoryBlock(Block):
    """A persona's story: the situation, then the consequences per life domain and per stakeholder.

    `impacts` is a list of {"kind": "domain"|"stakeholder", "label": str, "text": str},
    following the seeds' impact card of Levi.
    """

    persona = models.ForeignKey(Persona, on_delete=models.PROTECT, related_name="stories")
    title = models.CharField(_("titel"), max_length=200)
    situation = SanitisedHTMLField(_("situatie"))
    impacts = models.JSONField(_("gevolgen"), default=list, blank=True)
    lesson_learned = SanitisedHTMLField(_("les voor de praktijk"), blank=True)

    kind = "persona_story"
    template_name = "courses/blocks/persona_story.html"
    label = _("Verhaal van een persona")
    change_label = _("persona-verhaal")

    def editor_summary(self):
        return f"{self.title} ({self.persona.name})"

    def course_file_fields(self, ctx):
        return {
            "persona": ctx.personas[self.persona_id],
            "title": self.title,
            "situation": self.situation,
            "impacts": [
                {"kind": i.get("kind"), "label": i.get("label"), "text": i.get("text")}
                for i in self.impacts
            ],
            "lesson_learned": self.lesson_learned,
        }

    @classmethod
    def create_from_course_file(cls, common, data, ctx):
        return cls.objects.create(
            **common,
            persona=ctx.personas[data["persona"]],
            title=data["title"],
            situation=data["situation"],
            impacts=data["impacts"],
            lesson_learned=data["lesson_learned"],
        )

    @classmethod
    def plan_course_file(cls, data, path, planner):
        planner.check_persona(data["persona"], path + ("persona",))
        return {
            "persona": data["persona"],
            "title": data["title"],
            "situation": planner.html(data["situation"]),
            "impacts": [
                {"kind": i["kind"], "label": i["label"], "text": i["text"]}
                for i in data.get("impacts") or []
            ],
            "lesson_learned": planner.html(data.get("lesson_learned")),
        }

    @classmethod
    def words_to_read(cls, data, count_words):
        impacts = " ".join(i["text"] for i in data.get("impacts", []))
        return sum(
            count_words(data.get(name, "")) for name in ("situation", "lesson_learned")
        ) + count_words(impacts)

    def fill_package_item(self, item, package):
        package.add_persona(self, item)

    def impacts_of_kind(self, kind):
        return [i for i in self.impacts if i.get("kind") == kind]

    @property
    def domain_impacts(self):
        return self.impacts_of_kind("domain")

    @property
    def stakeholder_impacts(self):
        return self.impacts_of_kind("stakeholder")


class ScenarioBlock(Block):
    """A branching scenario: steps with choices; a choice gives feedback and may lead on."""

    title = models.CharField(_("titel"), max_length=200)
    persona = models.ForeignKey(
        Persona, null=True, blank=True, on_delete=models.PROTECT, related_name="scenarios"
    )
    introduction = SanitisedHTMLField(_("inleiding"), blank=True)

    kind = "scenario"
    template_name = "courses/blocks/scenario.html"
    label = _("Scenario met keuzes")
    change_label = _("scenario")
    learner_state = True

    def course_file_fields(self, ctx):
        data: dict[str, Any] = {"title": self.title}
        if self.persona_id:
            data["persona"] = ctx.personas[self.persona_id]
        data["introduction"] = self.introduction
        data["steps"] = [
            {
                "key": step.key,
                "situation": step.situation,
                "choices": [
                    {
                        "text": c.text,
                        "feedback": c.feedback,
                        "recommended": c.recommended,
                        **({"next": ctx.step_keys[c.next_step_id]} if c.next_step_id else {}),
                    }
                    for c in ctx.choices_by_step.get(step.pk, [])
                ],
            }
            for step in ctx.steps_by_scenario.get(self.pk, [])
        ]
        return data

    @classmethod
    def create_from_course_file(cls, common, data, ctx):
        scenario = cls.objects.create(
            **common,
            title=data["title"],
            persona=ctx.personas.get(data["persona"]) if data["persona"] else None,
            introduction=data["introduction"],
        )
        ctx.scenarios.append((scenario, data["steps"]))  # steps follow in bulk
        return scenario

    @classmethod
    def plan_course_file(cls, data, path, planner):
        planner.check_persona(data.get("persona"), path + ("persona",))
        return {
            "title": data["title"],
            "persona": data.get("persona") or None,
            "introduction": planner.html(data.get("introduction")),
            "steps": planner.plan_steps(data["steps"], path + ("steps",)),
        }

    @classmethod
    def words_to_read(cls, data, count_words):
        # A learner reads every step and its choices, and the feedback of the choice they make.
        words = count_words(data.get("introduction", ""))
        for step in data["steps"]:
            choices = step["choices"]
            words += count_words(step["situation"])
            words += sum(count_words(c["text"]) for c in choices)
            if choices:
                words += sum(count_words(c["feedback"]) for c in choices) // len(choices)
        return words

    @classmethod
    def activity_minutes(cls, data):
        return MINUTES_PER_SCENARIO_STEP * len(data["steps"])

    def fill_package_item(self, item, package):
        package.add_persona(self, item)
        item.steps = [(s, list(s.choices.all())) for s in package.steps_by_scenario[self.pk]]

    @property
    def first_step(self):
        steps = list(self.steps.all())
        return steps[0] if steps else None


class ScenarioStep(VersionedContent, models.Model):
    version_path = "scenario__lesson__module__version"

    scenario = models.ForeignKey(ScenarioBlock, on_delete=models.CASCADE, related_name="steps")
    key = models.SlugField(max_length=64, default=new_key)
    position = models.PositiveIntegerField(default=0)
    situation = SanitisedHTMLField(_("situatie"))

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["scenario", "key"], name="courses_scenariostep_unique_key"
            ),
            # Steps show in position order; reorders park rows past the end first.
            models.UniqueConstraint(
                fields=["scenario", "position"], name="courses_scenariostep_unique_position"
            ),
        ]

    def __str__(self):
        return self.key


class ScenarioChoice(VersionedContent, models.Model):
    version_path = "step__scenario__lesson__module__version"

    step = models.ForeignKey(ScenarioStep, on_delete=models.CASCADE, related_name="choices")
    position = models.PositiveIntegerField(default=0)
    text = models.CharField(_("keuze"), max_length=500)
    feedback = SanitisedHTMLField(_("feedback"))
    recommended = models.BooleanField(_("aanbevolen keuze"), default=False)
    next_step = models.ForeignKey(
        ScenarioStep, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["step", "position"], name="courses_scenariochoice_unique_position"
            ),
        ]

    def __str__(self):
        return self.text


class ReflectionBlock(Block):
    """A prompt for private reflection. Answers are kept per learner and never leave the system."""

    prompt = SanitisedHTMLField(_("vraag"))
    guidance = SanitisedHTMLField(_("toelichting"), blank=True)

    kind = "reflection"
    template_name = "courses/blocks/reflection.html"
    label = _("Reflectievraag")
    change_label = _("reflectievraag")
    learner_state = True

    def editor_summary(self):
        return strip_tags(self.prompt)

    def course_file_fields(self, ctx):
        return {"prompt": self.prompt, "guidance": self.guidance}

    @classmethod
    def create_from_course_file(cls, common, data, ctx):
        return cls.objects.create(**common, prompt=data["prompt"], guidance=data["guidance"])

    @classmethod
    def plan_course_file(cls, data, path, planner):
        return {
            "prompt": planner.html(data["prompt"]),
            "guidance": planner.html(data.get("guidance")),
        }

    @classmethod
    def words_to_read(cls, data, count_words):
        return count_words(data["prompt"]) + count_words(data.get("guidance", ""))

    @classmethod
    def activity_minutes(cls, data):
        return MINUTES_PER_REFLECTION


class QuizBlock(Block):
    quiz = models.ForeignKey("Quiz", on_delete=models.PROTECT, related_name="blocks")

    kind = "quiz"
    template_name = "courses/blocks/quiz.html"
    label = _("Quiz")
    change_label = _("quiz")
    learner_state = True

    def editor_summary(self):
        return self.quiz.title

    def course_file_fields(self, ctx):
        return {"quiz": ctx.quiz_keys[self.quiz_id]}

    @classmethod
    def create_from_course_file(cls, common, data, ctx):
        return cls.objects.create(**common, quiz=ctx.quizzes[data["quiz"]])

    @classmethod
    def plan_course_file(cls, data, path, planner):
        if data["quiz"] not in planner.quiz_keys:
            planner.report.add(
                path + ("quiz",),
                gettext("de quiz ‘%(key)s’ bestaat niet in ‘quizzes’ van dit bestand")
                % {"key": data["quiz"]},
            )
        return {"quiz": data["quiz"]}

    def fill_package_item(self, item, package):
        quiz = package.quizzes[self.quiz_id]
        if quiz.kind == Quiz.Kind.FINAL:
            # The final test is asked once, on its own graded page (with its attempt limit).
            item.template = "scorm_export/package/blocks/final_test_link.html"
        else:
            item.quiz = package.add_quiz(quiz, item.dom_id)


# --- Quizzes and questions ---------------------------------------------------------------------


class Quiz(VersionedContent, models.Model):
    version_path = "version"

    class Kind(models.TextChoices):
        PRACTICE = "practice", _("oefenvragen")
        TEST = "test", _("toets")
        FINAL = "final", _("eindtoets")
        SELF_ASSESSMENT = "self_assessment", _("zelfevaluatie")

    version = models.ForeignKey(CourseVersion, on_delete=models.CASCADE, related_name="quizzes")
    key = models.SlugField(max_length=64, default=new_key)
    title = models.CharField(_("titel"), max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.PRACTICE)
    introduction = SanitisedHTMLField(_("inleiding"), blank=True)
    pass_mark = models.PositiveSmallIntegerField(
        _("slaaggrens (%)"),
        default=70,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("Minimaal dit percentage goed om te slagen."),
    )
    max_attempts = models.PositiveSmallIntegerField(
        _("maximaal aantal pogingen"), null=True, blank=True, help_text=_("Leeg: onbeperkt.")
    )
    # An item pool: null asks every question; an integer N draws N questions per attempt; a
    # mapping {tag: count} draws `count` questions carrying that learning-objective tag.
    draw = models.JSONField(_("trekking uit de vragenpool"), null=True, blank=True)
    # Whether a failed attempt's result shows the correct options; empty: the kind's default
    # (practice questions yes; a test or final test not while attempts remain, so a retake
    # measures knowledge, not memory of the key). See `reveals_correct_options()`.
    show_correct_after_fail = models.BooleanField(
        _("juiste antwoord tonen na een onvoldoende poging"),
        null=True,
        blank=True,
        help_text=_(
            "Leeg: bij oefenvragen wel, bij een toets of eindtoets pas als er geen pogingen meer "
            "over zijn. De deelnemer ziet altijd welke vragen fout waren en de uitleg."
        ),
    )

    class Meta:
        verbose_name = _("quiz")
        verbose_name_plural = _("quizzen")
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="courses_quiz_unique_key"),
            models.UniqueConstraint(
                fields=["version"], condition=Q(kind="final"), name="courses_quiz_one_final_test"
            ),
            models.CheckConstraint(
                condition=Q(pass_mark__gte=0) & Q(pass_mark__lte=100),
                name="courses_quiz_pass_mark_range",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_scored(self) -> bool:
        return self.kind in {self.Kind.TEST, self.Kind.FINAL}

    @property
    def gives_immediate_feedback(self) -> bool:
        return self.kind == self.Kind.PRACTICE

    @property
    def shows_correct_after_fail(self) -> bool:
        """The author's setting, or the kind's default (only practice questions show it)."""
        if self.show_correct_after_fail is None:
            return self.kind == self.Kind.PRACTICE
        return self.show_correct_after_fail

    def reveals_correct_options(self, passed: bool | None, attempts_left: int | None) -> bool:
        """Whether a graded attempt's feedback may mark the correct options: after a pass, when
        no attempts remain, or after a failed attempt when `shows_correct_after_fail`."""
        return bool(passed) or attempts_left == 0 or self.shows_correct_after_fail

    def questions_per_attempt(self, pool_size: int) -> int:
        """How many questions one attempt asks out of `pool_size` (the draw, if any)."""
        if isinstance(self.draw, int):
            return min(self.draw, pool_size)
        if isinstance(self.draw, dict):
            return min(sum(self.draw.values()), pool_size)
        return pool_size


class Grade:
    """The outcome of grading one response: a fraction 0..1, correctness and feedback to show."""

    __slots__ = ("fraction", "is_correct", "feedback")

    def __init__(self, fraction: float, feedback: list[str]):
        self.fraction = max(0.0, min(1.0, fraction))
        self.is_correct = self.fraction >= 0.999
        self.feedback = feedback


class Question(KindRoot, VersionedContent, PolymorphicModel):
    """A question in a quiz. Each kind is one subclass that carries all its behaviour: how the
    page shows it, how a response is parsed, checked and graded, how an attempt shuffles it, what
    an author may enter, its course-file fields, its xAPI shape and its package answer key.

    Callers ask the question (or `Question.kinds()`), never its `kind` string. A new kind is one
    subclass here, one template under `templates/courses/questions/` (and the package's), and one
    grader in `scorm_export/package_static/grading.js`; tests/courses/test_kinds.py checks that.
    """

    version_path = "quiz__version"

    class Tag(models.TextChoices):
        KNOWLEDGE = "knowledge", _("kennis")
        ATTITUDE = "attitude", _("houding")
        SKILL = "skill", _("vaardigheid")

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="questions")
    key = models.SlugField(max_length=64, default=new_key)
    position = models.PositiveIntegerField(default=0)
    prompt = SanitisedHTMLField(_("vraag"))
    explanation = SanitisedHTMLField(_("uitleg"), blank=True)
    tag = models.CharField(_("soort"), max_length=16, choices=Tag.choices, default=Tag.KNOWLEDGE)
    # Learning-objective tags (e.g. "doel-1") a quiz's `draw` can draw from.
    tags = models.JSONField(_("leerdoelen"), default=list, blank=True)
    points = models.PositiveSmallIntegerField(default=1)

    kind = "question"
    template_name = "courses/questions/question.html"
    scored = True
    # What each kind declares (the defaults fit a choice question):
    label: StrOrPromise = ""  # in the author's "add a question" menu
    option_help: StrOrPromise = ""  # the author's hint above the answer options
    uses_options = True  # False: the question has no Option rows
    marks_correct = True  # options carry `is_correct` (and get per-option statistics)
    correct_options = ""  # "one" or "some": how many options must be correct
    option_count: int | None = None  # exactly this many options (e.g. true/false)
    uses_match = False  # options carry a `match`
    may_pin = False  # an option may stay at the end when the options are shuffled
    shuffled_per_attempt = True  # an attempt shows the options in a drawn order
    shuffled_on_page = False  # without a drawn order the page shuffles them (never the answer)
    initial_options: tuple[StrOrPromise, ...] = ()  # a new question's pre-filled answers
    own_fields: dict[str, object] = {}  # the kind's own model fields → course-file defaults
    xapi_interaction_type = "other"

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["quiz", "key"], name="courses_question_unique_key"),
            models.UniqueConstraint(
                fields=["quiz", "position"], name="courses_question_unique_position"
            ),
        ]

    def __str__(self):
        return f"{self.kind}: {self.prompt[:60]}"

    def options_in_order(self):
        # Uses the prefetch cache when the caller prefetched `options`.
        return list(self.options.all())

    @property
    def field_name(self) -> str:
        return f"q-{self.pk}"

    # --- Answering --------------------------------------------------------------------------------

    def parse_response(self, data) -> Any:
        """Turn submitted form data (a QueryDict or dict) into the JSON stored on the Answer."""
        raise NotImplementedError

    def response_problem(self, data, response) -> str | None:
        """Why the submitted answer (`data`, parsed as `response`) is incomplete, or None."""
        raise NotImplementedError

    def grade(self, response) -> Grade:
        raise NotImplementedError

    def has_correct_answer(self) -> bool:
        return any(o.is_correct for o in self.options_in_order())

    def show_response(self, response, raw, layout) -> None:
        """Attach what only this kind's template reads (the generic part: courses.player)."""

    def draw_options(self, rng) -> tuple[list[int] | None, dict[str, int] | None]:
        """An attempt's option order (pinned options last) and, for kinds whose selects carry
        opaque values, {value: option id}; (None, None) when the options keep their order."""
        if not self.shuffled_per_attempt:
            return None, None
        authored = self.options_in_order()
        free = [o for o in authored if not o.pinned]
        rng.shuffle(free)
        return [o.pk for o in self.drawn_order(free, authored)], None

    def drawn_order(self, free, authored):
        return free + [o for o in authored if o.pinned]

    # --- Simulated learners (courses.simulator) ---------------------------------------------------

    def simulated_answer(self, rng, correct: bool, match_values: dict) -> dict:
        """Form data answering this question right (or, when not `correct`, wrong)."""
        pick = [o for o in self.options_in_order() if o.is_correct == correct]
        return {self.field_name: str(rng.choice(pick).pk)} if pick else {}

    def guessed_answer(self, shown, match_values: dict) -> dict:
        """Form data of a learner who answers by position (`shown`: options as shown)."""
        return {self.field_name: str(shown[0].pk)} if shown else {}

    # --- Records and packages ---------------------------------------------------------------------

    def xapi_response(self, response) -> str | None:
        """The response in xAPI format (option keys joined by "[,]"), or None for kinds that
        report none."""
        return None

    def package_options(self, options) -> list:
        """The options in the order a package page lists them."""
        return options

    def package_answer_key(self, options, hash_) -> list[str]:
        """What the package's grader compares with (grading.js): salted hashes, never keys."""
        return sorted(hash_(o.key) for o in options if o.is_correct) if self.marks_correct else []

    @classmethod
    def answer_key_warning(cls, quiz_title, questions: list[dict]) -> str | None:
        """A warning when the answer keys of a test's `questions` of this kind (plan shape) let a
        learner pass without knowing (courses.course_files.item_checks), or None."""
        return None

    # --- Authoring and course files ---------------------------------------------------------------

    @classmethod
    def authored_options_problem(cls, options: list[dict]) -> StrOrPromise | None:
        """Why the options an author kept (cleaned option-form data) do not make a question."""
        correct = sum(1 for o in options if o.get("is_correct"))
        if len(options) < 2:
            return _("Geef minstens twee antwoorden.")
        if cls.correct_options == "one" and correct != 1:
            return _("Vink precies één antwoord aan als juist.")
        if cls.option_count is not None and len(options) != cls.option_count:
            return _("Een waar/niet-waar-vraag heeft precies twee antwoorden.")
        if cls.correct_options == "some" and correct < 1:
            return _("Vink minstens één antwoord aan als juist.")
        if cls.uses_match and any(not o.get("match", "").strip() for o in options):
            return _("Vul bij elk antwoord een koppeling in.")
        return None

    @classmethod
    def course_file_problems(cls, data: dict, quiz_kind: str) -> list[tuple[tuple, str]]:
        """What is wrong with a question of a course file (schema-valid `data`) as
        (path below the question, message)."""
        options = data["options"]
        correct = sum(1 for o in options if o.get("correct"))
        problems: list[tuple[tuple, str]] = []

        def add(path, message):
            problems.append((("options", *path), str(message)))

        if cls.marks_correct and len(options) < 2:
            add((), _("een keuzevraag heeft minstens twee opties"))
        if cls.correct_options == "one" and correct == 0:
            add(
                (),
                _(
                    "deze vraag heeft geen juist antwoord: zet ‘correct: true’ bij precies één "
                    "optie"
                ),
            )
        elif cls.correct_options == "one" and correct != 1:
            add(
                (),
                _(
                    "bij dit vraagtype is precies één optie juist, maar %(n)s opties hebben "
                    "‘correct: true’"
                )
                % {"n": correct},
            )
        if cls.correct_options == "some" and correct == 0:
            add(
                (),
                _(
                    "deze vraag heeft geen juist antwoord: zet ‘correct: true’ bij minstens één "
                    "optie"
                ),
            )
        if cls.option_count is not None and len(options) != cls.option_count:
            add((), _("een waar/niet waar-vraag heeft precies twee opties"))
        if not cls.marks_correct:
            if len(options) < 2:
                add((), _("een orden- of koppelvraag heeft minstens twee opties"))
            for n, option in enumerate(options):
                if "correct" in option:
                    add(
                        (n, "correct"),
                        _(
                            "‘correct’ hoort niet bij dit vraagtype: de volgorde of de ‘match’ "
                            "bepaalt het juiste antwoord"
                        ),
                    )
        if cls.uses_match:
            for n, option in enumerate(options):
                if not option.get("match"):
                    add((n,), _("bij een koppelvraag heeft elke optie een ‘match’"))
        else:
            for n, option in enumerate(options):
                if "match" in option:
                    add((n, "match"), _("‘match’ hoort alleen bij een koppelvraag (matching)"))
        return problems

    @classmethod
    def pinned_problems(cls, options: list[dict]) -> list[tuple[tuple, str]]:
        """Only shuffled choice options can be pinned to the end."""
        if cls.may_pin:
            return []
        message = str(
            _("‘pinned’ hoort alleen bij een meerkeuzevraag (single_choice, multiple_choice)")
        )
        return [
            (("options", n, "pinned"), message) for n, o in enumerate(options) if o.get("pinned")
        ]

    def course_file_option(self, option) -> dict:
        """One option as a course file writes it."""
        row = {"key": option.key, "text": option.text}
        if self.marks_correct:
            row["correct"] = option.is_correct
        if self.uses_match:
            row["match"] = option.match
        row["feedback"] = option.feedback
        if option.pinned:
            row["pinned"] = True
        return row


class Option(VersionedContent, models.Model):
    """An answer option. Ordering: `position` is the correct order; matching: `text` ↔ `match`."""

    version_path = "question__quiz__version"

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="options")
    key = models.SlugField(max_length=64, default=new_key)
    position = models.PositiveIntegerField(default=0)
    text = models.CharField(_("tekst"), max_length=500)
    match = models.CharField(_("koppeling"), max_length=500, blank=True)
    is_correct = models.BooleanField(_("juist"), default=False)
    feedback = SanitisedHTMLField(_("feedback"), blank=True)
    # Kept at the end when options are shuffled ("Geen van bovenstaande").
    pinned = models.BooleanField(_("vast onderaan"), default=False)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["question", "key"], name="courses_option_unique_key"),
            # An ordering question's answer *is* the options' positions.
            models.UniqueConstraint(
                fields=["question", "position"], name="courses_option_unique_position"
            ),
        ]

    def __str__(self):
        return self.text


def _selected_ids(data, field):
    if hasattr(data, "getlist"):
        raw = data.getlist(field)
    else:
        raw = data.get(field, [])
        raw = raw if isinstance(raw, list) else [raw]
    ids = []
    for value in raw:
        try:
            ids.append(int(value))
        except (TypeError, ValueError):
            continue
    return ids


def shuffled(items, seed) -> list:
    """A stable shuffle: the same order on every page load, but not the authored (correct) order."""
    return sorted(items, key=lambda item: hashlib.sha256(f"{seed}-{item.pk}".encode()).hexdigest())


@dataclass
class MatchChoice:
    value: str
    match: str


# Answer-key patterns (`answer_key_warning`) need this many questions to mean anything.
MIN_KEY_QUESTIONS = 4


class SingleChoiceQuestion(Question):
    kind = "single_choice"
    template_name = "courses/questions/single_choice.html"
    label = _("Eén juist antwoord")
    option_help = _("Vink precies één antwoord aan als juist.")
    correct_options = "one"
    may_pin = True
    xapi_interaction_type = "choice"

    def parse_response(self, data):
        ids = _selected_ids(data, self.field_name)
        valid = {o.pk for o in self.options_in_order()}
        return {"option": ids[0]} if ids and ids[0] in valid else {"option": None}

    def response_problem(self, data, response):
        return None if response.get("option") is not None else str(_("Kies een antwoord."))

    def grade(self, response):
        chosen = (response or {}).get("option")
        for option in self.options_in_order():
            if option.pk == chosen:
                return Grade(
                    1.0 if option.is_correct else 0.0, [option.feedback] if option.feedback else []
                )
        return Grade(0.0, [])

    @classmethod
    def answer_key_warning(cls, quiz_title, questions):
        if len(questions) < MIN_KEY_QUESTIONS:
            return None
        positions = Counter(
            next(n for n, o in enumerate(q["options"]) if o["correct"]) + 1 for q in questions
        )
        position, count = positions.most_common(1)[0]
        if count * 2 <= len(questions):
            return None
        return gettext(
            "%(quiz)s: %(count)s van de %(total)s enkelkeuzevragen hebben het juiste "
            "antwoord op plaats %(position)s"
        ) % {"quiz": quiz_title, "count": count, "total": len(questions), "position": position}

    def xapi_response(self, response):
        chosen = (response or {}).get("option")
        options = {o.pk: o.key for o in self.options_in_order()}
        return options.get(chosen, "") if chosen else ""


class MultipleChoiceQuestion(Question):
    """Select all that apply. Score: share of options judged right (selected iff correct)."""

    kind = "multiple_choice"
    template_name = "courses/questions/multiple_choice.html"
    label = _("Meerdere juiste antwoorden")
    option_help = _("Vink alle juiste antwoorden aan.")
    correct_options = "some"
    may_pin = True
    xapi_interaction_type = "choice"

    def parse_response(self, data):
        valid = {o.pk for o in self.options_in_order()}
        return {"options": sorted(set(_selected_ids(data, self.field_name)) & valid)}

    def response_problem(self, data, response):
        return None if response.get("options") else str(_("Kies ten minste één antwoord."))

    def grade(self, response):
        chosen = set((response or {}).get("options", []))
        options = self.options_in_order()
        if not options:
            return Grade(0.0, [])
        right = sum(1 for o in options if (o.pk in chosen) == o.is_correct)
        # All-or-nothing keeps "select everything" from earning partial credit.
        fraction = 1.0 if right == len(options) else 0.0
        feedback = [o.feedback for o in options if o.pk in chosen and o.feedback]
        return Grade(fraction, feedback)

    def simulated_answer(self, rng, correct, match_values):
        options = self.options_in_order()
        right = [str(o.pk) for o in options if o.is_correct]
        wrong = [str(o.pk) for o in options if not o.is_correct]
        return {self.field_name: right if correct else (wrong[:1] or [])}

    def guessed_answer(self, shown, match_values):
        return {self.field_name: [str(o.pk) for o in shown[:-1]]}

    @classmethod
    def answer_key_warning(cls, quiz_title, questions):
        all_but_last = [
            q
            for q in questions
            if all(o["correct"] for o in q["options"][:-1]) and not q["options"][-1]["correct"]
        ]
        if len(questions) < 2 or len(all_but_last) * 2 <= len(questions):
            return None
        return gettext(
            "%(quiz)s: bij %(count)s van de %(total)s meerkeuzevragen zijn alle opties "
            "behalve de laatste juist"
        ) % {"quiz": quiz_title, "count": len(all_but_last), "total": len(questions)}

    def xapi_response(self, response):
        options = {o.pk: o.key for o in self.options_in_order()}
        return "[,]".join(
            options[pk] for pk in (response or {}).get("options", []) if pk in options
        )


class TrueFalseQuestion(SingleChoiceQuestion):
    """A single choice between two options, 'Waar' and 'Niet waar', always in that order."""

    kind = "true_false"
    template_name = "courses/questions/true_false.html"
    label = _("Waar of niet waar")
    option_help = _("Twee antwoorden, ‘Waar’ en ‘Niet waar’; vink het juiste aan.")
    option_count = 2
    may_pin = False
    shuffled_per_attempt = False
    initial_options = (_("Waar"), _("Niet waar"))
    xapi_interaction_type = "true-false"

    def guessed_answer(self, shown, match_values):
        return {
            self.field_name: str(next(o.pk for o in shown if o.text.strip().lower() == "niet waar"))
        }

    @classmethod
    def answer_key_warning(cls, quiz_title, questions):
        if len(questions) < MIN_KEY_QUESTIONS:
            return None
        keys = {next(o["text"] for o in q["options"] if o["correct"]) for q in questions}
        if len(keys) != 1:
            return None
        return gettext("%(quiz)s: bij alle %(total)s waar/niet waar-vragen is ‘%(key)s’ juist") % {
            "quiz": quiz_title,
            "total": len(questions),
            "key": keys.pop(),
        }

    def xapi_response(self, response):
        return None


class OrderingQuestion(Question):
    """Put the options in the right order; the correct order is the options' `position`."""

    kind = "ordering"
    template_name = "courses/questions/ordering.html"
    label = _("Volgorde bepalen")
    option_help = _("Zet de antwoorden in de juiste volgorde; de leerling ziet ze door elkaar.")
    marks_correct = False
    shuffled_on_page = True
    xapi_interaction_type = "sequencing"

    def parse_response(self, data):
        options = self.options_in_order()
        ranks = {}
        for option in options:
            try:
                ranks[option.pk] = int(data.get(f"{self.field_name}-{option.pk}", ""))
            except (TypeError, ValueError):
                ranks[option.pk] = None
        order = sorted(options, key=lambda o: (ranks[o.pk] is None, ranks[o.pk] or 0))
        return {"order": [o.pk for o in order]}

    def response_problem(self, data, response):
        options = self.options_in_order()
        ranks = [data.get(f"{self.field_name}-{o.pk}", "") for o in options]
        expected = {str(n) for n in range(1, len(options) + 1)}
        if set(ranks) != expected:
            return str(
                _("Geef elk onderdeel een ander nummer, van 1 tot en met %(count)d.")
                % {"count": len(options)}
            )
        return None

    def grade(self, response):
        expected = [o.pk for o in self.options_in_order()]
        given = (response or {}).get("order", [])
        fraction = 1.0 if given == expected else 0.0
        return Grade(fraction, [])

    def has_correct_answer(self) -> bool:
        return len(self.options_in_order()) >= 2

    def show_response(self, response, raw, layout):
        # A re-shown form takes the learner's own ranks, never an order derived from the key.
        if raw is not None:
            self.ranks = {o.pk: self._rank(raw, o) for o in self.options_in_order()}

    def _rank(self, raw, option) -> int | None:
        try:
            return int(raw.get(f"{self.field_name}-{option.pk}", ""))
        except (TypeError, ValueError):
            return None

    def drawn_order(self, free, authored):
        if len(free) > 1 and free == authored:
            free = free[1:] + free[:1]  # never show the answer as the starting order
        return super().drawn_order(free, authored)

    def simulated_answer(self, rng, correct, match_values):
        options = self.options_in_order()
        ranks = list(range(1, len(options) + 1))
        if not correct:
            ranks.reverse()
        return {
            f"{self.field_name}-{option.pk}": str(rank)
            for option, rank in zip(options, ranks, strict=True)
        }

    def guessed_answer(self, shown, match_values):
        return {
            f"{self.field_name}-{option.pk}": str(rank)
            for rank, option in enumerate(shown, start=1)
        }

    def xapi_response(self, response):
        options = {o.pk: o.key for o in self.options_in_order()}
        return "[,]".join(options[pk] for pk in (response or {}).get("order", []) if pk in options)

    def package_options(self, options):
        # The package must not show the answer: list the options alphabetically instead.
        return sorted(options, key=lambda o: (o.text.casefold(), o.key))

    def package_answer_key(self, options, hash_):
        return [hash_("order:" + "|".join(o.key for o in options))]


class MatchingQuestion(Question):
    """Match each option's `text` with its `match`."""

    kind = "matching"
    template_name = "courses/questions/matching.html"
    label = _("Koppelen")
    option_help = _("Vul bij elk antwoord de bijbehorende koppeling in.")
    marks_correct = False
    uses_match = True
    shuffled_on_page = True
    xapi_interaction_type = "matching"

    def parse_response(self, data):
        valid = {o.pk for o in self.options_in_order()}
        pairs = {}
        for option in self.options_in_order():
            chosen = _selected_ids(data, f"{self.field_name}-{option.pk}")
            pairs[str(option.pk)] = chosen[0] if chosen and chosen[0] in valid else None
        return {"pairs": pairs}

    def response_problem(self, data, response):
        if any(v is None for v in response.get("pairs", {}).values()):
            return str(_("Kies bij elk onderdeel een koppeling."))
        return None

    def grade(self, response):
        pairs = (response or {}).get("pairs", {})
        options = self.options_in_order()
        if not options:
            return Grade(0.0, [])
        right = sum(1 for o in options if pairs.get(str(o.pk)) == o.pk)
        return Grade(1.0 if right == len(options) else 0.0, [])

    def has_correct_answer(self) -> bool:
        return len(self.options_in_order()) >= 2 and all(o.match for o in self.options_in_order())

    def show_response(self, response, raw, layout):
        options = self.options_in_order()
        by_pk = {o.pk: o for o in options}
        pairs = self.pairs
        values = ((layout or {}).get("match") or {}).get(str(self.pk))
        if values:
            # Opaque per-attempt values: the select never names the option it belongs to.
            self.match_choices = [
                MatchChoice(value, by_pk[pk].match) for value, pk in values.items() if pk in by_pk
            ]
            value_of = {pk: value for value, pk in values.items()}
            self.pairs = {k: value_of.get(v) for k, v in pairs.items()}
        else:
            self.match_choices = [
                MatchChoice(str(o.pk), o.match) for o in shuffled(options, f"m{self.pk}")
            ]
            self.pairs = {k: str(v) for k, v in pairs.items()}

    def draw_options(self, rng):
        order, _match = super().draw_options(rng)
        targets = list(self.options_in_order())
        rng.shuffle(targets)
        return order, {secrets.token_hex(6): o.pk for o in targets}

    def simulated_answer(self, rng, correct, match_values):
        options = self.options_in_order()
        targets = [o.pk for o in options]
        if not correct and len(targets) > 1:
            targets = targets[1:] + targets[:1]
        value_of = {pk: value for value, pk in match_values.items()}
        return {
            f"{self.field_name}-{option.pk}": value_of.get(target, str(target))
            for option, target in zip(options, targets, strict=True)
        }

    def guessed_answer(self, shown, match_values):
        values = list(match_values) or [str(o.pk) for o in shown]
        return {
            f"{self.field_name}-{option.pk}": value
            for option, value in zip(shown, values, strict=False)
        }


class ScaleQuestion(Question):
    """A self-assessment statement rated 1..scale_max (not graded): e.g. the 0-meting."""

    scale_max = models.PositiveSmallIntegerField(
        default=5, validators=[MinValueValidator(2), MaxValueValidator(10)]
    )
    low_label = models.CharField(
        _("label laagste waarde"), max_length=100, default=_("helemaal oneens")
    )
    high_label = models.CharField(
        _("label hoogste waarde"), max_length=100, default=_("helemaal eens")
    )

    kind = "scale"
    template_name = "courses/questions/scale.html"
    scored = False
    label = _("Stelling op een schaal (zelfevaluatie)")
    uses_options = False
    marks_correct = False
    shuffled_per_attempt = False
    own_fields = {"scale_max": 5, "low_label": "helemaal oneens", "high_label": "helemaal eens"}
    xapi_interaction_type = "likert"

    def parse_response(self, data):
        try:
            value = int(data.get(self.field_name, ""))
        except (TypeError, ValueError):
            return {"value": None}
        return {"value": value if 1 <= value <= self.scale_max else None}

    def response_problem(self, data, response):
        if response.get("value") is None:
            return str(_("Kies een waarde op de schaal."))
        return None

    def grade(self, response):
        return Grade(0.0, [])

    def has_correct_answer(self) -> bool:
        return True

    @property
    def scale_values(self):
        return range(1, self.scale_max + 1)

    def simulated_answer(self, rng, correct, match_values):
        return {self.field_name: str(rng.randint(1, self.scale_max))}

    @classmethod
    def course_file_problems(cls, data, quiz_kind):
        if quiz_kind == Quiz.Kind.SELF_ASSESSMENT:
            return []
        message = _("een schaalvraag hoort alleen in een quiz van soort ‘self_assessment’")
        return [(("type",), str(message))]


# --- Tracks and glossary -----------------------------------------------------------------------


class LearningTrack(models.Model):
    """A leerlijn: ordered courses, some requiring others first."""

    slug = models.SlugField(unique=True)
    title = models.CharField(_("titel"), max_length=200)
    description = SanitisedHTMLField(_("beschrijving"), blank=True)
    courses = models.ManyToManyField(Course, through="TrackCourse", related_name="tracks")

    class Meta:
        verbose_name = _("leerlijn")
        verbose_name_plural = _("leerlijnen")

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("courses:track_detail", args=[self.slug])


class TrackCourse(models.Model):
    track = models.ForeignKey(LearningTrack, on_delete=models.CASCADE, related_name="entries")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="track_entries")
    position = models.PositiveIntegerField(default=0)
    prerequisites = models.ManyToManyField(Course, blank=True, related_name="+")

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["track", "course"], name="courses_trackcourse_unique_course"
            ),
        ]

    def __str__(self):
        return f"{self.track}: {self.course}"


class GlossaryTerm(models.Model):
    term = models.CharField(_("term"), max_length=100, unique=True)
    definition = SanitisedHTMLField(_("definitie"))
    courses = models.ManyToManyField(Course, blank=True, related_name="glossary_terms")

    class Meta:
        ordering = ["term"]
        verbose_name = _("begrip")
        verbose_name_plural = _("begrippenlijst")

    def __str__(self):
        return self.term

    def snapshot(self) -> dict:
        """The term as a published version keeps it (`CourseVersion.glossary`)."""
        return {"term": self.term, "definition": self.definition}

    @classmethod
    def from_snapshot(cls, pk: int, data: dict) -> "GlossaryTerm":
        """An unsaved GlossaryTerm as it was when a version was published (for rendering only)."""
        return cls(pk=pk, term=data.get("term", ""), definition=data.get("definition", ""))
