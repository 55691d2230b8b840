"""Bad user input, reported the same way whatever the input: the source, then every problem."""

from __future__ import annotations


class InputError(ValueError):
    """An input that cannot be used; `problems` lists every finding, each located.

    Subclasses name the kind of input (`what`) for the message's first line.
    """

    what = "input"

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{source}: invalid {self.what} ({len(problems)} problem(s)):\n{lines}")
