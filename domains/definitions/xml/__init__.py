"""Domain definitions as libvirt XML: safe lossless parsing, schema validation, structured edits, diffs.

Typical use:
    document = parse(xml_text)                # DefinitionError on unsafe/malformed input
    set_vcpus(document, 4, current=2)         # each edit changes its target and nothing else
    issues = validate_document(document)      # libvirt's RNG schema: [] when valid
    new_xml = document.to_xml()               # unedited parts byte for byte as they were read
"""

from domains.revisions.diff import DiffLine, diff_lines, unified_diff

from .device_edits import (
    add_console,
    add_file_disk,
    add_interface,
    add_serial,
    add_volume_disk,
    find_disk,
    find_interface,
    remove_console,
    remove_disk,
    remove_graphics,
    remove_interface,
    remove_serial,
    set_disk_bus,
    set_disk_cache,
    set_graphics,
    set_interface_mac,
    set_interface_model,
    set_interface_source,
)
from .edits import (
    memory_kib,
    remove_metadata,
    set_boot_menu,
    set_boot_order,
    set_description,
    set_memory,
    set_metadata,
    set_title,
    set_vcpus,
)
from .errors import DefinitionError, ValidationIssue
from .safe_xml import MAX_BYTES, MAX_DEPTH, DomainDocument, parse, serialize
from .schema import validate, validate_document
from .summary import summary

__all__ = [
    "DefinitionError", "DiffLine", "DomainDocument", "MAX_BYTES", "MAX_DEPTH", "ValidationIssue",
    "add_console", "add_file_disk", "add_interface", "add_serial", "add_volume_disk", "diff_lines", "find_disk",
    "find_interface", "memory_kib", "parse", "remove_console", "remove_disk", "remove_graphics",
    "remove_interface", "remove_metadata", "remove_serial", "serialize", "set_boot_menu", "set_boot_order",
    "set_description", "set_disk_bus", "set_disk_cache", "set_graphics", "set_interface_mac",
    "set_interface_model", "set_interface_source", "set_memory", "set_metadata", "set_title", "set_vcpus",
    "summary", "unified_diff", "validate", "validate_document",
]
