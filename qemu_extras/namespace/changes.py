"""Definition changes the extras make (qemu: namespace edits, registry rewrites): reviewed as a diff, then defined.

Defining goes through domains.definitions.actions.do_define (schema check, define with
VIR_DOMAIN_DEFINE_VALIDATE, a stored revision, secrets carried over), so an extras change is
one more revision of the definition like any other.
"""

import hashlib
from dataclasses import dataclass

import libvirt
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from domains.access import audit
from domains.access.lookups import libvirt_domain
from domains.definitions.actions import do_define
from domains.definitions.models import RevisionSource
from domains.definitions.policy import DefinitionPolicyRefusal
from domains.definitions.xml import DefinitionError, diff_lines, parse, unified_diff
from domains.errors import ConsoleError
from domains.libvirt import adapter
from domains.libvirt.adapter import translated_errors
from qemu_extras.equivalents import registry as generic_equivalents
from qemu_extras.namespace.commandline_checks import check_commandline
from qemu_extras.namespace.edits import read_namespace, write_namespace

# Passing raw arguments to QEMU is as strong as any monitor command.
COMMANDLINE_PERMISSIONS = ("monitor_admin", "write")
REWRITE_PERMISSIONS = ("write",)


class ChangeRefused(ConsoleError):
    """A change that is not defined: problems (commandline_checks.Problem) or a message say why.

    A stale digest conflicts (409), libvirt's refusal is libvirt's (502), the definition policy's is a permission
    question (403), any other check asks for a change (400).
    """

    STATUS_OF_CODE = {"stale": 409, "libvirt_refused": 502, "definition_policy": 403}

    def __init__(self, message, problems=(), code="refused"):
        super().__init__(message, code, self.STATUS_OF_CODE.get(code, 400))
        self.problems = list(problems)
        if self.problems:
            self.fields = {"problems": [
                {"kind": p.kind, "index": p.index, "option": p.option, "message": p.message,
                 "alternative": p.alternative}
                for p in self.problems
            ]}


@dataclass
class ProposedChange:
    """A new definition next to the current one, with the diff a person reviews before applying it."""

    description: str
    old_xml: str
    new_xml: str

    @property
    def diff(self):
        return diff_lines(self.old_xml, self.new_xml, "current definition", "after the change")

    @property
    def diff_text(self):
        return unified_diff(self.old_xml, self.new_xml, "current definition", "after the change")

    @property
    def old_digest(self):
        return digest(self.old_xml)

    @property
    def changed(self):
        return self.old_xml != self.new_xml


def digest(xml_text):
    """What a reviewer saw, in short: forms and API clients send it back to apply exactly that diff."""
    return hashlib.sha256(xml_text.encode()).hexdigest()


def inactive_xml(domain):
    """The persistent definition of a Domain as libvirt writes it, without secrets (do_define keeps them)."""
    dom = libvirt_domain(domain)
    with translated_errors():
        return dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)


def libvirt_version(domain):
    """The host's libvirt version as libvirt's integer (major * 1,000,000 + minor * 1,000 + micro)."""
    conn = adapter.connection_for(domain.host).get()
    with translated_errors():
        return conn.getLibVersion()


def propose_namespace(domain, namespace, current_xml=None):
    """The change writing `namespace` into the definition; ChangeRefused when a check fails."""
    problems = check_commandline(namespace.args, namespace.env)
    if problems:
        raise ChangeRefused(_("The QEMU command line cannot work for a VM run by libvirt; nothing was defined."),
                            problems, code="commandline_refused")
    old = current_xml if current_xml is not None else inactive_xml(domain)
    try:
        document = write_namespace(parse(old), namespace)
    except DefinitionError as exc:
        raise ChangeRefused(exc.message, code="invalid") from exc
    return ProposedChange("Change the QEMU passthrough (qemu: namespace)", old, document.to_xml())


def current_namespace(domain):
    return read_namespace(parse(inactive_xml(domain)))


def propose_rewrites(domain, current_xml=None):
    """The registry's rewrites for this domain on its host's libvirt, each as a ProposedChange."""
    old = current_xml if current_xml is not None else inactive_xml(domain)
    version = libvirt_version(domain)
    return [ProposedChange(rewrite.description, old, rewrite.new_xml_text)
            for rewrite in generic_equivalents.suggest_rewrites(old, version)]


def _require_all(user, domain, needed, action, params, source_address):
    for permission in needed:
        audit.require(user, permission, domain, action, params, source_address, outcome=f"denied: needs {permission}")


def apply_change(user, domain, change, action, needed, source_address=None, reviewed_digest=None,
                 source=RevisionSource.CONSOLE):
    """Define change.new_xml for domain as user, after checking that nobody changed the definition meanwhile."""
    params = {"description": change.description, "diff": change.diff_text}
    _require_all(user, domain, needed, action, params, source_address)
    current = inactive_xml(domain)
    if digest(current) != (reviewed_digest or change.old_digest):
        audit.record(user, action, domain, params, outcome="refused: definition changed meanwhile",
                     source_address=source_address)
        raise ChangeRefused(_("The definition changed since this diff was made; review the new diff and apply "
                              "again."), code="stale")
    try:
        do_define(user, domain, change.new_xml, reason=change.description, source=source,
                  source_address=source_address)
    except DefinitionPolicyRefusal as exc:
        # do_define audited the refusal with its reason: once is the rule.
        raise ChangeRefused(exc.message, code=exc.code) from exc
    except ConsoleError as exc:
        audit.record(user, action, domain, params, outcome=format_lazy("failed: {}", exc.message),
                     source_address=source_address)
        raise ChangeRefused(exc.message, code="libvirt_refused") from exc
    audit.record(user, action, domain, params, source_address=source_address)
    return change


def do_set_namespace(user, domain, namespace, source_address=None, reviewed_digest=None,
                     source=RevisionSource.CONSOLE):
    """Write the qemu: namespace into domain's definition (checked, diffed, defined, audited)."""
    params = {"args": namespace.args, "env": [list(pair) for pair in namespace.env]}
    _require_all(user, domain, COMMANDLINE_PERMISSIONS, "qemu.commandline", params, source_address)
    try:
        change = propose_namespace(domain, namespace)
    except ChangeRefused as exc:
        audit.record(user, "qemu.commandline", domain, params,
                     outcome=format_lazy("refused: {} " + " ".join("{}" for _problem in exc.problems), exc.message,
                                         *(p.message for p in exc.problems)),
                     source_address=source_address)
        raise
    if not change.changed:
        return change
    return apply_change(user, domain, change, "qemu.commandline", COMMANDLINE_PERMISSIONS, source_address,
                        reviewed_digest, source)


def do_apply_rewrite(user, domain, index, source_address=None, reviewed_digest=None,
                     source=RevisionSource.CONSOLE):
    """Apply the index-th registry rewrite of domain (as listed by propose_rewrites)."""
    rewrites = propose_rewrites(domain)
    if not 0 <= index < len(rewrites):
        raise ChangeRefused(format_lazy(_("There is no rewrite number {index} for '{name}' now ({count} available); "
                                          "reload the list."), index=index, name=domain.name, count=len(rewrites)),
                            code="no_such_rewrite")

    return apply_change(user, domain, rewrites[index], "qemu.rewrite", REWRITE_PERMISSIONS, source_address,
                        reviewed_digest, source)
