"""Which permission a QEMU monitor (QMP/HMP) or guest-agent command needs: the policy as a table."""

import json
import shlex
from dataclasses import dataclass

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

MONITOR_READ = "monitor_read"
MONITOR_WRITE = "monitor_write"
MONITOR_ADMIN = "monitor_admin"
# Host-level (domains/access/permission_names.py HOST_LEVEL): QEMU runs as root,
# so a command naming a host path, descriptor, process or network endpoint is
# host access, whatever domain it is sent to. A grant on one domain never gives it.
MONITOR_HOST = "monitor_host"
AGENT = "agent"

LEVELS = (MONITOR_READ, MONITOR_WRITE, MONITOR_ADMIN, MONITOR_HOST)
_RANK = {level: rank for rank, level in enumerate(LEVELS)}

# Anything the tables below do not name needs the strongest grant: a newer QEMU
# may add a command we have never reviewed (it may name host paths), and
# guessing "harmless" is the mistake the peers make in public.
UNKNOWN_LEVEL = MONITOR_HOST
UNKNOWN_REASON = "not in the reviewed command table, so treated as dangerous"

# human-monitor-command runs any HMP text, so it is itself an admin command;
# the wrapped command is classified too (for the audit log) and the stricter
# of the two levels wins.
HMP_WRAPPER = "human-monitor-command"


@dataclass(frozen=True)
class Rule:
    level: str
    reason: str


@dataclass(frozen=True)
class Classification:
    """The permission one command needs.

    command_name is the QMP name when the command has one (HMP `c` is `cont`,
    HMP `info status` is `query-status`), so QMP and HMP share one policy.
    """

    command_name: str
    level: str
    reason: str = ""
    hmp_text: str = ""
    wrapped: "Classification | None" = None
    agent: bool = False

    @property
    def permissions(self):
        """Every permission a user must hold to run the command."""
        return (AGENT, self.level) if self.agent else (self.level,)


class MonitorCommandError(ValueError):
    """The command text cannot be understood; the message says how to fix it (lazy: in the reader's language)."""

    def __str__(self):
        return str(self.args[0])



def _table(*groups):
    table = {}
    for level, reason, names in groups:
        for name in names.split():
            if name in table:
                raise ValueError(f"{name} appears twice in the monitor policy table")
            table[name] = Rule(level, reason)
    return table


# QMP commands of QEMU 7.2 (`query-commands`), grouped by what they can do.
# query-* and x-query-* are matched by PREFIX_RULES below.
QMP_POLICY = _table(
    (MONITOR_READ, "reports state without changing it",
     "qmp_capabilities qom-get qom-list qom-list-types qom-list-properties "
     "device-list-properties trace-event-get-state x-debug-query-block-graph "
     "x-debug-block-dirty-bitmap-sha256"),
    (MONITOR_WRITE, "changes the running guest the way its buttons, keyboard or cables would",
     "stop cont system_reset system_powerdown system_wakeup inject-nmi send-key "
     "input-send-event set_link balloon eject blockdev-open-tray blockdev-close-tray "
     "blockdev-remove-medium blockdev-insert-medium rtc-reset-reinjection announce-self "
     "watchdog-set-action set-action"),
    (MONITOR_WRITE, "changes a tunable or a running job, not the guest's hardware or the host",
     "set_password expire_password change-vnc-password display-update display-reload "
     "block_set_io_throttle block-set-write-threshold block-latency-histogram-set "
     "block-job-cancel block-job-pause block-job-resume block-job-set-speed "
     "block-job-complete block-job-dismiss block-job-finalize job-cancel job-pause "
     "job-resume job-complete job-dismiss job-finalize block-dirty-bitmap-add "
     "block-dirty-bitmap-clear block-dirty-bitmap-disable block-dirty-bitmap-enable "
     "block-dirty-bitmap-merge block-dirty-bitmap-remove "
     "calc-dirty-rate set-vcpu-dirty-limit cancel-vcpu-dirty-limit ringbuf-read "
     "ringbuf-write chardev-send-break"),
    (MONITOR_ADMIN, "changes the guest's hardware behind libvirt's back",
     "device_del object-del netdev_del chardev-remove blockdev-del "
     "x-blockdev-amend x-blockdev-change x-blockdev-set-iothread set-numa-node x-exit-preconfig"),
    (MONITOR_ADMIN, "copies or snapshots the guest's disks between block nodes libvirt already opened",
     "blockdev-backup blockdev-mirror blockdev-snapshot blockdev-snapshot-internal-sync "
     "blockdev-snapshot-delete-internal-sync snapshot-save snapshot-load snapshot-delete"),
    (MONITOR_ADMIN, "resizes a host disk image: growing takes host space, shrinking destroys data",
     "block_resize"),
    (MONITOR_ADMIN, "stops network exports the console did not make",
     "nbd-server-stop nbd-server-remove block-export-del"),
    (MONITOR_ADMIN, "moves, pauses or stops the QEMU process, which libvirt must manage itself",
     "quit migrate_cancel migrate-continue migrate-pause migrate-start-postcopy "
     "migrate-set-capabilities migrate-set-parameters yank x-colo-lost-heartbeat "
     "xen-colo-do-checkpoint xen-set-global-dirty-log xen-set-replication replay-break "
     "replay-delete-break replay-seek sev-inject-launch-secret"),
    (MONITOR_HOST, "QEMU (root) reads or writes a host file it names",
     "memsave pmemsave dump-guest-memory screendump dumpdtb blockdev-change-medium "
     "drive-backup drive-mirror blockdev-snapshot-sync block-commit block-stream "
     "change-backing-file blockdev-add blockdev-create blockdev-reopen transaction "
     "xen-save-devices-state xen-load-devices-state"),
    (MONITOR_HOST, "hands QEMU a host file descriptor, or closes one",
     "getfd closefd add-fd remove-fd add_client"),
    (MONITOR_HOST, "adds a backend or device that can name host files, devices, scripts or sockets "
                   "(romfile=, vfio-pci host=, memory-backend-file, tap script=, chardev path=)",
     "device_add object-add qom-set netdev_add chardev-add chardev-change"),
    (MONITOR_HOST, "opens the guest's disks or memory to the network, or names a network endpoint",
     "nbd-server-start nbd-server-add block-export-add client_migrate_info"),
    (MONITOR_HOST, "sends the QEMU process's state to a host command, file or network endpoint "
                   "(exec:, file:, unix:, tcp:)",
     "migrate migrate-incoming migrate-recover"),
    (MONITOR_HOST, "writes trace records without bound to the host's log file: it can fill the host's disk",
     "trace-event-set-state"),
    (MONITOR_ADMIN, "runs any HMP command, including the dangerous ones", HMP_WRAPPER),
)

