"""Lossless edits of one network interface's settings (direct mode, filter, bandwidth, link) and its facts as data."""

from __future__ import annotations

import copy
import re

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from lxml import etree

from .device_edits import _normal_mac
from .errors import DefinitionError
from .placement import build, child, children, format_new, insert, remove, xml_safe

DIRECT_MODES = ("vepa", "bridge", "private", "passthrough")
LINK_STATES = ("up", "down")
BANDWIDTH_DIRECTIONS = ("inbound", "outbound")
BANDWIDTH_KEYS = ("average", "peak", "burst")
# libvirt's nwfilter names and filter parameter names (nwfilter_params.c: alphanumerics and '_').
_FILTER_NAME_RE = re.compile(r"[a-zA-Z0-9_.:-]+\Z")
_PARAMETER_NAME_RE = re.compile(r"[a-zA-Z0-9_]+\Z")
_PARAMETER_VALUE_RE = re.compile(r"[a-zA-Z0-9_.:/-]+\Z")


def normal_mac(mac: str) -> str:
    """mac in lower case, or a DefinitionError if it is not a unicast MAC address."""
    return _normal_mac(mac)


def _path(element: etree._Element) -> str:
    return element.getroottree().getpath(element)


def set_direct_mode(interface: etree._Element, mode: str) -> None:
    """The macvtap mode of a direct interface."""
    if mode not in DIRECT_MODES:
        raise DefinitionError(format_lazy(_("Unknown direct mode {mode}; use one of {modes}."), mode=repr(mode),
                                          modes=", ".join(DIRECT_MODES)))
    source = child(interface, "source")
    if interface.get("type") != "direct" or source is None:
        raise DefinitionError(_("Only a direct (macvtap) interface has a mode; give type direct with a source "
                                "device."),
                              path=_path(interface))
    if source.get("mode") != mode:
        source.set("mode", mode)


def set_link(interface: etree._Element, state: str) -> None:
    """Link up or down, as if the cable were plugged in or pulled out."""
    if state not in LINK_STATES:
        raise DefinitionError(format_lazy(_("Unknown link state {state}; use up or down."), state=repr(state)))
    link = child(interface, "link")
    if link is None:
        if state == "up":
            return  # no <link> is up: leave the definition as it was
        link = insert(interface, build("link", {"state": state}))
    if link.get("state") != state:
        link.set("state", state)


def set_filter(interface: etree._Element, name: str | None, parameters: dict | None = None) -> None:
    """Attach the nwfilter called name, with its parameters (name None: no filter)."""
    existing = child(interface, "filterref")
    if name is None:
        if existing is not None:
            remove(existing)
        return
    if not _FILTER_NAME_RE.match(name):
        raise DefinitionError(format_lazy(_("{name} is not an nwfilter name; use letters, digits, '_', '.', ':' or "
                                            "'-'."), name=repr(name)))
    kids = []
    for key, value in (parameters or {}).items():
        if not _PARAMETER_NAME_RE.match(str(key)):
            raise DefinitionError(format_lazy(_("{key} is not a filter parameter name; use letters, digits and '_' "
                                                "(e.g. IP or CTRL_IP_LEARNING)."), key=repr(key)))
        if not _PARAMETER_VALUE_RE.match(str(value)):
            raise DefinitionError(format_lazy(_("The value {value} of filter parameter {key} is not one libvirt "
                                                "takes; use letters, digits and '.', ':', '/', '_' or '-' (e.g. "
                                                "192.168.1.10)."), value=repr(value), key=key))
        kids.append(build("parameter", {"name": str(key), "value": str(value)}))
    element = build("filterref", {"filter": name}, None, *kids)
    if existing is None:
        insert(interface, element)
    else:
        existing.addprevious(element)
        element.tail = existing.tail
        existing.getparent().remove(existing)
        format_new(element)


def _bandwidth_values(direction: str, values: dict) -> dict:
    unknown = sorted(set(values) - set(BANDWIDTH_KEYS))
    if unknown:
        raise DefinitionError(format_lazy(_("Unknown {direction} bandwidth setting(s) {settings}; use average, peak "
                                            "and burst."), direction=direction, settings=", ".join(unknown)))
    checked = {}
    for key in BANDWIDTH_KEYS:
        value = values.get(key)
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise DefinitionError(format_lazy(_("The {direction} {key} must be a whole number above 0 (KiB/s; burst "
                                                "in KiB), not {value}."), direction=direction, key=key,
                                              value=repr(value)))
        checked[key] = value
    if checked and "average" not in checked:
        raise DefinitionError(format_lazy(_("An {direction} limit needs an average (KiB/s); peak and burst only "
                                            "refine it."), direction=direction))
    return checked


