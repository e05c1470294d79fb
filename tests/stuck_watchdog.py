"""A test stuck for good ends the run at once, saying where every thread and process of it stands.

pytest-timeout's signal is handled only between Python bytecodes: a test whose main thread sits inside a C call
(libvirt waiting for a daemon that never answers, say) is out of its reach and would hold the run until CI's own
limit, with nothing printed. Past STUCK_SECONDS this watchdog writes every Python thread's stack, the machine's
processes and the last lines of both libvirtds' logs to the real terminal, then ends the test process with
STUCK_EXIT (scripts/test.sh then stops at once, so the report is the last thing on the output).
"""

import faulthandler
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

# Beyond pytest-timeout's 300 s (pyproject.toml): a test it could stop has been stopped by then.
STUCK_SECONDS = 420
STUCK_EXIT = 86
DAEMON_LOGS = (Path("/var/log/libvirt/libvirtd.log"), Path("/run/virtconsole-second/log/libvirtd.log"))


def _tail(path, lines=40):
    try:
        return "".join(path.read_text(errors="replace").splitlines(keepends=True)[-lines:])
    except OSError as exc:
        return f"({exc})\n"


def _report_and_exit(config, nodeid):
    capture = config.pluginmanager.getplugin("capturemanager")
    if capture is not None:
        capture.suspend(in_=True)  # the terminal's own descriptors back on 1 and 2
    out = sys.__stderr__
    out.write(f"\n\n=== STUCK: {nodeid} still runs after {STUCK_SECONDS} s; every thread's stack follows ===\n")
    out.flush()
    faulthandler.dump_traceback(file=out, all_threads=True)
    processes = subprocess.run(["ps", "-eo", "pid,ppid,etime,stat,wchan:24,args", "--forest"], capture_output=True,
                               text=True, timeout=30).stdout
    out.write(f"\n=== processes ===\n{processes}")
    for log in DAEMON_LOGS:
        out.write(f"\n=== last lines of {log} ===\n{_tail(log)}")
    out.flush()
    os._exit(STUCK_EXIT)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    watchdog = threading.Timer(STUCK_SECONDS, _report_and_exit, args=(item.config, item.nodeid))
    watchdog.daemon = True
    watchdog.start()
    try:
        return (yield)
    finally:
        watchdog.cancel()
