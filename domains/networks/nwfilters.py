"""A host's network filters (nwfilters): list, read, define from XML, undefine (refused while in use).

Filters are host-wide objects of libvirt's nwfilter driver; the permissions are libvirt's nwfilter ACL names, held
through a host or global grant. Binding a filter to a domain's interface belongs to the domain interfaces API.
"""

import functools
from pathlib import Path

import libvirt
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from lxml import etree

from domains.access import audit
from domains.definitions.xml.errors import DefinitionError
from domains.definitions.xml.safe_xml import parse
from domains.libvirt import nwfilters as libvirt_nwfilters
from domains.libvirt.adapter import VirtError
from domains.networks.definition import NETWORK_NAME, NetworkError

SCHEMA = Path("/usr/share/libvirt/schemas/nwfilter.rng")


@functools.cache
def _validator():
    return etree.RelaxNG(etree.parse(str(SCHEMA)))


def read_nwfilter_xml(xml_text):
    """(name, uuid or None) of untrusted filter XML: parsed safely, a <filter> with a usable name, schema-checked."""
    root = parse(xml_text).root
    if root.tag != "filter":
        raise DefinitionError(format_lazy(_("This is a <{tag}> document, not a <filter> (nwfilter) definition."),
                                          tag=root.tag), line=root.sourceline)
    name = root.get("name") or ""
    if not NETWORK_NAME.match(name) or ".." in name:
        raise NetworkError(format_lazy(_("'{name}' is not a usable filter name: use 1 to 100 letters, digits, '.', "
                                         "'_', '+' or '-', starting with a letter or digit."), name=name),
                           fields={"xml": [_("Invalid name.")]})
    validator = _validator()
    if not validator.validate(etree.fromstring(etree.tostring(root))):
        problems = [f"line {entry.line}: {entry.message}" for entry in validator.error_log]
        raise DefinitionError("The filter XML does not follow libvirt's nwfilter schema (nwfilter.rng): "
                              + "; ".join(problems[:3]) + ". Fix it and try again.")
    return name, (root.findtext("uuid") or "").strip() or None


def _summary(handle):
    root = parse(libvirt_nwfilters.nwfilter_xml(handle)).root
    priority = root.get("priority")
    return {"name": root.get("name"), "uuid": (root.findtext("uuid") or "").strip() or None,
            "chain": root.get("chain") or "root", "priority": int(priority) if priority is not None else None,
            "references": [ref.get("filter") for ref in root.findall("filterref")],
            "rules": len(root.findall("rule"))}


def nwfilter_list(host):
    """[filter facts] of host: name, uuid, chain, priority, references (filters it includes), referenced_by
    (filters that include it), bound_to (running interfaces using it now), rules (count)."""
    facts = [_summary(handle) for handle in libvirt_nwfilters.list_nwfilters(host)]
    bound = libvirt_nwfilters.nwfilter_bindings(host)
    for fact in facts:
        fact["referenced_by"] = sorted(other["name"] for other in facts if fact["name"] in other["references"])
        fact["bound_to"] = sorted(bound.get(fact["name"], []))
    return sorted(facts, key=lambda fact: fact["name"])


def nwfilter_detail(host, name):
    """The facts of one filter plus its "xml"; NetworkError 404 if host has none called name."""
    handle = _find(host, name)
    fact = next(fact for fact in nwfilter_list(host) if fact["name"] == name)
    return {**fact, "xml": libvirt_nwfilters.nwfilter_xml(handle)}


def _find(host, name):
    handle = libvirt_nwfilters.find_nwfilter(host, name)
    if handle is None:
        raise NetworkError(format_lazy(_("Host '{host}' has no network filter '{name}': see GET nwfilters for those "
                                         "it has."), host=host, name=name), status=404, code="no_nwfilter")
    return handle


