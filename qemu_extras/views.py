"""The extras' pages: the interactive monitor, the qemu: namespace form, and a registry rewrite's review."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from console.page_actions import perform
from domains.access import permissions
from domains.access.lookups import client_address, visible
from domains.access.permissions import route_permission
from domains.definitions.policy import HOST_RESOURCES
from domains.definitions.xml import DefinitionError
from domains.errors import ConsoleError
from domains.lifecycle.models import Domain
from qemu_extras.monitor import policy as command_policy
from qemu_extras.namespace import changes as definition_changes
from qemu_extras.namespace.edits import (
    DEPRECATION_BEHAVIORS,
    PROPERTY_TYPES,
    OverrideProperty,
    QemuNamespace,
)
from qemu_extras.version import EXTRAS_API_VERSION, EXTRAS_WS_SUBPROTOCOL

# What each level of the command policy lets a user send, in the words the monitor page shows.
LEVEL_WORDS = {
    command_policy.MONITOR_READ: _("queries: commands that report state without changing it (query-*, info …)"),
    command_policy.MONITOR_WRITE: _("commands that act on the running guest like its buttons, keyboard or cables "
                                    "(stop, cont, system_reset, send-key, eject …) and change tunables or jobs"),
    command_policy.MONITOR_ADMIN: _("commands that change the guest's hardware or the QEMU process behind "
                                    "libvirt's back (device_del, quit, migrate-set-parameters, savevm …), and "
                                    "any HMP text through human-monitor-command"),
    command_policy.MONITOR_HOST: _("commands that reach the host: files, descriptors, sockets, devices "
                                   "(device_add, blockdev-add, migrate, screendump …), and commands the reviewed "
                                   "table does not know"),
}


def monitor_reach(user, domain):
    """What user may send on domain's monitor, as the command policy decides per command.

    {"levels": [(level, words, held)], "everything": held monitor_host (every command), "commands": the QMP names
    the policy table gives a held level, "prefixes": name prefixes held (query-), "agent": may use the guest agent}.
    """
    held = {level for level in command_policy.LEVELS if permissions.has_perm(user, level, domain)}
    return {
        "levels": [(level, LEVEL_WORDS[level], level in held) for level in command_policy.LEVELS],
        "everything": command_policy.MONITOR_HOST in held,
        "commands": sorted(name for name, rule in command_policy.QMP_POLICY.items() if rule.level in held),
        "prefixes": [prefix for prefix, rule in command_policy.PREFIX_RULES if rule.level in held],
        "agent": permissions.has_perm(user, command_policy.AGENT, domain),
    }


@route_permission("monitor_read", note="each command then needs what the command policy says")
@require_GET
def monitor_page(request, uuid):
    domain = visible(request.user, Domain, uuid, "monitor_read")
    reach = monitor_reach(request.user, domain)
    return render(request, "qemu_extras/monitor.html", {
        "domain": domain, "subprotocol": EXTRAS_WS_SUBPROTOCOL, "version": EXTRAS_API_VERSION, "reach": reach,
        "sendable": {"everything": reach["everything"], "commands": reach["commands"], "prefixes": reach["prefixes"]},
    })


def may_define_passthrough(user, domain):
    """Whether user may define a qemu: namespace change: what do_set_namespace and the definition policy ask."""
    needed = (*definition_changes.COMMANDLINE_PERMISSIONS, HOST_RESOURCES)
    return all(permissions.has_perm(user, permission, domain) for permission in needed)


def _lines(text):
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def namespace_from_form(post):
    """A QemuNamespace from the form; DefinitionError naming the line that cannot be read."""
    env = []
    for line in _lines(post.get("env")):
        name, sep, value = line.partition("=")
        env.append((name.strip(), value if sep else None))
    overrides = []
    for line in _lines(post.get("overrides")):
        parts = line.split(None, 3)
        if len(parts) < 3:
            raise DefinitionError(format_lazy(_("Override line '{line}' needs: alias property type [value], e.g. "
                                                "'ua-net0 romfile string '."), line=line))
        overrides.append(OverrideProperty(parts[0], parts[1], parts[2], parts[3] if len(parts) > 3 else
                                          ("" if parts[2] == "string" else None)))
    return QemuNamespace(
        # One argument per line, kept as typed apart from the line break: spaces inside are checked.
        args=[line.rstrip("\r") for line in (post.get("args") or "").split("\n") if line.strip()],
        env=env,
        capabilities_add=(post.get("capabilities_add") or "").split(),
        capabilities_del=(post.get("capabilities_del") or "").split(),
        overrides=overrides,
        deprecation=post.get("deprecation", ""),
    )


def _form_values(namespace):
    return {
        "args": "\n".join(namespace.args),
        "env": "\n".join(name if value is None else f"{name}={value}" for name, value in namespace.env),
        "capabilities_add": " ".join(namespace.capabilities_add),
        "capabilities_del": " ".join(namespace.capabilities_del),
        "overrides": "\n".join(" ".join(x for x in (o.alias, o.name, o.type, o.value) if x is not None)
                               for o in namespace.overrides),
        "deprecation": namespace.deprecation,
    }


@route_permission("write", note="defining the change also needs monitor_admin: raw QEMU arguments are as strong "
                                "as any monitor command")
@require_http_methods(["GET", "POST"])
def commandline_page(request, uuid):
    domain = visible(request.user, Domain, uuid, "write")
    may_define = may_define_passthrough(request.user, domain)
    context = {"domain": domain, "behaviors": DEPRECATION_BEHAVIORS, "property_types": PROPERTY_TYPES,
               "problems": [], "change": None, "error": "", "may_define": may_define,
               "needed": (*definition_changes.COMMANDLINE_PERMISSIONS, HOST_RESOURCES)}
    try:
        if request.method == "GET":
            xml = definition_changes.inactive_xml(domain)
            context["values"] = _form_values(definition_changes.current_namespace(domain))
            context["digest"] = definition_changes.digest(xml)
            return render(request, "qemu_extras/commandline.html", context)
        context["values"] = {key: request.POST.get(key, "") for key in
                             ("args", "env", "capabilities_add", "capabilities_del", "overrides", "deprecation")}
        namespace = namespace_from_form(request.POST)
        if request.POST.get("step") == "apply":
            change = definition_changes.do_set_namespace(request.user, domain, namespace, client_address(request),
                                                         request.POST.get("digest") or None)
            messages.success(request, _("The QEMU passthrough was defined; it takes effect at the next start.")
                             if change.changed else _("Nothing changed."))
            return redirect("domain-detail", uuid=domain.uuid)
        change = definition_changes.propose_namespace(domain, namespace)
        context.update(change=change, digest=change.old_digest)
    except ConsoleError as exc:
        context.update(error=exc.message, problems=getattr(exc, "problems", ()), digest=request.POST.get("digest", ""))
    return render(request, "qemu_extras/commandline.html", context)


@route_permission("write")
@require_http_methods(["GET", "POST"])
def rewrite_page(request, uuid, index):
    domain = visible(request.user, Domain, uuid, "write")
    if request.method == "POST":
        perform(request, lambda: definition_changes.do_apply_rewrite(request.user, domain, index,
                                                                     client_address(request),
                                                                     request.POST.get("digest") or None),
                lambda change: format_lazy(_("Applied: {what}"), what=change.description))
        return redirect("domain-detail", uuid=domain.uuid)
    try:
        rewrites = definition_changes.propose_rewrites(domain)
    except ConsoleError as exc:
        messages.error(request, exc.message)
        return redirect("domain-detail", uuid=domain.uuid)
    if not 0 <= index < len(rewrites):
        messages.error(request, _("That rewrite is no longer available; the definition changed."))
        return redirect("domain-detail", uuid=domain.uuid)
    return render(request, "qemu_extras/rewrite.html", {"domain": domain, "change": rewrites[index], "index": index})
