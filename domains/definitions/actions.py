"""Changing a domain's definition: check, define through libvirt, store the revision — all or nothing.

do_define / do_edit / do_rollback are the only ways the console changes a definition;
record_external records changes made outside it (from libvirt's DEFINED events).
"""

import logging
import threading
import time
import uuid as uuidlib
from collections import defaultdict
from dataclasses import dataclass

import libvirt
from django.db import OperationalError, transaction
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop, ngettext_lazy

from domains.access import audit
from domains.definitions.models import DefinitionRevision, RevisionSource
from domains.definitions.policy import check_change
from domains.definitions.xml import (
    DefinitionError,
    DomainDocument,
    parse,
    summary,
    validate_document,
)
from domains.definitions.xml.placement import build, insert
from domains.hosts.models import Host
from domains.libvirt import adapter
from domains.libvirt.adapter import VirtError, translated_errors
from domains.lifecycle.actions import ActionError
from domains.lifecycle.models import Domain
from domains.revisions import actions as revisions
from domains.revisions.models import digest_of

log = logging.getLogger(__name__)

INACTIVE = libvirt.VIR_DOMAIN_XML_INACTIVE
# Only for restoring a definition and for edits made here: secrets never leave this module.
INACTIVE_SECURE = libvirt.VIR_DOMAIN_XML_INACTIVE | libvirt.VIR_DOMAIN_XML_SECURE
# libvirt errors that say "the host is unreachable", not "your definition is wrong".
_HOST_TROUBLE = {libvirt.VIR_ERR_NO_CONNECT, libvirt.VIR_ERR_RPC, libvirt.VIR_ERR_AUTH_FAILED,
                 libvirt.VIR_ERR_SYSTEM_ERROR, libvirt.VIR_ERR_INTERNAL_ERROR}

# One lock per (host id, UUID): a define and its revision are one step, so the DEFINED
# event of the console's own define finds the revision stored and records nothing.
_locks = defaultdict(threading.RLock)
_locks_guard = threading.Lock()


def domain_lock(host_id, domain_uuid):
    with _locks_guard:
        return _locks[(host_id, uuidlib.UUID(str(domain_uuid)))]


class DefinitionNotStored(ActionError):
    """libvirt accepted a definition the database could not record; the previous one was put back."""


@dataclass
class DefinitionChange:
    revision: DefinitionRevision
    changed: bool  # False: the definition was already like this, no new revision

    @property
    def domain(self):
        return self.revision.domain


def checked_document(xml_text) -> DomainDocument:
    """Parse safely and validate against libvirt's schema; DefinitionError lists every problem."""
    document = parse(xml_text)
    issues = validate_document(document)
    if issues:
        raise DefinitionError.from_issues(issues, format_lazy(ngettext_lazy(
            "The definition does not match libvirt's domain schema ({count} problem); fix the marked lines and "
            "try again.",
            "The definition does not match libvirt's domain schema ({count} problems); fix the marked lines and "
            "try again.", len(issues)), count=len(issues)))
    return document


def _claim_write():
    """Start a transaction with a write (an update of no row), so it waits for other writers.

    SQLite refuses at once ("database is locked") a transaction that read first and
    then wants to write while another connection writes; one that writes first waits.
    """
    DefinitionRevision.objects.filter(pk=-1).update(reason="")


def _retrying(store, attempts=5):
    """store(), tried again while SQLite says locked (its shared-cache mode does not wait at all)."""
    for attempt in range(attempts):
        try:
            return store()
        except OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


def latest_revision(domain):
    return domain.revisions.latest_one()


def _new_revision(domain, xml, *, user=None, source, reason="", rollback_of=None):
    """Store xml as the domain's next revision (call inside a transaction)."""
    facts = summary(parse(xml))
    return revisions.do_record_revision(
        DefinitionRevision, domain, user=user, xml=xml, xml_sha256=digest_of(xml), source=source,
        reason=reason[:500], rollback_of=rollback_of, name=facts["name"] or domain.name, title=(facts["title"] or "")[:500],
        vcpus=facts["vcpus"], max_vcpus=facts["max_vcpus"], memory_kib=facts["memory_kib"],
        max_memory_kib=facts["max_memory_kib"], disk_count=len(facts["disks"]), nic_count=len(facts["nics"]),
    )