def do_define_nwfilter(user, host, xml_text, *, name=None, source_address=None):
    """Define a new filter from xml_text (name None), or redefine the filter called name (same name, UUID kept).

    Needs nwfilter.write and nwfilter.save (libvirt's checks for a define); refused when a new filter's name is
    taken or a redefinition renames it or changes its UUID. A redefinition applies at once to the interfaces
    bound to the filter (libvirt re-instantiates their rules).
    """
    action = "nwfilter.define" if name is None else "nwfilter.edit"
    params = {"name": name}
    for permission in ("nwfilter.write", "nwfilter.save"):
        audit.require(user, permission, host, action, params, source_address)
    try:
        document_name, document_uuid = read_nwfilter_xml(xml_text)
        params["name"] = document_name
        existing = libvirt_nwfilters.find_nwfilter(host, document_name)
        if name is None and existing is not None:
            raise NetworkError(format_lazy(_("Host '{host}' already has a network filter '{name}': pick another "
                                             "name, or change that filter instead (PUT)."), host=host,
                                           name=document_name),
                               status=409, code="nwfilter_exists", fields={"xml": [_("Name taken.")]})
        if name is not None:
            if document_name != name:
                raise NetworkError(format_lazy(_("The XML names the filter '{named}', but this is '{name}': a "
                                                 "filter cannot be renamed; define a new one instead."),
                                               named=document_name, name=name), fields={"xml": [_("Name changed.")]})
            current_uuid = libvirt_nwfilters.nwfilter_uuid(_find(host, name))
            if document_uuid is None:
                root = parse(xml_text).root
                uuid_element = etree.Element("uuid")
                uuid_element.text = str(current_uuid)
                root.insert(0, uuid_element)
                xml_text = etree.tostring(root, encoding="unicode")
            elif document_uuid.replace("-", "").lower() != current_uuid.hex:
                raise NetworkError(format_lazy(_("The XML gives the filter another UUID ({given}): keep {uuid}."),
                                               given=document_uuid, uuid=current_uuid),
                                   fields={"xml": [_("UUID changed.")]})
    except (NetworkError, DefinitionError) as refusal:
        audit.record(user, action, host, params, outcome=format_lazy("refused: {}", refusal),
                     source_address=source_address)
        raise
    audit.record(user, action, host, params, outcome="started", source_address=source_address)
    try:
        handle = libvirt_nwfilters.define_nwfilter(host, xml_text)
    except VirtError as exc:
        audit.record(user, action, host, params, outcome=format_lazy("failed: {}", exc.message),
                     source_address=source_address)
        raise
    audit.record(user, action, host, params, source_address=source_address)
    return nwfilter_detail(host, libvirt_nwfilters.nwfilter_name(handle))


def do_undefine_nwfilter(user, host, name, source_address=None):
    """Undefine the filter called name; refused (409 in_use) while other filters include it (our check) or running
    interfaces are bound to it (libvirt's)."""
    action = "nwfilter.delete"
    params = {"name": name}
    audit.require(user, "nwfilter.delete", host, action, params, source_address)
    try:
        handle = _find(host, name)
        # libvirt lets a filter others include go, leaving them broken at their next use: refuse it here.
        referenced_by = next(fact for fact in nwfilter_list(host) if fact["name"] == name)["referenced_by"]
        if referenced_by:
            raise NetworkError(format_lazy(_("Network filter '{name}' is included by {filters}: remove it from them "
                                             "first, then delete it."), name=name, filters=", ".join(referenced_by)),
                               status=409, code="in_use", fields={"referenced_by": referenced_by, "bound_to": []})
    except NetworkError as refusal:
        audit.record(user, action, host, params, outcome=format_lazy("refused: {}", refusal),
                     source_address=source_address)
        raise
    audit.record(user, action, host, params, outcome="started", source_address=source_address)
    try:
        libvirt_nwfilters.undefine_nwfilter(handle)
    except VirtError as exc:
        audit.record(user, action, host, params, outcome=format_lazy("failed: {}", exc.message),
                     source_address=source_address)
        if exc.code != libvirt.VIR_ERR_OPERATION_INVALID:
            raise
        fact = next((fact for fact in nwfilter_list(host) if fact["name"] == name), {})
        users = {"referenced_by": fact.get("referenced_by", []), "bound_to": fact.get("bound_to", [])}
        raise NetworkError(format_lazy(_("Network filter '{name}' is in use ({problem}): remove it from the filters "
                                         "and interfaces that use it first, then delete it."),
                                       name=name, problem=exc.message.strip()),
                           status=409, code="in_use", fields=users) from exc
    audit.record(user, action, host, params, source_address=source_address)