# Prefix rules: QMP's own convention is that query commands have no side effects.
PREFIX_RULES = (
    ("query-", Rule(MONITOR_READ, "a query: reports state without changing it")),
    ("x-query-", Rule(MONITOR_READ, "an unstable query: reports state without changing it")),
)

# HMP names (QEMU 7.2 `help`, aliases included) whose QMP twin differs in name
# or does not exist under the same name. Same-named commands need no entry.
HMP_TO_QMP = {
    "c": "cont", "s": "stop", "q": "quit",
    "sendkey": "send-key", "nmi": "inject-nmi",
    "object_add": "object-add", "object_del": "object-del",
    "announce_self": "announce-self", "calc_dirty_rate": "calc-dirty-rate",
    "set_vcpu_dirty_limit": "set-vcpu-dirty-limit",
    "cancel_vcpu_dirty_limit": "cancel-vcpu-dirty-limit",
    "block_job_cancel": "block-job-cancel", "block_job_complete": "block-job-complete",
    "block_job_pause": "block-job-pause", "block_job_resume": "block-job-resume",
    "block_job_set_speed": "block-job-set-speed", "block_stream": "block-stream",
    "drive_mirror": "drive-mirror", "drive_backup": "drive-backup",
    "snapshot_blkdev": "blockdev-snapshot-sync",
    "snapshot_blkdev_internal": "blockdev-snapshot-internal-sync",
    "snapshot_delete_blkdev_internal": "blockdev-snapshot-delete-internal-sync",
    "migrate_continue": "migrate-continue", "migrate_incoming": "migrate-incoming",
    "migrate_pause": "migrate-pause", "migrate_recover": "migrate-recover",
    "migrate_start_postcopy": "migrate-start-postcopy",
    "migrate_set_capability": "migrate-set-capabilities",
    "migrate_set_parameter": "migrate-set-parameters",
    "nbd_server_start": "nbd-server-start", "nbd_server_stop": "nbd-server-stop",
    "nbd_server_add": "nbd-server-add", "nbd_server_remove": "nbd-server-remove",
    "ringbuf_read": "ringbuf-read", "ringbuf_write": "ringbuf-write",
    "replay_break": "replay-break", "replay_delete_break": "replay-delete-break",
    "replay_seek": "replay-seek", "exit_preconfig": "x-exit-preconfig",
    "x_colo_lost_heartbeat": "x-colo-lost-heartbeat",
    "trace-event": "trace-event-set-state", "watchdog_action": "watchdog-set-action",
}

