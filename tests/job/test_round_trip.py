"""What the job derives from a DB2 row compares equal to that row (issue 10, item 4).

For every column mapped both ways (a create step's converter DB2 → DB1, then the update step's converter
and comparator DB1 → DB2, or a status step's two sides) the update finds nothing to write for any value
the create step accepts. The table of such columns is read from the flow declarations, so a new one is
covered without touching this file. The email normalisation also runs in SQL (the payer's match): its SQL
form is checked against the Python one on the same generated strings.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from job import emails
from job.convert import COMPARATORS, CONVERTERS, KEEP, ConversionError, same_email
from job.engine import execute
from job.flow_model import CopyStep, Flow, StatusStep
from job.flows import FLOWS, select_flows
from tests.job.builders import PLAN_ID, db1_plan, db2_advertiser, db2_payment, db2_plan, db2_student, insert

ROOT = Path(__file__).resolve().parents[2]
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
WHITESPACE = " \t\n\r\f\v\x1c\x1f\x85\xa0\u1680\u2003\u2028\u202f\u3000\ufeff"


# --- the columns mapped both ways, from the declarations ----------------------------------------------


@dataclass(frozen=True)
class BothWays:
    """A DB2 column, what the create step makes of it in DB1, and how the step after it compares them."""

    name: str
    db2_table: str
    db2_column: str
    forward: str
    back: str
    compare: str | None  # None: a status step, both sides turned into the common value
    back_right: str = "same"

    def holds(self, value: Any) -> bool | None:
        """None when the create step rejects the value, else whether the step after it finds it equal."""
        try:
            db1_value = CONVERTERS[self.forward].function(value)
        except ConversionError:
            return None
        if self.compare is None:
            return CONVERTERS[self.back].function(db1_value) == CONVERTERS[self.back_right].function(value)
        derived = CONVERTERS[self.back].function(db1_value)
        return derived is KEEP or COMPARATORS[self.compare](derived, value)


def _copy_pairs(flow: Flow) -> list[BothWays]:
    steps = [step for step in flow.steps if isinstance(step, CopyStep)]
    found = []
    for position, create in enumerate(steps):
        for update in steps[position + 1 :]:
            if create.mode == "update_existing" or update.mode == "insert_missing":
                continue
            if (create.source, create.source_table, create.target_table) != (
                update.target,
                update.target_table,
                update.source_table,
            ):
                continue
            for there in (c for c in create.columns if c.source and not c.is_derived):
                for back in (c for c in update.columns if not c.is_derived):
                    if (back.source, back.target) == (there.target, there.source):
                        name = f"{create.name}:{there.source}→{there.target}→{back.target}"
                        found.append(
                            BothWays(name, create.source_table, there.source, there.convert, back.convert, back.compare)
                        )
    return found


def _status_pairs(flow: Flow) -> list[BothWays]:
    found = []
    for status in (step for step in flow.steps if isinstance(step, StatusStep)):
        for create in (step for step in flow.steps if isinstance(step, CopyStep)):
            if (create.target_table, create.source_table) != (status.left_table, status.right_table):
                continue
            for column in create.columns:
                if (column.source, column.target) == (status.right_column, status.left_column):
                    found.append(
                        BothWays(
                            f"{create.name}:{column.source}→{column.target}, {status.name}",
                            status.right_table,
                            status.right_column,
                            column.convert,
                            status.left_to_common,
                            None,
                            status.right_to_common,
                        )
                    )
    return found


BOTH_WAYS = [pair for flow in FLOWS for pair in (*_copy_pairs(flow), *_status_pairs(flow))]


# --- DB2 values, by the column's type in schema/db2.sql --------------------------------------------------


def _db2_columns() -> dict[tuple[str, str], tuple[str, bool]]:
    """(table, column) → (type, nullable), read from the DB2 schema the tests load."""
    columns: dict[tuple[str, str], tuple[str, bool]] = {}
    table = None
    for line in (ROOT / "schema/db2.sql").read_text().splitlines():
        if opened := re.match(r"CREATE TABLE (\w+)", line):
            table = opened[1]
        elif line.startswith(")"):
            table = None
        elif table and (column := re.match(r"\s+(\w+)\s+(\w+(?:\([\d,]+\))?)(.*)", line)):
            rest = column[3]
            columns[(table, column[1])] = (column[2], "NOT NULL" not in rest and "PRIMARY KEY" not in rest)
    return columns


def _padded(core: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    space = st.text(alphabet=WHITESPACE, max_size=3)
    return st.tuples(space, core, space).map("".join)


def _email_like() -> st.SearchStrategy[str]:
    part = st.text(alphabet=string.ascii_letters + string.digits + "._%+-", min_size=1, max_size=8)
    domain = st.text(alphabet=string.ascii_letters + string.digits + ".-", min_size=1, max_size=8)
    top = st.text(alphabet=string.ascii_letters + "İßK", min_size=1, max_size=4)
    return st.tuples(part, domain, top).map(lambda parts: f"{parts[0]}@{parts[1]}.{parts[2]}")


PHONE_SPELLINGS = (
    lambda d: d,
    lambda d: f"{d[:2]} {d[2:7]}-{d[7:]}",
    lambda d: f"({d[:2]}) {d[2:7]} {d[7:]}",
    lambda d: f"+55 ({d[:2]}) {d[2:7]}-{d[7:]}",
    lambda d: f"55{d}",
    lambda d: f"{d[:2]} 9 {d[3:7]} {d[7:]}",
)


def _phone_like() -> st.SearchStrategy[str]:
    national = st.text(alphabet=string.digits, min_size=11, max_size=11)
    return st.one_of(
        st.tuples(st.sampled_from(PHONE_SPELLINGS), national).map(lambda spelt: spelt[0](spelt[1])),
        st.text(alphabet=string.digits + " ()-+", max_size=16),
    )


# A few values of each kind that the create step accepts: the strategies draw them too, and
# test_every_both_ways_column_gets_values_the_create_step_accepts proves that none of the columns is vacuous.
SAMPLES: dict[str, list[Any]] = {
    "text": ["Ana Lúcia", " Ana ", "a@b.co", " A@Example.COM\t", "11987654321", "+55 (21) 99123-4567", "", " ", "+351"],
    "date": [date(2004, 1, 2)],
    "uuid": [PLAN_ID],
    "boolean": [True, False],
    "numeric": [Decimal("19.90")],
    "timestamptz": [datetime(2026, 1, 31, 12, tzinfo=UTC)],
}


def _texts(max_length: int | None) -> st.SearchStrategy[str]:
    strategy = st.one_of(
        st.text(max_size=20),
        _padded(_email_like()),
        _padded(_phone_like()),
        _padded(st.tuples(st.sampled_from(["", "+", " + "]), st.text(string.digits, max_size=3)).map("".join)),
        _padded(st.sampled_from(SAMPLES["text"])),
    )
    return strategy if max_length is None else strategy.map(lambda text: text[:max_length])


def _kind(db2_type: str) -> str:
    return "text" if db2_type.startswith("varchar") else db2_type.split("(")[0]


def _values(db2_type: str) -> st.SearchStrategy[Any]:
    if _kind(db2_type) == "text":
        length = re.search(r"\((\d+)\)", db2_type)
        return _texts(int(length[1]) if length else None)
    by_kind: dict[str, st.SearchStrategy[Any]] = {
        "date": st.dates(),
        "uuid": st.uuids().map(str),
        "boolean": st.booleans(),
        "numeric": st.decimals(allow_nan=False, allow_infinity=False, places=2),
        "timestamptz": st.datetimes(timezones=st.just(UTC)),
    }
    return st.one_of(st.sampled_from(SAMPLES[_kind(db2_type)]), by_kind[_kind(db2_type)])


DB2_COLUMNS = _db2_columns()


def db2_values(pair: BothWays) -> st.SearchStrategy[Any]:
    """Any value DB2 can hold in the pair's column (None where the column allows it)."""
    kind, nullable = DB2_COLUMNS[(pair.db2_table, pair.db2_column)]
    values = _values(kind)
    return st.one_of(st.none(), values) if nullable else values


