"""Refusals of <qemu:commandline> args and env that cannot work for a VM run by a daemon."""

import pytest

from qemu_extras.namespace.commandline_checks import (
    check_args,
    check_commandline,
    check_definition,
    check_env,
    split_qemu_opts,
)

STDIO_REFUSALS = [
    (["-serial", "stdio"], "-serial"),
    (["-serial", "mon:stdio"], "-serial"),
    (["-serial=stdio"], "-serial"),
    (["--serial", "stdio"], "-serial"),
    (["-monitor", "stdio"], "-monitor"),
    (["-qmp", "stdio"], "-qmp"),
    (["-parallel", "stdio"], "-parallel"),
    (["-gdb", "stdio"], "-gdb"),
    (["-chardev", "stdio,id=char0"], "-chardev"),
    (["-chardev", "stdio,id=char0,signal=off"], "-chardev"),
    (["-chardev=stdio,id=char0"], "-chardev"),
    (["-display", "curses"], "-display"),
    (["-display", "curses,charset=CP850"], "-display"),
    (["-display", "type=curses"], "-display"),
    (["-curses"], "-curses"),
    (["-nographic"], "-nographic"),
]


@pytest.mark.parametrize("args,option", STDIO_REFUSALS, ids=[" ".join(a) for a, _ in STDIO_REFUSALS])
def test_it_refuses_stdio_backends_explaining_the_daemon_has_no_terminal(args, option):
    [problem] = check_args(args)
    assert (problem.index, problem.option) == (0, option)
    assert "no terminal" in problem.message
    assert "pty" in problem.alternative


@pytest.mark.parametrize("args", [["-display", "gtk"], ["-display", "sdl,gl=on"], ["-sdl"]])
def test_it_refuses_desktop_displays_and_offers_vnc(args):
    [problem] = check_args(args)
    assert "desktop session" in problem.message
    assert "vnc" in problem.alternative


SCRIPT_REFUSALS = [
    ["-netdev", "tap,id=n0,script=/etc/qemu-ifup"],
    ["-netdev", "tap,id=n0,script=no,downscript=/etc/qemu-ifdown"],
    ["-net", "tap,script=/etc/qemu-ifup"],
    ["-netdev=tap,id=n0,script=/etc/qemu-ifup"],
    ["-nic", "tap,script=/etc/qemu-ifup"],
]


@pytest.mark.parametrize("args", SCRIPT_REFUSALS, ids=[" ".join(a) for a in SCRIPT_REFUSALS])
def test_it_refuses_network_scripts_that_need_cap_net_admin(args):
    [problem] = check_args(args)
    assert "CAP_NET_ADMIN" in problem.message
    assert "<interface type='network'>" in problem.alternative


def test_it_refuses_script_and_downscript_once_each():
    problems = check_args(["-netdev", "tap,id=n0,script=/a,downscript=/b"])
    assert [p.message.split("=")[0] for p in problems] == ["script", "downscript"]


def test_it_refuses_daemonize_because_libvirt_would_lose_the_vm():
    [problem] = check_args(["-daemonize"])
    assert "loses track" in problem.message


@pytest.mark.parametrize("args", [
    ["-serial", "pty"],
    ["-chardev", "socket,id=c0,path=/tmp/s,server=on,wait=off", "-serial", "chardev:c0"],
    ["-chardev", "file,id=c0,path=/tmp/stdio"],
    ["-chardev", "file,id=c0,path=a,,stdio"],  # ",," is a literal comma in the path
    ["-netdev", "tap,id=n0,script=no,downscript=no"],
    ["-netdev", "tap,id=n0,script=,downscript="],
    ["-netdev", "user,id=u0"],
    ["-display", "none"],
    ["-display", "egl-headless"],
    ["-device", "virtio-rng-pci"],
    ["-global", "kvm-pit.lost_tick_policy=discard"],
    ["-append", "console=stdio"],
])
def test_it_accepts_what_works_under_a_daemon(args):
    assert check_args(args) == []


def test_it_reports_the_index_of_each_refused_option():
    args = ["-m", "128", "-serial", "stdio", "-device", "virtio-rng-pci", "-monitor", "stdio"]
    assert [(p.index, p.option) for p in check_args(args)] == [(2, "-serial"), (6, "-monitor")]


def test_it_does_not_take_a_flag_for_an_option_with_a_value():
    # -nographic has no value, so "-serial" after it is still an option.
    assert [p.option for p in check_args(["-nographic", "-serial", "stdio"])] == [
        "-nographic", "-serial"]


def test_an_unknown_flag_does_not_hide_the_option_after_it():
    assert [p.index for p in check_args(["-no-fd-bootchk", "-serial", "stdio"])] == [1]


def test_it_refuses_an_option_and_value_packed_into_one_argument():
    problems = check_args(["-serial stdio", "-m", "128"])
    assert [p.index for p in problems] == [0, 0]
    assert "one argument containing a space" in problems[0].message
    assert "no terminal" in problems[1].message


def test_a_packed_argument_does_not_swallow_the_next_option():
    problems = check_args(["-serial pty", "-monitor", "stdio"])
    assert [(p.index, p.option) for p in problems] == [(0, "-serial"), (1, "-monitor")]


def test_it_refuses_environment_names_libvirt_rejects():
    problems = check_env([("GOOD_NAME", "1"), ("1BAD", "x"), ("WITH-DASH", "y"), ("", "z")])
    assert [(p.index, p.kind) for p in problems] == [(1, "env"), (2, "env"), (3, "env")]


def test_check_commandline_reports_args_then_env():
    problems = check_commandline(["-serial", "stdio"], [("BAD NAME", "1")])
    assert [p.kind for p in problems] == ["arg", "env"]
    assert check_commandline(["-m", "64"], [("QEMU_AUDIO_DRV", "none")]) == []


@pytest.mark.parametrize("text,pairs", [
    ("tap,id=n0", [(None, "tap"), ("id", "n0")]),
    ("file,path=a,,b", [(None, "file"), ("path", "a,b")]),
    ("x=1,,2,y", [("x", "1,2"), (None, "y")]),
    ("", [(None, "")]),
])
def test_it_splits_qemu_option_strings_like_qemu(text, pairs):
    assert split_qemu_opts(text) == pairs


def test_it_checks_the_commandline_of_a_whole_definition():
    xml = """<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>demo</name>
  <qemu:commandline>
    <qemu:arg value='-serial'/>
    <qemu:arg value='stdio'/>
    <qemu:env name='9LIVES' value='x'/>
  </qemu:commandline>
</domain>"""
    assert [(p.kind, p.index) for p in check_definition(xml)] == [("arg", 0), ("env", 0)]
    assert check_definition("<domain type='qemu'><name>plain</name></domain>") == []
