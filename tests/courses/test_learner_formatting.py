"""Dutch formatting on learner pages: hours with a decimal comma and no trailing zero, minutes,
objectives without a repeated "Je kunt"."""

from decimal import Decimal

from django.utils import translation

from courses.templatetags.courses_learning import hours, icon, minutes, objective


def test_it_writes_hours_the_dutch_way():
    with translation.override("nl"):
        assert hours(Decimal("1.50")) == "1,5 uur"
        assert hours(Decimal("2.00")) == "2 uur"
        assert hours(Decimal("1.25")) == "1,25 uur"
        assert hours(Decimal("1")) == "1 uur"
    with translation.override("en"):
        assert hours(Decimal("1.50")) == "1.5 hours"
        assert hours(Decimal("1.00")) == "1 hour"


def test_it_writes_durations_in_minutes():
    with translation.override("nl"):
        assert minutes(1) == "1 minuut"
        assert minutes(90) == "90 minuten"


def test_it_drops_a_leading_je_kunt_from_objectives():
    assert objective("Je kunt het verschil uitleggen") == "het verschil uitleggen"
    assert objective("je kunt  uitleggen") == "uitleggen"
    assert objective("Uitleggen wat je kunt doen") == "Uitleggen wat je kunt doen"


def test_it_draws_an_icon_for_each_block_kind_hidden_from_screen_readers():
    for kind in ("persona_story", "scenario", "reflection", "quiz"):
        svg = icon(kind)
        assert svg.startswith("<svg") and 'aria-hidden="true"' in svg
    assert icon("no-such-kind") == ""