# --- (a) the property ----------------------------------------------------------------------------------


def test_the_table_of_both_ways_columns_covers_every_account_column_and_the_paid_status():
    names = {pair.name for pair in BOTH_WAYS}
    for flow in ("students", "advertisers"):
        for mapped in ("email→cemail→email", "prefixo→cprefixo→prefixo", "telefone→ctel→telefone", "nome→cnome→nome"):
            assert f"{flow}.create:{mapped}" in names
    assert "students.create:dne→cdne→dne" in names
    assert "students.create:plano_id→cplano→plano_id" in names
    assert "payments.create:pago→cativo, payments.status" in names


@pytest.mark.parametrize("pair", BOTH_WAYS, ids=lambda pair: pair.name)
def test_every_both_ways_column_gets_values_the_create_step_accepts(pair):
    db2_type, nullable = DB2_COLUMNS[(pair.db2_table, pair.db2_column)]
    samples = [*SAMPLES[_kind(db2_type)], *([None] if nullable else [])]
    assert any(pair.holds(value) is not None for value in samples)


def _alike() -> list[list[BothWays]]:
    """The pairs grouped by what the property depends on (the DB2 type and the functions): one run each."""
    groups: dict[tuple[Any, ...], list[BothWays]] = {}
    for pair in BOTH_WAYS:
        signature = (DB2_COLUMNS[(pair.db2_table, pair.db2_column)][0], pair.forward, pair.back, pair.compare)
        groups.setdefault((*signature, pair.back_right), []).append(pair)
    return list(groups.values())


