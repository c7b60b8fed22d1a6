"""The WSGI entry point gunicorn serves: ``helper_api.wsgi:app``.

The one module that builds the app at import, because gunicorn imports an object, not a factory call.
A configuration or database problem ends start-up here with one line on stderr.
"""

from __future__ import annotations

import sys

from helper_api.app import create_app
from helper_api.errors import HelperError
from job.uris import scrub

try:
    app = create_app()
except HelperError as exc:
    print(f"helper_api: {scrub(str(exc))}", file=sys.stderr)
    raise SystemExit(exc.exit_code) from None
