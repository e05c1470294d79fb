"""Removable media of a domain: insert, change or eject the medium of a CD-ROM or floppy, live when it runs."""

import copy

from django.http import Http404
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from lxml import etree

from domains.access import audit
from domains.access.lookups import libvirt_domain
from domains.definitions.actions import (
    checked_document,
    domain_lock,
    ensure_first_revision,
    record_device_change,
)
from domains.definitions.models import RevisionSource
from domains.definitions.policy import check_change
from domains.definitions.xml import DefinitionError, find_disk, parse
from domains.errors import ConsoleError
from domains.libvirt import adapter
from domains.libvirt import install as libvirt_install
from domains.libvirt import interfaces as libvirt_definitions
from domains.libvirt.adapter import VirtError
from domains.storage.volumes.actions import visible_volume

REMOVABLE = ("cdrom", "floppy")


class MediaError(ConsoleError):
    code = "invalid_media"


def _volume(user, domain, volume):
    pool, _slash, name = (volume or "").partition("/")
    if not pool or not name or "/" in name:
        raise MediaError(format_lazy(_("volume {volume} does not name a volume: write it as 'pool/volume', or null "
                                       "to eject."), volume=repr(volume)))
    try:
        visible_volume(user, domain.host_id, pool, name, "storage_vol.data_read")
    except Http404 as exc:
        raise MediaError(format_lazy(_("There is no volume '{volume}' you may read on host '{host}': pick one from "
                                       "its ISO library."), volume=volume, host=domain.host),
                         code="no_volume", status=404) from exc
    return pool, name


def _with_medium(disk, medium):
    """A copy of the removable disk element holding medium ((pool, volume)) or, for None, no medium."""
    changed = copy.deepcopy(disk)
    for source in changed.findall("source"):
        changed.remove(source)
    for element in changed.findall("backingStore"):  # the old medium's, if libvirt wrote one
        changed.remove(element)
    if medium is None:
        changed.set("type", "file")
        return changed
    changed.set("type", "volume")
    source = etree.Element("source", pool=medium[0], volume=medium[1])
    driver = changed.find("driver")
    changed.insert(list(changed).index(driver) + 1 if driver is not None else 0, source)
    if driver is not None:
        driver.set("type", "raw")
    return changed


def medium_of(disk):
    source = disk.find("source")
    if source is None:
        return None
    if source.get("pool"):
        return f"{source.get('pool')}/{source.get('volume')}"
    return source.get("file") or source.get("dev") or ""


def do_change_media(user, domain, device, volume, reason="", source=RevisionSource.API, source_address=None):
    """Put volume ('pool/volume') into the removable drive device, or eject it (volume None). Returns a dict."""
    params = {"device": device, "volume": volume}
    action = "domain.media"
    audit.require(user, "write", domain, action, params, source_address)
    with domain_lock(domain.host_id, domain.uuid):
        intent = None
        try:
            medium = _volume(user, domain, volume) if volume is not None else None
            dom = libvirt_domain(domain)
            secure_xml = libvirt_definitions.definition_xml(dom, secure=True)
            document = parse(secure_xml)
            try:
                disk = find_disk(document, device)
            except DefinitionError as exc:
                raise MediaError(format_lazy(_("Domain '{domain}' has no drive '{device}': pick one of its CD-ROM or "
                                               "floppy drives (e.g. hdc or sda)."), domain=domain.name, device=device),
                                 code="no_drive", status=404) from exc
            if disk.get("device", "disk") not in REMOVABLE:
                raise MediaError(format_lazy(_("'{device}' of '{domain}' is a {kind}, not a removable drive: media go "
                                               "into CD-ROM and floppy drives only."), device=device,
                                             domain=domain.name, kind=disk.get("device", "disk")))
            changed = _with_medium(disk, medium)
            disk.getparent().replace(disk, changed)
            # The same checks do_define makes, on what libvirt is about to hold.
            check_change(user, domain, secure_xml, document)
            checked_document(document.to_xml())
            ensure_first_revision(domain, dom)
            live = adapter.is_running(dom)
            intent = audit.record_intent(user, action, domain, params, source_address)
            libvirt_install.change_media(dom, etree.tostring(changed, encoding="unicode"))
            defined = record_device_change(user, domain, dom, reason or f"Media of {device}: {volume or 'ejected'}",
                                           source)
        except ConsoleError as exc:
            outcome = format_lazy("{}: {}", "failed" if isinstance(exc, VirtError) else "refused", exc.message)
            if intent is None:
                audit.record(user, action, domain, params, outcome=outcome, source_address=source_address)
            else:
                audit.record_outcome(intent, user, domain, outcome, params, source_address)
            raise
        audit.record_outcome(intent, user, domain, "ok", {**params, "live": live}, source_address)
    return {"device": device, "volume": volume, "live": live,
            "revision": defined.revision.number if defined.changed else None}
