"""Several server processes behind nginx for tests and benchmarks: `manage.py cluster` on a database of its own."""

import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import requests

from tests import failure_causes
from tests.free_ports import free_ports

REPO = Path(__file__).resolve().parents[1]
DATABASE_PREFIX = "vccluster_"
# Clusters of one run apart from each other too (a test may start one while a module's cluster runs).
_serial = itertools.count(1)
START_SECONDS = 120
# The command's own stop: SIGTERM to every process, whose requests in flight get STOP_GRACE (10 s) to finish.
STOP_SECONDS = 15


@dataclass(frozen=True)
class ServedProcess:
    pid: int
    port: int
    log: str


@dataclass
class Cluster:
    """A running `manage.py cluster`: its URL (nginx), its admin, and the Daphne processes behind it."""

    base_url: str
    username: str
    password: str
    processes: list
    proxy_pid: int
    var: Path

    def kill(self, i):
        """SIGKILL process i (no clean stop, as a crash), and return once its port refuses connections."""
        process = self.processes[i]
        os.kill(process.pid, signal.SIGKILL)
        _wait(lambda: not _listening(process.port), 30, f"port {process.port} still took connections after SIGKILL")


@contextmanager
def serve_cluster(processes=3, var=None, extra_env=None, password="cluster-pass-123"):
    """Run `manage.py cluster --processes N` on a fresh PostgreSQL database and the Redis of start-services.sh.

    Yields a Cluster once nginx and every process answer; stops the command and drops the database at the end.
    Skips the test when PostgreSQL and Redis cannot be started (only root can start them).
    """
    services = _services()
    serial = next(_serial)
    var = Path(var or f"/var/tmp/vcc-{os.getpid()}-{serial}")
    shutil.rmtree(var, ignore_errors=True)
    var.mkdir(parents=True)
    maintenance_url = services["DATABASE_URL"]
    _drop_databases_of_ended_runs(maintenance_url)
    database = f"{DATABASE_PREFIX}{os.getpid()}_{serial}"
    _sql(maintenance_url, f'drop database if exists "{database}" with (force)')
    _sql(maintenance_url, f'create database "{database}"')
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "console.settings",
        "VIRTCONSOLE_VAR_DIR": str(var),
        "DATABASE_URL": maintenance_url.rsplit("/", 1)[0] + f"/{database}",
        "CHANNEL_LAYER_URL": services["CHANNEL_LAYER_URL"],
        # The layer's group names are the same in every cluster: two clusters on one Redis (a test's and a
        # benchmark's, or `make cluster`) would hear each other's events but for a prefix of their own.
        "CHANNEL_LAYER_PREFIX": f"vccluster{os.getpid()}_{serial}",
        "DJANGO_SUPERUSER_PASSWORD": password,
        **(extra_env or {}),
    }
    command = None
    logs = []
    try:
        for args in (["migrate", "--noinput", "-v0"], ["collectstatic", "--noinput", "-v0"],
                     ["bootstrap", "--no-embedded-host"]):
            _manage(env, *args)
        port = free_ports(processes + 1)
        log = var / "cluster.log"
        with open(log, "wb") as output:
            # A session of its own: at the end its whole process group can be killed, whatever the command left.
            command = subprocess.Popen(
                [sys.executable, "manage.py", "cluster", "--processes", str(processes), "--port", str(port)],
                cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        state = _wait_for_state(var / "cluster" / "state.json", command, log)
        cluster = Cluster(
            base_url=state["url"], username="admin", password=password,
            processes=[ServedProcess(item["pid"], item["port"], item["log"]) for item in state["processes"]],
            proxy_pid=state["proxy"]["pid"], var=var,
        )
        _wait(lambda: _answers(cluster.base_url), 30, f"{cluster.base_url} did not answer")
        logs = [Path(process.log) for process in cluster.processes]
        for process_log in logs:
            failure_causes.watch_server_log(process_log)
        yield cluster
    finally:
        for process_log in logs:
            failure_causes.forget_server_log(process_log)
        if command is not None:
            _stop(command)
        _sql(maintenance_url, f'drop database if exists "{database}" with (force)')
        shutil.rmtree(var, ignore_errors=True)


def _services():
    """DATABASE_URL and CHANNEL_LAYER_URL of PostgreSQL and Redis (scripts/start-services.sh), or a skip."""
    started = subprocess.run(["sh", str(REPO / "scripts/start-services.sh")], capture_output=True, text=True,
                             timeout=180)
    if started.returncode != 0:
        pytest.skip(f"PostgreSQL and Redis are not available: {started.stderr.strip()}")
    return dict(line.split("=", 1) for line in started.stdout.splitlines() if "=" in line)


def _sql(url, statement):
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(statement)


def _drop_databases_of_ended_runs(url):
    """A run killed before its end leaves its database behind: drop those whose process is gone."""
    with psycopg.connect(url, autocommit=True) as conn:
        names = [row[0] for row in conn.execute("select datname from pg_database where datname like %s",
                                                [f"{DATABASE_PREFIX}%"])]
        for name in names:
            pid = name.removeprefix(DATABASE_PREFIX).split("_")[0]
            if pid.isdigit() and not Path(f"/proc/{pid}").exists():
                conn.execute(f'drop database if exists "{name}" with (force)')


def _manage(env, *args):
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")


def _listening(port):
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _answers(url):
    try:
        return requests.get(f"{url}/login/", timeout=5).status_code == 200
    except requests.RequestException:
        return False


def _wait(predicate, timeout, failure):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{failure} within {timeout} s")
        time.sleep(0.1)


def _wait_for_state(path, command, log):
    """The command's state.json, written once every process answers; fails with the command's output if it ended."""
    deadline = time.monotonic() + START_SECONDS
    while not path.exists():
        if command.poll() is not None or time.monotonic() > deadline:
            ended = "ended" if command.returncode is not None else f"did not serve within {START_SECONDS} s"
            raise RuntimeError(f"manage.py cluster {ended}:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.2)
    return json.loads(path.read_text())


def _stop(command):
    """SIGTERM to the command (it stops its processes); after STOP_SECONDS, SIGKILL to all of them."""
    if command.poll() is None:
        command.terminate()
        try:
            command.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            pass
    # Whatever is left of the group (all of it if the command did not stop in time) goes now.
    try:
        os.killpg(command.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    command.wait()
