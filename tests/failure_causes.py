"""What the code under test logged when a test failed, in a few lines a CI tail keeps.

A failing test's own assertion often names only the symptom (a 500 "the error is logged", a page that never
showed a job's end); the cause is an exception the server logged, printed far up among the captured output
that a CI report cuts off. For each failed test this writes the last frame and the message of every distinct
exception logged during it to the file named by VIRTCONSOLE_FAILURE_CAUSES (scripts/test.sh sets it, and prints
the file last when the run failed).
"""

import os
import re

import pytest

# Logs of servers the tests run in processes of their own (a Daphne serving the browser tests): what they logged
# while a test ran counts as logged by the test.
SERVER_LOGS = []
_log_sizes = {}
# Enough to tell a lock from a timeout from a refused connection; a run with more failed tests has one cause.
CAUSES_PER_TEST = 4
FRAME = re.compile(r'^\s*File "(?P<path>[^"]+)", line (?P<line>\d+), in (?P<function>\S+)')


def logged_exceptions(text):
    """(where, message) of each traceback in text: its innermost frame and its last line."""
    found = []
    lines = text.splitlines()
    for start, line in enumerate(lines):
        if not line.startswith("Traceback (most recent call last):"):
            continue
        where = ""
        for follow in lines[start + 1:]:
            frame = FRAME.match(follow)
            if frame:
                path = frame["path"]
                path = path[path.find("/site-packages/") + 15:] if "/site-packages/" in path else os.path.relpath(path)
                where = f"{path}:{frame['line']} in {frame['function']}"
            elif follow and not follow.startswith(" "):
                found.append((where, follow.strip()[:300]))
                break
    return found


def watch_server_log(path):
    """Count what a server of the tests writes to path (from now on) as logged by the test running."""
    SERVER_LOGS.append(path)
    _log_sizes[path] = _size(path)


def forget_server_log(path):
    if path in SERVER_LOGS:
        SERVER_LOGS.remove(path)


def _size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _server_logs_since_setup():
    texts = []
    for path in SERVER_LOGS:
        try:
            with open(path, "rb") as log:
                log.seek(_log_sizes.get(path, 0))
                texts.append(log.read().decode(errors="replace"))
        except OSError:
            continue
    return texts


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    for path in SERVER_LOGS:
        _log_sizes[path] = _size(path)


@pytest.hookimpl(trylast=True)
def pytest_runtest_logreport(report):
    target = os.environ.get("VIRTCONSOLE_FAILURE_CAUSES")
    if not target or not report.failed:
        return
    causes = []
    for content in [content for _title, content in report.sections] + _server_logs_since_setup():
        for cause in logged_exceptions(content):
            if cause not in causes:
                causes.append(cause)
    crash = getattr(report.longrepr, "reprcrash", None)
    lines = [f"{report.nodeid} ({report.when}): {crash.message.splitlines()[0][:300] if crash else 'failed'}"]
    lines += [f"    logged: {message}  [{where}]" for where, message in causes[-CAUSES_PER_TEST:]]
    if not causes:
        lines.append("    logged: no exception")
    with open(target, "a", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
