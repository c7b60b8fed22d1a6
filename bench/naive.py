"""The same contract row by row: the cost shape of the obvious implementation, a yardstick for the job.

One SQL statement per row and per decision, each its own transaction (autocommit), and one helper
request (POST /lookup-batch with one email) per new account:
- plans and benefits, DB1 → DB2: SELECT the DB2 row, then INSERT it or UPDATE it when a value differs;
- accounts, DB2 → DB1: SELECT whether it exists; for a new one ask the helper, SELECT candidate usernames
  until one is free, INSERT; then DB1 → DB2: SELECT each DB2 row and UPDATE it when a profile value differs;
- payments: SELECT it in DB1; a new one: SELECT the payer by email, SELECT the plan's price, INSERT it and
  its baseline; an existing one: SELECT its baseline and merge the status three ways (DB1 wins a conflict).
Values go through job.convert's converters; it is faithful in cost, not a copy of every rule of the job.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import psycopg2
from psycopg2 import sql

from bench.naive_rows import ACCOUNT_COLUMNS, ADVERTISERS, PROFILE, STUDENTS, AccountKind, db1_account, username_base
from job import convert
from job.convert import ConversionError

UNUSABLE_PASSWORD = "!unusable: the helper API has no password for this email"  # noqa: S105 - a marker
MAX_USERNAME_TRIES = 1000
HELPER_TIMEOUT_S = 10.0
BASELINE_DDL = "CREATE TABLE IF NOT EXISTS naive_baseline (id uuid PRIMARY KEY, pago boolean NOT NULL)"


@dataclass
class NaiveCounts:
    inserted: int = 0
    updated: int = 0
    rejected: int = 0
    helper_requests: int = 0


class _Side:
    """One autocommit connection that counts the statements it sends."""

    def __init__(self, dsn: str) -> None:
        self.conn = psycopg2.connect(dsn)
        self.conn.autocommit = True
        self.statements = 0

    def rows(self, query: str | sql.Composable, params: Any = ()) -> list[tuple[Any, ...]]:
        with self.conn.cursor() as cur:
            cur.execute(query, params)
            self.statements += 1
            return list(cur.fetchall()) if cur.description else []

    def one(self, query: str | sql.Composable, params: Any = ()) -> tuple[Any, ...] | None:
        found = self.rows(query, params)
        return found[0] if found else None

    def insert(self, table: str, row: dict[str, Any]) -> None:
        statement = sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
            sql.Identifier(table),
            sql.SQL(", ").join(sql.Identifier(name) for name in row),
            sql.SQL(", ").join(sql.Placeholder() for _ in row),
        )
        self.rows(statement, list(row.values()))

    def update(self, table: str, key: tuple[str, Any], values: dict[str, Any], stamp: bool) -> None:
        assignments: list[sql.Composable] = [sql.SQL("{} = %s").format(sql.Identifier(name)) for name in values]
        if stamp:
            assignments.append(sql.SQL("updated_at = now()"))
        statement = sql.SQL("UPDATE {} SET {} WHERE {} = %s").format(
            sql.Identifier(table), sql.SQL(", ").join(assignments), sql.Identifier(key[0])
        )
        self.rows(statement, [*values.values(), key[1]])


class NaiveSync:
    """One pass over every flow, row by row. `run()` again is the no-change pass."""

    def __init__(self, db1_dsn: str, db2_dsn: str, helper_url: str, helper_token: str) -> None:
        self.db1, self.db2 = _Side(db1_dsn), _Side(db2_dsn)
        self.http = httpx.Client(
            base_url=helper_url, headers={"Authorization": f"Bearer {helper_token}"}, timeout=HELPER_TIMEOUT_S
        )
        self.counts = NaiveCounts()

    @property
    def statements(self) -> int:
        return self.db1.statements + self.db2.statements

    def close(self) -> None:
        self.http.close()
        self.db1.conn.close()
        self.db2.conn.close()

    def run(self) -> NaiveCounts:
        self.counts = NaiveCounts()
        self.db2.rows(BASELINE_DDL)
        self._plans()
        self._benefits()
        for kind in (STUDENTS, ADVERTISERS):
            self._create_accounts(kind)
            self._update_accounts(kind)
        self._payments()
        return self.counts

    def _upsert_db2(self, table: str, key: Any, wanted: dict[str, Any], stamp: bool) -> None:
        names = sql.SQL(", ").join(sql.Identifier(name) for name in wanted)
        found = self.db2.one(sql.SQL("SELECT {} FROM {} WHERE id = %s").format(names, sql.Identifier(table)), (key,))
        if found is None:
            self.db2.insert(table, {"id": key, **wanted})
            self.counts.inserted += 1
        elif tuple(found) != tuple(wanted.values()):
            self.db2.update(table, ("id", key), wanted, stamp)
            self.counts.updated += 1

    def _plans(self) -> None:
        for uid, name, kind, description, value in self.db1.rows(
            "SELECT uid, cnome, ctipousuario, cdescricao, nvalor FROM plano ORDER BY uid"
        ):
            wanted = {"nome": name, "tipo_conta": kind, "descricao": description, "valor": value}
            self._upsert_db2("plano", uid, wanted, stamp=True)

    def _benefits(self) -> None:
        for uid, benefit, active, plan in self.db1.rows(
            "SELECT uid, cvantagem, cativo, uid_plano FROM plano_vantagem ORDER BY uid"
        ):
            wanted = {"vantagem": benefit, "ativo": convert.flag_to_bool(active), "plano_id": plan}
            self._upsert_db2("plano_vantagens", uid, wanted, stamp=False)

    def _ask_helper(self, email: str) -> tuple[str, str | None]:
        self.counts.helper_requests += 1
        response = self.http.post("/lookup-batch", json={"emails": [email]})
        response.raise_for_status()
        answer = response.json()["results"][0]
        return answer["password"] or UNUSABLE_PASSWORD, answer["photo_url"]

    def _free_username(self, name: str | None, email: str) -> str:
        base = username_base(name, email)
        for number in range(1, MAX_USERNAME_TRIES + 1):
            candidate = base if number == 1 else f"{base}{number}"
            taken = self.db1.one(
                "SELECT 1 FROM universitario WHERE cusername = %s UNION ALL "
                "SELECT 1 FROM anunciante WHERE cusername = %s LIMIT 1",
                (candidate, candidate),
            )
            if taken is None:
                return candidate
        raise ConversionError(f"no free username after {MAX_USERNAME_TRIES} tries")

    def _create_accounts(self, kind: AccountKind) -> None:
        columns = (*ACCOUNT_COLUMNS, "bio", *(db2 for db2, _ in kind.extra))
        query = sql.SQL("SELECT {} FROM {} ORDER BY id").format(
            sql.SQL(", ").join(sql.Identifier(c) for c in columns), sql.Identifier(kind.table)
        )
        exists = sql.SQL("SELECT 1 FROM {} WHERE uid = %s").format(sql.Identifier(kind.table))
        for values in self.db2.rows(query):
            source = dict(zip(columns, values, strict=True))
            if self.db1.one(exists, (source["id"],)) is not None:
                continue
            try:
                db1_account(source, kind, "-", "-", None)  # reject bad values before any lookup
                password, photo = self._ask_helper(str(convert.email(source["email"])))
                username = self._free_username(source["nome"], source["email"])
                self.db1.insert(kind.table, db1_account(source, kind, username, password, photo))
                self.counts.inserted += 1
            except (ConversionError, psycopg2.IntegrityError, psycopg2.DataError):
                self.counts.rejected += 1

    def _update_accounts(self, kind: AccountKind) -> None:
        pairs = (*PROFILE, *((db1, db2, convert.equal) for db2, db1 in kind.extra))
        db1_query = sql.SQL("SELECT uid, cplano, {} FROM {} ORDER BY uid").format(
            sql.SQL(", ").join(sql.Identifier(p[0]) for p in pairs), sql.Identifier(kind.table)
        )
        db2_query = sql.SQL("SELECT plano_id, {} FROM {} WHERE id = %s").format(
            sql.SQL(", ").join(sql.Identifier(p[1]) for p in pairs), sql.Identifier(kind.table)
        )
        for uid, flag, *db1_values in self.db1.rows(db1_query):
            found = self.db2.one(db2_query, (uid,))
            if found is None:
                continue
            plan, *db2_values = found
            changes = {
                pair[1]: mine
                for pair, mine, theirs in zip(pairs, db1_values, db2_values, strict=True)
                if not pair[2](mine, theirs)
            }
            if convert.flag_to_null_or_keep(flag) is not convert.KEEP and plan is not None:
                changes["plano_id"] = None
            if changes:
                self.db2.update(kind.table, ("id", uid), changes, stamp=True)
                self.counts.updated += 1

    def _payments(self) -> None:
        for key, email, plan, paid, created_on in self.db2.rows(
            "SELECT id, email, plano_id, pago, (created_at AT TIME ZONE 'America/Sao_Paulo')::date "
            "FROM pagamento_plano ORDER BY id"
        ):
            found = self.db1.one("SELECT cativo FROM pagamento WHERE uid = %s", (key,))
            if found is None:
                self._create_payment(key, email, plan, paid, created_on)
            else:
                self._merge_status(key, found[0], paid)

    def _create_payment(self, key: str, email: str, plan: str, paid: bool, created_on: Any) -> None:
        payer_column, payer = (
            "uid_universitario",
            self.db1.one("SELECT uid FROM universitario WHERE cemail = lower(btrim(%s))", (email,)),
        )
        if payer is None:
            payer_column = "uid_anunciante"
            payer = self.db1.one("SELECT uid FROM anunciante WHERE cemail = lower(btrim(%s))", (email,))
        price = self.db1.one("SELECT nvalor FROM plano WHERE uid = %s", (plan,))
        if payer is None or price is None:
            self.counts.rejected += 1
            return
        row = {
            "uid": key,
            "cativo": convert.bool_to_flag(paid),
            "ddtfim": convert.plus_one_month(created_on),
            "npctdesconto": 0,
            "ntotal": price[0],
            "uid_plano": plan,
            payer_column: payer[0],
        }
        self.db1.insert("pagamento", row)
        self._save_baseline(key, paid)
        self.counts.inserted += 1

    def _save_baseline(self, key: str, paid: bool) -> None:
        self.db2.rows(
            "INSERT INTO naive_baseline (id, pago) VALUES (%s, %s) ON CONFLICT (id) DO UPDATE SET pago = EXCLUDED.pago",
            (key, paid),
        )

    def _merge_status(self, key: str, flag: str, paid: bool) -> None:
        mine = convert.status_flag_to_bool(flag)
        found = self.db2.one("SELECT pago FROM naive_baseline WHERE id = %s", (key,))
        base = found[0] if found else None
        if mine == paid:
            if base != mine:
                self._save_baseline(key, mine)
            return
        if base is None or mine != base:
            self.db2.update("pagamento_plano", ("id", key), {"pago": mine}, stamp=True)
            self._save_baseline(key, mine)
        else:
            self.db1.update("pagamento", ("uid", key), {"cativo": convert.bool_to_flag(paid)}, stamp=False)
            self._save_baseline(key, paid)
        self.counts.updated += 1
