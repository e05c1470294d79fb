"""Check libvirt log filter and output strings before they reach a daemon, naming the bad token.

The rules follow libvirt 9's parser (virLogParseFilter / virLogParseOutput),
a little stricter where libvirt accepts something that cannot be what the
operator meant: a relative or empty log file path (the daemon resolves it
against "/"), a syslog output without an ident, a level written "03", a
filter name with a ':' (libvirt drops what follows it).

Each ValueError's message is said in the reader's language (domains.words).
"""

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

LEVELS = {"1": "debug", "2": "info", "3": "warning", "4": "error"}
_NOT_A_LEVEL = {"filter": _("log filter {token}: {level} is not a level from 1 (debug) to 4 (error)"),
                "output": _("log output {token}: {level} is not a level from 1 (debug) to 4 (error)")}


def _level(token, level, kind):
    if level not in LEVELS:
        raise ValueError(format_lazy(_NOT_A_LEVEL[kind], token=repr(token), level=repr(level)))


def check_log_filters(text):
    """Raise ValueError naming the first bad filter in `text`; return the filters as a list.

    A filter is LEVEL:[+]NAME, e.g. "1:qemu 3:util.json"; filters are separated
    by spaces; "" means no filters at all.
    """
    filters = text.split()
    for token in filters:
        level, colon, name = token.partition(":")
        if not colon:
            raise ValueError(format_lazy(_("log filter {token} is not LEVEL:NAME (for example 3:qemu)"),
                                         token=repr(token)))
        _level(token, level, "filter")
        if not name.removeprefix("+"):
            raise ValueError(format_lazy(_("log filter {token} has no name to match after the level (for example "
                                           "3:qemu)"), token=repr(token)))
        if ":" in name:
            # libvirt would silently keep only the part before the second ':'.
            raise ValueError(format_lazy(_("log filter {token}: a name cannot contain ':'"), token=repr(token)))
    return filters


def normalize_log_filters(text):
    """`text` as the daemon reports it back once set: "1:+qemu  3:util" becomes "1:*qemu* 3:*util*"."""
    normalized = []
    for token in check_log_filters(text):
        level, _colon, name = token.partition(":")
        normalized.append(f"{level}:*{name.removeprefix('+')}*")
    return " ".join(normalized)


def settable_log_filters(live_text):
    """Filters as read from a daemon, in the form that sets them back unchanged.

    libvirt wraps every name in '*' when it stores a filter, even one that has
    them already: writing "3:*qemu*" back would read "3:**qemu**".
    """
    restored = []
    for token in live_text.split():
        level, _colon, name = token.partition(":")
        if len(name) >= 2 and name.startswith("*") and name.endswith("*"):
            name = name[1:-1]
        restored.append(f"{level}:{name}")
    return " ".join(restored)


def check_log_outputs(text):
    """Raise ValueError naming the first bad output in `text`; return the outputs as a list.

    An output is LEVEL:stderr, LEVEL:journald, LEVEL:syslog:IDENT or
    LEVEL:file:/ABSOLUTE/PATH, separated by spaces; "" restores the daemon's
    default output.
    """
    outputs = text.split()
    for token in outputs:
        parts = token.split(":")
        if len(parts) < 2:
            raise ValueError(format_lazy(_("log output {token} is not LEVEL:DESTINATION (for example 3:stderr)"),
                                         token=repr(token)))
        _level(token, parts[0], "output")
        destination, rest = parts[1], parts[2:]
        if destination in ("stderr", "journald"):
            if rest:
                raise ValueError(format_lazy(_("log output {token}: {destination} takes nothing after it (write "
                                               "3:{destination})"), token=repr(token), destination=destination))
        elif destination == "syslog":
            if len(rest) != 1 or not rest[0]:
                raise ValueError(format_lazy(_("log output {token}: syslog needs one ident name (for example "
                                               "3:syslog:libvirtd)"), token=repr(token)))
        elif destination == "file":
            if len(rest) != 1 or not rest[0].startswith("/") or rest[0] == "/":
                raise ValueError(format_lazy(_("log output {token}: file needs one absolute path without ':' (for "
                                               "example 3:file:/var/log/libvirt/libvirtd.log)"), token=repr(token)))
        else:
            raise ValueError(format_lazy(_("log output {token}: unknown destination {destination}; use stderr, "
                                           "journald, syslog or file"), token=repr(token), destination=repr(destination)))
    return outputs


def normalize_log_outputs(text):
    """`text` as the daemon reports it back once set (single spaces)."""
    return " ".join(check_log_outputs(text))
