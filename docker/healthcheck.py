"""Container health probe for the helper: exit 0 when GET /healthz answers 200, else 1.

Docker's HEALTHCHECK runs it inside the container, so it needs nothing the image does not have
(no curl): the standard library only. The port comes from HELPER_BIND, as gunicorn's does.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

DEFAULT_BIND = "127.0.0.1:5000"
TIMEOUT_S = 2.0


def probe_url(bind: str) -> str:
    """The /healthz URL on the loopback interface for a gunicorn bind such as '0.0.0.0:5000'."""
    host, sep, port = bind.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise ValueError(f"HELPER_BIND must look like HOST:PORT (e.g. 0.0.0.0:5000), got {bind!r}")
    return f"http://127.0.0.1:{int(port)}/healthz"


def check(url: str, timeout_s: float = TIMEOUT_S) -> str | None:
    """None when the URL answers 200, else a one-line reason."""
    # The probe targets this container's loopback: a proxy from the environment must not reroute it.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout_s) as response:
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        return f"{url} answered {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        return f"{url} did not answer: {exc}"
    return None if status == 200 else f"{url} answered {status}"


def main() -> int:
    try:
        url = probe_url(os.environ.get("HELPER_BIND", DEFAULT_BIND))
    except ValueError as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1
    reason = check(url)
    if reason is not None:
        print(f"unhealthy: {reason}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
