"""The value conversions and comparisons between the schemas, as pure functions."""

from datetime import date

import pytest

from job.convert import (
    KEEP,
    ConversionError,
    bool_to_flag,
    dial_prefix,
    email,
    flag_to_bool,
    flag_to_null_or_keep,
    phone_br,
    plus_one_month,
    present_to_flag,
    same_dial_prefix,
    same_email,
    same_phone,
    status_flag_to_bool,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("11987654321", "11 98765-4321"),
        ("(11) 98765-4321", "11 98765-4321"),
        ("11 98765-4321", "11 98765-4321"),
        ("+55 (21) 99123-4567", "21 99123-4567"),
        ("5521991234567", "21 99123-4567"),
        ("  31 9 8765 4321 ", "31 98765-4321"),
    ],
)
def test_phone_numbers_are_normalised_to_ddd_space_number(raw, expected):
    assert phone_br(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("9876-5432", "telefone has 8 digits"),
        ("4411987654321", "telefone has 13 digits"),  # 13 digits not starting with 55
        ("119876543210", "telefone has 12 digits"),
        ("", "telefone is empty"),
        (None, "telefone is empty"),
    ],
)
def test_phone_numbers_that_are_not_brazilian_mobiles_are_rejected(raw, reason):
    with pytest.raises(ConversionError, match=reason):
        phone_br(raw)


@pytest.mark.parametrize(
    ("raw", "expected"), [(None, "+55"), ("", "+55"), ("55", "+55"), ("+55", "+55"), (" + 351 ", "+351")]
)
def test_dial_prefix_is_plus_digits_and_defaults_to_brazil(raw, expected):
    assert dial_prefix(raw) == expected


@pytest.mark.parametrize("raw", ["+55a", "5+5", "++55", "+\u202855", "\u200e55", "+12345", "\u2028"])
def test_dial_prefix_that_is_not_one_to_four_digits_after_an_optional_plus_is_rejected(raw):
    with pytest.raises(ConversionError, match="prefixo is not a dialling code"):
        dial_prefix(raw)


@pytest.mark.parametrize("raw", ["11 9abc0105-0105", "11 98765-4321\x01", "11\t98765-4321", "\u0661\u0661 98765-4321"])
def test_a_phone_number_with_letters_or_control_characters_is_rejected_not_cleaned(raw):
    with pytest.raises(ConversionError, match="telefone has characters other than digits"):
        phone_br(raw)


def test_garbage_db2_already_holds_compares_unequal_so_db1s_value_is_put_back():
    assert not same_phone("11 90105-0105", "11 9abc0105-0105")
    assert not same_dial_prefix("+55", "\u200e55")


def test_one_month_after_december_9999_is_rejected_not_a_crash():
    with pytest.raises(ConversionError, match="past the year 9999"):
        plus_one_month(date(9999, 12, 15))


def test_email_is_trimmed_and_lower_cased():
    assert email("  Carla.Dias@Example.COM ") == "carla.dias@example.com"
    assert email("\t\vCarla.Dias@Example.COM\r\n\f") == "carla.dias@example.com"


@pytest.mark.parametrize("raw", ["a@example.com\u0085", "\u00a0a@example.com", "a@\u212aexample.com"])
def test_email_with_anything_but_ascii_whitespace_around_or_ascii_inside_is_rejected(raw):
    # Python's strip() and lower() would turn each into a valid address; SQL's btrim() and lower() would not.
    with pytest.raises(ConversionError, match="email is not a valid address"):
        email(raw)


@pytest.mark.parametrize("raw", ["no-at-sign.example.com", "a@b", "space in@example.com", "a@example.c"])
def test_email_db1_would_refuse_is_rejected(raw):
    with pytest.raises(ConversionError, match="email is not a valid address"):
        email(raw)


@pytest.mark.parametrize(("raw", "expected"), [("1", True), ("0", False), (None, False), ("x", False)])
def test_benefit_flag_becomes_boolean(raw, expected):
    assert flag_to_bool(raw) is expected


@pytest.mark.parametrize(("raw", "expected"), [(True, "1"), (False, "0"), (None, "0")])
def test_paid_boolean_becomes_db1_flag(raw, expected):
    assert bool_to_flag(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [("1", True), ("0", False), ("-1", False)])
def test_db1_payment_status_means_paid_only_when_1(raw, expected):
    assert status_flag_to_bool(raw) is expected


def test_plan_choice_flag_follows_presence_of_a_plan():
    assert present_to_flag("11111111-1111-4111-8111-000000000001") == "1"
    assert present_to_flag(None) == "0"


def test_plan_flag_0_clears_the_plan_and_1_keeps_it():
    assert flag_to_null_or_keep("0") is None
    assert flag_to_null_or_keep("1") is KEEP


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 1, 15), date(2026, 2, 15)),
        (date(2026, 1, 31), date(2026, 2, 28)),
        (date(2028, 1, 31), date(2028, 2, 29)),
        (date(2026, 12, 31), date(2027, 1, 31)),
        (date(2026, 3, 31), date(2026, 4, 30)),
    ],
)
def test_payment_end_date_is_one_calendar_month_later(day, expected):
    assert plus_one_month(day) == expected


@pytest.mark.parametrize(
    ("left", "right", "equal"),
    [
        ("11 98765-4321", "(11) 98765-4321", True),
        ("11 98765-4321", "+55 11 98765 4321", True),
        ("11 98765-4321", "11 98765-4322", False),
        (None, None, True),
        ("11 98765-4321", None, False),
    ],
)
def test_phones_compare_as_numbers(left, right, equal):
    assert same_phone(left, right) is equal


def test_prefixes_compare_as_numbers():
    assert same_dial_prefix("+55", "55")
    assert not same_dial_prefix("+55", "+351")


@pytest.mark.parametrize(("db2", "equal"), [(None, True), ("", True), (" ", True), ("55", True), ("+351", False)])
def test_a_dial_prefix_compares_equal_to_the_db2_value_it_was_derived_from(db2, equal):
    assert same_dial_prefix(dial_prefix(db2), db2)
    assert same_dial_prefix("+55", db2) is equal


def test_emails_compare_without_case_or_spaces():
    assert same_email("a@example.com", " A@Example.com ")
    assert not same_email("a@example.com", "b@example.com")


@pytest.mark.parametrize(
    ("left", "right"), [("ß@x.com", "SS@x.com"), ("i@x.com", "İ@x.com"), ("k@x.com", "\u212a@x.com")]
)
def test_emails_differing_beyond_ascii_case_are_not_the_same(left, right):
    assert not same_email(left, right)
