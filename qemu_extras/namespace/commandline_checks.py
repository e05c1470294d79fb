"""Checks of <qemu:commandline> args and env that cannot work for a VM run by a daemon."""

import re
from dataclasses import dataclass

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from domains.definitions.xml.safe_xml import parse

QEMU_NS = "http://libvirt.org/schemas/domain/qemu/1.0"

NO_STDIO = _(
    "A VM started by libvirt has no terminal: QEMU's stdin/stdout are not connected "
    "to anyone, so {what} would never reach you."
)
PTY_ALTERNATIVE = _(
    "Define a serial console instead (<serial type='pty'><target port='0'/></serial> "
    "plus <console type='pty'/>) and open it in the console's serial tab; the monitor "
    "is reachable through the console's QEMU monitor page."
)
VNC_ALTERNATIVE = _(
    "Use <graphics type='vnc' autoport='yes'/> (or spice) and open the graphical console "
    "in the browser; for a text console add a pty serial port and use the serial tab."
)
SCRIPT_PROBLEM = _(
    "{key}= on {option} runs a host shell script as QEMU's user to set up a tap device; "
    "that needs CAP_NET_ADMIN, which libvirt removes from QEMU, so the script fails."
)
SCRIPT_ALTERNATIVE = _(
    "Let libvirt create the tap device: <interface type='network'><source network='default'/>"
    "</interface>, <interface type='bridge'><source bridge='br0'/></interface>, or "
    "<interface type='ethernet'> with a tap made beforehand (script='no' is fine)."
)
SPLIT_ALTERNATIVE = _(
    "Put the option and its value in separate <qemu:arg> elements, e.g. "
    "<qemu:arg value='-serial'/><qemu:arg value='pty'/>."
)

# Options whose value is a character device spec where `stdio` means the
# terminal QEMU was started from. `mon:stdio` multiplexes the monitor onto it.
CHARDEV_VALUE_OPTIONS = {
    "-serial": _("a serial port on stdio"),
    "-parallel": _("a parallel port on stdio"),
    "-monitor": _("a monitor on stdio"),
    "-qmp": _("a QMP monitor on stdio"),
    "-qmp-pretty": _("a QMP monitor on stdio"),
    "-debugcon": _("a debug console on stdio"),
    "-gdb": _("a gdb stub on stdio"),
    "-virtioconsole": _("a virtio console on stdio"),
}
# Display backends that need a terminal or a desktop session of the daemon.
TERMINAL_DISPLAYS = {"curses": _("a curses display (drawn on the terminal)")}
DESKTOP_DISPLAYS = {
    "gtk": _("a GTK window"), "sdl": _("an SDL window"), "cocoa": _("a Cocoa window"),
}
NET_OPTIONS = {"-net", "-netdev", "-nic"}
SCRIPT_KEYS = ("script", "downscript")
# Values that turn the script off, which is harmless.
NO_SCRIPT_VALUES = {"", "no"}
# libvirt refuses other <qemu:env> names: "must begin with a letter or underscore",
# "must contain only alphanumerics and underscore".
ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# Options taking no value (among those this module looks at, plus common ones,
# so that the argument after them is not mistaken for their value).
FLAG_OPTIONS = {
    "-nographic", "-curses", "-sdl", "-daemonize", "-S", "-snapshot", "-no-reboot",
    "-no-shutdown", "-enable-kvm", "-nodefaults", "-no-user-config", "-no-hpet",
    "-full-screen", "-s", "-no-acpi", "-usb", "-win2k-hack", "-old-param",
}


@dataclass(frozen=True)
class Problem:
    """One refused argument: where it is, why it cannot work, and what works instead."""

    index: int
    option: str
    message: str
    alternative: str
    kind: str = "arg"  # "arg" for <qemu:arg>, "env" for <qemu:env>


def split_qemu_opts(value):
    """QEMU's comma-separated option string as (key or None, value) pairs.

    A doubled comma is a literal comma; an element without "=" is either an
    implied first key (e.g. the backend of -chardev) or a bare flag.
    """
    parts, current, i = [], [], 0
    while i < len(value):
        char = value[i]
        if char == ",":
            if value[i + 1:i + 2] == ",":
                current.append(",")
                i += 2
                continue
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
        i += 1
    parts.append("".join(current))
    pairs = []
    for part in parts:
        key, sep, val = part.partition("=")
        pairs.append((key, val) if sep else (None, part))
    return pairs


def _looks_like_option(following):
    return bool(following) and following[0].startswith("-") and len(following[0]) > 1


def _iter_options(args):
    """(index, option, value or None) for each option in argv order.

    Accepts `-opt value`, `--opt value`, `-opt=value` and `--opt=value`.
    """
    i = 0
    while i < len(args):
        arg = args[i]
        # An argument with a space is reported by check_args on its own; it
        # must not swallow the next argument as its value.
        if not arg.startswith("-") or arg == "-" or re.search(r"\s", arg):
            i += 1
            continue
        option = "-" + arg.lstrip("-")
        if "=" in option:
            option, _sep, value = option.partition("=")
            yield i, option, value
            i += 1
        elif option in FLAG_OPTIONS or _looks_like_option(args[i + 1:i + 2]):
            # An option this module does not know may take no value; never let
            # it swallow the option after it, which may be one to refuse.
            yield i, option, None
            i += 1
        else:
            yield i, option, args[i + 1] if i + 1 < len(args) else None
            i += 2


