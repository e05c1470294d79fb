"""The monitor and guest-agent command policy, command by command, QMP and HMP alike."""

import json
from pathlib import Path

import pytest

from qemu_extras.monitor.policy import (
    AGENT,
    MONITOR_ADMIN,
    MONITOR_HOST,
    MONITOR_READ,
    MONITOR_WRITE,
    UNKNOWN_REASON,
    MonitorCommandError,
    classify,
    classify_agent,
    qmp_rule,
)

DATA = Path(__file__).parent / "data"
R, W, A, H = MONITOR_READ, MONITOR_WRITE, MONITOR_ADMIN, MONITOR_HOST


def qmp(name, **arguments):
    message = {"execute": name}
    if arguments:
        message["arguments"] = arguments
    return json.dumps(message)


def names(filename):
    lines = (DATA / filename).read_text().splitlines()
    return [line for line in lines if line and not line.startswith("#")]


# (QMP name, level, the HMP spelling of the same command or None)
POLICY = [
    ("query-status", R, "info status"),
    ("query-block", R, "info block"),
    ("query-blockstats", R, "info blockstats"),
    ("query-cpus-fast", R, "info cpus"),
    ("query-version", R, "info version"),
    ("query-migrate", R, "info migrate"),
    ("query-qmp-schema", R, None),
    ("x-query-virtio", R, None),
    ("qom-get", R, "qom-get /machine type"),
    ("qom-list", R, "qom-list /machine"),
    ("stop", W, "stop"),
    ("cont", W, "cont"),
    ("system_reset", W, "system_reset"),
    ("system_powerdown", W, "system_powerdown"),
    ("send-key", W, "sendkey ctrl-alt-delete"),
    ("inject-nmi", W, "nmi"),
    ("set_link", W, "set_link net0 off"),
    ("balloon", W, "balloon 512"),
    ("eject", W, "eject ide0-1-0"),
    ("block_set_io_throttle", W, None),
    ("watchdog-set-action", W, "watchdog_action pause"),
    ("device_add", H, "device_add e1000,id=n1"),
    ("device_del", A, "device_del n1"),
    ("object-add", H, "object_add memory-backend-ram,id=m1,size=1G"),
    ("qom-set", H, "qom-set /machine/peripheral/n1 mac 52:54:00:00:00:01"),
    ("migrate", H, "migrate tcp:10.0.0.1:4444"),
    ("migrate-set-parameters", A, "migrate_set_parameter downtime-limit 300"),
    ("quit", A, "quit"),
    ("memsave", H, "memsave 0 4096 /tmp/mem"),
    ("pmemsave", H, "pmemsave 0 4096 /tmp/mem"),
    ("chardev-add", H, "chardev-add socket,id=c1,path=/tmp/s,server=on"),
    ("netdev_add", H, "netdev_add user,id=u1"),
    ("dump-guest-memory", H, "dump-guest-memory /tmp/core"),
    ("screendump", H, "screendump /tmp/screen.ppm"),
    ("blockdev-add", H, None),
    ("getfd", H, "getfd fd1"),
    ("add-fd", H, None),
    ("block_resize", A, "block_resize drive0 10G"),
    ("blockdev-change-medium", H, None),
    ("nbd-server-start", H, "nbd_server_start 0.0.0.0:10809"),
]


@pytest.mark.parametrize("name,level,_hmp", POLICY, ids=[row[0] for row in POLICY])
def test_it_gives_each_qmp_command_its_level(name, level, _hmp):
    classification = classify(qmp(name), hmp=False)
    assert (classification.command_name, classification.level) == (name, level)


HMP_ROWS = [row for row in POLICY if row[2]]


@pytest.mark.parametrize("name,level,hmp_text", HMP_ROWS, ids=[row[2] for row in HMP_ROWS])
def test_it_gives_the_hmp_spelling_the_same_name_and_level(name, level, hmp_text):
    classification = classify(hmp_text, hmp=True)
    assert (classification.command_name, classification.level) == (name, level)


HMP_ONLY = [
    ("help", R), ("?", R), ("info", R), ("info registers", R), ("info mtree -f", R),
    ("info qtree", R), ("print $pc", R), ("p $pc", R),
    ("mouse_move 10 10", W), ("boot_set c", W),
    ("x /10x 0", A), ("xp /10x 0", A), ("gva2gpa 0", A), ("i /b 0x60", A), ("o /b 0x60 0", A),
    ("gdbserver tcp::1234", H), ("drive_add 0 if=none,file=/etc/shadow", H),
    ("drive_del drive0", A), ("change vnc password", H), ("log all", H),
    ("savevm snap1", A), ("loadvm snap1", A), ("hostfwd_add tcp::2222-:22", H),
    ("qemu-io drive0 'read 0 512'", H), ("commit all", A), ("wavcapture /tmp/a.wav", H),
]