def ensure_first_revision(domain, dom=None):
    """The domain's revision 1 (its definition when the console first saw it), stored if missing."""
    with domain_lock(domain.host_id, domain.uuid):
        latest = latest_revision(domain)
        if latest is not None:
            return latest
        if dom is None:
            dom = adapter.find_domain(adapter.connection_for(domain.host).get(), uuid=domain.uuid)
            if dom is None:
                return None
        with translated_errors():
            xml = dom.XMLDesc(INACTIVE)
        def store():
            with transaction.atomic():
                _claim_write()
                return _new_revision(domain, xml, source=RevisionSource.EXTERNAL,
                                     reason=gettext_noop("The definition when the console first saw this domain."))

        return _retrying(store)


def _carry_secrets(document, secure_xml):
    """Keep graphics passwords the user never saw (XML is shown without secrets) in what is defined."""
    if not secure_xml or "passwd=" not in secure_xml:
        return
    secure = {g.get("type"): g.get("passwd") for g in parse(secure_xml).root.iterfind("devices/graphics")
              if g.get("passwd")}
    for graphics in document.root.iterfind("devices/graphics"):
        if graphics.get("passwd") is None and graphics.get("type") in secure:
            graphics.set("passwd", secure[graphics.get("type")])


def _identify(document, host, domain):
    """(name, UUID) of the definition; the UUID is filled in when missing so the lock key is known."""
    facts = summary(document)
    name = facts["name"]
    if facts["uuid"] is None:
        wanted = domain.uuid if domain is not None else uuidlib.uuid4()
        insert(document.root, build("uuid", None, str(wanted)))
        return name, wanted
    try:
        given = uuidlib.UUID(facts["uuid"])
    except ValueError as exc:
        raise DefinitionError(format_lazy(_("{value} is not a UUID."), value=repr(facts["uuid"])),
                              path="/domain/uuid") from exc
    if domain is not None and given != domain.uuid:
        raise DefinitionError(format_lazy(
            _("The definition's UUID {given} is not this domain's ({uuid}). Keep the UUID to change this domain, "
              "or import the XML on the host's page to create another one."), given=given, uuid=domain.uuid),
            path="/domain/uuid")
    return name, given


def _refuse_duplicates(conn, host, name, domain_uuid, domain):
    named = adapter.find_domain(conn, name=name)
    if named is not None and uuidlib.UUID(bytes=named.UUID()) != domain_uuid:
        raise DefinitionError(format_lazy(_("A domain named '{name}' already exists on host '{host}'; pick another "
                                            "name or edit that domain instead."), name=name, host=host),
                              path="/domain/name")
    if domain is None:
        same = adapter.find_domain(conn, uuid=domain_uuid)
        if same is not None:
            raise DefinitionError(format_lazy(
                _("A domain with UUID {uuid} already exists on host '{host}' (named '{name}'); remove the <uuid> "
                  "element to get a new one, or edit that domain instead."), uuid=domain_uuid, host=host,
                name=same.name()), path="/domain/uuid")


def _define(conn, xml):
    try:
        with translated_errors():
            return conn.defineXMLFlags(xml, libvirt.VIR_DOMAIN_DEFINE_VALIDATE)
    except VirtError as exc:
        if exc.code in _HOST_TROUBLE:
            raise
        raise DefinitionError(format_lazy(_("libvirt refused the definition: {error}"), error=exc.message)) from exc


def _restore(conn, dom, previous_xml, label):
    """Put libvirt back as it was; returns a problem message, or "" when restored."""
    try:
        with translated_errors():
            if previous_xml is None:
                dom.undefine()
            else:
                conn.defineXML(previous_xml)
    except VirtError as exc:
        log.error("Definition of %s could not be restored after a failed store: %s", label, exc.message)
        return exc.message
    return ""


