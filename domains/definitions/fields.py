"""Structured definition fields (title, vCPUs, memory, boot, autostart) as one lossless edit, for forms and PATCH."""

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from domains.definitions.actions import do_edit
from domains.definitions.models import RevisionSource
from domains.definitions.xml import (
    DefinitionError,
    set_boot_menu,
    set_boot_order,
    set_description,
    set_memory,
    set_title,
    set_vcpus,
    summary,
)
from domains.lifecycle.actions import do_domain_action

# The fields a structured change may name; autostart is not part of the XML (libvirt keeps it apart).
XML_FIELDS = ("title", "description", "vcpus", "max_vcpus", "memory_kib", "max_memory_kib", "boot_order",
              "boot_menu", "boot_menu_timeout_ms")
FIELDS = XML_FIELDS + ("autostart",)


def _kept(current, old_maximum, new_maximum):
    """The current amount to keep when only the maximum changes: None (= the maximum) unless it was set apart."""
    if current is None or current == old_maximum or new_maximum is None or current > new_maximum:
        return None
    return current


def fields_edit(fields):
    """An edit(document) that sets the given fields (absent keys stay as they are) and touches nothing else."""
    unknown = sorted(set(fields) - set(FIELDS))
    if unknown:
        raise DefinitionError(format_lazy(_("Unknown field(s) {unknown}; the structured fields are {fields}."),
                                          unknown=", ".join(unknown), fields=", ".join(FIELDS)))

    def edit(document):
        facts = summary(document)
        if "title" in fields:
            set_title(document, fields["title"] or None)
        if "description" in fields:
            set_description(document, fields["description"] or None)
        if "vcpus" in fields or "max_vcpus" in fields:
            maximum = fields.get("max_vcpus") or facts["max_vcpus"]
            current = fields["vcpus"] if "vcpus" in fields else _kept(facts["vcpus"], facts["max_vcpus"], maximum)
            set_vcpus(document, maximum, current=current if current != maximum else None)
        if "memory_kib" in fields or "max_memory_kib" in fields:
            maximum = fields.get("max_memory_kib") or facts["max_memory_kib"]
            current = (fields["memory_kib"] if "memory_kib" in fields
                       else _kept(facts["memory_kib"], facts["max_memory_kib"], maximum))
            if current is not None and maximum is not None and current > maximum and "max_memory_kib" not in fields:
                maximum = current  # raising the memory alone raises the maximum with it
            set_memory(document, maximum, "KiB", current=current)
        if "boot_order" in fields:
            set_boot_order(document, list(fields["boot_order"]))
        if "boot_menu" in fields:
            set_boot_menu(document, bool(fields["boot_menu"]), fields.get("boot_menu_timeout_ms"))

    return edit


def do_change_fields(user, domain, fields, reason="", source=RevisionSource.CONSOLE, source_address=None):
    """Apply structured fields: one define for the XML ones, then autostart; returns the DefinitionChange or None."""
    change = None
    xml_fields = {key: value for key, value in fields.items() if key != "autostart"}
    if xml_fields:
        change = do_edit(user, domain, fields_edit(xml_fields), reason or "Changed " + ", ".join(sorted(xml_fields)),
                         source, source_address)
    if "autostart" in fields and fields["autostart"] is not None:
        do_domain_action(user, domain, "autostart_on" if fields["autostart"] else "autostart_off",
                         source_address=source_address)
    return change
