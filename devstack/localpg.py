"""Throwaway PostgreSQL clusters from the local binaries, for the demo and the tests.

PostgreSQL refuses to run as root, so as root the cluster is created and run as the
unprivileged ``postgres`` user through ``runuser``.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import psycopg2
from psycopg2 import sql

DEFAULT_BIN_DIRS = ("/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/17/bin")
UNPRIVILEGED_USER = "postgres"
READY_TIMEOUT_S = 30.0
# The commit log (pg_xact) keeps 2 bits per transaction in 8 KiB pages, 32 pages per segment file.
CLOG_XIDS_PER_SEGMENT = 4 * 8192 * 32
CLOG_SEGMENT_BYTES = 8192 * 32


class LocalPostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries on this machine, or no user to run them as."""


def find_bin_dir() -> Path:
    """The directory holding initdb and pg_ctl: $PG_BIN_DIR, a known Debian path, or the PATH."""
    candidates = [os.environ.get("PG_BIN_DIR", ""), *DEFAULT_BIN_DIRS]
    for candidate in candidates:
        if candidate and (Path(candidate) / "initdb").is_file():
            return Path(candidate)
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise LocalPostgresUnavailable(
        "no PostgreSQL server binaries found: install postgresql (Debian: apt-get install postgresql) "
        "or set PG_BIN_DIR to the directory that holds initdb"
    )


def run_sql_files(dsn: str, sql_files: Iterable[Path]) -> None:
    """Run each SQL file in the database at `dsn`, all in one transaction."""
    conn = psycopg2.connect(dsn)
    try:
        with conn, conn.cursor() as cur:
            for path in sql_files:
                cur.execute(path.read_text())
    finally:
        conn.close()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LocalCluster:
    """One PostgreSQL cluster in a temporary directory, listening on 127.0.0.1 only."""

    port: int = field(default_factory=free_port)
    base_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="hestia-pg-")))
    bin_dir: Path = field(default_factory=find_bin_dir)
    extra_options: tuple[str, ...] = ()
    """More server settings as NAME=VALUE (no spaces), e.g. shared_preload_libraries=pg_stat_statements."""
    password: str | None = None
    """The superuser's password; with one, the cluster authenticates with scram-sha-256 (else: trust)."""

    @property
    def data_dir(self) -> Path:
        return self.base_dir / "data"

    def dsn(self, dbname: str = "postgres", password: str | None = None, user: str = "postgres") -> str:
        """A libpq URI for this cluster, user name and password percent-encoded (trust auth ignores a password;
        scram-sha-256 uses the cluster's superuser password unless another is given)."""
        secret = password if password is not None else self.password
        auth = f"{quote(user, safe='')}:{quote(secret, safe='')}@" if secret else f"{quote(user, safe='')}@"
        return f"postgresql://{auth}127.0.0.1:{self.port}/{dbname}"

    def create_database(self, name: str, sql_files: Iterable[Path] = ()) -> str:
        """Create a database, run the SQL files in it, and return its URI."""
        admin = psycopg2.connect(self.dsn())
        admin.autocommit = True
        try:
            with admin.cursor() as cur:
                cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        finally:
            admin.close()
        run_sql_files(self.dsn(name), sql_files)
        return self.dsn(name)

    def start(self) -> LocalCluster:
        self._run_as_owner(
            [
                str(self.bin_dir / "initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                "postgres",
                "-A",
                "scram-sha-256" if self.password else "trust",
                *([f"--pwfile={self._password_file()}"] if self.password else []),
                "-E",
                "UTF8",
                "--no-sync",
            ]
        )
        self._start_server()
        return self

    def _password_file(self) -> Path:
        """The superuser's password for initdb, readable by the cluster's owner only."""
        path = self.base_dir / "superuser-password"
        path.write_text(f"{self.password}\n", encoding="utf-8")
        path.chmod(0o600)
        owner = pwd.getpwnam(UNPRIVILEGED_USER) if os.geteuid() == 0 else None
        if owner:
            os.chown(path, owner.pw_uid, owner.pw_gid)
        return path

    def set_next_xid(self, xid: int) -> None:
        """Stop the server, move its next transaction id with pg_resetwal (to test xid wraparound), restart.

        Every row is frozen first, so none looks newer than the moved id; pg_resetwal needs the commit log
        segment of the new id to exist: it is created zero-filled."""
        self._freeze_all()
        self._run_as_owner([str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop"])
        segment = self.data_dir / "pg_xact" / f"{(xid % 2**32) // CLOG_XIDS_PER_SEGMENT:04X}"
        if not segment.exists():
            segment.write_bytes(bytes(CLOG_SEGMENT_BYTES))
            owner = pwd.getpwnam(UNPRIVILEGED_USER) if os.geteuid() == 0 else None
            if owner:
                os.chown(segment, owner.pw_uid, owner.pw_gid)
        epoch, low = divmod(xid, 2**32)
        self._run_as_owner([str(self.bin_dir / "pg_resetwal"), "-x", str(low), "-e", str(epoch), str(self.data_dir)])
        self._start_server()

    def _freeze_all(self) -> None:
        admin = psycopg2.connect(self.dsn())
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute("SELECT datname FROM pg_database WHERE datallowconn")
            names = [name for (name,) in cur.fetchall()]
        admin.close()
        for name in names:
            conn = psycopg2.connect(self.dsn(name))
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute("VACUUM FREEZE")
            conn.close()

    def _start_server(self) -> None:
        options = (
            f"-p {self.port} -k {self.base_dir} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        options += "".join(f" -c {option}" for option in self.extra_options)
        self._run_as_owner(
            [
                str(self.bin_dir / "pg_ctl"),
                "-D",
                str(self.data_dir),
                "-l",
                str(self.base_dir / "server.log"),
                "-o",
                options,
                "-w",
                "-t",
                str(int(READY_TIMEOUT_S)),
                "start",
            ]
        )
        self._wait_ready()

    def stop(self) -> None:
        if (self.data_dir / "postmaster.pid").exists():
            self._run_as_owner(
                [str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "immediate", "-w", "stop"],
                check=False,
            )
        shutil.rmtree(self.base_dir, ignore_errors=True)

    def __enter__(self) -> LocalCluster:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            try:
                psycopg2.connect(self.dsn(), connect_timeout=2).close()
                return
            except psycopg2.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def _run_as_owner(self, argv: list[str], check: bool = True) -> None:
        tool = Path(argv[0]).name
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam(UNPRIVILEGED_USER)
            except KeyError as exc:
                raise LocalPostgresUnavailable(
                    f"running as root and no '{UNPRIVILEGED_USER}' user exists to run PostgreSQL as"
                ) from exc
            os.chown(self.base_dir, owner.pw_uid, owner.pw_gid)
            argv = ["runuser", "-u", UNPRIVILEGED_USER, "--", *argv]
        result = subprocess.run(argv, capture_output=True, text=True, check=False)
        if check and result.returncode != 0:
            raise LocalPostgresUnavailable(
                f"{tool} failed (exit {result.returncode}): {result.stderr.strip() or result.stdout.strip()}"
            )
