"""Pool definitions as XML: made from form fields, parsed losslessly, validated by libvirt's storagepool.rng."""

import functools
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from lxml import etree

from domains.definitions.xml.errors import DefinitionError
from domains.definitions.xml.safe_xml import parse
from domains.storage.pools.policy import PoolError, check_pool_name

SCHEMA = Path("/usr/share/libvirt/schemas/storagepool.rng")
# Source fields the create form and API take, each written as libvirt's <source> child.
SOURCE_FIELDS = ("device", "host", "dir", "name", "format", "adapter", "initiator")


@dataclass
class PoolDefinition:
    """What the console reads from a pool's XML: enough to check it and show it."""

    name: str
    type: str
    uuid: str | None
    target: str | None
    source: dict = field(default_factory=dict)

    def host_paths(self):
        """(what, path) for every path on the host this pool makes libvirtd open: target and source devices."""
        paths = [("target path", self.target)] if self.target else []
        paths += [("source device", device) for device in self.source.get("device", [])]
        return paths


def xml_from_fields(name, pool_type, target=None, source=None):
    """A <pool> definition from the create form's or API's fields (source: SOURCE_FIELDS, device a list or one)."""
    check_pool_name(name)
    if not isinstance(pool_type, str) or not pool_type:
        raise PoolError(_("Give the pool's type (dir, fs, netfs, logical, ...)."), fields={"type": [_("Required.")]})
    root = etree.Element("pool", type=pool_type)
    etree.SubElement(root, "name").text = name
    source = dict(source or {})
    unknown = sorted(set(source) - set(SOURCE_FIELDS))
    if unknown:
        raise PoolError(format_lazy(_("Unknown source field(s) {unknown}: the source takes {known}."),
                                    unknown=", ".join(unknown), known=", ".join(SOURCE_FIELDS)),
                        fields={"source": [format_lazy(_("Unknown: {unknown}."), unknown=", ".join(unknown))]})
    if any(value not in (None, "", []) for value in source.values()):
        element = etree.SubElement(root, "source")
        devices = source.get("device") or []
        for device in [devices] if isinstance(devices, str) else devices:
            etree.SubElement(element, "device", path=str(device))
        if source.get("host"):
            etree.SubElement(element, "host", name=str(source["host"]))
        if source.get("dir"):
            etree.SubElement(element, "dir", path=str(source["dir"]))
        if source.get("adapter"):
            etree.SubElement(element, "adapter", type="scsi_host", name=str(source["adapter"]))
        if source.get("name"):
            etree.SubElement(element, "name").text = str(source["name"])
        if source.get("format"):
            etree.SubElement(element, "format", type=str(source["format"]))
        if source.get("initiator"):
            initiator = etree.SubElement(element, "initiator")
            etree.SubElement(initiator, "iqn", name=str(source["initiator"]))
    if target:
        etree.SubElement(etree.SubElement(root, "target"), "path").text = str(target)
    etree.indent(root, space="  ")
    return etree.tostring(root, encoding="unicode") + "\n"


@functools.cache
def _validator():
    return etree.RelaxNG(etree.parse(str(SCHEMA)))


def schema_problems(root):
    """libvirt's schema errors for a <pool> element, each with its line; [] when it is valid."""
    validator = _validator()
    if validator.validate(root):
        return []
    return [f"line {entry.line}: {entry.message}" for entry in validator.error_log]


def read_definition(xml_text):
    """The PoolDefinition of untrusted pool XML: parsed safely, schema-checked; DefinitionError otherwise."""
    document = parse(xml_text)
    root = document.root
    if root.tag != "pool":
        raise DefinitionError(format_lazy(_("This is a <{tag}> document, not a <pool> definition."), tag=root.tag),
                              line=root.sourceline)
    problems = schema_problems(etree.fromstring(etree.tostring(root)))
    if problems:
        # Not said lazily (yet): a DefinitionError without a line hands its message to str() as it is.
        raise DefinitionError("The pool XML does not follow libvirt's storage pool schema (storagepool.rng): "
                              + "; ".join(problems[:3]) + ". Fix it and try again.")
    name = root.findtext("name") or ""
    check_pool_name(name)
    source = {}
    source_element = root.find("source")
    if source_element is not None:
        source["device"] = [d.get("path") for d in source_element.findall("device") if d.get("path")]
        for key, xpath, attribute in (("host", "host", "name"), ("dir", "dir", "path"), ("format", "format", "type"),
                                      ("adapter", "adapter", "name")):
            found = source_element.find(xpath)
            if found is not None and found.get(attribute):
                source[key] = found.get(attribute)
        if source_element.findtext("name"):
            source["name"] = source_element.findtext("name")
    return PoolDefinition(name=name, type=root.get("type"), uuid=(root.findtext("uuid") or "").strip() or None,
                          target=(root.findtext("target/path") or "").strip() or None, source=source)
