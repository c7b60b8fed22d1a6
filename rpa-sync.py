"""The old entry point: it now only says what replaced it (README, "Moving from rpa-sync.py and app.py")."""

import sys

print(
    "rpa-sync.py is replaced by the hestia-sync command. From the repository's root:\n"
    "  make install                 # once: creates .venv\n"
    "  .venv/bin/hestia-sync check  # settings, databases, privileges, helper\n"
    "  .venv/bin/hestia-sync run    # one sync; the same .env (URI_BANCO_1, URI_BANCO_2) is read\n"
    'Change the cron line to the last command; see README.md, "Moving from rpa-sync.py and app.py".',
    file=sys.stderr,
)
sys.exit(2)