def _target(target):
    """(host, Domain row or None) for a Domain (change it) or a Host (create on it)."""
    if isinstance(target, Domain):
        return target.host, target
    if isinstance(target, Host):
        return target, None
    raise TypeError(f"do_define takes a Domain or a Host, not {type(target).__name__}.")


def do_define(user, target, xml_text, reason="", source=RevisionSource.CONSOLE, source_address=None, *,
              rollback_of=None, secure_xml=None):
    """Define xml_text on a Domain (change, 'write') or a Host (create, 'define_domains'); a DefinitionChange.

    Raises DefinitionError (unsafe, malformed, schema-invalid, duplicate or refused by libvirt: nothing
    changed; DefinitionPolicyRefusal when it names host resources the user may not), PermissionDenied,
    VirtError (host trouble) or DefinitionNotStored (libvirt put back). Every refusal is audited once.
    """
    host, domain = _target(target)
    action = "domain.define" if domain is not None else "domain.create"
    params = {"source": str(source), "reason": reason}
    audit.require(user, "write" if domain is not None else "define_domains", target, action, params, source_address)
    try:
        document = checked_document(xml_text)
        name, domain_uuid = _identify(document, host, domain)
    except DefinitionError as exc:
        audit.record(user, action, target, params, outcome=format_lazy("refused: {}", exc.message),
                     source_address=source_address)
        raise
    conn = adapter.connection_for(host).get()
    with domain_lock(host.pk, domain_uuid):
        try:
            _refuse_duplicates(conn, host, name, domain_uuid, domain)
            previous = adapter.find_domain(conn, uuid=domain_uuid) if domain is not None else None
            if domain is not None and previous is None:
                raise DefinitionError(format_lazy(
                    _("Domain '{name}' no longer exists on host '{host}': it was undefined outside the console. "
                      "Import the XML on the host's page to define it again."), name=domain.name, host=host))
            previous_xml = None
            if previous is not None:
                with translated_errors():
                    previous_xml = previous.XMLDesc(INACTIVE_SECURE)
            # The one place every definition change passes: judged against what is defined now,
            # before anything is written.
            check_change(user, target, previous_xml, document)
            if previous is not None:
                ensure_first_revision(domain, previous)
            if previous_xml is not None and secure_xml is None:
                _carry_secrets(document, previous_xml)
            # Intent first: a define can take the process down (libvirt probes the emulator it names),
            # and the log must still say who tried what. The outcome follows as its own entry.
            audit.record(user, action, target, params, outcome="started", source_address=source_address)
            dom = _define(conn, document.to_xml())
        except (DefinitionError, VirtError) as exc:
            # libvirt's internal errors too (e.g. an emulator it could not probe): a refused define is
            # audited with its reason, whatever refused it.
            outcome = "refused" if isinstance(exc, DefinitionError) else "failed"
            audit.record(user, action, target, params, outcome=format_lazy("{}: {}", outcome, exc.message),
                         source_address=source_address)
            raise
        with translated_errors():
            stored_xml = dom.XMLDesc(INACTIVE)
        try:
            revision, changed = _retrying(lambda: _store(host, domain, name, domain_uuid, stored_xml, user, source,
                                                         reason, rollback_of))
        except Exception as exc:  # whatever broke the store, libvirt must not keep what the DB lacks
            problem = _restore(conn, dom, previous_xml, f"{name} on {host}")
            audit.record(user, action, domain or host, params, source_address=source_address,
                         outcome=f"failed: not stored ({exc}); " + (f"restore failed: {problem}" if problem
                                                                     else "previous definition restored"))
            if problem:
                raise DefinitionNotStored(format_lazy(
                    _("libvirt accepted the definition of '{name}' but the console could not record it ({error}), "
                      "and putting the previous definition back failed too ({problem}). Check the domain in "
                      "libvirt before changing it again."), name=name, error=str(exc), problem=problem)) from exc
            raise DefinitionNotStored(format_lazy(
                _("The console could not record the new definition of '{name}' ({error}), so libvirt was put back "
                  "to the previous one: nothing changed. Try again; if it keeps failing, check the database."),
                name=name, error=str(exc))) from exc
    audit.record(user, action, revision.domain, {**params, "revision": revision.number, "changed": changed},
                 source_address=source_address)
    return DefinitionChange(revision, changed)


