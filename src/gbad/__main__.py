"""`python -m gbad` is the `gbad` command."""

from gbad.cli import entry

entry()
