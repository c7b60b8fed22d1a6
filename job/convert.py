"""Value conversions and comparisons between the two schemas: small, named, pure functions.

A converter takes one source value and returns the target value, or raises ConversionError with a
reason fit for a rejection record (it never repeats a secret). The special value KEEP means
"leave the target's value as it is". Flows refer to converters and comparators by name.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from job import emails

NON_DIGITS = re.compile(r"[^0-9]")
PHONE_SPELLING = re.compile(r"[0-9 ()+.\-]*[0-9][0-9 ()+.\-]*")
DIAL_PREFIX_SPELLING = re.compile(r"[ \t]*\+?[ \t]*(?P<digits>[0-9]{1,4})[ \t]*")
BRAZIL_COUNTRY_CODE = "55"
DEFAULT_DIAL_PREFIX = "+55"


class ConversionError(ValueError):
    """A value that cannot be converted; the message is the rejection reason."""


class _Keep:
    """Sentinel: the target keeps the value it has."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP: Final = _Keep()


def digits_of(value: object) -> str:
    """The decimal digits 0-9 of a value, in order ('' for None)."""
    return NON_DIGITS.sub("", str(value)) if value is not None else ""


def same(value: Any) -> Any:
    """The value unchanged."""
    return value


def email(value: str | None) -> str | None:
    """Normalised (job.emails); rejected unless DB1's email check would accept it."""
    if value is None:
        return None
    cleaned = emails.normalise(value)
    if not emails.is_valid(cleaned):
        raise ConversionError("email is not a valid address (name@domain.tld with no spaces)")
    return cleaned


def flag_to_bool(value: str | None) -> bool:
    """DB1 '1' → true; anything else → false."""
    return value is not None and value.strip() == "1"


def bool_to_flag(value: bool | None) -> str:
    """true → '1', false or null → '0'."""
    return "1" if value else "0"


def present_to_flag(value: object) -> str:
    """'1' when a value is set (a plan chosen), '0' when it is null."""
    return "0" if value is None else "1"


def flag_to_null_or_keep(value: str | None) -> object:
    """DB1 cplano → DB2 plano_id: '0' clears the plan, '1' keeps whichever plan DB2 has."""
    return KEEP if flag_to_bool(value) else None


def national_phone_digits(value: object) -> str:
    """The 11 national digits (DDD + number) of a Brazilian mobile phone, or raise ConversionError.

    Digits may be spelt with spaces and + ( ) - . between them; any other character (a letter, a control
    character) rejects the number rather than being dropped."""
    if not PHONE_SPELLING.fullmatch(str(value)):
        raise ConversionError("telefone has characters other than digits, spaces and + ( ) - .")
    digits = digits_of(value)
    if len(digits) == 13 and digits.startswith(BRAZIL_COUNTRY_CODE):
        digits = digits[2:]
    if len(digits) != 11:
        raise ConversionError(f"telefone has {len(digits)} digits: expected 11 (DDD and number) or 13 starting with 55")
    return digits


def phone_br(value: object) -> str:
    """Any spelling of a Brazilian mobile number → 'DD NNNNN-NNNN'."""
    if value is None or not str(value).strip():
        raise ConversionError("telefone is empty: DB1 requires a phone number")
    digits = national_phone_digits(value)
    return f"{digits[:2]} {digits[2:7]}-{digits[7:]}"


def dial_prefix(value: object) -> str:
    """'55', '+55', ' + 55 ' → '+55'; null, empty or only spaces and tabs → '+55'."""
    if _is_blank(value):
        return DEFAULT_DIAL_PREFIX
    spelt = DIAL_PREFIX_SPELLING.fullmatch(str(value))
    if spelt is None:
        raise ConversionError("prefixo is not a dialling code (1 to 4 digits with an optional leading +)")
    return f"+{spelt['digits']}"


def _is_blank(value: object) -> bool:
    return value is None or not str(value).strip(" \t")


def candidates(value: list[Any] | None) -> tuple[str, ...]:
    """The keys of the rows a value may point at (an array, or null for none), for an ExactlyOne rule to choose."""
    return tuple(str(key) for key in value or ())


def plus_one_month(value: date | None) -> date | None:
    """The same day one month later, or the month's last day when it has no such day (31 Jan → 28/29 Feb)."""
    if value is None:
        return None
    year, month = (value.year + 1, 1) if value.month == 12 else (value.year, value.month + 1)
    if year > date.max.year:
        raise ConversionError(f"{value.isoformat()} plus one month is past the year {date.max.year}")
    return date(year, month, min(value.day, calendar.monthrange(year, month)[1]))


def status_flag_to_bool(value: str | None) -> bool:
    """DB1 payment cativo: '1' is paid; '0' and '-1' (pending) are not."""
    return value is not None and value.strip() == "1"


@dataclass(frozen=True)
class Converter:
    """A named conversion and the PostgreSQL type category it produces (None: as the source)."""

    function: Callable[[Any], Any]
    category: str | None


# PostgreSQL pg_type.typcategory codes: S string, B boolean, N numeric, D date/time, U uuid and others.
CONVERTERS: Final[dict[str, Converter]] = {
    "same": Converter(same, None),
    "email": Converter(email, "S"),
    "flag_to_bool": Converter(flag_to_bool, "B"),
    "bool_to_flag": Converter(bool_to_flag, "S"),
    "present_to_flag": Converter(present_to_flag, "S"),
    "flag_to_null_or_keep": Converter(flag_to_null_or_keep, "U"),
    "phone_br": Converter(phone_br, "S"),
    "dial_prefix": Converter(dial_prefix, "S"),
    # The rule leaves one key, or none: the column gets a uuid.
    "candidates": Converter(candidates, "U"),
    "plus_one_month": Converter(plus_one_month, "D"),
    "status_flag_to_bool": Converter(status_flag_to_bool, "B"),
}


def equal(left: object, right: object) -> bool:
    """Plain equality."""
    return left == right


def same_dial_prefix(left: object, right: object) -> bool:
    """The same dialling code as dial_prefix derives it: '+55' = '55' = ' + 55 ', and null or blank is +55.

    A value that is no dialling code equals only itself, so the job puts DB1's back over it."""
    try:
        return dial_prefix(left) == dial_prefix(right)
    except ConversionError:
        return left == right


def same_phone(left: object, right: object) -> bool:
    """The same phone number, however it is spelt ('+55 (11) 98765-4321' = '11 98765-4321')."""
    if left is None or right is None:
        return left is right
    try:
        return national_phone_digits(left) == national_phone_digits(right)
    except ConversionError:
        return left == right  # not a phone number: equal only to itself, so the job puts DB1's back over it


def same_email(left: object, right: object) -> bool:
    """The same address once normalised (job.emails): ASCII case and surrounding ASCII whitespace aside."""
    if left is None or right is None:
        return left is right
    return emails.normalise(str(left)) == emails.normalise(str(right))


COMPARATORS: Final[dict[str, Callable[[object, object], bool]]] = {
    "equal": equal,
    "dial_prefix": same_dial_prefix,
    "phone": same_phone,
    "email": same_email,
}
