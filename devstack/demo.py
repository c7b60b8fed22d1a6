"""`make demo`: the whole product on throwaway local databases, end to end, then everything removed.

1. Two PostgreSQL clusters (DB1 and DB2) from the local binaries, loaded with the users' schemas
   and the sample data; the helper's own database on DB2's cluster.
2. The helper API under gunicorn on a free 127.0.0.1 port, its credentials imported from the sample CSV.
3. `python -m job check`, `plan`, `run` (twice: the second has nothing to do), then `status`.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import httpx

from devstack.localpg import LocalCluster, free_port

ROOT = Path(__file__).resolve().parents[1]
READY_TIMEOUT_S = 30.0


def banner(text: str) -> None:
    print(f"\n=== {text}", flush=True)


def run(argv: list[str], env: dict[str, str], allowed: tuple[int, ...] = (0,)) -> int:
    """Run a command with the demo's environment, its output going straight to the terminal."""
    code = subprocess.run(argv, env=env, cwd=ROOT, check=False).returncode
    if code not in allowed:
        raise SystemExit(f"demo: `{' '.join(argv[1:])}` exited {code}; see its output above")
    return code


def wait_for_helper(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"demo: the helper API exited with status {process.returncode} at start-up")
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == httpx.codes.OK:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"demo: the helper API did not become ready within {READY_TIMEOUT_S:.0f} s")


def main() -> int:
    token = secrets.token_urlsafe(24)
    with ExitStack() as stack:
        banner("starting two throwaway PostgreSQL clusters (DB1, DB2)")
        db1_cluster = stack.enter_context(LocalCluster())
        db2_cluster = stack.enter_context(LocalCluster())
        db1 = db1_cluster.create_database("hestia_db1", [ROOT / "schema/db1.sql", ROOT / "sample/db1.sql"])
        db2 = db2_cluster.create_database("hestia_db2", [ROOT / "schema/db2.sql", ROOT / "sample/db2.sql"])
        helper_db = db2_cluster.create_database("hestia_helper", [])
        print(f"DB1: {db1}\nDB2: {db2}")

        port = free_port()
        helper_url = f"http://127.0.0.1:{port}"
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("JOB_", "URI_BANCO", "HELPER_"))},
            "URI_BANCO_1": db1,
            "URI_BANCO_2": db2,
            "HELPER_API_URL": helper_url,
            "HELPER_API_TOKEN": token,
            "HELPER_API_TOKENS": token,
            "HELPER_DATABASE_URL": helper_db,
            "HELPER_BIND": f"127.0.0.1:{port}",
            "JOB_LOG_FORMAT": "text",
        }
        banner("starting the helper API and importing sample/credentials.csv")
        python = sys.executable
        run([python, "-m", "helper_api", "migrate"], env)
        run([python, "-m", "helper_api", "import-credentials", str(ROOT / "sample/credentials.csv")], env)
        helper = subprocess.Popen(
            [
                python,
                "-m",
                "gunicorn",
                "-c",
                str(ROOT / "helper_api/gunicorn.conf.py"),
                "--workers",
                "2",
                "helper_api.wsgi:app",
            ],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        stack.callback(_stop, helper)
        wait_for_helper(helper_url, helper)
        print(f"helper API ready at {helper_url}")

        banner("python -m job check")
        run([python, "-m", "job", "check"], env)
        banner("python -m job plan   (writes nothing)")
        run([python, "-m", "job", "plan"], env, allowed=(0, 3))
        banner("python -m job run    (the sample has a bad phone number and a payment with no account: exit 3)")
        first = run([python, "-m", "job", "run"], env, allowed=(0, 3))
        banner("python -m job run    (again: nothing left to write)")
        run([python, "-m", "job", "run"], env, allowed=(0, 3))
        banner("python -m job status")
        run([python, "-m", "job", "status"], env)
        banner(f"demo finished: the first run exited {first}; the clusters and the helper are being removed")
    return 0


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


if __name__ == "__main__":
    raise SystemExit(main())
