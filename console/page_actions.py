"""A page's form posts run a do_* action and tell its outcome as a message on the page the user goes to next."""

from django.contrib import messages

from domains.errors import ConsoleError


class Unchanged(str):
    """Words for an action that succeeded but found nothing to change: shown as information, not as a success."""


def perform(request, action, done, *, failed="", errors=None):
    """Run action() and leave one message about it; True if it succeeded.

    done words the success: a text, or a function of action()'s result that returns one (an Unchanged text is
    shown as information). A ConsoleError is shown in its own words, after failed when the page names what
    failed, and its fields at fault go into errors (a dict) for the form drawn again to point at. The caller
    redirects after a success, so a reload does not post the form again.
    """
    try:
        result = action()
    except ConsoleError as exc:
        messages.error(request, f"{failed}{exc.message}")
        if errors is not None:
            errors.update(field_errors(exc))
        return False
    tell(request, done(result) if callable(done) else done)
    return True


def tell(request, text):
    """Leave a success message for the next page; an Unchanged text as information."""
    if isinstance(text, Unchanged):
        messages.info(request, str(text))
    else:
        messages.success(request, text)


def field_errors(exc):
    """A refusal's fields ({field name: [problems]}) for the form to point at; {} when it names none."""
    if not isinstance(exc.fields, dict):
        return {}
    return {key: value for key, value in exc.fields.items() if isinstance(value, list)}
