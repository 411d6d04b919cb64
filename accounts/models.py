from typing import ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _

from accounts.registers import (
    InvalidRegisterNumber,
    normalise_register_number,
    register_info,
    register_name_key,
    stored_normalised_number,
)
from lms.lib.typing import StrOrPromise

REMINDERS_OFF_SALT = "accounts.User.reminders_off"
# A reminder's switch-off link works this long; later the profile still has the switch.
REMINDERS_OFF_MAX_AGE = 90 * 24 * 3600


class LearnerManager(UserManager):
    """Users log in with their e-mail address; `username` mirrors it."""

    def _create_user(self, username, email, password, **extra_fields):
        email = self.normalize_email(email or username)
        return super()._create_user(email, email, password, **extra_fields)

    def create_user(self, email=None, password=None, **extra_fields):
        extra_fields.pop("username", None)
        return super().create_user(email, email, password, **extra_fields)

    def create_superuser(self, email=None, password=None, **extra_fields):
        extra_fields.pop("username", None)
        return super().create_superuser(email, email, password, **extra_fields)


class User(AbstractUser):
    """A person using Spreekkamer. Deliberately holds no sex or gender."""

    class Profession(models.TextChoices):
        HUISARTS = "huisarts", _("Huisarts")
        POH_S = "poh_s", _("Praktijkondersteuner somatiek (POH-S)")
        POH_GGZ = "poh_ggz", _("Praktijkondersteuner GGZ (POH-GGZ)")
        DOKTERSASSISTENT = "doktersassistent", _("Doktersassistent")
        VERPLEEGKUNDIGE = "verpleegkundige", _("Verpleegkundige")
        PRAKTIJKMANAGER = "praktijkmanager", _("Praktijkmanager")
        ANDERS = "anders", _("Anders")

    email = models.EmailField(_("e-mailadres"), unique=True)
    profession = models.CharField(
        _("beroep"), max_length=32, choices=Profession.choices, blank=True
    )
    initials = models.CharField(
        _("voorletters"),
        max_length=20,
        blank=True,
        help_text=_("Zoals in het kwaliteitsregister, bijvoorbeeld J.A."),
    )
    surname_prefix = models.CharField(_("tussenvoegsel"), max_length=20, blank=True)
    preferred_language = models.CharField(
        _("taal"), max_length=5, choices=[("nl", "Nederlands"), ("en", "English")], default="nl"
    )

    # The e-mail after 14 days without progress in an unfinished course; off in the profile or
    # with the signed link in the mail (reminders_off_token).
    course_reminders = models.BooleanField(
        _("herinneringen per e-mail"),
        default=True,
        help_text=_(
            "Een e-mail als je 14 dagen niet verder bent gegaan in een cursus die je nog niet hebt "
            "afgerond."
        ),
    )

    # Set by sign-up, cleared when the owner follows the mailed link. An account an administrator
    # deactivated is inactive too, but never awaits confirmation: no sign-up link reactivates it.
    awaiting_confirmation = models.BooleanField(default=False, editable=False)

    objects: ClassVar[LearnerManager] = LearnerManager()

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("gebruiker")
        verbose_name_plural = _("gebruikers")

    def __str__(self):
        return self.display_name or self.email

    def save(self, *args, **kwargs):
        self.username = self.email
        super().save(*args, **kwargs)

    @property
    def display_name(self) -> str:
        parts = [self.first_name, self.surname_prefix, self.last_name]
        return " ".join(p for p in parts if p).strip()

    def reminders_off_token(self) -> str:
        """A signed, timestamped token for switching this user's reminders off without logging in
        (the link in every reminder); `for_reminders_off_token()` reads it back."""
        return signing.dumps({"u": self.pk, "e": self._email_check()}, salt=REMINDERS_OFF_SALT)

    @classmethod
    def for_reminders_off_token(cls, token: str) -> "User":
        """The user a reminders-off token was made for. Raises `signing.SignatureExpired` for a
        token older than REMINDERS_OFF_MAX_AGE and `signing.BadSignature` for a tampered one or
        one whose user is gone or has another e-mail address now (revoked)."""
        data = signing.loads(token, salt=REMINDERS_OFF_SALT, max_age=REMINDERS_OFF_MAX_AGE)
        user = cls.objects.filter(pk=data.get("u"), is_active=True).first()
        if user is None or not constant_time_compare(user._email_check(), data.get("e", "")):
            raise signing.BadSignature("no such user, or another e-mail address now")
        return user

    def _email_check(self) -> str:
        # The address itself stays out of the link (links end up in logs).
        return salted_hmac(REMINDERS_OFF_SALT, self.email.lower()).hexdigest()[:16]


DERIVED_FROM = frozenset({"number", "register", "register_name"})


