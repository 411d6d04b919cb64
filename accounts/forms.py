"""Forms for the learner's own account: sign-up, rate-limited login, profile, register numbers,
account deletion. No form asks for sex or gender, and none ever will."""

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.forms import inlineformset_factory
from django.utils.translation import gettext_lazy as _

from lms.lib.ratelimit import FailureLimiter, client_address, minutes_until

from .models import RegisterNumber, User

DUPLICATE_REGISTER = _("Dit register staat er al in. Vul elk register maar één keer in.")
PROFILE_FIELDS = ["first_name", "initials", "surname_prefix", "last_name", "profession"]


class PersonFieldsMixin:
    """Labels and requiredness shared by the sign-up and profile forms."""

    def setup_person_fields(self):
        self.fields["first_name"].required = True
        self.fields["last_name"].required = True
        self.fields["first_name"].label = _("Voornaam")
        self.fields["last_name"].label = _("Achternaam")
        self.fields["initials"].label = _("Voorletters (optioneel)")
        self.fields["surname_prefix"].label = _("Tussenvoegsel (optioneel)")
        self.fields["profession"].label = _("Beroep")
        self.fields["first_name"].widget.attrs["autocomplete"] = "given-name"
        self.fields["last_name"].widget.attrs["autocomplete"] = "family-name"


