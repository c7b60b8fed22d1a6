"""The COPY floor: how fast PostgreSQL alone moves the same rows, the yardstick for the job.

raw: COPY the three DB2 tables TO STDOUT and FROM STDIN into empty copies of them in a scratch database.
shaped: the students shaped into DB1 universitario's columns by one SELECT (placeholder username and
password), COPY'd out and into an empty DB1-shaped table, with all of DB1's constraints checked.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass

import psycopg2
import psycopg2.extensions
from psycopg2 import sql

from bench.cluster import EMPTY_DB1, EMPTY_DB2, BenchCluster

RAW_TABLES = ("universitario", "anunciante", "pagamento_plano")
SHAPED_COLUMNS = (
    "uid",
    "cdne",
    "cnome",
    "cusername",
    "cemail",
    "csenha",
    "ddtnascimento",
    "cgenero",
    "cmunicipio",
    "cprefixo",
    "ctel",
    "cplano",
    "cfotoperfil",
    "cdescricao",
    "uid_anuncio",
    "cnmfaculdade",
)
SHAPED_STUDENTS_SQL = """
SELECT id, dne, nome, 'u.' || replace(id::text, '-', ''), lower(btrim(email)), '!placeholder',
       dt_nascimento, genero, municipio,
       '+' || coalesce(nullif(regexp_replace(prefixo, '[^0-9]', '', 'g'), ''), '55'),
       substr(d, 1, 2) || ' ' || substr(d, 3, 5) || '-' || substr(d, 8, 4),
       CASE WHEN plano_id IS NULL THEN '0' ELSE '1' END, NULL, bio, NULL, universidade
FROM (SELECT *, right(regexp_replace(telefone, '[^0-9]', '', 'g'), 11) AS d FROM universitario) AS s
"""


@dataclass(frozen=True)
class CopyTiming:
    rows: int
    out_s: float
    in_s: float

    @property
    def seconds(self) -> float:
        return self.out_s + self.in_s

    def as_dict(self) -> dict[str, float | int]:
        rows_per_s = self.rows / self.seconds if self.seconds > 0 else 0.0
        return {
            "rows": self.rows,
            "out_s": round(self.out_s, 3),
            "in_s": round(self.in_s, 3),
            "seconds": round(self.seconds, 3),
            "rows_per_s": round(rows_per_s, 1),
        }


def _copy_out(cur: psycopg2.extensions.cursor, source: sql.Composable) -> io.BytesIO:
    buffer = io.BytesIO()
    cur.copy_expert(sql.SQL("COPY {} TO STDOUT").format(source), buffer)
    buffer.seek(0)
    return buffer


def _copy_in(cur: psycopg2.extensions.cursor, table: str, buffer: io.BytesIO, columns: tuple[str, ...] = ()) -> int:
    target: sql.Composable = sql.Identifier(table)
    if columns:
        target = sql.SQL("{} ({})").format(target, sql.SQL(", ").join(sql.Identifier(c) for c in columns))
    cur.copy_expert(sql.SQL("COPY {} FROM STDIN").format(target), buffer)
    return int(cur.rowcount)


def _raw(source_dsn: str, scratch_dsn: str) -> CopyTiming:
    src, dst = psycopg2.connect(source_dsn), psycopg2.connect(scratch_dsn)
    try:
        with src, src.cursor() as out_cur, dst, dst.cursor() as in_cur:
            # pagamento_plano references plano: its few rows go first, untimed.
            _copy_in(in_cur, "plano", _copy_out(out_cur, sql.Identifier("plano")))
            started = time.perf_counter()
            buffers = {table: _copy_out(out_cur, sql.Identifier(table)) for table in RAW_TABLES}
            out_s = time.perf_counter() - started
            started = time.perf_counter()
            rows = sum(_copy_in(in_cur, table, buffers[table]) for table in RAW_TABLES)
            in_s = time.perf_counter() - started
        return CopyTiming(rows, out_s, in_s)
    finally:
        src.close()
        dst.close()


def _shaped(source_dsn: str, scratch_dsn: str) -> CopyTiming:
    src, dst = psycopg2.connect(source_dsn), psycopg2.connect(scratch_dsn)
    try:
        with src, src.cursor() as out_cur, dst, dst.cursor() as in_cur:
            started = time.perf_counter()
            buffer = _copy_out(out_cur, sql.SQL("({})").format(sql.SQL(SHAPED_STUDENTS_SQL.strip())))
            out_s = time.perf_counter() - started
            started = time.perf_counter()
            rows = _copy_in(in_cur, "universitario", buffer, SHAPED_COLUMNS)
            in_s = time.perf_counter() - started
        return CopyTiming(rows, out_s, in_s)
    finally:
        src.close()
        dst.close()


def copy_floor(cluster: BenchCluster, template_db2: str, n: int) -> dict[str, CopyTiming]:
    """Both floors at size N, each into freshly created empty tables."""
    source, raw_scratch, shaped_scratch = f"floor_src_{n}", f"floor_raw_{n}", f"floor_shaped_{n}"
    try:
        source_dsn = cluster.create(source, template=template_db2)
        raw = _raw(source_dsn, cluster.create(raw_scratch, template=EMPTY_DB2))
        shaped = _shaped(source_dsn, cluster.create(shaped_scratch, template=EMPTY_DB1))
        return {"raw": raw, "shaped": shaped}
    finally:
        cluster.drop(source, raw_scratch, shaped_scratch)