def _stdio_in_chardev_spec(spec):
    # `stdio`, `mon:stdio`, and `stdio,signal=off` all use the terminal.
    head = spec.split(",", 1)[0]
    return head in ("stdio", "mon:stdio")


def _check_option(index, option, value):
    if option in CHARDEV_VALUE_OPTIONS and value is not None and _stdio_in_chardev_spec(value):
        what = CHARDEV_VALUE_OPTIONS[option]
        yield Problem(index, option, format_lazy(NO_STDIO, what=what), PTY_ALTERNATIVE)
    elif option == "-chardev" and value is not None:
        pairs = split_qemu_opts(value)
        backend = dict((k, v) for k, v in pairs if k).get("backend") or pairs[0][1]
        if backend == "stdio":
            yield Problem(index, option, format_lazy(NO_STDIO, what=_("a stdio character device")),
                          PTY_ALTERNATIVE)
    elif option == "-display" and value is not None:
        pairs = split_qemu_opts(value)
        kind = dict((k, v) for k, v in pairs if k).get("type") or pairs[0][1]
        yield from _check_display(index, option, kind)
    elif option == "-curses":
        yield from _check_display(index, option, "curses")
    elif option == "-sdl":
        yield from _check_display(index, option, "sdl")
    elif option == "-nographic":
        yield Problem(
            index, option,
            format_lazy(NO_STDIO, what=_("-nographic (which moves the serial port and monitor to stdio)")),
            format_lazy("{} {}", PTY_ALTERNATIVE, _("Use <graphics> elements, or none, to decide on a display.")),
        )
    elif option == "-daemonize":
        yield Problem(
            index, option,
            _("-daemonize makes QEMU fork away from libvirt, which then loses track of the VM."),
            _("Remove it: libvirt already runs QEMU in the background."),
        )
    elif option in NET_OPTIONS and value is not None:
        for key, val in split_qemu_opts(value):
            if key in SCRIPT_KEYS and val not in NO_SCRIPT_VALUES:
                yield Problem(index, option, format_lazy(SCRIPT_PROBLEM, key=key, option=option),
                              SCRIPT_ALTERNATIVE)


def _check_display(index, option, kind):
    if kind in TERMINAL_DISPLAYS:
        yield Problem(index, option, format_lazy(NO_STDIO, what=TERMINAL_DISPLAYS[kind]),
                      VNC_ALTERNATIVE)
    elif kind in DESKTOP_DISPLAYS:
        yield Problem(
            index, option,
            format_lazy(_("{display} needs a desktop session, and the daemon that runs the VM has none, so QEMU "
                          "cannot open it."), display=DESKTOP_DISPLAYS[kind]),
            VNC_ALTERNATIVE,
        )


def check_args(args):
    """Problems with a list of <qemu:arg> values, in argv order."""
    problems = []
    for index, arg in enumerate(args):
        option_like = arg.startswith("-") and len(arg) > 1
        if option_like and re.search(r"\s", arg.strip()):
            # QEMU receives each <qemu:arg> as one argv element, so
            # "-serial stdio" is an unknown option, not -serial with stdio.
            problems.append(Problem(
                index, arg.split()[0],
                format_lazy(_("'{argument}' is one argument containing a space; QEMU will not split it and refuses "
                              "it as an unknown option."), argument=arg),
                SPLIT_ALTERNATIVE,
            ))
            problems.extend(
                Problem(index, p.option, p.message, p.alternative)
                for p in check_args(arg.split())
            )
    for index, option, value in _iter_options(args):
        problems.extend(_check_option(index, option, value))
    return sorted(problems, key=lambda p: p.index)


def check_env(env):
    """Problems with <qemu:env> (name, value) pairs."""
    problems = []
    for index, (name, _value) in enumerate(env):
        if not ENV_NAME_RE.match(name or ""):
            problems.append(Problem(
                index, name or "",
                format_lazy(_("'{name}' is not a valid environment variable name for <qemu:env>."), name=name),
                _("Use letters, digits and underscores, not starting with a digit."),
                kind="env",
            ))
    return problems


def check_commandline(args, env=()):
    """Every problem with a <qemu:commandline>, args first then env; empty means it can run."""
    return check_args(list(args)) + check_env(list(env))


def commandline_of(root):
    """(args, env) of the <qemu:commandline> of a parsed <domain>, empty when it has none."""
    commandline = root.find(f"{{{QEMU_NS}}}commandline")
    if commandline is None:
        return [], []
    args = [arg.get("value", "") for arg in commandline.iterchildren(f"{{{QEMU_NS}}}arg")]
    env = [(item.get("name", ""), item.get("value"))
           for item in commandline.iterchildren(f"{{{QEMU_NS}}}env")]
    return args, env


def check_definition(domain_xml_text):
    """check_commandline() on the <qemu:commandline> of a domain definition.

    Raises domains.definitions.xml.errors.DefinitionError for XML that cannot be parsed.
    """
    args, env = commandline_of(parse(domain_xml_text).root)
    return check_commandline(args, env)
