"""The conversions and comparisons docs/flows.md and job/emails.py document, written again here, apart
from job/, as the oracle the fuzz tests hold the engine to. Keyed by the names the flow declarations use.

Two of them encode what the job does today where the product has not decided yet (issue 10): a phone number
keeps only its digits 0-9 (letters, controls and any other character are dropped), and a dialling prefix drops
any Unicode whitespace and any '+'. A row these reject must be rejected; a row they accept may still be
rejected (a rejection with a reason is always allowed), so deciding to reject more needs no change here.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Final


class CannotSync(Exception):
    """The documented conversion rejects this value: the row must not be written."""


KEEP: Final = object()
"""The target keeps its value (flag_to_null_or_keep)."""
UNUSABLE_PASSWORD: Final = (
    "!unusable: the helper API has no password for this email"  # docs/flows.md, "Students and advertisers"
)
_ASCII_WHITESPACE = " \t\n\r\f\v"
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_DB1_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")  # DB1's check on cEmail (schema/db1.sql)


def same(left: Any, right: Any) -> bool:
    """Equal as PostgreSQL sees it: NaN equals NaN there."""
    if isinstance(left, Decimal) and isinstance(right, Decimal) and left.is_nan() and right.is_nan():
        return True
    return bool(left == right)


def normalised_email(value: str) -> str:
    """Surrounding ASCII whitespace dropped and ASCII letters lower-cased; every other character kept."""
    return value.strip(_ASCII_WHITESPACE).translate(_ASCII_LOWER)


def _digits(value: Any) -> str:
    return re.sub(r"[^0-9]", "", "" if value is None else str(value))


def _national(value: Any) -> str:
    digits = _digits(value)
    return digits[2:] if len(digits) == 13 and digits.startswith("55") else digits


def _email(value: Any) -> Any:
    if value is None:
        return None
    if not _DB1_EMAIL.fullmatch(normalised_email(value)):
        raise CannotSync
    return normalised_email(value)


def _phone(value: Any) -> str:
    digits = _national(value)
    if len(digits) != 11:
        raise CannotSync
    return f"{digits[:2]} {digits[2:7]}-{digits[7:]}"


def _dial_prefix(value: Any) -> str:
    if value is None or not str(value).strip():
        return "+55"
    rest = "".join(char for char in str(value) if not char.isspace() and char != "+")
    if not re.fullmatch(r"[0-9]+", rest):
        raise CannotSync
    return f"+{rest}"


def _flag(value: Any) -> bool:
    return value is not None and value.strip() == "1"


def _plus_one_month(value: Any) -> Any:
    """'YYYY-MM-DD[ BC]' (PostgreSQL's text, so any year) a calendar month later, or the month's last day."""
    if value is None or value in ("infinity", "-infinity"):
        return value
    match = re.fullmatch(r"(\d+)-(\d\d)-(\d\d)( BC)?", value)
    assert match, value
    year, month, day, era = int(match[1]), int(match[2]), int(match[3]), match[4] or ""
    year, month = (year + (-1 if era else 1), 1) if month == 12 else (year, month + 1)
    last = calendar.monthrange(2000 + year % 400, month)[1]  # leap years repeat every 400 years
    return f"{year:04d}-{month:02d}-{min(day, last):02d}{era}"


CONVERSIONS: Final[dict[str, Callable[[Any], Any]]] = {
    "same": lambda value: value,
    "email": _email,
    "phone_br": _phone,
    "dial_prefix": _dial_prefix,
    "present_to_flag": lambda value: "0" if value is None else "1",
    "flag_to_bool": _flag,
    "flag_to_null_or_keep": lambda value: KEEP if _flag(value) else None,
    "bool_to_flag": lambda value: "1" if value else "0",
    "status_flag_to_bool": _flag,
    "plus_one_month": _plus_one_month,
}


def _same_email(left: Any, right: Any) -> bool:
    if left is None or right is None:
        return left is right
    return normalised_email(left) == normalised_email(right)


def _same_phone(left: Any, right: Any) -> bool:
    return (left is None) == (right is None) and _national(left) == _national(right)


def _dialling_code(value: Any) -> str:
    return _digits(value) if value is not None and str(value).strip() else "55"


COMPARISONS: Final[dict[str, Callable[[Any, Any], bool]]] = {
    "equal": same,
    "email": _same_email,
    "phone": _same_phone,
    "dial_prefix": lambda left, right: _dialling_code(left) == _dialling_code(right),
}


def _slug(text: str, room: int) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", ".", plain).strip(".")[:room].strip(".")


def username_problem(name: str | None, email: str | None, written: Any, limit: int) -> str:
    """docs/flows.md: the login comes from the name ('Ana Lúcia' → 'ana.lucia'), else from the email, plus a number
    when taken, within the column's length; '' when `written` is such a login."""
    room = max(1, limit - 4)
    base = _slug(name or "", room) or _slug((email or "").split("@")[0], room) or "user"
    if isinstance(written, str) and len(written) <= limit and re.fullmatch(re.escape(base) + "[0-9]*", written):
        return ""
    return f"username {written!r} is not {base!r} plus an optional number within {limit} characters"
