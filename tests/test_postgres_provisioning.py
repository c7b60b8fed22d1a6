"""The test PostgreSQL server is real and hands out isolated databases."""

import psycopg2

from tests.support.postgres import PgServer


def test_each_created_database_is_empty_and_separate(pg_server: PgServer) -> None:
    first, second = pg_server.create_database(), pg_server.create_database()
    with psycopg2.connect(first) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE marker (id int)")
    with psycopg2.connect(second) as conn, conn.cursor() as cur:
        cur.execute("SELECT to_regclass('public.marker') IS NULL")
        assert cur.fetchone() == (True,)
