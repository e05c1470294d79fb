"""The error of a lifecycle action that could not be done (its own module: the undefine and start guards raise it too)."""

from domains.errors import ConsoleError


class ActionError(ConsoleError):
    """An action that could not be done; message says what and what to do.

    A failed action (code action_failed) conflicts with the domain's state: 409; a request to change: 400.
    A code given with a status (a refusal such as base_of_linked_clone) keeps that status.
    """

    def __init__(self, message, code="action_failed", status=None):
        super().__init__(message, code, status or (409 if code == "action_failed" else 400))
