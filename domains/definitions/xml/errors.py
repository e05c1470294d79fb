"""The one error type for domain definitions, and the issue it carries (line, column, element path)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from domains.errors import ConsoleError


@dataclass(frozen=True)
class ValidationIssue:
    """One problem in a definition, located as precisely as the checker allows."""

    message: str
    line: int | None = None
    column: int | None = None
    path: str | None = None

    def as_dict(self) -> dict:
        # The message in the reader's language, as str: what is answered as JSON.
        return {**asdict(self), "message": str(self.message)}

    def __str__(self) -> str:
        where = []
        if self.line:
            where.append(str(format_lazy(_("line {line}, column {column}"), line=self.line, column=self.column)
                             if self.column else format_lazy(_("line {line}"), line=self.line)))
        if self.path:
            where.append(self.path)
        return f"{self.message} ({'; '.join(where)})" if where else str(self.message)


class DefinitionError(ConsoleError):
    """A definition that cannot be parsed, validated or edited as asked.

    Raised with one message (and optionally where it is), or with a list of
    issues through `DefinitionError.from_issues`; `.issues` always holds the list.
    """

    def __init__(self, message: str, line: int | None = None, column: int | None = None,
                 path: str | None = None):
        super().__init__(message)
        self.line = line
        self.column = column
        self.path = path
        self.issues: list[ValidationIssue] = [ValidationIssue(message, line, column, path)]

    @classmethod
    def from_issues(cls, issues: list[ValidationIssue], summary: str | None = None) -> DefinitionError:
        if not issues:
            raise ValueError("DefinitionError.from_issues needs at least one issue")
        first = issues[0]
        error = cls(summary or first.message, first.line, first.column, first.path)
        error.issues = list(issues)
        return error

    code = "invalid_definition"

    def as_dicts(self) -> list[dict]:
        return [issue.as_dict() for issue in self.issues]

    def as_api_error(self):
        # Each problem with its line, column and element path, as POST /api/v1/domain-xml/validate lists them.
        return self.status, self.code, str(self.message), {"xml": self.as_dicts()}

    def __str__(self) -> str:
        if len(self.issues) == 1:
            return str(self.issues[0])
        return f"{self.message}: " + "; ".join(str(issue) for issue in self.issues)
