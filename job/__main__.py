"""Entry point: `python -m job`."""

import sys

from job.cli import main

sys.exit(main())
