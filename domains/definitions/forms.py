"""The definition page's forms: each turns its POSTed fields into one lossless library edit."""

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from domains.definitions.fields import fields_edit
from domains.definitions.xml import (
    DefinitionError,
    add_console,
    add_file_disk,
    add_interface,
    add_serial,
    add_volume_disk,
    remove_console,
    remove_disk,
    remove_graphics,
    remove_interface,
    remove_metadata,
    remove_serial,
    set_disk_bus,
    set_disk_cache,
    set_graphics,
    set_interface_mac,
    set_interface_model,
    set_interface_source,
    set_metadata,
)
from domains.definitions.xml.device_edits import _BUS_PREFIXES, _free_target

# What a number field is called in its refusal ("The port must be a whole number, …").
_THE_INTERFACE = _("The interface")
_THE_PORT = _("The port")


def _text(post, name):
    return (post.get(name) or "").strip()


def _number(post, name, what, optional=False):
    value = _text(post, name)
    if not value and optional:
        return None
    if not (value.isascii() and value.isdigit()):
        raise DefinitionError(format_lazy(_("{what} must be a whole number, not {value}."), what=what,
                                          value=repr(value)))
    return int(value)


def _general(post):
    return fields_edit({"title": _text(post, "title"), "description": post.get("description", "").strip()})


def _cpu(post):
    return fields_edit({"max_vcpus": _number(post, "max_vcpus", _("Maximum vCPUs")),
                        "vcpus": _number(post, "vcpus", _("vCPUs online"))})


def _memory(post):
    return fields_edit({"max_memory_kib": _number(post, "max_memory_mib", _("Maximum memory (MiB)")) * 1024,
                        "memory_kib": _number(post, "memory_mib", _("Current memory (MiB)")) * 1024})


def _boot(post):
    order = [device for device in post.getlist("boot_order") if device]
    menu = post.get("boot_menu") == "on"
    return fields_edit({"boot_order": order, "boot_menu": menu,
                        "boot_menu_timeout_ms": _number(post, "boot_menu_timeout_ms", _("The boot menu timeout"),
                                                        optional=True) if menu else None})


def _disk_add(post):
    bus = _text(post, "bus") or "virtio"
    device = _text(post, "device") or "disk"
    options = {"bus": bus, "device": device, "cache": _text(post, "cache") or None, "readonly": post.get("readonly") == "on"}

    def edit(document):
        target = _text(post, "target") or _free_target(document, "hd" if device == "cdrom" and bus == "ide"
                                                        else _BUS_PREFIXES.get(bus, "vd"))
        if _text(post, "source_kind") == "volume":
            pool, _slash, volume = _text(post, "volume").partition("/")
            add_volume_disk(document, pool, volume, target, fmt=_text(post, "format") or None, **options)
        else:
            add_file_disk(document, _text(post, "path"), target, fmt=_text(post, "format") or "qcow2", **options)

    return edit


def _disk_change(post):
    target = _text(post, "target")

    def edit(document):
        if _text(post, "cache"):
            set_disk_cache(document, target, None if post["cache"] == "default" else post["cache"])
        if _text(post, "bus"):
            set_disk_bus(document, target, post["bus"])

    return edit


def _nic_add(post):
    return lambda document: add_interface(document, _text(post, "kind") or "network", _text(post, "source") or None,
                                          model=_text(post, "model") or None, mac=_text(post, "mac") or None)


def _nic_change(post):
    ref = _number(post, "index", _THE_INTERFACE)

    def edit(document):
        if _text(post, "kind"):
            set_interface_source(document, ref, post["kind"], _text(post, "source") or None)
        if _text(post, "model"):
            set_interface_model(document, ref, post["model"])
        if _text(post, "mac"):
            set_interface_mac(document, ref, post["mac"])

    return edit


def _graphics(post):
    return lambda document: set_graphics(document, _text(post, "kind"), _text(post, "listen") or None)


def _metadata(post):
    return lambda document: set_metadata(document, post.get("xml", ""))


def _serial_add(post):
    def edit(document):
        add_serial(document, _text(post, "kind") or "pty")
        if post.get("with_console") == "on":
            add_console(document, _text(post, "kind") or "pty")

    return edit


def _serial_remove(post):
    port = _number(post, "port", _THE_PORT)

    def edit(document):
        remove_serial(document, port)
        # libvirt mirrors the first serial port as a serial console, and makes a serial port of a lone
        # serial console again: the port goes only with its console.
        try:
            remove_console(document, "serial", port)
        except DefinitionError:
            pass  # the port had no console

    return edit


def _console_remove(post):
    target_type = _text(post, "target_type") or "serial"
    port = _number(post, "port", _THE_PORT, optional=True) or 0

    def edit(document):
        if target_type == "serial" and port == 0 and document.root.find("devices/serial") is not None:
            raise DefinitionError(_("libvirt always shows the first serial port as the serial console, so this "
                                    "console cannot go on its own: remove serial port 0 instead (its console goes "
                                    "with it)."), path="/domain/devices/console")
        remove_console(document, target_type, port)

    return edit


# form name -> (builder of the edit from the POST data, what the success message says)
FORMS = {
    "general": (_general, _("Title and description saved")),
    "cpu": (_cpu, _("vCPUs saved")),
    "memory": (_memory, _("Memory saved")),
    "boot": (_boot, _("Boot order saved")),
    "disk-add": (_disk_add, _("Disk added")),
    "disk-change": (_disk_change, _("Disk changed")),
    "disk-remove": (lambda post: lambda document: remove_disk(document, _text(post, "target")), _("Disk removed")),
    "nic-add": (_nic_add, _("Network interface added")),
    "nic-change": (_nic_change, _("Network interface changed")),
    "nic-remove": (lambda post: lambda document: remove_interface(document, _number(post, "index", _THE_INTERFACE)),
                   _("Network interface removed")),
    "graphics": (_graphics, _("Display saved")),
    "graphics-remove": (lambda post: lambda document: remove_graphics(document, _text(post, "kind")),
                        _("Display removed")),
    "serial-add": (_serial_add, _("Serial port added")),
    "serial-remove": (_serial_remove, _("Serial port removed")),
    "console-add": (lambda post: lambda document: add_console(document, _text(post, "kind") or "pty",
                                                              _text(post, "target_type") or "serial",
                                                              _number(post, "port", _THE_PORT, optional=True) or 0),
                    _("Console added")),
    "console-remove": (_console_remove, _("Console removed")),
    "metadata": (_metadata, _("Metadata saved")),
    "metadata-remove": (lambda post: lambda document: remove_metadata(document, _text(post, "namespace")),
                        _("Metadata removed")),
}


def form_edit(name, post):
    """(edit, success message) for the form called name; DefinitionError for an unknown form or bad field."""
    if name not in FORMS:
        raise DefinitionError(format_lazy(_("There is no definition form called {name}."), name=repr(name)))
    build, done = FORMS[name]
    return build(post), done
