"""`python -m gbad` is the `gbad` command."""

import sys

from gbad.cli import main

sys.exit(main())