def _store(host, domain, name, domain_uuid, xml, user, source, reason, rollback_of):
    with transaction.atomic():
        _claim_write()
        if domain is None:
            domain, _ = Domain.objects.get_or_create(host=host, uuid=domain_uuid, defaults={"name": name})
        if domain.name != name or domain.gone:
            domain.name, domain.gone = name, False
            domain.save(update_fields=["name", "gone", "changed"])
        latest = latest_revision(domain)
        if latest is not None and latest.xml == xml:
            return latest, False
        return _new_revision(domain, xml, user=user, source=source, reason=reason, rollback_of=rollback_of), True


def record_device_change(user, domain, dom, reason="", source=RevisionSource.CONSOLE):
    """Store the definition libvirt changed itself (a device call with VIR_DOMAIN_AFFECT_CONFIG) as user's revision.

    The caller checked permission and policy, audits the change and holds domain_lock around the call and
    this, so the DEFINED event (if libvirt sends one) finds the revision stored and records nothing more.
    """
    with translated_errors():
        xml, name = dom.XMLDesc(INACTIVE), dom.name()
    revision, changed = _retrying(lambda: _store(domain.host, domain, name, domain.uuid, xml, user, source,
                                                 reason, None))
    return DefinitionChange(revision, changed)


def do_edit(user, domain, edit, reason="", source=RevisionSource.CONSOLE, source_address=None):
    """Apply edit(document) (a definitions library edit) to the current definition and define the result."""
    audit.require(user, "write", domain, "domain.define", {"source": str(source), "reason": reason}, source_address)
    with domain_lock(domain.host_id, domain.uuid):
        dom = adapter.find_domain(adapter.connection_for(domain.host).get(), uuid=domain.uuid)
        if dom is None:
            raise DefinitionError(format_lazy(
                _("Domain '{name}' no longer exists on host '{host}': it was undefined outside the console."),
                name=domain.name, host=domain.host))
        with translated_errors():
            secure_xml = dom.XMLDesc(INACTIVE_SECURE)
        document = parse(secure_xml)
        edit(document)
        return do_define(user, domain, document.to_xml(), reason, source, source_address, secure_xml=secure_xml)


def do_rollback(user, domain, revision, reason="", source=RevisionSource.ROLLBACK, source_address=None):
    """Define an earlier revision's XML again, through do_define like any change; the result is a new revision."""
    def define_again(old, why):
        return do_define(user, domain, old.xml, why, source, source_address, rollback_of=old.number)

    return revisions.do_rollback(revision, domain, define_again, reason, refusal=DefinitionError)


def record_external(host_id, domain_uuid):
    """After a DEFINED event: store the definition as an external revision if it is not the latest one.

    Runs in the event writer's thread (never on the event loop: it queries the database), which opens and
    closes the database connection (events.write_in_event_order).
    """
    host = Host.objects.filter(pk=host_id).first()
    if host is None:
        return None
    conn = adapter.open_connection_of(host)
    if conn is None:
        return None  # the host was forgotten meanwhile (or is reconnecting): nothing to compare with
    with domain_lock(host_id, domain_uuid):
        try:
            dom = adapter.find_domain(conn, uuid=domain_uuid)
            if dom is None:
                return None
            with translated_errors():
                xml, name = dom.XMLDesc(INACTIVE), dom.name()
        except VirtError as exc:
            log.warning("External change of %s on %s not recorded: %s", domain_uuid, host, exc.message)
            return None
        return _retrying(lambda: _store_external(host, domain_uuid, name, xml))


def _store_external(host, domain_uuid, name, xml):
    with transaction.atomic():
        _claim_write()
        domain, _ = Domain.objects.get_or_create(host=host, uuid=domain_uuid, defaults={"name": name})
        latest = latest_revision(domain)
        if latest is not None and latest.has_content(xml):
            return None
        reason = ("Changed outside the console (libvirt reported the domain defined)." if latest
                  else "Defined outside the console.")
        return _new_revision(domain, xml, source=RevisionSource.EXTERNAL, reason=reason)
