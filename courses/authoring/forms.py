"""Forms of the author area. Every input goes through one of these; HTML fields are sanitised
by the model field on save (SanitisedHTMLField), uploads by `lms.lib.uploads`."""

from __future__ import annotations

import re
import zipfile

from django import forms
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from courses.models import (
    Block,
    CalloutBlock,
    Course,
    CourseRole,
    CourseVersion,
    ImageBlock,
    Lesson,
    MediaBlock,
    Module,
    Option,
    Persona,
    PersonaStoryBlock,
    Question,
    Quiz,
    QuizBlock,
    ReflectionBlock,
    RichTextBlock,
    ScenarioBlock,
    ScenarioChoice,
    ScenarioStep,
)
from lms.lib import uploads
from lms.lib.html import text_to_html
from lms.lib.safezip import UnsafeArchive, check_archive

HTML_HELP = _(
    "Gebruik de knoppen boven het tekstvak voor kopjes, vet, cursief, lijsten, links en "
    "begrippen. Zonder knoppen: typ gewone tekst en laat een witregel tussen alinea's."
)


class RichTextarea(forms.Textarea):
    """A textarea that static/js/rich_text.js turns into the rich-text editor (ProseMirror, from
    django-prose-editor). Without JavaScript it stays a textarea for plain text."""

    def __init__(self, attrs=None):
        super().__init__({"rows": 6, "class": "html-input", "data-rich-text": "", **(attrs or {})})

    def use_required_attribute(self, initial):
        # The editor hides the textarea; a hidden required control would block the submit.
        return False


def _html_widget(rows=6):
    return RichTextarea(attrs={"rows": rows})


class RichTextFormMixin:
    """Rich text fields (`html_fields`) get the editor, and plain text typed into them becomes
    paragraphs (`lms.lib.html.text_to_html`); the model field sanitises on save."""

    html_fields: tuple[str, ...] = ()

    def clean(self):
        cleaned_data = super().clean()  # type: ignore[misc]
        for name in self.html_fields:
            if isinstance(cleaned_data.get(name), str):
                cleaned_data[name] = text_to_html(cleaned_data[name])
        return cleaned_data


class AuthorModelForm(RichTextFormMixin, forms.ModelForm):
    """Puts the rich-text editor and its help text on every sanitised HTML field."""

    html_fields: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.html_fields:
            if name in self.fields:
                self.fields[name].widget = _html_widget()
                self.fields[name].help_text = HTML_HELP


def _clean_upload(form, name, allowed):
    upload = form.cleaned_data.get(name)
    # A new upload has a `content_type`; the current file (FieldFile) or a cleared field has not.
    if upload and hasattr(upload, "content_type"):
        uploads.validate_upload(upload, allowed)
    return upload


# --- Course, version, module, lesson -----------------------------------------------------------


# Paths of the author area itself; a course with such a slug would be unreachable there.
RESERVED_SLUGS = {"nieuw", "personas", "importeren"}


class ArchiveImportForm(forms.Form):
    """A zip with course files (YAML) and their media, as `export_course` writes them."""

    archive = forms.FileField(
        label=_("Zip-bestand met cursusbestanden"),
        help_text=_("Een .zip met één of meer cursusbestanden (.yaml) en hun media."),
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,application/zip"}),
    )

    def clean_archive(self):
        from courses.course_files.archive import archive_limits, unsafe_reason

        upload = self.cleaned_data["archive"]
        if not upload.name.lower().endswith(".zip"):
            raise forms.ValidationError(_("Kies een .zip-bestand."))
        if upload.size > archive_limits().max_total_bytes:
            raise forms.ValidationError(_("Het bestand is te groot."))
        head = upload.read(4)
        upload.seek(0)
        if head != b"PK\x03\x04":
            raise forms.ValidationError(_("Dit is geen geldig zip-bestand."))
        # The zip's directory is checked now (cheap: names, sizes, counts), so an unsafe archive
        # is refused on this page; the background import checks it again while unpacking.
        try:
            with zipfile.ZipFile(upload) as archive:
                check_archive(archive, archive_limits())
        except zipfile.BadZipFile:
            raise forms.ValidationError(_("Dit is geen geldig zip-bestand.")) from None
        except UnsafeArchive as exc:
            raise forms.ValidationError(unsafe_reason(exc)) from None
        finally:
            upload.seek(0)
        return upload


