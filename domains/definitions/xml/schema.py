"""Validate domain XML against libvirt's installed RNG schema, with line, column and element path."""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from pathlib import Path

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from lxml import etree

from .errors import DefinitionError, ValidationIssue
from .safe_xml import DomainDocument, parse

__all__ = ["SCHEMA_DIR", "ValidationIssue", "element_problems", "validate", "validate_document"]

SCHEMA_DIR = Path("/usr/share/libvirt/schemas")
_RNG_NS = "http://relaxng.org/ns/structure/1.0"

# Elements that have a schema definition of their own, so an error inside them can be
# pinned on the element itself (libxml2 otherwise only says "Extra element devices in
# interleave" about the whole <devices>). Key: element name, value: RNG define name.
_DEFINES = {
    name: name for name in (
        "devices", "disk", "controller", "lease", "filesystem", "interface", "input", "sound",
        "hostdev", "video", "console", "serial", "parallel", "channel", "smartcard", "hub",
        "redirdev", "redirfilter", "watchdog", "memballoon", "rng", "panic", "shmem", "iommu",
        "vsock", "tpm", "audio", "cputune", "memtune", "blkiotune", "numatune", "sysinfo", "pm",
        "perf", "launchSecurity", "resource", "emulator", "title", "description", "vmcoreinfo",
    )
}
_DEFINES.update({"graphics": "graphic", "memory@devices": "memorydev"})

_NAMED_ELEMENT_RE = re.compile(
    r"(?:Extra element|Did not expect element|Element|Expecting element \S+, got|element) (\S+?)[ ,:]")

# libxml2's RNG validator keeps state per object: one lock per compiled schema.
_lock = threading.Lock()


def _grammar_for(start_define: str) -> etree._ElementTree:
    grammar = etree.Element(f"{{{_RNG_NS}}}grammar",
                            datatypeLibrary="http://www.w3.org/2001/XMLSchema-datatypes")
    start = etree.SubElement(grammar, f"{{{_RNG_NS}}}start")
    etree.SubElement(start, f"{{{_RNG_NS}}}ref", name=start_define)
    etree.SubElement(grammar, f"{{{_RNG_NS}}}include", href=(SCHEMA_DIR / "domainoverrides.rng").as_uri())
    return etree.ElementTree(grammar)


@lru_cache(maxsize=None)
def _validator(define: str = "domain") -> etree.RelaxNG:
    """Compiled once per process: includes resolve from the schema directory."""
    path = SCHEMA_DIR / "domain.rng"
    if not path.exists():
        raise DefinitionError(format_lazy(_("libvirt's domain schema {path} is missing; install the libvirt packages "
                                            "that ship /usr/share/libvirt/schemas (libvirt-daemon or "
                                            "libvirt-clients)."), path=path))
    try:
        if define == "domain":
            return etree.RelaxNG(etree.parse(str(path)))
        return etree.RelaxNG(_grammar_for(define))
    except (etree.RelaxNGParseError, etree.XMLSyntaxError) as exc:
        raise DefinitionError(format_lazy(_("libvirt's domain schema under {directory} cannot be loaded: {error}"),
                                          directory=SCHEMA_DIR, error=str(exc))) from exc


def _errors(element: etree._Element, define: str) -> list:
    """libxml2's error entries for element checked against one schema definition; [] when valid."""
    validator = _validator(define)
    with _lock:
        return [] if validator.validate(element) else list(validator.error_log)


def _define_for(element: etree._Element) -> str | None:
    if not isinstance(element.tag, str) or etree.QName(element).namespace:
        return None
    name = element.tag
    parent = element.getparent()
    if name == "memory" and parent is not None and parent.tag == "devices":
        return _DEFINES["memory@devices"]
    return _DEFINES.get(name)