@pytest.mark.parametrize("text,level", HMP_ONLY, ids=[row[0] for row in HMP_ONLY])
def test_it_gives_each_hmp_only_command_its_level(text, level):
    assert classify(text, hmp=True).level == level


@pytest.mark.parametrize("short,long", [("c", "cont"), ("s", "stop"), ("q", "quit")])
def test_it_treats_hmp_aliases_as_their_command(short, long):
    assert classify(short, hmp=True).command_name == long
    assert classify(short, hmp=True).level == classify(long, hmp=True).level


def test_it_reads_hmp_text_with_surrounding_space_and_arguments():
    assert classify("   info   status  ", hmp=True).command_name == "query-status"
    assert classify('sendkey "ctrl-alt-delete"', hmp=True).command_name == "send-key"


def test_it_classifies_the_command_wrapped_by_human_monitor_command():
    wrapped = classify(qmp("human-monitor-command", **{"command-line": "info registers"}), hmp=False)
    assert wrapped.command_name == "human-monitor-command"
    assert wrapped.level == A  # the wrapper itself runs any HMP command
    assert (wrapped.wrapped.command_name, wrapped.wrapped.level) == ("info registers", R)
    assert wrapped.hmp_text == "info registers"


def test_it_takes_the_stricter_level_of_wrapper_and_wrapped():
    wrapped = classify(qmp("human-monitor-command", **{"command-line": "gdbserver"}), hmp=False)
    assert wrapped.level == H and wrapped.wrapped.level == H


def test_it_rejects_human_monitor_command_without_a_command_line():
    with pytest.raises(MonitorCommandError, match="command-line"):
        classify(qmp("human-monitor-command"), hmp=False)


@pytest.mark.parametrize("text,hmp", [
    ('{"execute": "x-brand-new-thing"}', False), ("frobnicate now", True),
    ('{"execute": "Query-Status"}', False), ("STOP", True),
])
def test_it_treats_an_unknown_command_as_dangerous(text, hmp):
    classification = classify(text, hmp=hmp)
    assert classification.level == H
    assert classification.reason == UNKNOWN_REASON


@pytest.mark.parametrize("text,match", [
    ("{not json", "not valid JSON"),
    ("info status", "not valid JSON"),
    ('["query-status"]', "JSON object"),
    ('{"arguments": {}}', '"execute"'),
    ('{"execute": ""}', '"execute"'),
    ('{"execute": 42}', '"execute"'),
    ('{"execute": "query-status", "arguments": [1]}', '"arguments"'),
])
def test_it_rejects_malformed_qmp_with_a_message_saying_what_to_send(text, match):
    with pytest.raises(MonitorCommandError, match=match):
        classify(text, hmp=False)


def test_it_rejects_empty_hmp_text():
    with pytest.raises(MonitorCommandError, match="empty"):
        classify("   ", hmp=True)


def test_it_accepts_exec_oob_like_execute():
    assert classify('{"exec-oob": "query-status"}', hmp=False).command_name == "query-status"


def test_it_knows_every_qmp_command_of_qemu_7_2():
    unknown = [name for name in names("qemu-7.2-qmp-commands.txt")
               if qmp_rule(name).reason == UNKNOWN_REASON]
    assert unknown == []


def test_it_knows_every_hmp_command_of_qemu_7_2():
    unknown = [name for name in names("qemu-7.2-hmp-commands.txt")
               if classify(name, hmp=True).reason == UNKNOWN_REASON]
    assert unknown == []


def test_monitor_permissions_are_the_level_alone():
    assert classify(qmp("stop"), hmp=False).permissions == (W,)


AGENT_POLICY = [
    ("guest-ping", R), ("guest-info", R), ("guest-get-osinfo", R),
    ("guest-network-get-interfaces", R), ("guest-get-fsinfo", R), ("guest-get-time", R),
    ("guest-shutdown", W), ("guest-fsfreeze-freeze", W), ("guest-set-time", W),
    ("guest-exec", A), ("guest-exec-status", A), ("guest-file-open", A), ("guest-file-read", A),
    ("guest-file-write", A), ("guest-set-user-password", A), ("guest-ssh-add-authorized-keys", A),
    ("guest-something-new", H),
]


