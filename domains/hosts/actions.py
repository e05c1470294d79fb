"""Adding, changing and removing hosts: the URI is checked and reached before anything is saved."""

import re
from functools import wraps
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from domains.access import audit, permissions
from domains.access.redaction import redact_url_passwords
from domains.errors import ConsoleError
from domains.hosts.models import Host
from domains.libvirt import adapter, uris
from domains.libvirt.adapter import VirtError

URI_PATTERN = re.compile(r"^(qemu|test)(\+(tls|ssh|libssh|libssh2|tcp|unix|ext))?://[^\s]*/[^\s]*$")


class HostError(ConsoleError):
    """A host that cannot be added or changed as asked; field names the form field at fault."""

    code = "invalid_host"

    def __init__(self, message, field=None):
        super().__init__(message, fields={field: [message]} if field else None)
        self.field = field


_NAME_NEEDED = _("A host needs a name.")


def _name_taken(name):
    return HostError(format_lazy(_("A host named '{name}' exists already: pick another name."), name=name),
                     field="name")


def check_uri(uri):
    """Refuse what cannot be a libvirt URI we support, saying what would be."""
    uri = (uri or "").strip()
    if not URI_PATTERN.match(uri):
        raise HostError(
            format_lazy(_("'{uri}' is not a libvirt URI this console can use. Examples: qemu:///system, "
                          "qemu+ssh://root@host.example/system, qemu+tls://host.example/system, test:///default."),
                        uri=redact_url_passwords(uri)),
            field="uri",
        )
    if uri.startswith("qemu:///embed"):
        raise HostError(
            _("An embedded QEMU driver belongs to one process: the console runs its own "
              "('embedded' host). Add hosts that run libvirtd or virtqemud instead."),
            field="uri",
        )
    if urlsplit(uri).password is not None:
        raise HostError(_("Put no password in a host URI: it would be stored and shown in clear. libvirt takes "
                          "credentials from SSH keys, TLS certificates or its auth.conf instead."), field="uri")
    try:
        uris.check_host_file_access(uri)
    except uris.UriRefused as exc:
        raise HostError(exc.message, field="uri") from None
    return uri


def _probe(uri):
    """Open and close a connection to uri, raising HostError with libvirt's words if it fails."""
    probe = adapter.HostConnection(None, uri)
    try:
        probe.get()
    except VirtError as exc:
        raise HostError(format_lazy(_("Could not reach {uri}: {error}"), uri=redact_url_passwords(uri),
                                    error=exc.message), field="uri") from exc
    finally:
        probe.close()


def _audit_host_errors(action):
    """Audit a HostError raised by a host action as that action refused, then let it go on."""

    def decorate(function):
        @wraps(function)
        def run(user, *args, source_address=None, **kwargs):
            try:
                return function(user, *args, source_address=source_address, **kwargs)
            except HostError as exc:
                host = args[0] if args and isinstance(args[0], Host) else None
                audit.record(user, action, host, _requested(args, kwargs),
                             outcome=format_lazy("refused: {}", exc.message),
                             source_address=source_address)
                raise

        return run

    return decorate


def _requested(args, kwargs):
    """What the caller asked for, for the audit entry (URL passwords are redacted by audit.record)."""
    asked = {key: value for key, value in kwargs.items() if value is not None}
    plain = [arg for arg in args if not isinstance(arg, Host)]
    asked.update({key: value for key, value in zip(("name", "uri"), plain) if value is not None})
    return asked


def _require_global_for_uri(user, host, changes, source_address):
    """A URI names what the console process opens: only a grant on everything may set or change one."""
    if permissions.has_perm(user, "manage_hosts"):
        return
    refusal = permissions.PermissionDenied("manage_hosts")
    refusal.args = (_("Setting or changing a host's URI needs 'manage_hosts' on everything (a global grant): the "
                      "URI names what the console process opens. Ask a global administrator to change it."),)
    audit.record_denied(user, "host.update", host, {**changes, "scope": "global"}, refusal, source_address)
    raise refusal


@_audit_host_errors("host.add")
def do_add_host(user, name, uri, enabled=True, source_address=None):
    # Global only (no target: grants on everything); the page or API handler audits a refusal.
    permissions.require(user, "manage_hosts")
    name = (name or "").strip()
    if not name:
        raise HostError(_NAME_NEEDED, field="name")
    uri = check_uri(uri)
    if enabled:
        _probe(uri)
    try:
        with transaction.atomic():
            host = Host.objects.create(name=name, uri=uri, enabled=enabled)
    except IntegrityError as exc:
        raise _name_taken(name) from exc
    audit.record(user, "host.add", host, {"uri": uri, "enabled": enabled}, source_address=source_address)
    return host


@_audit_host_errors("host.update")
def do_update_host(user, host, name=None, uri=None, enabled=None, source_address=None):
    asked = {key: value for key, value in (("name", name), ("uri", uri), ("enabled", enabled)) if value is not None}
    try:
        permissions.require(user, "manage_hosts", host)
    except permissions.PermissionDenied as refusal:
        audit.record_denied(user, "host.update", host, asked, refusal, source_address)
        raise
    changes = {}
    if name is not None and name.strip() != host.name:
        if not name.strip():
            raise HostError(_NAME_NEEDED, field="name")
        changes["name"] = name.strip()
    if uri is not None and uri.strip() != host.uri:
        _require_global_for_uri(user, host, asked, source_address)
        if host.embedded:
            raise HostError(_("The embedded host's URI is managed by the console."), field="uri")
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
        raise _name_taken(host.name) from exc
    if "uri" in changes or changes.get("enabled") is False:
        adapter.forget_host(host.pk)
    audit.record(user, "host.update", host, changes, source_address=source_address)
    return host


@_audit_host_errors("host.remove")
def do_remove_host(user, host, source_address=None):
    audit.require(user, "manage_hosts", host, "host.remove", {"uri": host.uri}, source_address)
    if host.embedded:
        raise HostError(_("The embedded host cannot be removed; disable it instead."))
    adapter.forget_host(host.pk)
    audit.record(user, "host.remove", host, {"uri": host.uri}, source_address=source_address)
    host.delete()
