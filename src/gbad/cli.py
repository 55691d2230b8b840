"""The `gbad` command."""


def main() -> int:
    return 0
