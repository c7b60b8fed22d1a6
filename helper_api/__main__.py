"""``python -m helper_api``: the helper's commands (see helper_api.cli)."""

import sys

from helper_api.cli import main

sys.exit(main())