@pytest.mark.parametrize("name,level", AGENT_POLICY, ids=[row[0] for row in AGENT_POLICY])
def test_it_gives_each_agent_command_the_agent_permission_and_its_level(name, level):
    classification = classify_agent(qmp(name))
    assert classification.command_name == name
    assert classification.permissions == (AGENT, level)


def test_it_rejects_malformed_agent_commands_naming_the_agent():
    with pytest.raises(MonitorCommandError, match="guest agent command"):
        classify_agent("guest-ping")


# Every QEMU 7.2 command that names a host path, file descriptor, process or network endpoint.
HOST_COMMANDS_QMP = (
    "dump-guest-memory memsave pmemsave screendump dumpdtb migrate migrate-incoming migrate-recover "
    "getfd closefd add-fd remove-fd add_client blockdev-add blockdev-create blockdev-reopen "
    "blockdev-change-medium drive-backup drive-mirror blockdev-snapshot-sync block-commit block-stream "
    "change-backing-file transaction chardev-add chardev-change netdev_add object-add device_add qom-set "
    "nbd-server-start nbd-server-add block-export-add client_migrate_info xen-save-devices-state "
    "xen-load-devices-state trace-event-set-state"
).split()
HOST_COMMANDS_HMP = [
    "dump-guest-memory /tmp/core", "migrate exec:cat>/tmp/state", "screendump /tmp/s.ppm",
    "pmemsave 0 4096 /tmp/m", "memsave 0 4096 /tmp/m", "drive_add 0 if=none,file=/etc/shadow",
    "chardev-add file,id=f,path=/etc/passwd", "netdev_add tap,id=t,script=/tmp/x.sh",
    "getfd fd1", "closefd fd1", "object_add memory-backend-file,id=m,size=1M,mem-path=/etc/shadow",
    "device_add vfio-pci,host=0000:00:01.0", "device_add e1000,romfile=/etc/shadow", "trace-event * on",
    "trace-file on", "log all", "logfile /tmp/log", "gdbserver tcp::1234", "hostfwd_add tcp::2222-:22",
    "wavcapture /tmp/a.wav", "change ide1-cd0 /etc/shadow", "snapshot_blkdev drive0 /tmp/s.qcow2",
    "drive_mirror drive0 /tmp/m.qcow2", "drive_backup drive0 /tmp/b.qcow2", "nbd_server_start 0.0.0.0:10809",
    "migrate_incoming exec:sh", "dumpdtb /tmp/dtb", "gpa2hva 0", "qemu-io drive0 'write 0 512'",
]


@pytest.mark.parametrize("name", HOST_COMMANDS_QMP)
def test_a_qmp_command_naming_host_resources_needs_the_host_level_permission(name):
    assert classify(qmp(name), hmp=False).permissions == (H,)


@pytest.mark.parametrize("text", HOST_COMMANDS_HMP)
def test_an_hmp_command_naming_host_resources_needs_the_host_level_permission(text):
    assert classify(text, hmp=True).level == H
    wrapped = classify(qmp("human-monitor-command", **{"command-line": text}), hmp=False)
    assert wrapped.level == H


def test_the_host_level_monitor_permission_is_host_level():
    from domains.access.permission_names import HOST_LEVEL

    assert MONITOR_HOST in HOST_LEVEL


def test_every_qemu_7_2_command_has_a_reviewed_level_and_unknown_ones_need_the_host_permission():
    levels = {name: qmp_rule(name).level for name in names("qemu-7.2-qmp-commands.txt")}
    assert set(levels.values()) <= {R, W, A, H}
    assert qmp_rule("x-never-reviewed").level == H
    assert classify("never-reviewed-hmp", hmp=True).level == H
    assert classify_agent(qmp("guest-never-reviewed")).level == H


@pytest.mark.parametrize("text,hmp", [
    (qmp("dump-guest-memory", paging=False, protocol="file:/tmp/core"), False),
    ("dump-guest-memory /tmp/core", True),
    (qmp("human-monitor-command", **{"command-line": "dump-guest-memory /tmp/core"}), False),
])
def test_it_knows_that_dump_guest_memory_crashes_libvirts_qemu_driver(text, hmp):
    from qemu_extras.monitor.policy import crash_path

    assert crash_path(classify(text, hmp=hmp)) == "dump-guest-memory"
    assert crash_path(classify(qmp("query-status"), hmp=False)) is None