class SignUpForm(PersonFieldsMixin, forms.ModelForm):
    password1 = forms.CharField(
        label=_("Wachtwoord"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Minstens 8 tekens, niet alleen cijfers en niet te gewoon."),
    )
    password2 = forms.CharField(
        label=_("Herhaal het wachtwoord"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    class Meta:
        model = User
        fields = ["email", *PROFILE_FIELDS]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_person_fields()
        self.fields["email"].label = _("E-mailadres")
        self.fields["email"].widget.attrs["autocomplete"] = "email"

    def clean_email(self):
        # A taken address is not an error on the page (that would tell anyone who has an
        # account): the view mails that address instead of creating a second account.
        email = User.objects.normalize_email(self.cleaned_data["email"]).strip()
        self.address_taken = User.objects.filter(email__iexact=email).exists()
        return email

    def validate_unique(self):
        if not getattr(self, "address_taken", False):
            super().validate_unique()

    def clean(self):
        cleaned = super().clean()
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("De twee wachtwoorden zijn niet gelijk."))
        elif p1:
            # Validate against the person's own name and e-mail as well.
            candidate = User(
                email=cleaned.get("email") or "",
                first_name=cleaned.get("first_name") or "",
                last_name=cleaned.get("last_name") or "",
            )
            try:
                password_validation.validate_password(p1, candidate)
            except ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned

    def save(self, commit=True):
        user = super().save(commit=False)
        user.set_password(self.cleaned_data["password1"])
        if commit:
            user.save()
        return user


def address_limiter(kind: str) -> FailureLimiter:
    """Attempts per client address at `kind` ("signup", "password-reset"), in Django's cache."""
    return FailureLimiter(
        cache,
        settings.SIGNUP_RATE_LIMIT_ATTEMPTS,
        settings.SIGNUP_RATE_LIMIT_WINDOW_SECONDS,
        prefix=f"{kind}-ip",
    )


def request_address(request) -> str:
    return client_address(
        request.META.get("REMOTE_ADDR", ""),
        request.META.get("HTTP_X_FORWARDED_FOR", ""),
        settings.TRUSTED_PROXY_COUNT,
    )


LOGIN_RATE_LIMITED = _("Te veel mislukte pogingen. Probeer het over %(minutes)s minuten opnieuw.")


class LoginLimitMixin:
    """Shows `LoginLimitBackend`'s refusal as "too many attempts, wait N minutes".

    While locked, even the right password is refused: otherwise the lock would only tell an
    attacker which guess was right.
    """

    def clean(self):
        try:
            return super().clean()
        except ValidationError:
            wait = getattr(self.request, "login_retry_after", 0)
            if wait:
                raise ValidationError(
                    LOGIN_RATE_LIMITED, code="rate_limited", params={"minutes": minutes_until(wait)}
                ) from None
            raise


class RateLimitedAuthenticationForm(LoginLimitMixin, AuthenticationForm):
    """Django's login form, in Dutch, behind the login attempt limit."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "Dit e-mailadres en wachtwoord horen niet bij elkaar. Let op hoofdletters."
        ),
        "inactive": _("Dit account is niet actief."),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("E-mailadres")
        self.fields["username"].widget.attrs["autocomplete"] = "email"
        self.fields["password"].label = _("Wachtwoord")


class RateLimitedAdminAuthenticationForm(LoginLimitMixin, AdminAuthenticationForm):
    """The admin's login form behind the same limit and the same counters as the site's."""


class ProfileForm(PersonFieldsMixin, forms.ModelForm):
    class Meta:
        model = User
        fields = [*PROFILE_FIELDS, "course_reminders"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_person_fields()


class RegisterNumberForm(forms.ModelForm):
    """One register number. `RegisterNumber.clean()` checks it against the register's rule.

    A 10-digit BIG number is refused with a question; ticking `confirm_leading_zero` stores it
    with the leading zero restored. Ticking it on a number flagged `needs_confirmation` confirms
    the stored number as it is.
    """

    confirm_leading_zero = forms.BooleanField(
        label=_("Ja, met een 0 vooraan / dit nummer klopt"), required=False
    )

    class Meta:
        model = RegisterNumber
        fields = ["register", "register_name", "number"]
        labels = {
            "register": _("Register"),
            "register_name": _("Naam van het register (alleen bij 'ander register')"),
            "number": _("Registratienummer"),
        }
        error_messages = {
            "number": {"required": _("Vul een registratienummer in.")},
            "register": {"required": _("Kies een register.")},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["number"].widget.attrs["inputmode"] = "numeric"

    def clean(self):
        cleaned = super().clean()
        # RegisterNumber.clean() (run after this) reads the learner's confirmation.
        self.instance.confirm_leading_zero = bool(cleaned.get("confirm_leading_zero"))
        return cleaned

    def validate_unique(self):
        super().validate_unique()
        # The inline formset leaves the user out of Django's constraint check, so check the
        # learner's stored numbers here (after clean() has normalised register_name).
        instance = self.instance
        if (
            instance.user_id
            and instance.register
            and (
                RegisterNumber.objects.filter(
                    user_id=instance.user_id,
                    register=instance.register,
                    register_name__iexact=instance.register_name.strip(),
                )
                .exclude(pk=instance.pk)
                .exists()
            )
        ):
            self.add_error(None, DUPLICATE_REGISTER)


class BaseRegisterNumberFormSet(forms.BaseInlineFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("Verwijderen")

    def validate_unique(self):
        # Django's own check names the fields in English; say it in Dutch and per register.
        seen = set()
        for form in self.forms:
            if not form.is_valid() or not form.has_changed() or self._should_delete_form(form):
                continue
            key = (
                form.cleaned_data.get("register"),
                (form.instance.register_name or "").strip().lower(),
            )
            if key in seen:
                form.add_error(None, DUPLICATE_REGISTER)
            seen.add(key)


RegisterNumberFormSet = inlineformset_factory(
    User,
    RegisterNumber,
    form=RegisterNumberForm,
    formset=BaseRegisterNumberFormSet,
    extra=1,
    can_delete=True,
    can_delete_extra=False,
    max_num=10,
    validate_max=True,
)


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label=_("Je wachtwoord, ter bevestiging"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise ValidationError(_("Dit wachtwoord klopt niet. Je account is niet verwijderd."))
        return password


class TwoFactorTokenForm(forms.Form):
    token = forms.CharField(
        label=_("Code uit je authenticator-app (6 cijfers)"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def __init__(self, device, *args, **kwargs):
        self.device = device
        super().__init__(*args, **kwargs)

    def clean_token(self):
        token = self.cleaned_data["token"].replace(" ", "")
        if not token.isdigit() or not self.device.verify_token(token):
            raise ValidationError(
                _("Deze code klopt niet of is verlopen. Neem de code die nu in de app staat.")
            )
        return token
