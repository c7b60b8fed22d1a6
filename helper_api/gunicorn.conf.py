# ruff: noqa: N999  (gunicorn looks for this file name; it is never imported as a module)
"""gunicorn settings for the helper: ``gunicorn -c helper_api/gunicorn.conf.py helper_api.wsgi:app``.

Everything tunable comes from the same HELPER_* settings as the app (environment or .env). The
container runs it as a non-root user (docker/helper.Dockerfile); gunicorn itself is not asked to.
"""

import os
import sys
from typing import Any
from urllib.parse import urlsplit

from helper_api.errors import ConfigurationError
from helper_api.settings import ServerSettings, load_settings

try:
    _server = load_settings(ServerSettings)
except ConfigurationError as _exc:
    print(f"helper_api: {_exc}", file=sys.stderr)
    raise SystemExit(_exc.exit_code) from None

proc_name = "hestia-helper"
bind = [_server.bind]
workers = _server.worker_count()
# gevent workers (docs/security.md, "How the helper is served"): a slow client holds a greenlet, not a
# thread, so it cannot starve the others. gunicorn's gthread worker gives a thread to any connection
# that has sent a byte and has no deadline for the rest of the request head.
worker_class = "helper_api.serving.HelperWorker"
worker_connections = _server.worker_connections
# The gevent worker reads every request head, the first one included, under this timeout, and closes
# the connection when it expires: it is the header timeout as well as the idle keep-alive time.
keepalive = _server.header_timeout_s
timeout = _server.timeout_s
graceful_timeout = _server.graceful_timeout_s
# gunicorn's defaults, written down because docs/security.md promises them: longer lines get 414, more
# or longer header fields 431 (as JSON, from helper_api.serving).
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190
# No proxy stands in front of the helper: no peer may set X-Forwarded-* headers, and REMOTE_ADDR (what
# the failed-authentication limit counts by) is always the TCP peer.
forwarded_allow_ips = ""
# No gunicornc control socket: nothing uses it, and it needs a writable $HOME.
control_socket_disable = True
# Load the app once in the master: a missing setting or an unreachable database stops start-up with
# one line instead of every worker failing in turn, and the migration runs once per container.
preload_app = True
# The heartbeat file must live on a writable tmpfs when the root filesystem is read-only.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 - a tmpfs, not a shared /tmp

# The app writes the access log itself (one JSON line per request, with its request id), so gunicorn's
# own access log would only duplicate it. gunicorn's other messages become JSON lines on stdout too.
accesslog = None
errorlog = "-"
loglevel = "info"
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "helper_api.logs.GunicornJsonFormatter"}},
    "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"}},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["stdout"], "propagate": False},
        # Off: it would log raw paths, and the app's request log already covers every request.
        "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
    },
    "root": {"level": "WARNING", "handlers": ["stdout"]},
}


# Every address that accepts all interfaces: the job must be told this host's own name or address instead.
_ANY_ADDRESS = ("0.0.0.0", "::")  # noqa: S104 - what a bind to every interface looks like, not a bind


def ready_message(url: str) -> str:
    """The line that says where the helper listens and which token the job must share (never the token)."""
    host, port = urlsplit(url).hostname, urlsplit(url).port
    job_url = f"http://<this host's name or address>:{port}" if host in _ANY_ADDRESS else url
    return (
        f"helper API ready on {url}: give the job HELPER_API_URL={job_url} and, in HELPER_API_TOKEN, "
        "one of the tokens this helper accepts in HELPER_API_TOKENS"
    )


def when_ready(server: Any) -> None:
    """gunicorn's hook once it listens (the app is loaded by then): one ready line per address."""
    for listener in server.LISTENERS:
        server.log.info(ready_message(str(listener)))