class RegisterNumberQuerySet(models.QuerySet):
    # Both skip save() and post_save: they derive the columns themselves and send
    # accounts.signals.register_numbers_changed, in the write's transaction.

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for obj in objs:
            obj.derive_columns()
        with transaction.atomic(using=self.db):
            created = super().bulk_create(objs, *args, **kwargs)
            _numbers_changed({obj.user_id for obj in objs})
        return created

    def update(self, **kwargs):
        with transaction.atomic(using=self.db):
            rows = list(self.values_list("pk", "user_id"))
            updated = super().update(**kwargs)
            if DERIVED_FROM.intersection(kwargs):
                # What the derived columns are computed from: re-derived row by row.
                fresh = list(self.model._base_manager.filter(pk__in=[pk for pk, _user in rows]))
                for number in fresh:
                    number.derive_columns()
                self.model._base_manager.bulk_update(fresh, ["normalised", "register_key"])
            _numbers_changed({user_id for _pk, user_id in rows})
        return updated


def _numbers_changed(user_ids: set[int]) -> None:
    from accounts.signals import register_numbers_changed

    if user_ids:
        register_numbers_changed.send(sender=RegisterNumber, user_ids=sorted(user_ids))


class RegisterNumber(models.Model):
    """A learner's number in one Dutch quality register, in the shape the register uses.

    The registers, their PE-online organisations and number rules: accounts/registers.py.
    `normalised` and `register_key` are derived from them on every save, so that the staff
    overview can apply the rules in SQL (records.registers); a change of a number rule needs a
    data migration that re-saves them (see 0005).
    """

    class Register(models.TextChoices):
        BIG = "big", _("BIG-register (artsen, KNMG/GAIA)")
        VVN = "vvn", _("V&VN Kwaliteitsregister (verpleegkundigen, POH-S)")
        NVVPO = "nvvpo", _("NVVPO (praktijkondersteuners)")
        POH_GGZ = "poh_ggz", _("LV POH-GGZ")
        KABIZ = "kabiz", _("Kwaliteitsregister Doktersassistent (KABIZ)")
        OTHER = "other", _("Ander register")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="register_numbers")
    register = models.CharField(_("register"), max_length=16, choices=Register.choices)
    register_name = models.CharField(
        _("naam van het register"),
        max_length=100,
        blank=True,
        help_text=_("Alleen bij 'ander register'."),
    )
    number = models.CharField(_("registratienummer"), max_length=32)
    # Set for numbers stored under an earlier rule that padded them with zeros: the learner must
    # look at them again before they are reported (migration 0002).
    needs_confirmation = models.BooleanField(_("nog te bevestigen"), default=False)
    # The number as PE-online receives it; "" when it does not fit the register's rule.
    normalised = models.CharField(max_length=32, blank=True, default="", editable=False)
    # register_name as numbers are matched to an "other" register's accreditation.
    register_key = models.CharField(max_length=100, blank=True, default="", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RegisterNumberQuerySet.as_manager()

    class Meta:
        verbose_name = _("registratienummer")
        verbose_name_plural = _("registratienummers")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "register", "register_name"],
                name="accounts_registernumber_unique_per_register",
            ),
        ]

    def __str__(self):
        return f"{self.get_register_display()}: {self.number}"

    def save(self, *args, **kwargs):
        self.derive_columns()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "normalised", "register_key"}
        super().save(*args, **kwargs)

    def derive_columns(self) -> None:
        """Set `normalised` and `register_key` from the number, register and register name."""
        self.normalised = stored_normalised_number(self.number, self.register)
        self.register_key = register_name_key(self.register_name)

    def clean(self):
        if self.register == self.Register.OTHER and not self.register_name.strip():
            raise ValidationError({"register_name": _("Geef de naam van het register op.")})
        if self.register != self.Register.OTHER:
            self.register_name = ""
        if not self.register:
            return
        try:
            self.number = normalise_register_number(
                self.number,
                self.register,
                confirm_leading_zero=getattr(self, "confirm_leading_zero", False),
            )
        except InvalidRegisterNumber as exc:
            raise ValidationError({"number": number_error_message(self.register, exc)}) from None
        self.needs_confirmation = False


def number_error_message(register: str, exc: InvalidRegisterNumber) -> StrOrPromise:
    """The learner-facing Dutch explanation of why `register` refuses a number."""
    if exc.reason == "empty":
        return _("Vul een registratienummer in.")
    if exc.reason == "confirm_leading_zero":
        return _(
            "Een BIG-nummer heeft 11 cijfers; je hebt er 10 ingevuld. Bedoel je %(restored)s "
            "(met een 0 vooraan)? Vink dan 'Ja, met een 0 vooraan' aan en sla opnieuw op."
        ) % {"restored": exc.restored}
    rule = register_info(register).rule
    if exc.reason == "characters" and rule is not None and rule.digits_only:
        return _("Een registratienummer bestaat alleen uit de cijfers 0 tot en met 9.")
    if exc.reason == "characters":
        return _("Een registratienummer bestaat alleen uit letters en cijfers.")
    return _("Een nummer in dit register heeft %(rule)s.") % {
        "rule": rule.description if rule else ""
    }
