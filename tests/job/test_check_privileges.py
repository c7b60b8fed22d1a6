"""`check` asks each database, as the job's role, for every privilege a run needs, and prints the GRANTs that give
the role what it lacks: executing exactly those lets `check` pass and the run through."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest

from job.db import connect
from job.state import StateStore
from tests.job.cli import Result, cli_env, run_cli
from tests.job.conftest import Pair
from tests.support import secrets
from tests.support.helper_server import TOKEN, HelperServer


@dataclass(frozen=True)
class AppRole:
    """A login role that may read every table of DB1 and DB2 and do nothing else, not even temporary tables."""

    name: str
    password: str
    pair: Pair

    def uri(self, side: str) -> str:
        parts = urlsplit(getattr(self.pair, side))
        host = parts.netloc.rpartition("@")[2]
        return urlunsplit(parts._replace(netloc=f"{self.name}:{quote(self.password, safe='')}@{host}"))

    def database(self, side: str) -> str:
        return getattr(self.pair, side).rsplit("/", 1)[1]


@pytest.fixture
def app_role(sample_pair: Pair) -> Iterator[AppRole]:
    role = AppRole(f"hs_app_{uuid.uuid4().hex[:8]}", f"pw-{uuid.uuid4().hex}", sample_pair)
    secrets.current().secret(role.password, "the test role's database password")
    sample_pair.execute("db1", f"CREATE ROLE {role.name} LOGIN PASSWORD %s", (role.password,))
    try:
        for side in ("db1", "db2"):
            sample_pair.execute(side, f"REVOKE TEMPORARY ON DATABASE {role.database(side)} FROM PUBLIC")
            sample_pair.execute(side, f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role.name}")
        yield role
    finally:
        for side in ("db1", "db2"):
            sample_pair.execute(side, f"DROP OWNED BY {role.name}")
        sample_pair.execute("db1", f"DROP ROLE {role.name}")


@pytest.fixture
def env(app_role: AppRole, sample_pair: Pair, helper: HelperServer) -> dict[str, str]:
    return cli_env(sample_pair, helper.url, TOKEN, URI_BANCO_1=app_role.uri("db1"), URI_BANCO_2=app_role.uri("db2"))


def printed_grants(result: Result) -> dict[str, list[str]]:
    """The GRANT statements `check` printed, by database ('db1', 'db2')."""
    grants: dict[str, list[str]] = {}
    side = ""
    for line in result.stdout.splitlines():
        if line.startswith("-- on "):
            side = line.split()[2].lower().rstrip(":")
            grants[side] = []
        elif line.startswith("GRANT "):
            grants[side].append(line)
    return grants


def grant_as_superuser(pair: Pair, grants: dict[str, list[str]]) -> None:
    for side, statements in grants.items():
        for statement in statements:
            pair.execute(side, statement)


def assert_runs_through(env: dict[str, str], tmp_path: Path, *args: str) -> None:
    """Two runs: the first compares every row, the second only the changed ones (through pg_temp.hs_changed)."""
    for _ in range(2):
        run = run_cli(["run", *args], env, tmp_path)
        assert run.code in (0, 3), run.stderr
        assert "permission denied" not in (run.stdout + run.stderr).lower()
        assert run.events("run_finished")


def test_a_role_that_may_only_select_fails_check_with_each_missing_privilege_and_the_grants(
    sample_pair, app_role, env, tmp_path
):
    sample_pair.execute("db2", "ALTER TABLE plano ADD COLUMN n bigserial")
    db1, db2, role = app_role.database("db1"), app_role.database("db2"), app_role.name

    result = run_cli(["check"], env, tmp_path)

    assert result.code == 1
    for line in (
        "plans: DB2 table public.plano lacks INSERT: it inserts the rows DB2 is missing",
        "plans: DB2 table public.plano lacks UPDATE: it updates the values that differ",
        "plans: DB2 sequence public.plano_n_seq lacks USAGE: the default of plano.n takes its values from it",
        f"plans: DB1 database {db1} lacks TEMPORARY: the keys of the changed rows go into a temporary table",
        f"students.create: DB1 database {db1} lacks TEMPORARY: the rows to insert are staged in a temporary table",
        "students.create: DB1 table public.universitario lacks INSERT",
        "payments.status: DB1 table public.pagamento lacks UPDATE: it writes the status that changed on DB2",
        "payments.status: DB2 table public.pagamento_plano lacks UPDATE: it writes the status that changed on DB1",
        f"state schema hestia_sync: DB2 database {db2} lacks CREATE: the first run creates the schema hestia_sync",
    ):
        assert f"FAIL  {line}" in result.stdout
    assert "run them on each database as the owner of the tables" in result.stdout
    assert printed_grants(result) == {
        "db1": [
            f"GRANT TEMPORARY ON DATABASE {db1} TO {role};",
            f"GRANT INSERT ON public.universitario TO {role};",
            f"GRANT INSERT ON public.anunciante TO {role};",
            f"GRANT INSERT, UPDATE ON public.pagamento TO {role};",
        ],
        "db2": [
            f"GRANT CREATE, TEMPORARY ON DATABASE {db2} TO {role};",
            f"GRANT INSERT, UPDATE ON public.plano TO {role};",
            f"GRANT INSERT, UPDATE ON public.plano_vantagens TO {role};",
            f"GRANT UPDATE ON public.universitario TO {role};",
            f"GRANT UPDATE ON public.anunciante TO {role};",
            f"GRANT UPDATE ON public.pagamento_plano TO {role};",
            f"GRANT USAGE ON SEQUENCE public.plano_n_seq TO {role};",
        ],
    }


@pytest.mark.parametrize("state_schema", ["absent", "owned by another role"])
def test_the_printed_grants_are_all_a_run_needs(sample_pair, app_role, env, tmp_path, state_schema):
    sample_pair.execute("db2", "ALTER TABLE plano ADD COLUMN n bigserial")
    if state_schema == "owned by another role":
        owner = connect("DB2", sample_pair.db2, 10, 60)
        StateStore(owner, "hestia_sync").migrate()
        owner.conn.close()
    first = run_cli(["check"], env, tmp_path)
    assert first.code == 1

    grant_as_superuser(sample_pair, printed_grants(first))

    second = run_cli(["check"], env, tmp_path)
    assert second.code == 0, second.stdout
    assert "These statements grant" not in second.stdout
    assert (
        f"ok    plans: DB2 privileges held: SELECT, INSERT, UPDATE on table public.plano; "
        f"TEMPORARY on database {app_role.database('db2')}; USAGE on sequence public.plano_n_seq"
    ) in second.stdout
    assert_runs_through(env, tmp_path)


def test_a_state_schema_owned_by_another_role_needs_its_tables_and_sequences_granted(
    sample_pair, app_role, env, tmp_path
):
    owner = connect("DB2", sample_pair.db2, 10, 60)
    StateStore(owner, "hestia_sync").migrate()
    owner.conn.close()
    role = app_role.name

    result = run_cli(["check", "--flow", "plans"], env, tmp_path)

    assert "FAIL  state schema hestia_sync: DB2 schema hestia_sync lacks USAGE" in result.stdout
    runs = (
        "FAIL  state schema hestia_sync: DB2 table hestia_sync.runs lacks SELECT, INSERT, UPDATE: each run is recorded"
    )
    assert runs in result.stdout
    grants = printed_grants(result)["db2"]
    assert f"GRANT USAGE ON SCHEMA hestia_sync TO {role};" in grants  # up to date: no CREATE needed
    assert not any("CREATE" in grant for grant in grants), grants
    assert f"GRANT SELECT, INSERT, DELETE ON hestia_sync.own_writes TO {role};" in grants
    assert f"GRANT USAGE ON SEQUENCE hestia_sync.runs_id_seq, hestia_sync.conflicts_id_seq TO {role};" in grants


def test_a_state_schema_with_a_migration_to_apply_needs_create_on_it(sample_pair, app_role, env, tmp_path):
    owner = connect("DB2", sample_pair.db2, 10, 60)
    StateStore(owner, "hestia_sync").migrate()
    owner.conn.close()
    sample_pair.execute("db2", "DROP TABLE hestia_sync.watermarks, hestia_sync.own_writes")
    sample_pair.execute("db2", "DELETE FROM hestia_sync.schema_version WHERE version = 2")

    result = run_cli(["check", "--flow", "plans"], env, tmp_path)

    assert (
        "FAIL  state schema hestia_sync: DB2 schema hestia_sync lacks CREATE: this version's migrations"
        in result.stdout
    )
    assert f"GRANT USAGE, CREATE ON SCHEMA hestia_sync TO {app_role.name};" in printed_grants(result)["db2"]


def test_check_of_one_flow_asks_only_for_that_flows_privileges(app_role, env, tmp_path):
    db1, db2, role = app_role.database("db1"), app_role.database("db2"), app_role.name

    result = run_cli(["check", "--flow", "plans"], env, tmp_path)

    assert result.code == 1
    failed = [line for line in result.stdout.splitlines() if line.startswith("FAIL")]
    assert failed
    assert all(line.startswith(("FAIL  plans: ", "FAIL  state schema hestia_sync: ")) for line in failed), failed
    assert printed_grants(result) == {
        "db1": [f"GRANT TEMPORARY ON DATABASE {db1} TO {role};"],
        "db2": [
            f"GRANT CREATE, TEMPORARY ON DATABASE {db2} TO {role};",
            f"GRANT INSERT, UPDATE ON public.plano TO {role};",
        ],
    }


def test_an_update_grant_on_some_mapped_columns_names_the_columns_it_lacks(sample_pair, app_role, env, tmp_path):
    db1, db2, role = app_role.database("db1"), app_role.database("db2"), app_role.name
    sample_pair.execute("db1", f"GRANT TEMPORARY ON DATABASE {db1} TO {role}")
    sample_pair.execute("db2", f"GRANT CREATE, TEMPORARY ON DATABASE {db2} TO {role}")
    sample_pair.execute("db2", f"GRANT INSERT, UPDATE (nome, valor) ON plano TO {role}")

    result = run_cli(["check", "--flow", "plans"], env, tmp_path)

    assert result.code == 1
    assert (
        "FAIL  plans: DB2 table public.plano lacks UPDATE on tipo_conta, descricao, updated_at: "
        "it updates the values that differ"
    ) in result.stdout
    assert printed_grants(result) == {
        "db2": [f"GRANT UPDATE (tipo_conta, descricao, updated_at) ON public.plano TO {role};"]
    }
    grant_as_superuser(sample_pair, printed_grants(result))
    assert run_cli(["check", "--flow", "plans"], env, tmp_path).code == 0
    assert_runs_through(env, tmp_path, "--flow", "plans")
    sample_pair.execute(
        "db1", "UPDATE plano SET ctipousuario = 'anunciante', cdescricao = 'Outra' WHERE cnome = 'Básico'"
    )
    assert_runs_through(env, tmp_path, "--flow", "plans")
    assert sample_pair.rows("db2", "SELECT tipo_conta, descricao FROM plano WHERE nome = 'Básico'") == [
        ("anunciante", "Outra")
    ]


def test_the_tables_a_source_query_joins_need_select_too(sample_pair, app_role, env, tmp_path):
    role = app_role.name
    sample_pair.execute("db2", f"REVOKE SELECT ON universitario, anunciante FROM {role}")

    result = run_cli(["check", "--flow", "payments"], env, tmp_path)

    assert (
        "FAIL  payments.create: DB2 source pagamento_plano cannot be read: the job's user lacks SELECT" in result.stdout
    )
    for table in ("universitario", "anunciante"):
        line = f"FAIL  payments.create: DB2 table public.{table} lacks SELECT: the step's source query reads it"
        assert line in result.stdout
        assert f"GRANT SELECT ON public.{table} TO {role};" in printed_grants(result)["db2"]
    grant_as_superuser(sample_pair, printed_grants(result))
    assert run_cli(["check", "--flow", "payments"], env, tmp_path).code == 0
    assert_runs_through(env, tmp_path, "--flow", "payments")


def test_check_knows_every_table_the_state_migrations_create():
    from job.privileges import STATE_TABLES
    from job.state import MIGRATED_TABLES

    assert set(STATE_TABLES) == {"schema_version", *MIGRATED_TABLES}


def readme_grants(role: str, databases: dict[str, str]) -> dict[str, list[str]]:
    """The README's GRANT block, by database, for this role (the README's `hestia_sync` on database `hestia`)."""
    text = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    block = next(part.split("```", 1)[0] for part in text.split("```sql\n")[1:] if "GRANT " in part)
    grants: dict[str, list[str]] = {}
    side = ""
    for line in block.splitlines():
        if line.startswith("-- in DB"):
            side = line.split()[2].lower().rstrip(":")
        elif line.startswith("GRANT "):
            statement = line.replace("TO hestia_sync;", f"TO {role};")
            grants.setdefault(side, []).append(
                statement.replace("ON DATABASE hestia ", f"ON DATABASE {databases[side]} ")
            )
    return grants


def test_the_grants_the_readme_gives_are_all_a_first_run_needs(sample_pair, app_role, env, tmp_path):
    databases = {side: app_role.database(side) for side in ("db1", "db2")}
    grants = readme_grants(app_role.name, databases)
    assert set(grants) == {"db1", "db2"}
    for side, database in databases.items():  # the README: PostgreSQL gives TEMPORARY to every user by default
        grants[side].append(f"GRANT TEMPORARY ON DATABASE {database} TO {app_role.name};")

    grant_as_superuser(sample_pair, grants)

    result = run_cli(["check"], env, tmp_path)
    assert result.code == 0, result.stdout
    assert_runs_through(env, tmp_path)


def test_a_role_that_may_not_use_the_tables_schema_is_told_to_get_usage_on_it(sample_pair, app_role, env, tmp_path):
    sample_pair.execute("db1", "REVOKE USAGE ON SCHEMA public FROM PUBLIC")

    first = run_cli(["check"], env, tmp_path)

    assert first.code == 1
    assert "FAIL  plans: DB1 schema public lacks USAGE: the tables it uses are in it" in first.stdout
    assert f"GRANT USAGE ON SCHEMA public TO {app_role.name};" in printed_grants(first)["db1"]
    grant_as_superuser(sample_pair, printed_grants(first))
    second = run_cli(["check"], env, tmp_path)
    assert second.code == 0, second.stdout
    assert_runs_through(env, tmp_path)