# HMP `info <what>` and the QMP query giving the same facts. Every `info`
# subcommand only displays state, so an unlisted one is still monitor_read.
HMP_INFO_TO_QMP = {
    "balloon": "query-balloon", "block": "query-block", "block-jobs": "query-block-jobs",
    "blockstats": "query-blockstats", "chardev": "query-chardev", "cpus": "query-cpus-fast",
    "dirty_rate": "query-dirty-rate", "dump": "query-dump",
    "hotpluggable-cpus": "query-hotpluggable-cpus", "iothreads": "query-iothreads",
    "kvm": "query-kvm", "memdev": "query-memdev", "memory-devices": "query-memory-devices",
    "memory_size_summary": "query-memory-size-summary", "mice": "query-mice",
    "migrate": "query-migrate", "migrate_capabilities": "query-migrate-capabilities",
    "migrate_parameters": "query-migrate-parameters", "name": "query-name",
    "pci": "query-pci", "sev": "query-sev", "sgx": "query-sgx", "spice": "query-spice",
    "stats": "query-stats", "status": "query-status", "tpm": "query-tpm",
    "uuid": "query-uuid", "vcpu_dirty_limit": "query-vcpu-dirty-limit",
    "version": "query-version", "vm-generation-id": "query-vm-generation-id",
    "vnc": "query-vnc",
}
HMP_INFO_RULE = Rule(MONITOR_READ, "HMP info: displays state without changing it")

# HMP commands without a QMP twin.
HMP_ONLY_POLICY = _table(
    (MONITOR_READ, "displays help or state without changing it",
     "help ? info print p cpu"),
    (MONITOR_WRITE, "changes the running guest the way its buttons, keyboard or mouse would",
     "mouse_move mouse_button mouse_set boot_set stopcapture singlestep "
     "one-insn-per-tb sync-profile"),
    (MONITOR_ADMIN, "reads guest memory, which can hold any secret",
     "x xp sum gva2gpa"),
    (MONITOR_ADMIN, "pokes hardware directly (I/O ports, machine checks, PCIe errors)",
     "i o mce pcie_aer_inject_error"),
    (MONITOR_ADMIN, "changes the guest's disks or snapshots inside images libvirt already opened",
     "commit drive_del savevm loadvm delvm hostfwd_remove"),
    (MONITOR_HOST, "reveals host addresses of the QEMU process's memory",
     "gpa2hpa gpa2hva"),
    (MONITOR_HOST, "reads or writes files on the host, or opens host ports",
     "drive_add change log logfile trace-file wavcapture hostfwd_add"),
    (MONITOR_HOST, "writes raw bytes anywhere in an image, headers included (which can name host files)",
     "qemu-io"),
    (MONITOR_HOST, "opens a debugger port on the host into the guest", "gdbserver"),
)


# Commands that crash libvirt's own QEMU driver (verified on libvirt 9.0.0): when
# QEMU reports DUMP_COMPLETED for a dump libvirt did not start, the driver
# segfaults. On the embedded host that driver runs inside the console's process
# (every user loses service), elsewhere inside libvirtd/virqemud. Passthrough
# refuses them on every host and names libvirt's own call, which runs the same
# dump under a libvirt job. Value: (generic equivalent, the permission it needs).
CRASHES_LIBVIRT = {
    "dump-guest-memory": ("virDomainCoreDumpWithFormat with VIR_DUMP_MEMORY_ONLY (virsh dump --memory-only; "
                          "Python: dom.coreDumpWithFormat(path, libvirt.VIR_DOMAIN_CORE_DUMP_FORMAT_RAW, "
                          "libvirt.VIR_DUMP_MEMORY_ONLY))", "core_dump"),
}


def crash_path(classification):
    """The name of the command in classification (or the HMP text it wraps) known to crash libvirt, or None."""
    for name in (classification.command_name, getattr(classification.wrapped, "command_name", None)):
        if name in CRASHES_LIBVIRT:
            return name
    return None


def level_max(*levels):
    """The strictest of the given levels."""
    return max(levels, key=_RANK.__getitem__)


def qmp_rule(name):
    """The rule for one QMP command name; unknown names get the admin rule."""
    if name in QMP_POLICY:
        return QMP_POLICY[name]
    for prefix, rule in PREFIX_RULES:
        if name.startswith(prefix):
            return rule
    return Rule(UNKNOWN_LEVEL, UNKNOWN_REASON)


