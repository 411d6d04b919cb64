import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import RegisterNumber, User
from tests import factories

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Een-lang-en-ongewoon-wachtwoord-42"
LOCK_MESSAGE = "Te veel mislukte pogingen. Probeer het over 15 minuten opnieuw."


def signup_data(**overrides):
    data = {
        "email": "Nieuw@Example.org",
        "first_name": "Robin",
        "initials": "R.J.",
        "surname_prefix": "van",
        "last_name": "Dijk",
        "profession": "poh_ggz",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
    }
    data.update(overrides)
    return data


def profile_data(user, registers=(), initial=0, **overrides):
    """POST data for the profile page: the profile form and the register-number formset."""
    data = {
        "profile-first_name": user.first_name,
        "profile-initials": user.initials,
        "profile-surname_prefix": user.surname_prefix,
        "profile-last_name": user.last_name,
        "profile-profession": user.profession,
        "registers-TOTAL_FORMS": str(len(registers)),
        "registers-INITIAL_FORMS": str(initial),
        "registers-MIN_NUM_FORMS": "0",
        "registers-MAX_NUM_FORMS": "10",
    }
    for i, reg in enumerate(registers):
        for key, value in reg.items():
            data[f"registers-{i}-{key}"] = value
    data.update(overrides)
    return data


def login(client, email, password, ip="198.51.100.10"):
    return client.post(reverse("login"), {"username": email, "password": password}, REMOTE_ADDR=ip)


# --- sign-up -------------------------------------------------------------------------------------


def test_it_signs_up_confirms_by_mail_logs_in_and_asks_for_register_numbers(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("signup"), signup_data())
    assert response.status_code == 302 and response["Location"] == reverse("signup_sent")
    user = User.objects.get(email="Nieuw@example.org")
    assert (user.first_name, user.initials, user.surname_prefix, user.last_name) == (
        "Robin",
        "R.J.",
        "van",
        "Dijk",
    )
    assert user.profession == User.Profession.POH_GGZ
    assert user.check_password(NEW_PASSWORD)
    # Not logged in and not able to log in until the address is confirmed.
    assert not user.is_active and "_auth_user_id" not in client.session
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["Nieuw@example.org"]
    assert mailoutbox[0].subject == "Bevestig je account bij Spreekkamer"
    link = factories.confirmation_path(mailoutbox[0])
    page = client.get(link)  # a mail scanner following the link confirms nothing
    assert page.status_code == 200 and "Account bevestigen" in page.content.decode()
    assert not User.objects.get(pk=user.pk).is_active
    confirmed = client.post(link)
    assert confirmed.status_code == 302 and confirmed["Location"] == reverse("profile")
    assert User.objects.get(pk=user.pk).is_active
    page = client.get(reverse("profile"))
    assert page.status_code == 200
    assert "Welkom, Robin" in page.content.decode()
    client.logout()
    again = client.post(link)  # the link works once
    assert again.status_code == 400 and "_auth_user_id" not in client.session


CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


def signup_answer(client, data):
    """Everything a person signing up can observe: the response, the cookies it sets, the session
    it leaves and the page it leads to."""
    response = client.post(reverse("signup"), data)
    following = client.get(response["Location"]) if response.status_code == 302 else None
    return {
        "status": response.status_code,
        "location": response.get("Location"),
        "cookies": sorted(response.cookies.keys()),
        "session": sorted(client.session.keys()),
        "next_status": following and following.status_code,
        # CSRF tokens are masked afresh on every page: they differ between any two answers.
        "next_page": following and CSRF_TOKEN.sub("", following.content.decode()),
        "page": CSRF_TOKEN.sub("", response.content.decode()),
    }


def test_it_answers_a_sign_up_with_a_taken_address_exactly_like_a_new_one(
    learner, mailoutbox, django_capture_on_commit_callbacks
):
    from django.test import Client

    with django_capture_on_commit_callbacks(execute=True):
        new = signup_answer(Client(), signup_data(email="nieuw@example.org"))
        taken = signup_answer(Client(), signup_data(email="LEARNER@example.org"))
    assert new == taken
    assert new["location"] == reverse("signup_sent") and new["session"] == []
    # Each address got its own mail: a confirmation link, or "you already have an account".
    assert [m.to for m in mailoutbox] == [["nieuw@example.org"], [learner.email]]
    assert "/accounts/aanmelden/bevestigen/" in mailoutbox[0].body
    assert "Je hebt al een account" in mailoutbox[1].body