def set_bandwidth(interface: etree._Element, bandwidth: dict | None) -> None:
    """Limit inbound and outbound traffic: {direction: {average, peak, burst}}; None or {} lifts every limit.

    A direction left out of bandwidth is lifted too; an inbound floor set in the raw editor is kept.
    """
    bandwidth = bandwidth or {}
    unknown = sorted(set(bandwidth) - set(BANDWIDTH_DIRECTIONS))
    if unknown:
        raise DefinitionError(format_lazy(_("Unknown bandwidth direction(s) {directions}; use inbound and outbound."),
                                          directions=", ".join(unknown)))
    wanted = {d: _bandwidth_values(d, bandwidth.get(d) or {}) for d in BANDWIDTH_DIRECTIONS}
    element = child(interface, "bandwidth")
    if element is None and not any(wanted.values()):
        return
    element = element if element is not None else insert(interface, build("bandwidth"))
    for direction in BANDWIDTH_DIRECTIONS:
        existing = child(element, direction)
        values = wanted[direction]
        if existing is not None and existing.get("floor") is not None:
            values = {**values, "floor": existing.get("floor")}
        if not values:
            if existing is not None:
                remove(existing)
            continue
        if existing is None:
            existing = insert(element, build(direction))
        for key in list(existing.attrib):
            if key not in values:
                del existing.attrib[key]
        for key, value in values.items():
            if existing.get(key) != str(value):
                existing.set(key, str(value))
    if not len(element):
        remove(element)


def _int_or_none(value):
    return int(value) if value is not None and str(value).isdigit() else None


def interface_facts(interface: etree._Element) -> dict:
    """One interface as data: type, source, mode, model, MAC, filter, bandwidth, link, target, alias."""
    source = child(interface, "source")
    kind = interface.get("type")
    source_name = None
    if source is not None:
        source_name = {"network": source.get("network"), "bridge": source.get("bridge"),
                       "direct": source.get("dev")}.get(kind, source.get("network") or source.get("bridge")
                                                          or source.get("dev"))
    model, mac, link = child(interface, "model"), child(interface, "mac"), child(interface, "link")
    target, alias = child(interface, "target"), child(interface, "alias")
    filterref = child(interface, "filterref")
    bandwidth = None
    element = child(interface, "bandwidth")
    if element is not None:
        bandwidth = {}
        for direction in BANDWIDTH_DIRECTIONS:
            limit = child(element, direction)
            if limit is not None:
                bandwidth[direction] = {key: _int_or_none(limit.get(key)) for key in BANDWIDTH_KEYS + ("floor",)
                                        if limit.get(key) is not None}
    return {
        "mac": mac.get("address", "").lower() if mac is not None else None,
        "type": kind,
        "source": source_name,
        "mode": source.get("mode") if kind == "direct" and source is not None else None,
        "model": model.get("type") if model is not None else None,
        "link": link.get("state", "up") if link is not None else "up",
        "filter": ({"name": filterref.get("filter"),
                    "parameters": {p.get("name"): p.get("value") for p in children(filterref, "parameter")}}
                   if filterref is not None else None),
        "bandwidth": bandwidth,
        "target": target.get("dev") if target is not None else None,
        "alias": alias.get("name") if alias is not None else None,
    }


def device_xml(interface: etree._Element) -> str:
    """The interface alone, as the XML libvirt's device calls take."""
    text = etree.tostring(interface, encoding="unicode", with_tail=False)
    xml_safe(text, "interface")
    return text


def removal_xml(interface: etree._Element) -> str:
    """The least XML that names interface for libvirt's detach: its type, MAC and source (libvirt matches the MAC)."""
    kept = [copy.deepcopy(element) for element in (child(interface, "mac"), child(interface, "source"))
            if element is not None]
    for element in kept:
        element.tail = None
    return device_xml(build("interface", {"type": interface.get("type")}, None, *kept))