class CourseCreateForm(forms.Form):
    title = forms.CharField(label=_("Titel"), max_length=200)
    slug = forms.SlugField(
        label=_("Webadres (slug)"),
        max_length=50,
        help_text=_(
            "Kleine letters, cijfers en streepjes, bijvoorbeeld ‘sgd-basis’. "
            "Later niet te wijzigen."
        ),
    )
    summary = forms.CharField(
        label=_("Samenvatting"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        if slug in RESERVED_SLUGS:
            raise forms.ValidationError(_("Dit webadres is gereserveerd. Kies een ander."))
        if Course.objects.filter(slug=slug).exists():
            raise forms.ValidationError(_("Er bestaat al een cursus met dit webadres."))
        return slug


class VersionForm(AuthorModelForm):
    html_fields = ("description",)
    learning_objectives = forms.CharField(
        label=_("Leerdoelen"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Eén leerdoel per regel."),
    )

    class Meta:
        model = CourseVersion
        fields = [
            "title",
            "summary",
            "description",
            "audience",
            "study_load_hours",
            "accreditation_reference",
            "conflict_of_interest",
            "language",
        ]
        widgets = {"summary": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial["learning_objectives"] = "\n".join(self.instance.learning_objectives or [])

    def clean_learning_objectives(self):
        lines = self.cleaned_data["learning_objectives"].splitlines()
        return [line.strip() for line in lines if line.strip()]

    def save(self, commit=True):
        self.instance.learning_objectives = self.cleaned_data["learning_objectives"]
        return super().save(commit)


class ModuleForm(forms.ModelForm):
    class Meta:
        model = Module
        fields = ["title"]
        labels = {"title": _("Titel van de module")}


class LessonForm(forms.ModelForm):
    class Meta:
        model = Lesson
        fields = ["title", "module", "required", "estimated_minutes"]
        help_texts = {
            "module": _("Kies een andere module om de les daarheen te verplaatsen (achteraan).")
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["module"].queryset = Module.objects.filter(
            version_id=self.instance.module.version_id
        ).order_by("position")
        self.fields["module"].empty_label = None
        # Rendering iterates the choices more than once: read the modules one time only.
        self.fields["module"].widget.choices = [choice for choice in self.fields["module"].choices]


class LessonCreateForm(forms.ModelForm):
    module = forms.ModelChoiceField(
        label=_("Module"), queryset=Module.objects.none(), empty_label=None
    )

    class Meta:
        model = Lesson
        fields = ["module", "title", "required", "estimated_minutes"]

    def __init__(self, *args, version, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["module"].queryset = Module.objects.filter(version=version).order_by("position")


# --- Blocks ------------------------------------------------------------------------------------


class RichTextBlockForm(AuthorModelForm):
    html_fields = ("html",)

    class Meta:
        model = RichTextBlock
        fields = ["html"]


class CalloutBlockForm(AuthorModelForm):
    html_fields = ("html",)

    class Meta:
        model = CalloutBlock
        fields = ["style", "title", "html"]
        labels = {"style": _("Soort")}


class ImageBlockForm(forms.ModelForm):
    class Meta:
        model = ImageBlock
        fields = ["image", "alt", "decorative", "caption"]
        # A plain file field: our own checks (size, type, magic bytes) give clearer messages.
        field_classes = {"image": forms.FileField}
        widgets = {
            "image": forms.ClearableFileInput(
                attrs={"accept": "image/png,image/jpeg,image/webp,image/gif"}
            )
        }
        help_texts = {
            "alt": _("Beschrijf wat de afbeelding laat zien voor wie haar niet kan zien."),
            "decorative": _(
                "Alleen aanvinken als de afbeelding niets toevoegt; "
                "dan leest een schermlezer haar niet voor."
            ),
        }

    def clean_image(self):
        return _clean_upload(self, "image", uploads.IMAGE_TYPES)

    def clean(self):
        data = super().clean()
        if not data.get("decorative") and not (data.get("alt") or "").strip():
            self.add_error("alt", _("Geef een alt-tekst, of vink ‘alleen decoratief’ aan."))
        return data


class MediaBlockForm(AuthorModelForm):
    html_fields = ("transcript",)
    url = forms.URLField(
        label=_("Externe URL"),
        required=False,
        assume_scheme="https",
        help_text=_(
            "Een link naar een video op YouTube of Vimeo. De cursist ziet eerst een melding en "
            "laadt de video pas na een klik op ‘Video laden’."
        ),
    )

    class Meta:
        model = MediaBlock
        fields = ["media_kind", "title", "file", "url", "captions", "transcript"]
        labels = {"media_kind": _("Soort media")}
        help_texts = {
            "file": _("Een MP4- of WebM-video (met ondertitels) of een audiobestand."),
            "captions": _("Een WebVTT-bestand (.vtt) met de Nederlandse ondertitels."),
        }
        widgets = {
            "file": forms.ClearableFileInput(
                attrs={"accept": "video/mp4,video/webm,audio/mpeg,audio/ogg,audio/mp4"}
            ),
            "captions": forms.ClearableFileInput(attrs={"accept": ".vtt,text/vtt"}),
        }

    def clean_captions(self):
        return _clean_upload(self, "captions", uploads.CAPTION_TYPES)

    def clean(self):
        data = super().clean()
        kind = data.get("media_kind")
        if "file" in data:
            allowed = uploads.VIDEO_TYPES if kind == MediaBlock.Kind.VIDEO else uploads.AUDIO_TYPES
            try:
                _clean_upload(self, "file", allowed)
            except forms.ValidationError as exc:
                self.add_error("file", exc)
        problems = MediaBlock.source_problems(
            kind or MediaBlock.Kind.VIDEO,
            has_file=bool(data.get("file")),
            has_captions=bool(data.get("captions")),
            url=data.get("url") or "",
            transcript=data.get("transcript") or "",
        )
        for name, message in problems.items():
            if name not in self.errors:
                self.add_error(name, message)
        return data


class ImpactsField(forms.CharField):
    """One impact per line as ‘label: text’, for PersonaStoryBlock.impacts."""

    widget = forms.Textarea(attrs={"rows": 4})

    def to_python(self, value):
        items = []
        for number, line in enumerate((value or "").splitlines(), start=1):
            if not line.strip():
                continue
            label, sep, text = line.partition(":")
            if not sep or not label.strip() or not text.strip():
                raise forms.ValidationError(
                    _(
                        "Regel %(n)s: schrijf ‘onderwerp: gevolg’, "
                        "bijvoorbeeld ‘Werk: verzuimt vaker’."
                    ),
                    params={"n": number},
                )
            items.append({"label": label.strip()[:100], "text": text.strip()[:1000]})
        return items


class PersonaStoryBlockForm(AuthorModelForm):
    html_fields = ("situation", "lesson_learned")
    domain_impacts = ImpactsField(
        label=_("Gevolgen per levensgebied"),
        required=False,
        help_text=_("Eén per regel: ‘levensgebied: gevolg’."),
    )
    stakeholder_impacts = ImpactsField(
        label=_("Gevolgen per betrokkene"),
        required=False,
        help_text=_("Eén per regel: ‘betrokkene: gevolg’."),
    )

    class Meta:
        model = PersonaStoryBlock
        fields = ["persona", "title", "situation", "lesson_learned"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for kind in ("domain", "stakeholder"):
            impacts = self.instance.impacts_of_kind(kind) if self.instance.pk else []
            self.initial[f"{kind}_impacts"] = "\n".join(
                f"{i['label']}: {i['text']}" for i in impacts
            )

    def save(self, commit=True):
        self.instance.impacts = [
            {"kind": kind, **item}
            for kind in ("domain", "stakeholder")
            for item in self.cleaned_data[f"{kind}_impacts"]
        ]
        return super().save(commit)


class ScenarioBlockForm(AuthorModelForm):
    html_fields = ("introduction",)

    class Meta:
        model = ScenarioBlock
        fields = ["title", "persona", "introduction"]


class ReflectionBlockForm(AuthorModelForm):
    html_fields = ("prompt", "guidance")

    class Meta:
        model = ReflectionBlock
        fields = ["prompt", "guidance"]


class QuizBlockForm(forms.ModelForm):
    class Meta:
        model = QuizBlock
        fields = ["quiz"]

    def __init__(self, *args, version, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["quiz"].queryset = Quiz.objects.filter(version=version).order_by("title")
        self.fields["quiz"].help_text = _("Maak een quiz eerst aan onder ‘Quizzen’.")


# The authoring form of each block kind.
BLOCK_FORMS = {
    RichTextBlock: RichTextBlockForm,
    CalloutBlock: CalloutBlockForm,
    ImageBlock: ImageBlockForm,
    MediaBlock: MediaBlockForm,
    PersonaStoryBlock: PersonaStoryBlockForm,
    ScenarioBlock: ScenarioBlockForm,
    ReflectionBlock: ReflectionBlockForm,
    QuizBlock: QuizBlockForm,
}
# kind → (model, form, label); the "add a block" menu follows the kinds' order.
BLOCK_KINDS = {kind: (cls, BLOCK_FORMS[cls], cls.label) for kind, cls in Block.kinds().items()}


def block_form(kind, version, *args, **kwargs):
    _model, form_class, _label = BLOCK_KINDS[kind]
    if form_class is QuizBlockForm:
        kwargs["version"] = version
    return form_class(*args, **kwargs)


class ScenarioStepForm(AuthorModelForm):
    html_fields = ("situation",)

    class Meta:
        model = ScenarioStep
        fields = ["situation"]


class ChoiceForm(RichTextFormMixin, forms.ModelForm):
    html_fields = ("feedback",)


class BaseChoiceFormSet(BaseInlineFormSet):
    def __init__(self, *args, scenario, **kwargs):
        self.scenario = scenario
        super().__init__(*args, **kwargs)

    def add_fields(self, form, index):
        super().add_fields(form, index)
        form.fields["next_step"].queryset = ScenarioStep.objects.filter(
            scenario=self.scenario
        ).order_by("position")
        form.fields["next_step"].empty_label = _("— einde van het scenario —")


ChoiceFormSet = inlineformset_factory(
    ScenarioStep,
    ScenarioChoice,
    form=ChoiceForm,
    formset=BaseChoiceFormSet,
    fk_name="step",
    fields=["text", "feedback", "recommended", "next_step"],
    labels={"next_step": _("Gaat verder naar stap")},  # type: ignore[dict-item]
    widgets={"feedback": RichTextarea(attrs={"rows": 3})},
    extra=2,
    can_delete=True,
    can_order=True,
)


# --- Quizzes and questions ---------------------------------------------------------------------


def parse_draw(text: str):
    """`''` → None, `10` → 10, `doel-1: 2, doel-2: 3` → {"doel-1": 2, "doel-2": 3}; as the
    course file's `draw`. Raises ValidationError on anything else."""
    text = (text or "").strip()
    if not text:
        return None
    if text.isdigit():
        if int(text) < 1:
            raise forms.ValidationError(_("Trek minstens één vraag."))
        return int(text)
    draw = {}
    for part in text.split(","):
        tag, _sep, count = part.partition(":")
        tag, count = tag.strip(), count.strip()
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", tag) or not count.isdigit() or int(count) < 1:
            raise forms.ValidationError(
                _("Schrijf een aantal (10) of per leerdoel ‘doel-1: 2, doel-2: 3’.")
            )
        draw[tag] = int(count)
    return draw


def format_draw(draw) -> str:
    if isinstance(draw, dict):
        return ", ".join(f"{tag}: {count}" for tag, count in draw.items())
    return "" if draw is None else str(draw)


class QuizForm(AuthorModelForm):
    html_fields = ("introduction",)

    draw_text = forms.CharField(
        label=_("Trekking uit de vragenpool"),
        required=False,
        help_text=_(
            "Leeg: elke poging stelt alle vragen. Een aantal (10) trekt zoveel vragen per poging; "
            "‘doel-1: 2, doel-2: 3’ trekt per leerdoel (de leerdoelen van de vragen)."
        ),
    )

    class Meta:
        model = Quiz
        fields = [
            "title",
            "kind",
            "introduction",
            "pass_mark",
            "max_attempts",
            "show_correct_after_fail",
        ]
        labels = {"kind": _("Soort quiz")}
        widgets = {
            "show_correct_after_fail": forms.Select(
                choices=[
                    ("unknown", _("Standaard (oefenvragen: ja; toets: pas zonder pogingen)")),
                    ("true", _("Ja, direct na een onvoldoende poging")),
                    ("false", _("Nee, pas als er geen pogingen meer over zijn")),
                ]
            )
        }

    def __init__(self, *args, version, **kwargs):
        self.version = version
        super().__init__(*args, **kwargs)
        self.fields["draw_text"].initial = format_draw(self.instance.draw)

    def clean(self):
        cleaned = super().clean()
        try:
            draw = parse_draw(cleaned.get("draw_text", ""))
        except forms.ValidationError as exc:
            self.add_error("draw_text", exc)
            return cleaned
        if draw is not None and cleaned.get("kind") not in (Quiz.Kind.TEST, Quiz.Kind.FINAL):
            self.add_error(
                "draw_text", _("Alleen een toets of eindtoets trekt vragen uit een pool.")
            )
        self.instance.draw = draw
        return cleaned

    def clean_kind(self):
        kind = self.cleaned_data["kind"]
        if kind == Quiz.Kind.FINAL:
            finals = Quiz.objects.filter(version=self.version, kind=Quiz.Kind.FINAL).exclude(
                pk=self.instance.pk
            )
            if finals.exists():
                raise forms.ValidationError(
                    _("Deze cursus heeft al een eindtoets. Een cursus heeft er maar één.")
                )
        return kind


QUESTION_BASE_FIELDS = ["prompt", "explanation", "tag", "points"]


class QuestionForm(AuthorModelForm):
    html_fields = ("prompt", "explanation")

    tags_text = forms.CharField(
        label=_("Leerdoelen"),
        required=False,
        help_text=_("Bijvoorbeeld ‘doel-1’; meerdere gescheiden door komma's."),
    )

    class Meta:
        fields = QUESTION_BASE_FIELDS
        labels = {"tag": _("Soort vraag"), "points": _("Punten")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tags_text"].initial = ", ".join(self.instance.tags or [])

    def clean_tags_text(self):
        tags = [t.strip() for t in self.cleaned_data.get("tags_text", "").split(",") if t.strip()]
        if any(not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", t) for t in tags):
            raise forms.ValidationError(
                _("Een leerdoel bestaat uit kleine letters, cijfers en streepjes (doel-1).")
            )
        self.instance.tags = list(dict.fromkeys(tags))
        return self.cleaned_data["tags_text"]


def _question_form(model, extra_fields=()):
    meta = type(
        "Meta",
        (QuestionForm.Meta,),
        {"model": model, "fields": QUESTION_BASE_FIELDS + list(extra_fields)},
    )
    return type(f"{model.__name__}Form", (QuestionForm,), {"Meta": meta})


# kind → (model, form, label), from the question kinds themselves; the menu follows their order.
QUESTION_KINDS = {
    kind: (cls, _question_form(cls, list(cls.own_fields)), cls.label)
    for kind, cls in Question.kinds().items()
}


class OptionForm(RichTextFormMixin, forms.ModelForm):
    html_fields = ("feedback",)

    class Meta:
        model = Option
        fields = ["text", "match", "is_correct", "feedback", "pinned"]
        widgets = {"feedback": RichTextarea(attrs={"rows": 2})}
        help_texts = {"pinned": _("Blijft onderaan als de antwoorden gehusseld worden.")}

    def has_changed(self):
        # A new option with a text counts as filled in, also when the text was pre-filled
        # (‘Waar’/‘Niet waar’); otherwise Django would skip it as an untouched extra form.
        typed = self.data.get(self.add_prefix("text"), "").strip()
        return super().has_changed() or (self.instance.pk is None and bool(typed))


class BaseOptionFormSet(BaseInlineFormSet):
    """The answer options of one question; which fields and rules apply is the question's."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None and not self.question_class.initial_options:
            # A new question starts with four empty answer rows; more via "Optie toevoegen".
            self.extra = 4

    @property
    def question_class(self):
        return type(self.instance)

    def add_fields(self, form, index):
        super().add_fields(form, index)
        kind = self.question_class
        if not kind.uses_match:
            del form.fields["match"]
        if not kind.marks_correct:
            del form.fields["is_correct"]
        if not kind.may_pin:
            del form.fields["pinned"]

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        kept = [
            f for f in self.forms if f.cleaned_data.get("text") and not f.cleaned_data.get("DELETE")
        ]
        problem = self.question_class.authored_options_problem([f.cleaned_data for f in kept])
        if problem:
            raise forms.ValidationError(problem)


OptionFormSet = inlineformset_factory(
    Question,
    Option,
    form=OptionForm,
    formset=BaseOptionFormSet,
    extra=2,
    can_delete=True,
    can_order=True,
)


# --- Personas, reviews, roles ------------------------------------------------------------------


class PersonaForm(AuthorModelForm):
    html_fields = ("bio",)

    class Meta:
        model = Persona
        fields = ["name", "slug", "age", "pronouns", "bio", "portrait", "portrait_alt"]
        field_classes = {"portrait": forms.FileField}
        widgets = {
            "portrait": forms.ClearableFileInput(
                attrs={"accept": "image/png,image/jpeg,image/webp,image/gif"}
            )
        }

    def clean_portrait(self):
        return _clean_upload(self, "portrait", uploads.IMAGE_TYPES)

    def clean(self):
        data = super().clean()
        if data.get("portrait") and not (data.get("portrait_alt") or "").strip():
            self.add_error("portrait_alt", _("Geef een alt-tekst bij het portret."))
        return data


class ReviewCommentForm(forms.Form):
    """A review comment on the course, a lesson or a quiz; `targets` (key, label) lets the
    reviewer pin it to one block of the lesson or one question of the quiz."""

    text = forms.CharField(
        label=_("Opmerking"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    target = forms.ChoiceField(label=_("Over"), required=False)
    lesson_key = forms.SlugField(required=False, widget=forms.HiddenInput)
    quiz_key = forms.SlugField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, targets=None, whole=None, **kwargs):
        super().__init__(*args, **kwargs)
        if targets:
            self.fields["target"].choices = [("", whole or _("het geheel")), *targets]
        else:
            del self.fields["target"]

    def clean_target(self):
        return self.cleaned_data.get("target") or ""


class ReviewRequestForm(forms.Form):
    note = forms.CharField(
        label=_("Bericht aan de reviewers (optioneel)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ApprovalForm(forms.Form):
    note = forms.CharField(label=_("Toelichting (optioneel)"), max_length=500, required=False)


class RoleForm(forms.Form):
    email = forms.EmailField(label=_("E-mailadres"))
    role = forms.ChoiceField(label=_("Rol"), choices=CourseRole.Role.choices)

    def clean_email(self):
        email = self.cleaned_data["email"]
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            raise forms.ValidationError(_("Er is geen account met dit e-mailadres."))
        self.user = user
        return email


class MoveForm(forms.Form):
    """Up or down by one (the ↑/↓ buttons), or to a 0-based `position` (drag and drop)."""

    direction = forms.ChoiceField(
        choices=[("up", _("omhoog")), ("down", _("omlaag"))], required=False
    )
    position = forms.IntegerField(min_value=0, required=False)

    def clean(self):
        cleaned_data = super().clean()
        if not cleaned_data.get("direction") and cleaned_data.get("position") is None:
            raise forms.ValidationError(_("Kies omhoog, omlaag of een plaats."))
        return cleaned_data