def test_it_mails_the_link_again_to_an_unconfirmed_address(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("signup"), signup_data())
        client.post(reverse("signup"), signup_data(password1="x" * 20, password2="x" * 20))
    assert User.objects.count() == 1
    assert [m.subject for m in mailoutbox] == ["Bevestig je account bij Spreekkamer"] * 2
    # The second attempt's password was not taken over.
    assert User.objects.get().check_password(NEW_PASSWORD)


def test_it_never_reactivates_an_account_an_administrator_deactivated(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    """Inactive and never logged in is not the same as waiting for confirmation."""
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("signup"), signup_data())
    link = factories.confirmation_path(mailoutbox[0])
    User.objects.filter(email="Nieuw@example.org").update(awaiting_confirmation=False)
    # An administrator deactivated the account before its owner confirmed it.
    assert client.post(link).status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(reverse("signup"), signup_data())
    assert again.status_code == 302 and again["Location"] == reverse("signup_sent")
    assert len(mailoutbox) == 1  # no new link
    user = User.objects.get(email="Nieuw@example.org")
    assert not user.is_active and "_auth_user_id" not in client.session


def test_it_never_asks_for_sex_or_gender(client):
    html = client.get(reverse("signup")).content.decode().lower()
    for word in ("geslacht", "gender", "sekse", "man", "vrouw"):
        assert f'name="{word}' not in html
    assert "geslacht" not in html and "gender" not in html
    assert 'name="profession"' in html and 'name="surname_prefix"' in html


def test_it_mails_a_taken_address_instead_of_saying_it_is_taken(
    client, learner, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("signup"), signup_data(email="LEARNER@example.org"), follow=True
        )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Er is al een account" not in page
    assert "We hebben een e-mail gestuurd naar het adres dat je opgaf" in page
    assert User.objects.count() == 1 and "_auth_user_id" not in client.session
    assert len(mailoutbox) == 1 and mailoutbox[0].to == [learner.email]
    assert "Je hebt al een account" in mailoutbox[0].body
    assert "/accounts/password_reset/" in mailoutbox[0].body


def test_it_refuses_different_or_weak_passwords(client):
    response = client.post(reverse("signup"), signup_data(password2="iets-anders-12345"))
    assert "De twee wachtwoorden zijn niet gelijk." in response.content.decode()
    response = client.post(
        reverse("signup"), signup_data(password1="12345678", password2="12345678")
    )
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.content.decode()
    assert not User.objects.exists()


# --- login and rate limiting ---


def test_it_logs_in_with_the_email_address(client, learner):
    response = login(client, "learner@example.org", factories.PASSWORD)
    assert response.status_code == 302
    assert client.get(reverse("profile")).status_code == 200


def test_it_explains_a_wrong_password_in_dutch(client, learner):
    response = login(client, "learner@example.org", "fout")
    assert response.status_code == 200
    assert "Dit e-mailadres en wachtwoord horen niet bij elkaar." in response.content.decode()


def test_it_locks_an_email_address_even_for_the_right_password(client, learner, settings):
    settings.LOGIN_RATE_LIMIT_ATTEMPTS = 5
    settings.LOGIN_RATE_LIMIT_WINDOW_SECONDS = 900
    with time_machine.travel("2026-03-02 10:00:00+00:00", tick=False) as traveller:
        for i in range(5):
            # From different addresses: the e-mail limit alone must lock.
            response = login(client, "learner@example.org", "fout", ip=f"198.51.100.{i}")
            assert LOCK_MESSAGE not in response.content.decode()
        response = login(client, "learner@example.org", factories.PASSWORD, ip="203.0.113.9")
        assert response.status_code == 200
        assert LOCK_MESSAGE in response.content.decode()
        assert "_auth_user_id" not in client.session

        traveller.shift(14 * 60)
        response = login(client, "Learner@Example.org", factories.PASSWORD, ip="203.0.113.9")
        assert "Probeer het over 1 minuten opnieuw." in response.content.decode()

        traveller.shift(61)
        response = login(client, "learner@example.org", factories.PASSWORD, ip="203.0.113.9")
        assert response.status_code == 302
        assert client.session["_auth_user_id"] == str(learner.pk)


