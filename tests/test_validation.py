"""Parsers of registry input: dates of birth with precision, dates, identifiers."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mhis.registry.validation import (
    clean_identifier,
    earliest_birth,
    format_birth_date,
    normalise_identifier,
    parse_birth_date,
    parse_date,
)

TODAY = date(2026, 11, 22)


@pytest.mark.parametrize(
    ("text", "precision", "expected"),
    [
        ("1990-05-12", None, (date(1990, 5, 12), "exact")),
        ("1990-05", None, (date(1990, 5, 1), "month")),
        ("1990", None, (date(1990, 1, 1), "year")),
        ("1990", "estimated", (date(1990, 1, 1), "estimated")),
        ("1990-05-12", "year", (date(1990, 5, 12), "year")),
        (" 1990-5-2 ", None, (date(1990, 5, 2), "exact")),
    ],
)
def test_birth_dates_keep_their_precision(text, precision, expected):
    assert parse_birth_date(text, precision, today=TODAY) == expected


@pytest.mark.parametrize(
    ("text", "precision", "message"),
    [
        ("1990-02-30", None, "does not exist"),
        ("1990-13", None, "does not exist"),
        ("2027-01-01", None, "future"),
        ("1890", None, "not plausible"),
        ("12/05/1990", None, "YYYY"),
        ("", None, "YYYY"),
        ("1990", "exact", "less precise"),
        ("1990-05", "sometime", "Unknown precision"),
    ],
)
def test_impossible_birth_dates_are_refused_with_a_reason(text, precision, message):
    with pytest.raises(ValueError, match=message):
        parse_birth_date(text, precision, today=TODAY)


@given(
    st.dates(min_value=date(TODAY.year - 120, 1, 1), max_value=TODAY),
    st.sampled_from(["exact", "month", "year"]),
)
def test_birth_date_round_trips_through_its_written_form(day, precision):
    parsed, kept = parse_birth_date(format_birth_date(day, precision), precision, today=TODAY)
    assert kept == precision
    assert format_birth_date(parsed, kept) == format_birth_date(day, precision)
    assert parsed <= day


@given(st.text(max_size=20))
def test_birth_date_parser_never_crashes_on_text(text):
    try:
        parsed, precision = parse_birth_date(text, None, today=TODAY)
    except ValueError:
        return
    assert parsed <= TODAY
    assert precision in ("exact", "month", "year")


def test_estimated_dates_allow_earlier_events():
    assert earliest_birth(date(2000, 6, 1), "estimated") < date(2000, 1, 1)
    assert earliest_birth(date(2000, 6, 1), "exact") == date(2000, 6, 1)


def test_parse_date_requires_a_full_date():
    assert parse_date("2024-02-29") == date(2024, 2, 29)
    for bad in ("2023-02-29", "2024-02", "yesterday"):
        with pytest.raises(ValueError):
            parse_date(bad)


def test_identifiers_are_normalised_for_hashing():
    assert normalise_identifier(" wp-1234 5678 ") == "WP12345678"
    assert clean_identifier("passport", "mc 123/4567") == ("mc 123/4567", "MC1234567")


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        ("passport", "AB#12345", "Use only"),
        ("passport", "A12", "between 5 and 20"),
        ("passport", "   ", "required"),
        ("visa", "123456", "Unknown identifier type"),
        ("national_id", "1" * 31, "between 3 and 30"),
        ("passport", "ÄB12345", "Use only"),
    ],
)
def test_malformed_identifiers_are_refused(kind, value, message):
    with pytest.raises(ValueError, match=message):
        clean_identifier(kind, value)


def test_tomorrow_is_in_the_future():
    with pytest.raises(ValueError):
        parse_birth_date((date.today() + timedelta(days=1)).isoformat())