@pytest.mark.parametrize(
    "alike", _alike(), ids=lambda alike: alike[0].name + (f" (+{len(alike) - 1} alike)" if len(alike) > 1 else "")
)
@FAST
@given(data=st.data())
def test_a_value_the_create_step_accepts_compares_equal_to_the_db2_value_it_came_from(alike, data):
    pair = alike[0]
    value = data.draw(db2_values(pair), label=pair.db2_column)
    assert pair.holds(value) is not False


# --- (b) on real databases --------------------------------------------------------------------------------

PREFIXES = [None, "", " ", "55", "+55", " +55 ", "\t55\t", "+351", "+1"]
NAMES = ["Ana Souza", " Ana Souza ", "Bruno\tLima\t", "\u00a0Carla Dias\u00a0", "Diego  Ramos", "Élodie Ümit"]
PADS = ["", " ", "\t", "\n", " \t\r\n\f\v"]
PHONES = [
    "11 9{n:04d}-{n:04d}",
    "(21) 9{n:04d}-{n:04d}",
    "+55 (31) 9{n:04d}-{n:04d}",
    "55419{n:04d}{n:04d}",
    " 51 9 {n:04d} {n:04d} ",
    "619{n:04d}{n:04d}",
    "(85)9{n:04d}{n:04d}",
]


def _odd_values(n: int) -> dict[str, Any]:
    """Values chosen from each list by n, so every spelling appears and combines with the others."""
    pad = PADS[n % len(PADS)]
    return {
        "email": f"{pad}User{n}@Example.COM{pad}",
        "nome": NAMES[n % len(NAMES)],
        "prefixo": PREFIXES[n % len(PREFIXES)],
        "telefone": PHONES[n % len(PHONES)].format(n=1000 + n),
        "genero": [" feminino", "masculino ", "outro"][n % 3],
        "municipio": ["São Paulo", " Recife ", "Belo\tHorizonte"][n % 3],
        "bio": [None, "", " calouro ", "linha\nnova"][n % 4],
        "plano_id": [None, PLAN_ID][n % 2],
        "dt_nascimento": date(1990 + n % 20, 1 + n % 12, 1 + n % 28),
    }


def _db2_rows(pair, tables):
    conn = psycopg2.connect(pair.db2)
    try:
        with conn.cursor() as cur:
            found = {}
            for table in tables:
                cur.execute(f"SELECT xmin::text, * FROM {table} ORDER BY id")
                found[table] = cur.fetchall()
            return found
    finally:
        conn.close()


def test_a_run_writes_nothing_back_to_the_db2_accounts_it_created_from(pair, helper, make_settings):
    insert(pair, "db1", "plano", [db1_plan()])
    insert(pair, "db2", "plano", [db2_plan()])
    students = [
        db2_student(n, dne=f" DNE-{n} ", universidade=[None, " USP "][n % 2], **_odd_values(n)) for n in range(36)
    ]
    advertisers = [db2_advertiser(n, **_odd_values(100 + n)) for n in range(18)]
    insert(pair, "db2", "universitario", students)
    insert(pair, "db2", "anunciante", advertisers)
    payers = [*students[:6], *advertisers[:6]]
    payments = [db2_payment(f"\t{row['email'].strip().upper()} ", pago=n % 2 == 0) for n, row in enumerate(payers)]
    insert(pair, "db2", "pagamento_plano", payments)
    tables = ["universitario", "anunciante", "pagamento_plano"]
    before = _db2_rows(pair, tables)
    settings_ = make_settings(pair)
    flows = select_flows(["students", "advertisers", "payments"])

    first = execute(settings_, "run", flows)
    second = execute(settings_, "run", flows)
    full = execute(settings_, "plan", flows, full=True)

    assert (first.total("inserted"), first.total("rejected"), first.total("deferred")) == (36 + 18 + 12, 0, 0)
    assert _db2_rows(pair, tables) == before  # same row versions: not one UPDATE, updated_at untouched
    for report in (first, second, full):
        assert (report.total("updated"), report.total("conflicts")) == (0, 0)
    assert second.total("inserted") == full.total("inserted") == 0
    assert full.exit_code == 0


