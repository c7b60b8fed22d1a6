"""The old helper's entry point: it now only says what replaced it (README, "Moving from rpa-sync.py and app.py")."""

import sys

print(
    "app.py is replaced by the helper API under gunicorn. From the repository's root:\n"
    "  make helper-import CREDENTIALS_CSV=/secure/credentials.csv  # once: load the credentials\n"
    "  make helper                                                 # serve it\n"
    "It needs HELPER_DATABASE_URL and HELPER_API_TOKENS in .env; the job needs one of those tokens in\n"
    "HELPER_API_TOKEN. See README.md, step 4, and docs/helper-api.md.",
    file=sys.stderr,
)
sys.exit(2)