def test_it_locks_a_client_address_that_tries_many_accounts(client, learner, settings):
    settings.LOGIN_RATE_LIMIT_IP_ATTEMPTS = 3
    for i in range(3):
        login(client, f"iemand{i}@example.org", "fout", ip="192.0.2.50")
    response = login(client, "learner@example.org", factories.PASSWORD, ip="192.0.2.50")
    assert LOCK_MESSAGE in response.content.decode()
    # Another address is not affected.
    assert (
        login(client, "learner@example.org", factories.PASSWORD, ip="192.0.2.51").status_code == 302
    )


def test_it_forgets_failures_after_a_successful_login(client, learner, settings):
    settings.LOGIN_RATE_LIMIT_ATTEMPTS = 3
    for ip in ("198.51.100.1", "198.51.100.2"):
        login(client, "learner@example.org", "fout", ip=ip)
    assert login(client, "learner@example.org", factories.PASSWORD).status_code == 302
    client.post(reverse("logout"))
    for ip in ("198.51.100.3", "198.51.100.4"):
        login(client, "learner@example.org", "fout", ip=ip)
    assert login(client, "learner@example.org", factories.PASSWORD).status_code == 302


def test_it_logs_out_with_a_post(client, learner):
    client.force_login(learner)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("profile")).status_code == 302


# --- profile and register numbers ---