# --- (c) the email normalisation in SQL and in Python -------------------------------------------------------

TRICKY = [
    "\u0085a@b.co",
    "a@b.co\u0085",
    "\ta@b.co\t",
    "\va@b.co\f",
    "\u00a0A@B.CO\u00a0",
    "İ@example.com",
    "ß@EXAMPLE.com",
    "K@example.com",  # the Kelvin sign: Python's lower() gives 'k'
    "ǅ@x.com",
    "ÀÉÎÕÜ@x.com",
    "\u2028x@y.com\u2029",
    "\x1c\x1dx@y.com\x1e\x1f",
    "",
    " ",
    "\r\n",
]
SQL_TEXT = st.one_of(
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=30),
    _padded(_email_like()),
    _padded(st.text(alphabet=string.ascii_letters + "\u0130\u0131\u00df\u017f\u212a@.", max_size=12)),
    st.sampled_from(TRICKY),
)


@pytest.fixture(scope="module")
def db1_cursor(pg_server, schema_templates):
    """One cursor on a DB1 database for the whole module: these tests only read."""
    conn = psycopg2.connect(pg_server.create_database("sql", schema_templates[0]))
    conn.autocommit = True
    with conn.cursor() as cur:
        yield cur
    conn.close()


@pytest.fixture(scope="module")
def db1_email_check(db1_cursor):
    """The regular expression of DB1's own check on cEmail, as the database holds it."""
    db1_cursor.execute(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'universitario_cemail_check'"
    )
    return re.search(r"~ '(.*)'::text", db1_cursor.fetchone()[0])[1]


def _sql_normalised(cur, values):
    cur.execute(
        f"SELECT {emails.normalised_sql('v')} FROM unnest(%s::text[]) WITH ORDINALITY AS t (v, n) ORDER BY n", (values,)
    )
    return [normalised for (normalised,) in cur.fetchall()]


def test_the_sql_normalisation_agrees_with_python_on_the_tricky_cases(db1_cursor):
    assert _sql_normalised(db1_cursor, TRICKY) == [emails.normalise(value) for value in TRICKY]
    assert emails.normalise("\u0085A@B.CO\t") == "\u0085a@b.co"
    assert emails.normalise("İ@EXAMPLE.com") == "İ@example.com"


@FAST
@given(values=st.lists(SQL_TEXT, min_size=1, max_size=20))
def test_the_sql_normalisation_agrees_with_python_on_every_string(db1_cursor, values):
    assert _sql_normalised(db1_cursor, values) == [emails.normalise(value) for value in values]


def _respelt(text: str) -> st.SearchStrategy[str]:
    """The text with some characters' case swapped (Unicode's swapcase: 'ß' → 'SS') and whitespace around it."""
    flips = st.lists(st.booleans(), min_size=len(text), max_size=len(text))
    swapped = flips.map(lambda flags: "".join(c.swapcase() if f else c for c, f in zip(text, flags, strict=True)))
    return _padded(swapped)


@FAST
@given(left=SQL_TEXT, data=st.data())
def test_sql_and_python_agree_on_which_emails_are_the_same(db1_cursor, left, data):
    right = data.draw(st.one_of(SQL_TEXT, _respelt(left)), label="right")
    db1_cursor.execute(
        f"SELECT {emails.normalised_sql('%(left)s::text')} = {emails.normalised_sql('%(right)s::text')}",
        {"left": left, "right": right},
    )
    assert db1_cursor.fetchone()[0] == same_email(left, right)


@FAST
@given(value=SQL_TEXT)
def test_an_email_the_job_accepts_is_one_db1s_own_check_accepts(db1_cursor, db1_email_check, value):
    normalised = emails.normalise(value)
    db1_cursor.execute("SELECT %s ~ %s", (normalised, db1_email_check))
    assert db1_cursor.fetchone()[0] == emails.is_valid(normalised)
