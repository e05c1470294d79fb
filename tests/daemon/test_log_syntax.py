"""The log filter/output checker: it names the bad token, and libvirt accepts whatever it accepts."""

import pytest

from domains.daemon.log_syntax import (
    check_log_filters,
    check_log_outputs,
    normalize_log_filters,
    normalize_log_outputs,
    settable_log_filters,
)

GOOD_FILTERS = ["", "3:qemu", "1:+qemu.qemu_monitor 4:util.json", "  2:rpc   3:remote  ", "3:*qemu*"]
BAD_FILTERS = [
    ("3:qemu 5:util", "'5:util'", "level from 1"),
    ("0:qemu", "'0:qemu'", "level from 1"),
    ("x:qemu", "'x:qemu'", "level from 1"),
    ("03:qemu", "'03:qemu'", "level from 1"),
    ("3", "'3'", "LEVEL:NAME"),
    ("3:", "'3:'", "no name"),
    ("3:+", "'3:+'", "no name"),
    ("4:a:b", "'4:a:b'", "cannot contain ':'"),
]
GOOD_OUTPUTS = [
    "",
    "3:stderr",
    "1:journald 3:file:/var/log/libvirt/libvirtd.log",
    "2:syslog:libvirtd",
    " 3:file:/var/log/libvirt/libvirtd.log ",
]
BAD_OUTPUTS = [
    ("3:stderr 3:bogus", "'3:bogus'", "unknown destination 'bogus'"),
    ("3:STDERR", "'3:STDERR'", "unknown destination"),
    ("5:stderr", "'5:stderr'", "level from 1"),
    ("3", "'3'", "LEVEL:DESTINATION"),
    ("3:stderr:x", "'3:stderr:x'", "takes nothing after it"),
    ("3:syslog", "'3:syslog'", "ident name"),
    ("3:syslog:", "'3:syslog:'", "ident name"),
    ("3:file:relative/path", "'3:file:relative/path'", "absolute path"),
    ("3:file:", "'3:file:'", "absolute path"),
    ("3:file:/tmp/a:b", "'3:file:/tmp/a:b'", "absolute path"),
]


@pytest.mark.parametrize("text", GOOD_FILTERS)
def test_it_accepts_good_filters(text):
    assert check_log_filters(text) == text.split()


@pytest.mark.parametrize(("text", "token", "reason"), BAD_FILTERS)
def test_it_rejects_a_bad_filter_naming_the_token(text, token, reason):
    with pytest.raises(ValueError) as raised:
        check_log_filters(text)
    assert token in str(raised.value) and reason in str(raised.value)


@pytest.mark.parametrize("text", GOOD_OUTPUTS)
def test_it_accepts_good_outputs(text):
    assert check_log_outputs(text) == text.split()


@pytest.mark.parametrize(("text", "token", "reason"), BAD_OUTPUTS)
def test_it_rejects_a_bad_output_naming_the_token(text, token, reason):
    with pytest.raises(ValueError) as raised:
        check_log_outputs(text)
    assert token in str(raised.value) and reason in str(raised.value)


def test_it_normalises_as_libvirt_reports_back():
    assert normalize_log_filters(" 1:+qemu   3:util ") == "1:*qemu* 3:*util*"
    assert normalize_log_outputs(" 3:stderr   1:journald ") == "3:stderr 1:journald"


@pytest.mark.system
@pytest.mark.parametrize("text", GOOD_FILTERS)
def test_libvirt_accepts_every_filter_the_checker_accepts(restored_daemon, text):
    restored_daemon.set_logging_filters(text)

    assert restored_daemon.logging_filters() == normalize_log_filters(text)
    restored_daemon.set_logging_filters(settable_log_filters(restored_daemon.logging_filters()))
    assert restored_daemon.logging_filters() == normalize_log_filters(text)


@pytest.mark.system
@pytest.mark.parametrize("text", [t for t in GOOD_OUTPUTS if t.strip()])
def test_libvirt_accepts_every_output_the_checker_accepts(restored_daemon, text):
    restored_daemon.set_logging_outputs(text)

    assert restored_daemon.logging_outputs() == normalize_log_outputs(text)
