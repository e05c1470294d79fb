"""Adding, changing and removing hosts: the URI is checked and reached before anything is saved."""

import re

from django.db import IntegrityError, transaction

from domains.access import audit, permissions
from domains.errors import ConsoleError
from domains.hosts.models import Host
from domains.libvirt import adapter
from domains.libvirt.adapter import VirtError

URI_PATTERN = re.compile(r"^(qemu|test)(\+(tls|ssh|libssh|libssh2|tcp|unix|ext))?://[^\s]*/[^\s]*$")


class HostError(ConsoleError):
    """A host that cannot be added or changed as asked; field names the form field at fault."""

    code = "invalid_host"

    def __init__(self, message, field=None):
        super().__init__(message, fields={field: [message]} if field else None)
        self.field = field


def check_uri(uri):
    """Refuse what cannot be a libvirt URI we support, saying what would be."""
    uri = (uri or "").strip()
    if not URI_PATTERN.match(uri):
        raise HostError(
            f"'{uri}' is not a libvirt URI this console can use. Examples: qemu:///system, "
            "qemu+ssh://root@host.example/system, qemu+tls://host.example/system, test:///default.",
            field="uri",
        )
    if uri.startswith("qemu:///embed"):
        raise HostError(
            "An embedded QEMU driver belongs to one process: the console runs its own "
            "('embedded' host). Add hosts that run libvirtd or virtqemud instead.",
            field="uri",
        )
    return uri


def _probe(uri):
    """Open and close a connection to uri, raising HostError with libvirt's words if it fails."""
    probe = adapter.HostConnection(None, uri)
    try:
        probe.get()
    except VirtError as exc:
        raise HostError(f"Could not reach {uri}: {exc.message}", field="uri") from exc
    finally:
        probe.close()


def do_add_host(user, name, uri, enabled=True, source_address=None):
    permissions.require(user, "manage_hosts")
    name = (name or "").strip()
    if not name:
        raise HostError("A host needs a name.", field="name")
    uri = check_uri(uri)
    if enabled:
        _probe(uri)
    try:
        with transaction.atomic():
            host = Host.objects.create(name=name, uri=uri, enabled=enabled)
    except IntegrityError as exc:
        raise HostError(f"A host named '{name}' exists already: pick another name.", field="name") from exc
    audit.record(user, "host.add", host, {"uri": uri, "enabled": enabled}, source_address=source_address)
    return host


def do_update_host(user, host, name=None, uri=None, enabled=None, source_address=None):
    permissions.require(user, "manage_hosts", host)
    changes = {}
    if name is not None and name.strip() != host.name:
        if not name.strip():
            raise HostError("A host needs a name.", field="name")
        changes["name"] = name.strip()
    if uri is not None and uri.strip() != host.uri:
        if host.embedded:
            raise HostError("The embedded host's URI is managed by the console.", field="uri")
        changes["uri"] = check_uri(uri)
    if enabled is not None and enabled != host.enabled:
        changes["enabled"] = enabled
    if changes.get("enabled", host.enabled) and ("uri" in changes or changes.get("enabled")):
        _probe(changes.get("uri", host.uri))
    for key, value in changes.items():
        setattr(host, key, value)
    try:
        with transaction.atomic():
            host.save()
    except IntegrityError as exc:
        raise HostError(f"A host named '{host.name}' exists already: pick another name.", field="name") from exc
    if "uri" in changes or changes.get("enabled") is False:
        adapter.forget_host(host.pk)
    audit.record(user, "host.update", host, changes, source_address=source_address)
    return host


def do_remove_host(user, host, source_address=None):
    permissions.require(user, "manage_hosts", host)
    if host.embedded:
        raise HostError("The embedded host cannot be removed; disable it instead.")
    adapter.forget_host(host.pk)
    audit.record(user, "host.remove", host, {"uri": host.uri}, source_address=source_address)
    host.delete()