def _resolve(scope: etree._Element, path: str | None) -> etree._Element | None:
    """An error path (relative to the validated element, its first step being scope) to an element."""
    if not path:
        return None
    steps = path.strip("/").split("/")[1:]
    if not steps:
        return scope
    namespaces = {k: v for k, v in scope.nsmap.items() if k}
    try:
        found = scope.xpath("./" + "/".join(steps), namespaces=namespaces)
    except etree.XPathError:
        return None
    return found[0] if found and isinstance(found[0], etree._Element) else None


def _blame(scope: etree._Element, entries) -> etree._Element:
    """The deepest element the log lets us point at."""
    blamed = scope
    anchors = [e for e in (_resolve(scope, entry.path) for entry in entries) if e is not None]
    if anchors:
        blamed = max(anchors, key=lambda el: len(list(el.iterancestors())))
    for entry in entries:
        match = _NAMED_ELEMENT_RE.search(entry.message + " ")
        if not match:
            continue
        name = match.group(1).split(":")[-1]
        for candidate in blamed.iterchildren():
            if isinstance(candidate.tag, str) and etree.QName(candidate).localname == name:
                return candidate
    return blamed


class _Checker:
    def __init__(self, document: DomainDocument):
        self.document = document
        self.tree = document.tree

    def issue(self, element: etree._Element, message: str) -> ValidationIssue:
        position = self.document.position(element)
        line, column = position if position else (element.sourceline, None)
        name = etree.QName(element).localname
        return ValidationIssue(format_lazy(_("<{element}> does not match libvirt's domain schema: {problem}"),
                                           element=name, problem=message),
                               line, column, self.tree.getpath(element))

    def check(self, element: etree._Element, define: str) -> list[tuple[etree._Element, ValidationIssue]]:
        entries = _errors(element, define)
        if not entries:
            return []
        # Pin the error on each invalid child that has its own schema definition.
        deeper: list[tuple[etree._Element, ValidationIssue]] = []
        for child in element.iterchildren():
            child_define = _define_for(child)
            if child_define is not None:
                deeper.extend(self.check(child, child_define))
        blamed = _blame(element, entries)
        if blamed is not element and _define_for(blamed) is not None and not deeper:
            deeper = self.check(blamed, _define_for(blamed))
        if any(blamed is culprit or blamed in culprit.iterancestors() for culprit, _ in deeper):
            return deeper
        return deeper + [(blamed, self.issue(blamed, _summarise(entries)))]


def _summarise(entries) -> str:
    messages = []
    for entry in entries:
        text = entry.message.strip()
        if text not in messages:
            messages.append(text)
    # libxml2 repeats every failure up the tree; keep the specific lines when there are any.
    specific = [m for m in messages if not (m.startswith("Invalid sequence in interleave")
                                            or re.match(r"Element \S+ failed to validate content", m))]
    return "; ".join(specific or messages) or "invalid content"


def element_problems(element: etree._Element) -> list[str]:
    """Schema messages for one device-like element (disk, interface, …) on its own; [] if valid or unknown."""
    define = _DEFINES.get(element.tag) if isinstance(element.tag, str) else None
    entries = _errors(element, define) if define is not None else []
    return [_summarise(entries)] if entries else []


def validate_document(document: DomainDocument) -> list[ValidationIssue]:
    root = document.root
    if root.tag != "domain":
        line, column = document.position(root) or (1, 1)
        return [ValidationIssue(format_lazy(_("The root element is <{element}>, not <domain>; paste a domain "
                                              "definition (as `virsh dumpxml` prints it)."), element=root.tag),
                                line, column, "/" + str(root.tag))]
    return [issue for _, issue in _Checker(document).check(root, "domain")]


def validate(xml_text: str | bytes) -> list[ValidationIssue]:
    """All problems found in `xml_text`: malformed or unsafe XML, then libvirt's RNG schema. [] = valid."""
    try:
        document = parse(xml_text)
    except DefinitionError as exc:
        return list(exc.issues)
    return validate_document(document)
