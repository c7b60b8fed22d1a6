"""The benchmark harness's own parts, fast and without the job: the seeded data and the delay line."""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest

from bench.delay_proxy import DelayProxy
from bench.generate import Generator, Sizes, load
from bench.naive_rows import ADVERTISERS, STUDENTS, db1_account
from job.convert import national_phone_digits, plus_one_month
from tests.support.postgres import PgServer

ROOT = Path(__file__).resolve().parents[2]
N = 200
SEED = 7
DELAY_S = 0.05
CHUNKS = 50


def _rows(seed: int) -> dict[str, list[tuple[object, ...]]]:
    generator, sizes = Generator(seed), Sizes.for_n(N)
    return {
        "students": list(generator.students(0, sizes.students)),
        "advertisers": list(generator.advertisers(0, sizes.advertisers)),
        "payments": list(generator.payments(0, sizes.payments, range(sizes.students), range(sizes.advertisers))),
        "plans": generator.db1_plans(),
        "benefits": generator.benefits(),
    }


def test_the_same_seed_gives_the_same_rows_and_another_seed_others():
    assert _rows(SEED) == _rows(SEED)
    assert _rows(SEED)["students"] != _rows(SEED + 1)["students"]


def test_counts_and_unique_emails_phones_and_dne():
    rows = _rows(SEED)
    assert [len(rows[k]) for k in ("students", "advertisers", "payments", "plans", "benefits")] == [N, N // 4, N, 5, 20]
    accounts = rows["students"] + rows["advertisers"]
    emails = [str(row[1]).lower() for row in accounts]
    phones = [national_phone_digits(row[7]) for row in rows["students"]]
    phones += [national_phone_digits(row[7]) for row in rows["advertisers"]]
    assert len(set(emails)) == len(emails)
    assert len(set(phones)) == len(phones)
    assert len({row[3] for row in rows["students"]}) == N
    assert {str(row[2]).lower() for row in rows["payments"]} <= set(emails)


def _connect_rows(dsn: str, query: str) -> list[tuple[object, ...]]:
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute(query)
            return list(cur.fetchall())
    finally:
        conn.close()


def test_the_rows_load_into_db2_and_pass_db1s_constraints_once_converted(pg_server: PgServer):
    db1 = pg_server.create_database("bench_db1", pg_server.create_template("tmpl_bench_db1", [ROOT / "schema/db1.sql"]))
    db2 = pg_server.create_database("bench_db2", pg_server.create_template("tmpl_bench_db2", [ROOT / "schema/db2.sql"]))
    counts = load(Generator(SEED), N, db1, db2)
    assert counts["db2.universitario"] == N
    assert counts["db2.pagamento_plano"] == N
    assert _connect_rows(db2, "SELECT count(*) FROM anunciante") == [(N // 4,)]

    conn = psycopg2.connect(db1)
    try:
        with conn, conn.cursor() as cur:
            for kind, table in ((STUDENTS, "universitario"), (ADVERTISERS, "anunciante")):
                columns = ["id", "email", "nome", "dt_nascimento", "genero", "municipio", "prefixo", "telefone"]
                columns += ["plano_id", "bio", *(db2_column for db2_column, _ in kind.extra)]
                for number, values in enumerate(_connect_rows(db2, f"SELECT {', '.join(columns)} FROM {table}")):
                    row = db1_account(dict(zip(columns, values, strict=True)), kind, f"u{number}.{table}", "x", None)
                    cur.execute(
                        f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join(['%s'] * len(row))})",
                        list(row.values()),
                    )
            payments = _connect_rows(db2, "SELECT id, email, plano_id, created_at::date FROM pagamento_plano")
            for key, email, plan, created_on in payments:
                cur.execute(
                    "INSERT INTO pagamento (uid, cativo, ddtfim, ntotal, uid_plano, uid_universitario, uid_anunciante) "
                    "SELECT %s, '1', %s, p.nvalor, p.uid, "
                    "(SELECT uid FROM universitario WHERE cemail = lower(%s)), "
                    "(SELECT uid FROM anunciante WHERE cemail = lower(%s)) FROM plano p WHERE p.uid = %s",
                    (key, plus_one_month(created_on), email, email, plan),
                )
                assert cur.rowcount == 1
    finally:
        conn.close()
    assert _connect_rows(db1, "SELECT count(*) FROM pagamento") == [(N,)]


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.settimeout(5)
        while data := self.request.recv(65536):
            self.request.sendall(data)


@pytest.fixture
def echo_port() -> Iterator[int]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Echo)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _receive(sock: socket.socket, size: int) -> bytes:
    received = b""
    while len(received) < size:
        chunk = sock.recv(size - len(received))
        assert chunk, "the proxy closed the connection early"
        received += chunk
    return received


@pytest.mark.timeout(30)
def test_the_proxy_delays_each_way_and_keeps_many_chunks_in_flight(echo_port: int):
    with DelayProxy(echo_port, DELAY_S) as proxy, socket.create_connection(("127.0.0.1", proxy.port), 5) as sock:
        sock.settimeout(5)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        started = time.monotonic()
        sock.sendall(b"ping")
        assert _receive(sock, 4) == b"ping"
        assert time.monotonic() - started >= 2 * DELAY_S

        started = time.monotonic()
        for number in range(CHUNKS):
            sock.sendall(bytes([number]) * 100)
            time.sleep(0.002)
        echoed = _receive(sock, CHUNKS * 100)
        elapsed = time.monotonic() - started
    assert echoed == b"".join(bytes([number]) * 100 for number in range(CHUNKS))
    assert 2 * DELAY_S <= elapsed < CHUNKS * DELAY_S / 4
