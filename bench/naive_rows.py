"""The row-by-row version's values: a DB2 account as a DB1 row, through job.convert's converters."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from job import convert
from job.convert import ConversionError

USERNAME_ROOM = 46
ACCOUNT_COLUMNS = ("id", "email", "nome", "dt_nascimento", "genero", "municipio", "prefixo", "telefone", "plano_id")
# (DB1 column, DB2 column, comparator) of the profile copied back to DB2.
PROFILE = (
    ("cemail", "email", convert.same_email),
    ("cnome", "nome", convert.equal),
    ("ddtnascimento", "dt_nascimento", convert.equal),
    ("cgenero", "genero", convert.equal),
    ("cprefixo", "prefixo", convert.same_dial_prefix),
    ("ctel", "telefone", convert.same_phone),
    ("cmunicipio", "municipio", convert.equal),
    ("cdescricao", "bio", convert.equal),
)
DB1_REQUIRED = ("cnome", "cemail", "cdne", "ddtnascimento", "cgenero", "cmunicipio", "ctel")


@dataclass(frozen=True)
class AccountKind:
    table: str
    extra: tuple[tuple[str, str], ...]  # (DB2 column, DB1 column) only this kind has


STUDENTS = AccountKind("universitario", (("dne", "cdne"), ("universidade", "cnmfaculdade")))
ADVERTISERS = AccountKind("anunciante", ())


def username_base(name: str | None, email: str) -> str:
    """'Ana Lúcia' → 'ana.lucia'; else the email's local part."""
    for text in (name or "", email.split("@")[0]):
        ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
        slug = re.sub(r"[^a-z0-9]+", ".", ascii_text).strip(".")[:USERNAME_ROOM].strip(".")
        if slug:
            return slug
    return "user"


def db1_account(
    source: dict[str, Any], kind: AccountKind, username: str, password: str, photo: str | None
) -> dict[str, Any]:
    """A DB2 account as a DB1 row, or ConversionError with the reason."""
    row = {
        "uid": source["id"],
        "cnome": source["nome"],
        "cusername": username,
        "cemail": convert.email(source["email"]),
        "csenha": password,
        "ddtnascimento": source["dt_nascimento"],
        "cgenero": source["genero"],
        "cmunicipio": source["municipio"],
        "cprefixo": convert.dial_prefix(source["prefixo"]),
        "ctel": convert.phone_br(source["telefone"]),
        "cplano": convert.present_to_flag(source["plano_id"]),
        "cfotoperfil": photo,
        "cdescricao": source["bio"],
        **{db1: source[db2] for db2, db1 in kind.extra},
    }
    missing = [name for name in DB1_REQUIRED if name in row and row[name] is None]
    if missing:
        raise ConversionError(f"{', '.join(missing)} empty: DB1 requires a value")
    return row