def test_it_sends_anonymous_visitors_to_the_login_page(client):
    response = client.get(reverse("profile"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_it_edits_name_and_profession(client, learner):
    client.force_login(learner)
    response = client.post(
        reverse("profile"),
        profile_data(
            learner,
            **{
                "profile-first_name": "Sam",
                "profile-surname_prefix": "de",
                "profile-last_name": "Vries",
                "profile-profession": "doktersassistent",
            },
        ),
    )
    assert response.status_code == 302
    learner.refresh_from_db()
    assert learner.display_name == "Sam de Vries"
    assert learner.profession == User.Profession.DOKTERSASSISTENT


def test_it_stores_and_shows_a_register_number_in_eleven_digits(client, learner):
    client.force_login(learner)
    response = client.post(
        reverse("profile"), profile_data(learner, [{"register": "big", "number": "001 234 567 89"}])
    )
    assert response.status_code == 302
    stored = RegisterNumber.objects.get(user=learner)
    assert (stored.register, stored.number) == ("big", "00123456789")
    page = client.get(reverse("profile")).content.decode()
    assert "00123456789" in page and "BIG-register" in page
    # The stored number can be removed; the empty form for a new one has nothing to remove.
    assert page.count('name="registers-0-DELETE"') == 1 and 'name="registers-1-DELETE"' not in page
    assert "Verwijderen" in page


def test_it_saves_nothing_when_a_register_number_is_wrong(client, learner):
    client.force_login(learner)
    response = client.post(
        reverse("profile"),
        profile_data(
            learner, [{"register": "vvn", "number": "12345"}], **{"profile-first_name": "Anders"}
        ),
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Een nummer in dit register heeft 6 cijfers (relatienummer)." in html
    assert "Er is niets opgeslagen" in html
    learner.refresh_from_db()
    assert learner.first_name == "Test"
    assert not RegisterNumber.objects.exists()


def test_it_needs_a_name_for_another_register(client, learner):
    client.force_login(learner)
    response = client.post(
        reverse("profile"), profile_data(learner, [{"register": "other", "number": "A-77"}])
    )
    assert "Geef de naam van het register op." in response.content.decode()
    response = client.post(
        reverse("profile"),
        profile_data(learner, [{"register": "other", "register_name": "SKJ", "number": "A-77"}]),
    )
    assert response.status_code == 302
    assert RegisterNumber.objects.get(user=learner).register_name == "SKJ"


def test_it_refuses_the_same_register_twice(client, learner):
    client.force_login(learner)
    twice = [
        {"register": "big", "number": "12345678901"},
        {"register": "big", "number": "98765432101"},
    ]
    response = client.post(reverse("profile"), profile_data(learner, twice))
    assert "Dit register staat er al in." in response.content.decode()
    assert not RegisterNumber.objects.exists()

    existing = RegisterNumber.objects.create(user=learner, register="big", number="00123456789")
    rows = [
        {"id": str(existing.pk), "register": "big", "number": "00123456789"},
        {"register": "big", "number": "98765432101"},
    ]
    response = client.post(reverse("profile"), profile_data(learner, rows, initial=1))
    assert "Dit register staat er al in." in response.content.decode()
    assert RegisterNumber.objects.count() == 1


def test_it_removes_a_register_number(client, learner):
    existing = RegisterNumber.objects.create(user=learner, register="vvn", number="01234567890")
    client.force_login(learner)
    rows = [{"id": str(existing.pk), "register": "vvn", "number": "01234567890", "DELETE": "on"}]
    assert (
        client.post(reverse("profile"), profile_data(learner, rows, initial=1)).status_code == 302
    )
    assert not RegisterNumber.objects.exists()


def test_it_cannot_touch_someone_elses_register_number(client, learner, outsider):
    theirs = RegisterNumber.objects.create(user=outsider, register="big", number="00123456789")
    client.force_login(learner)
    for extra in ({"DELETE": "on"}, {}):
        rows = [{"id": str(theirs.pk), "register": "big", "number": "99999999999", **extra}]
        client.post(reverse("profile"), profile_data(learner, rows, initial=1))
        theirs.refresh_from_db()
        assert (theirs.user, theirs.number) == (outsider, "00123456789")
    assert not RegisterNumber.objects.filter(user=learner).exists()


def test_it_renders_the_profile_page_in_a_fixed_number_of_queries(
    client, learner, django_assert_num_queries
):
    for register in ("big", "vvn", "kabiz"):
        RegisterNumber.objects.create(user=learner, register=register, number="01234567890")
    client.force_login(learner)
    # session, user, register numbers for the formset, register numbers for the list
    with django_assert_num_queries(4):
        response = client.get(reverse("profile"))
    assert response.content.decode().count("01234567890") >= 3


# --- password change ---


def test_it_changes_the_password(client, learner):
    client.force_login(learner)
    response = client.post(
        reverse("password_change"),
        {"old_password": "fout", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    response = client.post(
        reverse("password_change"),
        {
            "old_password": factories.PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert response["Location"] == reverse("password_change_done")
    learner.refresh_from_db()
    assert learner.check_password(NEW_PASSWORD)
    # Still logged in on this device.
    assert client.get(reverse("profile")).status_code == 200


def test_it_limits_sign_up_attempts_per_client_address_without_telling_who_has_an_account(
    client, settings, learner
):
    settings.SIGNUP_RATE_LIMIT_ATTEMPTS = 3
    start = time_machine.travel("2026-11-23 10:00:00+00:00", tick=False)
    start.start()
    try:
        for i in range(3):  # failed and successful attempts both count
            data = signup_data(email=f"poging{i}@example.org", password2="anders-12345-x")
            assert (
                client.post(reverse("signup"), data, REMOTE_ADDR="203.0.113.7").status_code == 200
            )
        blocked = client.post(
            reverse("signup"), signup_data(email=learner.email), REMOTE_ADDR="203.0.113.7"
        )
        page = blocked.content.decode()
        assert blocked.status_code == 429
        assert "Te veel aanmeldingen vanaf dit adres. Probeer het over 60 minuten opnieuw." in page
        assert "Er is al een account" not in page  # not validated while locked
        assert f'value="{learner.email}"' in page  # what was typed is kept (not the password)
        assert not User.objects.filter(email__startswith="poging").exists()
        # Another address is not affected; after the window the first may try again.
        other = client.post(reverse("signup"), signup_data(), REMOTE_ADDR="203.0.113.8")
        assert other.status_code == 302
    finally:
        start.stop()
    client.logout()
    with time_machine.travel("2026-11-23 11:00:01+00:00", tick=False):
        again = client.post(
            reverse("signup"), signup_data(email="later@example.org"), REMOTE_ADDR="203.0.113.7"
        )
    assert again.status_code == 302


# --- password reset ------------------------------------------------------------------------------


def test_it_resets_a_forgotten_password_through_a_link_that_works_once(
    client, learner, mailoutbox, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://spreekkamer.example.nl"
    page = client.get(reverse("login")).content.decode()
    assert f'href="{reverse("password_reset")}">Wachtwoord vergeten?' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("password_reset"), {"email": learner.email})
    assert response["Location"] == reverse("password_reset_done")
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == [learner.email] and mail.subject == "Een nieuw wachtwoord voor Spreekkamer"
    link = re.search(r"https://spreekkamer\.example\.nl(/accounts/reset/\S+/)", mail.body).group(1)
    form_page = client.get(link, follow=True)
    assert "Kies een nieuw wachtwoord" in form_page.content.decode()
    set_password_url = form_page.redirect_chain[-1][0]
    done = client.post(
        set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert done["Location"] == reverse("password_reset_complete")
    assert login(client, learner.email, NEW_PASSWORD).status_code == 302
    client.logout()
    again = client.get(link, follow=True).content.decode()
    assert "Deze link werkt niet meer" in again


def test_it_answers_the_same_for_an_unknown_address_and_mails_after_the_response(
    client, learner, mailoutbox, django_capture_on_commit_callbacks
):
    answers = {}
    for email in (learner.email, "niemand@example.org"):
        sent = len(mailoutbox)
        with (
            django_capture_on_commit_callbacks() as callbacks,
            CaptureQueriesContext(connection) as queries,
        ):
            response = client.post(reverse("password_reset"), {"email": email})
        # The same answer and the same work: no account look-up, no mail inside the request.
        answers[email] = (response.status_code, response["Location"], len(queries))
        assert len(mailoutbox) == sent and len(callbacks) == 1
        for callback in callbacks:
            callback()  # the Celery task, after the response
    assert answers[learner.email] == answers["niemand@example.org"]
    assert answers[learner.email][1] == reverse("password_reset_done")
    assert [mail.to for mail in mailoutbox] == [[learner.email]]


def test_it_limits_password_reset_requests_per_client_address(
    client, learner, mailoutbox, settings, django_capture_on_commit_callbacks
):
    settings.SIGNUP_RATE_LIMIT_ATTEMPTS = 2
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(
                reverse("password_reset"), {"email": learner.email}, REMOTE_ADDR="203.0.113.9"
            )
    blocked = client.post(
        reverse("password_reset"), {"email": learner.email}, REMOTE_ADDR="203.0.113.9"
    )
    assert blocked.status_code == 429
    assert "Te veel aanvragen vanaf dit adres." in blocked.content.decode()
    assert len(mailoutbox) == 2


def test_it_asks_the_learner_before_restoring_a_dropped_leading_zero(client, learner):
    client.force_login(learner)
    response = client.post(
        reverse("profile"), profile_data(learner, [{"register": "big", "number": "1234567890"}])
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Bedoel je 01234567890 (met een 0 vooraan)?" in html
    assert 'name="registers-0-confirm_leading_zero"' in html
    assert not RegisterNumber.objects.exists()
    response = client.post(
        reverse("profile"),
        profile_data(
            learner,
            [{"register": "big", "number": "1234567890", "confirm_leading_zero": "on"}],
        ),
    )
    assert response.status_code == 302
    assert RegisterNumber.objects.get(user=learner).number == "01234567890"


def test_it_lets_a_learner_confirm_a_number_padded_by_the_old_rule(client, learner):
    padded = RegisterNumber.objects.create(
        user=learner, register="big", number="00123456789", needs_confirmation=True
    )
    client.force_login(learner)
    html = client.get(reverse("profile")).content.decode()
    assert "controleer dit nummer" in html
    rows = [
        {
            "id": str(padded.pk),
            "register": "big",
            "number": "00123456789",
            "confirm_leading_zero": "on",
        }
    ]
    response = client.post(reverse("profile"), profile_data(learner, rows, initial=1))
    assert response.status_code == 302
    padded.refresh_from_db()
    assert not padded.needs_confirmation
