"""Unified diff between two revisions' contents (a definition's XML, daemon settings as JSON), as tagged lines."""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "header" (---/+++ and @@ hunks), "add", "remove" or "context"
    text: str  # the line without its leading +/-/space marker (headers: whole line)

    def as_dict(self) -> dict:
        return asdict(self)


def diff_lines(old: str, new: str, old_label: str = "before", new_label: str = "after",
               context: int = 3) -> list[DiffLine]:
    """[] when the texts are equal."""
    lines = difflib.unified_diff(old.splitlines(), new.splitlines(), old_label, new_label,
                                 n=context, lineterm="")
    result = []
    for number, line in enumerate(lines):
        # Only the first two lines are file headers: a removed "-->" line also starts with "---".
        if number < 2 or line.startswith("@@"):
            result.append(DiffLine("header", line))
        elif line.startswith("+"):
            result.append(DiffLine("add", line[1:]))
        elif line.startswith("-"):
            result.append(DiffLine("remove", line[1:]))
        else:
            result.append(DiffLine("context", line[1:]))
    return result


def unified_diff(old: str, new: str, old_label: str = "before", new_label: str = "after") -> str:
    """The same diff as plain text (for downloads and logs)."""
    marks = {"add": "+", "remove": "-", "context": " ", "header": ""}
    return "\n".join(marks[line.kind] + line.text for line in diff_lines(old, new, old_label, new_label))