def parse_qmp(command_text, what=_("QMP command")):
    """(name, arguments) of a QMP command given as JSON text."""
    try:
        message = json.loads(command_text)
    except (json.JSONDecodeError, TypeError) as exc:
        raise MonitorCommandError(format_lazy(
            _('The {what} is not valid JSON ({error}). Send an object such as {{"execute": "query-status"}}, or set '
              '"hmp": true for HMP text like "info status".'), what=what, error=exc)) from exc
    if not isinstance(message, dict):
        raise MonitorCommandError(format_lazy(
            _('The {what} must be a JSON object such as {{"execute": "query-status"}}, not {type}.'),
            what=what, type=type(message).__name__))
    name = message.get("execute", message.get("exec-oob"))
    if not isinstance(name, str) or not name.strip():
        raise MonitorCommandError(format_lazy(
            _('The {what} has no "execute" member naming the command, e.g. {{"execute": "query-status"}}.'),
            what=what))
    arguments = message.get("arguments", {})
    if not isinstance(arguments, dict):
        raise MonitorCommandError(format_lazy(
            _('"arguments" of the {what} must be a JSON object, e.g. {{"execute": "human-monitor-command", '
              '"arguments": {{"command-line": "info status"}}}}.'), what=what))
    return name, arguments


def _hmp_words(command_text):
    text = (command_text or "").strip()
    if not text:
        raise MonitorCommandError(_('The HMP command is empty. Type a command such as "info status".'))
    try:
        return shlex.split(text)
    except ValueError:
        # An unbalanced quote in an argument does not change which command it
        # is; QEMU itself reports the syntax error.
        return text.split()


def classify_hmp(command_text):
    """Classify HMP text such as "info registers" or "device_add e1000,id=n1"."""
    words = _hmp_words(command_text)
    name = words[0]
    if name == "info" and len(words) > 1:
        sub = words[1]
        qmp_name = HMP_INFO_TO_QMP.get(sub, f"info {sub}")
        return Classification(qmp_name, HMP_INFO_RULE.level, HMP_INFO_RULE.reason, command_text)
    if name in HMP_ONLY_POLICY:
        rule = HMP_ONLY_POLICY[name]
        return Classification(name, rule.level, rule.reason, command_text)
    qmp_name = HMP_TO_QMP.get(name, name)
    rule = qmp_rule(qmp_name)
    return Classification(qmp_name, rule.level, rule.reason, command_text)


def classify_qmp(command_text):
    """Classify a QMP command given as JSON text."""
    name, arguments = parse_qmp(command_text)
    rule = qmp_rule(name)
    if name != HMP_WRAPPER:
        return Classification(name, rule.level, rule.reason)
    wrapped_text = arguments.get("command-line")
    if not isinstance(wrapped_text, str):
        raise MonitorCommandError(_(
            'human-monitor-command needs "arguments": {"command-line": "<HMP text>"}; '
            'or send the HMP text directly with "hmp": true.'
        ))
    wrapped = classify_hmp(wrapped_text)
    return Classification(
        name, level_max(rule.level, wrapped.level), rule.reason, wrapped_text, wrapped
    )


def classify(command_text, hmp):
    """The Classification of one monitor command, QMP JSON (hmp=False) or HMP text."""
    return classify_hmp(command_text) if hmp else classify_qmp(command_text)


# Guest agent commands (qemu-ga), run through qemuAgentCommand. Every one also
# needs the `agent` permission; the level says how much the command can do
# inside the guest.
AGENT_POLICY = _table(
    (MONITOR_READ, "reports guest facts without changing anything",
     "guest-sync guest-sync-delimited guest-ping guest-info guest-get-time "
     "guest-get-timezone guest-get-osinfo guest-get-host-name guest-get-users "
     "guest-network-get-interfaces guest-network-get-route guest-get-vcpus "
     "guest-get-disks guest-get-fsinfo guest-get-memory-blocks "
     "guest-get-memory-block-info guest-get-devices guest-get-diskstats "
     "guest-get-cpustats guest-fsfreeze-status guest-ssh-get-authorized-keys"),
    (MONITOR_WRITE, "changes guest state the way an operator's power or storage action would",
     "guest-shutdown guest-suspend-disk guest-suspend-ram guest-suspend-hybrid "
     "guest-set-time guest-fsfreeze-freeze guest-fsfreeze-freeze-list "
     "guest-fsfreeze-thaw guest-fstrim guest-set-vcpus guest-set-memory-blocks"),
    (MONITOR_ADMIN, "acts as root inside the guest: runs programs, reads or writes any file, "
                    "changes credentials",
     "guest-exec guest-exec-status guest-file-open guest-file-close guest-file-read "
     "guest-file-write guest-file-seek guest-file-flush guest-set-user-password "
     "guest-ssh-add-authorized-keys guest-ssh-remove-authorized-keys"),
)


def classify_agent(json_text):
    """The Classification of one guest-agent command; permissions are `agent` plus its level."""
    name, _arguments = parse_qmp(json_text, what=_("guest agent command"))
    rule = AGENT_POLICY.get(name, Rule(UNKNOWN_LEVEL, UNKNOWN_REASON))
    return Classification(name, rule.level, rule.reason, agent=True)
