"""The fault tests' data set: a few hundred rows across all five flows, built once into template databases.

Every flow has work on the first run: plans to insert and to update, benefits to insert and update, DB2 accounts to
create in DB1 and DB1 profile edits to copy back, payments to create, and payment statuses that disagree on a pair
never synced (DB1 wins, a conflict is recorded). With `rejections`, three students have a phone DB1 refuses and one
of them a payment (deferred: its payer never reaches DB1), so a run ends with exit 3 and the state has open rows.

Every DB2 timestamp is seeded at or before `SEEDED_AT`: a later one was written by the job's now().
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from tests.job.builders import (
    PLAN_ID,
    db1_advertiser,
    db1_payment,
    db1_plan,
    db1_student,
    db2_advertiser,
    db2_payment,
    db2_plan,
    db2_student,
    insert,
)
from tests.job.conftest import Pair
from tests.support.postgres import PgServer

ROOT = Path(__file__).resolve().parents[2]
SEEDED_AT = datetime(2025, 6, 1, tzinfo=UTC)
SEEDED = {"created_at": datetime(2025, 1, 1, tzinfo=UTC), "updated_at": datetime(2025, 1, 1, tzinfo=UTC)}
PLAN_NEW = "11111111-1111-4111-8111-0000000000bb"
PLAN_SAME = "11111111-1111-4111-8111-0000000000cc"
BAD_PHONE = "12345"


def fixed_id(kind: int, n: int) -> str:
    """A readable, stable UUID: kind 3 students, 4 advertisers, 5 payments, 6 benefits."""
    return str(uuid.UUID(f"{kind}{kind}{kind}{kind}{kind}{kind}{kind}{kind}-0000-4000-8000-{n:012d}"))


def student_email(n: int) -> str:
    return f"aluno{n}@example.com"


def advertiser_email(n: int) -> str:
    return f"anunciante{n}@example.com"


def known_credentials(students: int, advertisers: int) -> dict[str, tuple[str, str | None]]:
    """What the helper knows: every second student (with a photo every fourth) and every third advertiser."""
    known: dict[str, tuple[str, str | None]] = {}
    for n in range(2, students + 1, 2):
        photo = f"https://images.example.com/aluno{n}.jpg" if n % 4 == 0 else None
        known[student_email(n)] = ("$2b$12$" + f"{n:053d}", photo)
    for n in range(3, advertisers + 1, 3):
        known[advertiser_email(n)] = ("$2b$12$" + f"{n:053d}"[::-1], None)
    return known


@dataclass(frozen=True)
class Dataset:
    """Template databases holding the rows, and what the helper must know for runs on copies of them."""

    server: PgServer
    db1_template: str
    db2_template: str
    known: dict[str, tuple[str, str | None]]
    rejections: bool

    def copy(self, prefix: str) -> Pair:
        """Fresh DB1 and DB2 databases with the rows, as the templates hold them."""
        return Pair(
            self.server.create_database(f"{prefix}1", self.db1_template),
            self.server.create_database(f"{prefix}2", self.db2_template),
        )


def build_dataset(
    server: PgServer, name: str, students: int = 150, advertisers: int = 50, rejections: bool = True
) -> Dataset:
    """Create the two templates `tmpl_<name>_db1` and `_db2` and fill them."""
    db1 = server.create_template(f"tmpl_{name}_db1", [ROOT / "schema/db1.sql"])
    db2 = server.create_template(f"tmpl_{name}_db2", [ROOT / "schema/db2.sql"])
    pair = Pair(server.dsn_for(db1), server.dsn_for(db2))
    _plans(pair)
    _accounts(pair, students, advertisers, rejections)
    _payments(pair, students, advertisers, rejections)
    return Dataset(server, db1, db2, known_credentials(students, advertisers), rejections)


def _plans(pair: Pair) -> None:
    insert(
        pair,
        "db1",
        "plano",
        [
            db1_plan(),
            db1_plan(uid=PLAN_NEW, cnome="Premium", nvalor=Decimal("29.90"), cdescricao="Anúncios em destaque"),
            db1_plan(uid=PLAN_SAME, cnome="Anunciante", ctipousuario="anunciante", nvalor=Decimal("49.90")),
        ],
    )
    insert(
        pair,
        "db2",
        "plano",
        [
            db2_plan(valor=Decimal("17.00"), **SEEDED),  # last year's price: the plans step updates it
            db2_plan(id=PLAN_SAME, nome="Anunciante", tipo_conta="anunciante", valor=Decimal("49.90"), **SEEDED),
        ],
    )
    plans = [PLAN_ID, PLAN_NEW, PLAN_SAME]
    benefits = [
        {
            "uid": fixed_id(6, n),
            "cvantagem": f"Vantagem {n}",
            "cativo": "1" if n % 3 else "0",
            "uid_plano": plans[n % 3],
        }
        for n in range(1, 19)
    ]
    insert(pair, "db1", "plano_vantagem", benefits)
    synced_before = [b for b in benefits if b["uid_plano"] != PLAN_NEW][:4]
    insert(
        pair,
        "db2",
        "plano_vantagens",
        [
            {"id": b["uid"], "vantagem": b["cvantagem"], "ativo": b["cativo"] != "1", "plano_id": b["uid_plano"]}
            for b in synced_before
        ],
    )


def _accounts(pair: Pair, students: int, advertisers: int, rejections: bool) -> None:
    rejected = {students - 2, students - 1, students} if rejections else set()
    insert(
        pair,
        "db2",
        "universitario",
        [
            db2_student(
                n,
                id=fixed_id(3, n),
                plano_id=PLAN_SAME if n % 5 == 0 else None,
                telefone=BAD_PHONE if n in rejected else f"11 9{n:04d}-{n % 10000:04d}",
                **SEEDED,
            )
            for n in range(1, students + 1)
        ],
    )
    # The first twenty were synced before; DB1 has edited their town since, so the update step copies it back.
    insert(
        pair, "db1", "universitario", [db1_student(n, uid=fixed_id(3, n), cmunicipio="Campinas") for n in range(1, 21)]
    )
    insert(
        pair,
        "db2",
        "anunciante",
        [db2_advertiser(n, id=fixed_id(4, n), **SEEDED) for n in range(1, advertisers + 1)],
    )
    insert(
        pair,
        "db1",
        "anunciante",
        [db1_advertiser(n, uid=fixed_id(4, n), cmunicipio="Sorocaba") for n in range(1, 6)],
    )


def _payments(pair: Pair, students: int, advertisers: int, rejections: bool) -> None:
    day = timedelta(days=1)
    created = datetime(2025, 1, 31, 12, tzinfo=UTC)
    payments = [
        db2_payment(
            student_email(n),
            id=fixed_id(5, n),
            pago=n % 2 == 0,
            plano_id=PLAN_ID,
            created_at=created + n * day,
            updated_at=SEEDED["updated_at"],
        )
        for n in range(1, 61)
    ]
    payments += [
        db2_payment(
            advertiser_email(n),
            id=fixed_id(5, 100 + n),
            pago=n % 3 == 0,
            plano_id=PLAN_SAME,
            created_at=created + n * day,
            updated_at=SEEDED["updated_at"],
        )
        for n in range(1, min(advertisers, 20) + 1)
    ]
    if rejections:
        payments.append(
            db2_payment(
                student_email(students),
                id=fixed_id(5, 999),
                created_at=created,
                updated_at=SEEDED["updated_at"],
            )
        )
    insert(pair, "db2", "pagamento_plano", payments)
    # Payments of the accounts DB1 already has, never synced: where the statuses disagree, DB1 wins.
    insert(
        pair,
        "db1",
        "pagamento",
        [
            db1_payment(uid=fixed_id(5, n), uid_universitario=fixed_id(3, n), cativo="1" if n % 3 == 0 else "0")
            for n in range(1, 11)
        ],
    )
