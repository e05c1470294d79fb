"""One-sentence explanations of libvirt's taint flags and deprecation messages (virDomainGetMessages)."""

import re
from dataclasses import dataclass

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

# The taint flags as libvirt names them (src/conf/domain_conf.c,
# VIR_ENUM_IMPL(virDomainTaint...) and VIR_ENUM_IMPL(virDomainTaintMessage...)),
# in libvirt's order. virDomainGetMessages formats each set flag as
# "tainted: <message>" and each deprecation as "deprecated configuration: <what>"
# (both strings checked in libvirt 9.0's libvirt.so and QEMU driver).
TAINTS = (
    # (flag, libvirt's message, our explanation)
    ("custom-argv", "custom configuration parameters specified",
     _("The definition passes raw arguments or environment to QEMU (<qemu:commandline>), "
       "which libvirt cannot check, so libvirt's idea of the VM may not match what QEMU runs.")),
    ("custom-monitor", "custom monitor control commands issued",
     _("Someone sent QEMU monitor commands directly (QMP/HMP passthrough), so the running VM "
       "may differ from what libvirt believes until it is powered off and started again.")),
    ("high-privileges", "running with undesirable elevated privileges",
     _("QEMU runs as root or keeps extra capabilities (or a disk/hostdev uses rawio), so a guest "
       "that escapes QEMU would control the host: run QEMU as an unprivileged user in qemu.conf.")),
    ("shell-scripts", "network configuration using opaque shell scripts",
     _("A network interface runs a host shell script (<script path=.../>) that libvirt "
       "cannot inspect to set up its tap device.")),
    ("disk-probing", "potentially unsafe disk format probing",
     _("A disk has no explicit format, so its format is guessed from its contents, which a "
       "guest can forge to reach host files: set <driver type='raw'/> or 'qcow2' explicitly.")),
    ("external-launch", "managing externally launched configuration",
     _("QEMU was started outside libvirt and libvirt only attached to it, so it does not "
       "know or control the VM's full configuration.")),
    ("host-cpu", "potentially unsafe use of host CPU passthrough",
     _("The VM uses the host's CPU model (host-passthrough) and was migrated, so the guest "
       "may now run on a CPU different from the one it booted on.")),
    ("hook-script", "configuration potentially modified by hook script",
     _("A libvirt hook script may have changed the configuration when the VM started, so "
       "the definition shown here may not be everything QEMU received.")),
    ("cdrom-passthrough", "use of host cdrom passthrough",
     _("A host CD-ROM drive is given to the guest, which can then send raw commands to the "
       "host's hardware.")),
    ("custom-dtb", "custom device tree blob used",
     _("The VM boots with a custom device tree (<dtb>) that libvirt cannot check against "
       "the devices it configured.")),
    ("custom-ga-command", "custom guest agent control commands issued",
     _("Someone sent guest agent commands directly (agent passthrough), so the guest may "
       "have been changed in ways libvirt does not track.")),
    ("custom-hypervisor-feature", "hypervisor feature autodetection override",
     _("libvirt's detection of QEMU features is overridden (<qemu:capabilities> in the "
       "definition or capability_filters in qemu.conf), so QEMU is driven in untested ways.")),
    ("deprecated-config", "use of deprecated configuration settings",
     _("The VM uses something QEMU has marked deprecated, such as an old machine type or CPU "
       "model, which a future QEMU may remove; the deprecation messages say what.")),
    ("custom-device", "custom device configuration",
     _("A device's QEMU properties are overridden (<qemu:override>), which libvirt cannot "
       "check.")),
    # Added after libvirt 9.0; kept so a newer host's message is explained too.
    ("nbdkit-restart", "nbdkit restart failed",
     _("libvirt could not restart the nbdkit process serving one of the VM's disks, so "
       "that disk may no longer work.")),
)

TAINT_PREFIX = "tainted: "
DEPRECATION_PREFIX = "deprecated configuration: "
DEPRECATED_FLAG = "deprecated-config"
# How libvirt's QEMU driver logs a taint in the domain log.
LOG_LINE_RE = re.compile(r"Domain id=\d+ (?:name='[^']*' uuid=\S+ )?is tainted: (?P<flag>[\w-]+)")

# The deprecations libvirt's QEMU driver records ("machine type '%s'",
# "CPU model '%s'"), and what to do about each.
DEPRECATIONS = (
    (re.compile(r"^machine type '(?P<name>[^']+)'"),
     _("QEMU has deprecated the machine type {name} and a future QEMU will refuse to start "
       "the VM: change <os><type machine=...> to a current versioned type (e.g. 'pc-q35-7.2' "
       "or 'pc') while you can test the guest.")),
    (re.compile(r"^CPU model '(?P<name>[^']+)'"),
     _("QEMU has deprecated the CPU model {name} and a future QEMU will refuse it: choose "
       "another <cpu><model> (or host-model) and test the guest with it.")),
)
DEPRECATION_DEFAULT = _(
    "QEMU has marked this part of the configuration deprecated, so a future QEMU may "
    "refuse it: replace it while the current one still starts."
)
UNKNOWN_EXPLANATION = _(
    "libvirt reported this message but this console has no explanation for it yet; "
    "the domain's log on the host has the details."
)

_BY_FLAG = {flag: (message, explanation) for flag, message, explanation in TAINTS}
_BY_MESSAGE = {message: flag for flag, message, _explanation in TAINTS}


@dataclass(frozen=True)
class Explained:
    """One message from virDomainGetMessages (or a bare flag name), explained.

    flag is libvirt's taint flag name (None when the message is unknown),
    text is the message without its "tainted: " or "deprecated configuration: "
    prefix, explanation is one sentence for people, kind is "taint" or
    "deprecation" (which of libvirt's two message kinds it was).
    """

    flag: str | None
    text: str
    explanation: str
    kind: str = "taint"

    @property
    def is_deprecation(self):
        return self.kind == "deprecation"


def _explain_deprecation(what):
    for pattern, template in DEPRECATIONS:
        match = pattern.match(what)
        if match:
            explanation = format_lazy(template, name=repr(match["name"]))
            return Explained(DEPRECATED_FLAG, what, explanation, "deprecation")
    return Explained(DEPRECATED_FLAG, what, DEPRECATION_DEFAULT, "deprecation")


def explain(message):
    """Explain one message from virDomainGetMessages; never fails, unknown text is said so."""
    text = (message or "").strip()
    if text.startswith(DEPRECATION_PREFIX):
        return _explain_deprecation(text[len(DEPRECATION_PREFIX):])
    if text.startswith(TAINT_PREFIX):
        text = text[len(TAINT_PREFIX):]
    log_line = LOG_LINE_RE.search(text)
    flag = _BY_MESSAGE.get(text) or (text if text in _BY_FLAG else None)
    if log_line and log_line["flag"] in _BY_FLAG:
        flag = log_line["flag"]
    if flag is None:
        return Explained(None, text, UNKNOWN_EXPLANATION)
    message, explanation = _BY_FLAG[flag]
    return Explained(flag, message, explanation)


def explain_all(messages):
    """explain() over a list, taints first then deprecations, each kept in libvirt's order."""
    explained = [explain(message) for message in messages or ()]
    return sorted(explained, key=lambda item: item.is_deprecation)
